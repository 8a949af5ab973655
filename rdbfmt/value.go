package rdbfmt

import (
	"cmp"
	"strconv"
)

// Value is a decoded value, whatever its encoding in the file: one of [String], [List], [Set], [Hash], [ZSet],
// [*Stream] or [Module]. Decoding keeps the order the file stores (for sets and hashes an arbitrary one).
type Value interface{ isValue() }

// String is a string value.
type String []byte

// List is a list value: its elements, head first.
type List [][]byte

// Set is a set value: its members, each once.
type Set [][]byte

// Hash is a hash value: its fields, each name once.
type Hash []Field

// ZSet is a sorted-set value: its members, each once, with their scores (never NaN).
type ZSet []ZMember

// Module is a value of a module type, kept as it is serialised, since only the module can read it: the 64-bit
// module type ID (see [ModuleName]) and the module's data, a sequence of typed fields ending with the module EOF
// opcode, exactly as in the file.
type Module struct {
	TypeID uint64
	Data   []byte
}

// Field is a field of a hash or of a stream entry.
type Field struct {
	Name, Value []byte
}

// ZMember is a member of a sorted set with its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// StreamID is a stream entry ID, <ms>-<seq>.
type StreamID struct {
	Ms, Seq uint64
}

// String returns the ID as Redis prints it, "1700000000000-0".
func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Less reports whether id comes before o.
func (id StreamID) Less(o StreamID) bool { return id.Ms < o.Ms || id.Ms == o.Ms && id.Seq < o.Seq }

func (id StreamID) compare(o StreamID) int {
	if c := cmp.Compare(id.Ms, o.Ms); c != 0 {
		return c
	}
	return cmp.Compare(id.Seq, o.Seq)
}

// Stream is a stream value. Entries holds the live entries in ID order (deleted ones are dropped). The metadata
// fields of RDB 10 (FirstID, MaxDeletedID, EntriesAdded) are zero when the file is older; a loader then derives
// them as Redis does (FirstID from the first entry, EntriesAdded from the length).
type Stream struct {
	Entries      []StreamEntry
	Length       uint64   // number of entries, as stored (equals len(Entries) in a valid file)
	LastID       StreamID // the last ID generated
	FirstID      StreamID // RDB 10+: the first entry's ID, 0-0 when empty
	MaxDeletedID StreamID // RDB 10+: the largest ID deleted
	EntriesAdded uint64   // RDB 10+: count of all entries ever added
	Groups       []StreamGroup
}

// StreamEntry is one entry of a stream.
type StreamEntry struct {
	ID     StreamID
	Fields []Field
}

// StreamGroup is a consumer group. EntriesRead is -1 when unknown (RDB before 10, or Redis's SCG_INVALID_ENTRIES_READ).
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Pending     []PendingEntry // the group's pending entries list (PEL), in ID order (sorted when decoded)
	Consumers   []Consumer
}

// PendingEntry is a delivered, not yet acknowledged entry of a group: its ID, when it was last delivered
// (Unix ms), how many times, and to which consumer ("" only in a corrupt file).
type PendingEntry struct {
	ID            StreamID
	DeliveryMs    int64
	DeliveryCount uint64
	Consumer      []byte
}

// Consumer is a consumer of a group: its name, when it was last seen and last active (Unix ms; ActiveMs is
// RDB 11, and Redis 7.2 sets it to SeenMs when reading older files) and the IDs of its pending entries, in ID
// order (sorted when decoded).
type Consumer struct {
	Name     []byte
	SeenMs   int64
	ActiveMs int64 // -1 when the file is older than RDB 11
	Pending  []StreamID
}

func (String) isValue()  {}
func (List) isValue()    {}
func (Set) isValue()     {}
func (Hash) isValue()    {}
func (ZSet) isValue()    {}
func (*Stream) isValue() {}
func (Module) isValue()  {}

// moduleCharset is the alphabet of the 9-character module type names packed into a module type ID.
const moduleCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// ModuleName splits a module type ID into the type's 9-character name (6 bits per character, first character
// in the top bits) and its encoding version (the low 10 bits).
func ModuleName(typeID uint64) (name string, encVer int) {
	var b [9]byte
	for i := range b {
		b[i] = moduleCharset[typeID>>(64-6*(i+1))&63]
	}
	return string(b[:]), int(typeID & 1023)
}
