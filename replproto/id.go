package replproto

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// IDLen is the length of a replication id: 40 hexadecimal characters (Redis's CONFIG_RUN_ID_SIZE).
const IDLen = 40

// An ID is a replication id, 40 lower-case hexadecimal characters such as
// "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb". It names one history of the data set: two servers with the
// same id and offset hold the same data. The zero ID is written as 40 zeros, Redis's "no id".
type ID [IDLen]byte

// NewID returns a fresh random ID read from r, or from crypto/rand when r is nil.
func NewID(r io.Reader) (ID, error) {
	var id ID
	if err := randomHex(id[:], r); err != nil {
		return ID{}, fmt.Errorf("replproto: new id: %w", err)
	}
	return id, nil
}

// randomHex fills dst with random hexadecimal characters from len(dst)/2 bytes read from r, or from
// crypto/rand when r is nil. Matches Redis (getRandomHexChars), which makes ids and EOF marks this way.
func randomHex(dst []byte, r io.Reader) error {
	if r == nil {
		r = rand.Reader
	}
	raw := make([]byte, len(dst)/2)
	if _, err := io.ReadFull(r, raw); err != nil {
		return err
	}
	hex.Encode(dst, raw)
	return nil
}

// ParseID parses a 40-character replication id. It accepts any 40 bytes other than CR, LF, space and NUL, as
// Redis compares ids as plain strings, and keeps their case.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != IDLen || strings.ContainsAny(s, "\r\n \x00") {
		return id, fmt.Errorf("%w: %q", ErrBadID, s)
	}
	copy(id[:], s)
	return id, nil
}

// String returns the id's 40 characters, or 40 zeros for the zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return strings.Repeat("0", IDLen)
	}
	return string(id[:])
}

// IsZero reports whether id is the zero ID (all NUL bytes or all '0' characters).
func (id ID) IsZero() bool {
	for _, c := range id {
		if c != 0 && c != '0' {
			return false
		}
	}
	return true
}

// Equal reports whether id names the history s names. Matches Redis: ids are compared ignoring case
// (strcasecmp), and "?" or any string that is not 40 characters matches nothing.
func (id ID) Equal(s string) bool {
	return len(s) == IDLen && strings.EqualFold(id.String(), s)
}

// IDs are the two replication ids a server keeps, as PSYNC2 does (Redis's replid, replid2 and
// second_replid_offset).
//
// ID is the history the server is on now. ID2 is the history it was on before its last promotion, valid up
// to but not including the byte at SecondOffset: a replica of the old primary, which knows only ID2, may
// continue from the promoted server as long as it does not claim bytes the promoted server never received
// from the old primary. With no previous history, ID2 is zero and SecondOffset is -1.
//
// A replica takes its primary's ID as its own (and its ID2, when the primary's +CONTINUE brings a new id), so
// that a chain of replicas, and a replica promoted later, share the same history names.
type IDs struct {
	ID           ID
	ID2          ID
	SecondOffset int64
}

// NewIDs returns a fresh ID with no previous history, as a server has at start-up.
func NewIDs() (IDs, error) {
	id, err := NewID(nil)
	return IDs{ID: id, SecondOffset: -1}, err
}

// Shift moves to a new history at offset, the server's master_repl_offset: ID becomes ID2, valid up to
// offset (SecondOffset is offset+1), and ID becomes a fresh random id. Matches Redis (shiftReplicationId),
// which does this when a replica is promoted (REPLICAOF NO ONE, failover): the promoted server's data
// diverges from the old primary's from the next byte on, but everything up to offset is shared.
func (s *IDs) Shift(offset int64) error {
	id, err := NewID(nil)
	if err != nil {
		return err
	}
	s.ID2, s.SecondOffset = s.ID, offset+1
	s.ID = id
	return nil
}

// Continue applies the replid of a primary's "+CONTINUE <id>" to a replica's ids at offset, the replica's
// master_repl_offset. When id differs from s.ID (the primary was promoted and continues under a new history),
// the old ID becomes ID2, valid up to offset, and ID becomes id; Continue then returns true, and the replica
// must disconnect its own replicas so that they resynchronise and learn the new id. A zero id (a primary
// without PSYNC2) changes nothing. Matches Redis (slaveTryPartialResynchronization).
func (s *IDs) Continue(id ID, offset int64) bool {
	if id.IsZero() || id == s.ID {
		return false
	}
	s.ID2, s.SecondOffset = s.ID, offset+1
	s.ID = id
	return true
}

// FullResync sets a replica's ids after "+FULLRESYNC <id> <offset>": the primary's id, and no previous
// history (Redis clears replid2 when it loads a full copy).
func (s *IDs) FullResync(id ID) {
	s.ID = id
	s.ClearID2()
}

// ClearID2 forgets the previous history (Redis's clearReplicationId2), as a replica does when it loads a full
// copy of its primary's data.
func (s *IDs) ClearID2() { s.ID2, s.SecondOffset = ID{}, -1 }

// Resync is the outcome of a PSYNC request on the primary: a partial resynchronisation (Continue) or,
// with the reason why not, a full one.
type Resync struct {
	// Continue is true when the primary can serve the replica from its backlog.
	Continue bool
	// Reason says why a full resynchronisation is needed, in words close to Redis's log lines; empty when
	// Continue is true or the replica asked for a full one ("PSYNC ? -1").
	Reason string
}

// Decide applies the rule a primary follows when a replica sends "PSYNC <replid> <next>" (next being the
// first byte the replica lacks, its offset plus one). The backlog may be nil, when the server has none.
// Matches Redis (masterTryPartialResynchronization):
//
//   - The history must be the primary's: replid equals ids.ID, or replid equals ids.ID2 and next is at most
//     ids.SecondOffset (the replica followed the old primary no further than this server did before its
//     promotion). Ids compare ignoring case; "?" matches nothing, which is how a replica asks for a full copy.
//   - The backlog must hold every byte from next on: FirstByteOffset() <= next <= Offset()+1.
//
// Otherwise the primary answers +FULLRESYNC.
func Decide(ids IDs, b *Backlog, replid string, next int64) Resync {
	if !ids.ID.Equal(replid) {
		switch {
		case replid == "?":
			return Resync{}
		case !ids.ID2.IsZero() && ids.ID2.Equal(replid) && next > ids.SecondOffset:
			return Resync{Reason: fmt.Sprintf("requested offset %d is past the end of the previous id's history (%d)", next, ids.SecondOffset)}
		case ids.ID2.IsZero() || !ids.ID2.Equal(replid):
			return Resync{Reason: fmt.Sprintf("replication id mismatch (replica asked for %q, my ids are %s and %s)", replid, ids.ID, ids.ID2)}
		}
	}
	switch {
	case b == nil:
		return Resync{Reason: "no backlog"}
	case !b.Covers(next):
		return Resync{Reason: fmt.Sprintf("requested offset %d is outside the backlog (%d..%d)", next, b.FirstByteOffset(), b.Offset()+1)}
	}
	return Resync{Continue: true}
}
