package keyspace

// Kind is the type of the value a key holds, as reported by the TYPE command.
type Kind uint8

// The kinds of values. KindNone is what [Txn.Type] reports for a missing key.
const (
	KindNone Kind = iota
	KindString
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

var kindNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

// String returns the name TYPE replies with: "none", "string", "list", "set", "zset", "hash" or "stream".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind returns the Kind named s, as accepted by SCAN ... TYPE. It reports false for an unknown name.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return Kind(i), true
		}
	}
	return KindNone, false
}

// Encoding is the internal representation of a value, as reported by OBJECT ENCODING.
type Encoding uint8

// The encodings Redis 7 reports. Strings use EncInt, EncEmbstr and EncRaw; the other kinds report theirs through
// [Object.Encoding].
const (
	EncRaw Encoding = iota
	EncInt
	EncEmbstr
	EncListpack
	EncQuicklist
	EncHashtable
	EncIntset
	EncSkiplist
	EncStream
)

var encodingNames = [...]string{"raw", "int", "embstr", "listpack", "quicklist", "hashtable", "intset", "skiplist", "stream"}

// String returns the name OBJECT ENCODING replies with, such as "int", "embstr" or "raw".
func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return "unknown"
}

// embstrMax is the longest string Redis stores with the embstr encoding.
// Matches Redis: OBJ_ENCODING_EMBSTR_SIZE_LIMIT is 44.
const embstrMax = 44

// Object is a value of a kind other than string (list, hash, set, zset, stream). Adding a value type to the
// keyspace means implementing Object; strings are stored inline by the keyspace itself.
// An Object is owned by the keyspace once stored: it is read and changed only while its key's shard is locked.
type Object interface {
	// Kind returns the object's kind. It must not be KindNone or KindString and must never change.
	Kind() Kind
	// Encoding returns the current internal representation, for OBJECT ENCODING.
	Encoding() Encoding
	// Clone returns a deep copy, used by COPY.
	Clone() Object
}
