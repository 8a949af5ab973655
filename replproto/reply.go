package replproto

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/carminedb/carmine/resp"
)

// ReplyKind tells how a primary answered PSYNC.
type ReplyKind int

// The primary's answers to PSYNC, and what a replica does about them (Redis's PSYNC_* outcomes).
const (
	// ReplyNone is an empty line, which a primary sends to keep the link alive before it answers; the
	// replica keeps waiting.
	ReplyNone ReplyKind = iota
	// ReplyFullResync is "+FULLRESYNC <replid> <offset>": an RDB payload follows, then the stream from offset.
	ReplyFullResync
	// ReplyContinue is "+CONTINUE" or "+CONTINUE <replid>": the stream continues from the offset asked for,
	// under a new replid when one is given (the primary was promoted since).
	ReplyContinue
	// ReplyTryLater is "-NOMASTERLINK ..." or "-LOADING ...": the primary (itself a replica, or loading its
	// data) cannot serve now; the replica disconnects and retries.
	ReplyTryLater
	// ReplyNotSupported is any other error (an old primary without PSYNC answers "-ERR unknown command")
	// or an unexpected line; the replica falls back to SYNC, which has no reply line before the payload.
	ReplyNotSupported
)

// String returns the kind's name for logs, e.g. "fullresync".
func (k ReplyKind) String() string {
	switch k {
	case ReplyNone:
		return "none"
	case ReplyFullResync:
		return "fullresync"
	case ReplyContinue:
		return "continue"
	case ReplyTryLater:
		return "try-later"
	case ReplyNotSupported:
		return "not-supported"
	}
	return "ReplyKind(" + strconv.Itoa(int(k)) + ")"
}

// PSYNCReply is a primary's answer to PSYNC, parsed by [ParsePSYNCReply].
type PSYNCReply struct {
	Kind ReplyKind
	// ID is the replid of +FULLRESYNC, or the new replid of +CONTINUE (zero when the primary sent none).
	ID ID
	// Offset is the offset of +FULLRESYNC: the payload holds the data up to it, and the stream goes on
	// from Offset+1. It is -1 when the reply was malformed.
	Offset int64
	// Err is the error reply for ReplyTryLater and ReplyNotSupported (nil for an unexpected non-error line).
	Err *resp.Error
	// Line is the reply line, without CRLF, for logging.
	Line string
}

// ParsePSYNCReply parses the primary's reply line to PSYNC, without its CRLF. It never fails: every line has
// a meaning to a replica. Matches Redis (slaveTryPartialResynchronization):
//
//   - A line starting "+FULLRESYNC" is a full resynchronisation. When it is not "+FULLRESYNC <40-char id>
//     <offset>", ID is zero and Offset is -1, so that the replica's next PSYNC cannot continue.
//   - A line starting "+CONTINUE" is a partial one; when exactly 40 characters follow "+CONTINUE " they are
//     the primary's new replid.
//   - "-NOMASTERLINK" and "-LOADING" mean try later; any other line (an error, or anything unexpected) means
//     the primary does not support PSYNC.
func ParsePSYNCReply(line []byte) PSYNCReply {
	r := PSYNCReply{Offset: -1, Line: string(line)}
	switch {
	case len(line) == 0:
		r.Kind = ReplyNone
	case bytes.HasPrefix(line, []byte("+FULLRESYNC")):
		r.Kind = ReplyFullResync
		f := bytes.Split(line, []byte(" "))
		if len(f) >= 3 && len(f[1]) == IDLen {
			off, err := strconv.ParseInt(string(f[2]), 10, 64)
			if id, err2 := ParseID(string(f[1])); err == nil && err2 == nil && off >= 0 {
				r.ID, r.Offset = id, off
			}
		}
	case bytes.HasPrefix(line, []byte("+CONTINUE")):
		r.Kind = ReplyContinue
		if len(line) == len("+CONTINUE ")+IDLen {
			if id, err := ParseID(string(line[len("+CONTINUE "):])); err == nil {
				r.ID = id
			}
		}
	case line[0] == '-':
		r.Err = resp.ParseErrorLine(string(line[1:]))
		r.Kind = ReplyNotSupported
		if bytes.HasPrefix(line, []byte("-NOMASTERLINK")) || bytes.HasPrefix(line, []byte("-LOADING")) {
			r.Kind = ReplyTryLater
		}
	default:
		r.Kind = ReplyNotSupported
	}
	return r
}

// AppendFullResync appends "+FULLRESYNC <id> <offset>\r\n" to dst.
func AppendFullResync(dst []byte, id ID, offset int64) []byte {
	dst = append(dst, "+FULLRESYNC "...)
	dst = append(dst, id.String()...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, offset, 10)
	return append(dst, '\r', '\n')
}

// AppendContinue appends "+CONTINUE <id>\r\n" to dst, or "+CONTINUE\r\n" when id is zero. Matches Redis: the
// primary sends its replid only to replicas that announced "capa psync2"; older ones would not parse it.
func AppendContinue(dst []byte, id ID) []byte {
	if id.IsZero() {
		return append(dst, "+CONTINUE\r\n"...)
	}
	dst = append(dst, "+CONTINUE "...)
	dst = append(dst, id.String()...)
	return append(dst, '\r', '\n')
}

// EOFMarkLen is the length of the mark that ends a diskless RDB transfer (Redis's RDB_EOF_MARK_SIZE).
const EOFMarkLen = 40

// An EOFMark is the random string that announces and ends a diskless RDB transfer: "$EOF:<mark>\r\n", the
// payload, then the mark again.
type EOFMark [EOFMarkLen]byte

// NewEOFMark returns a random mark of 40 hexadecimal characters read from r, or from crypto/rand when r is
// nil. Matches Redis, which uses 40 random hex characters.
func NewEOFMark(r io.Reader) (EOFMark, error) {
	var m EOFMark
	if err := randomHex(m[:], r); err != nil {
		return EOFMark{}, fmt.Errorf("replproto: new eof mark: %w", err)
	}
	return m, nil
}

// Preamble is the line that starts an RDB transfer: "$<size>\r\n" (Size bytes follow) or, diskless,
// "$EOF:<mark>\r\n" (Size is -1; the payload ends with Mark).
type Preamble struct {
	Size int64
	Mark EOFMark
}

// Diskless reports whether the payload is delimited by an EOF mark rather than a size.
func (p Preamble) Diskless() bool { return p.Size < 0 }

// AppendPreamble appends the preamble line p, "$<size>\r\n" or "$EOF:<mark>\r\n", to dst.
func AppendPreamble(dst []byte, p Preamble) []byte {
	dst = append(dst, '$')
	if p.Diskless() {
		dst = append(dst, "EOF:"...)
		dst = append(dst, p.Mark[:]...)
	} else {
		dst = strconv.AppendInt(dst, p.Size, 10)
	}
	return append(dst, '\r', '\n')
}

// ParsePreamble parses the line, without CRLF, that starts an RDB transfer. It returns ok false for an empty
// line, the newline a primary sends to keep the link alive while it prepares the payload: the replica reads
// the next line. Matches Redis (readSyncBulkPayload): a line starting '-' is the primary aborting the
// transfer (an error wrapping [ErrPrimaryError] and the *resp.Error), and "$EOF:" takes the next 40 bytes as
// the mark. A line that is neither is an error wrapping [ErrBadPreamble].
func ParsePreamble(line []byte) (p Preamble, ok bool, err error) {
	switch {
	case len(line) == 0:
		return p, false, nil
	case line[0] == '-':
		return p, false, fmt.Errorf("%w: %w", ErrPrimaryError, resp.ParseErrorLine(string(line[1:])))
	case line[0] != '$':
		return p, false, fmt.Errorf("%w: the first byte is not '$' (%q)", ErrBadPreamble, truncate(line))
	case bytes.HasPrefix(line, []byte("$EOF:")):
		if len(line) < 5+EOFMarkLen {
			return p, false, fmt.Errorf("%w: EOF mark too short (%q)", ErrBadPreamble, truncate(line))
		}
		p.Size = -1
		copy(p.Mark[:], line[5:])
		return p, true, nil
	}
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n < 0 {
		return p, false, fmt.Errorf("%w: bad payload size %q", ErrBadPreamble, truncate(line))
	}
	p.Size = n
	return p, true, nil
}

// truncate shortens a peer's line for an error message.
func truncate(line []byte) []byte {
	if len(line) > 64 {
		return line[:64]
	}
	return line
}
