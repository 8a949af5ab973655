package rdbfmt

import "strconv"

// RDB versions.
const (
	// Version is the RDB version this package writes: 10, that of Redis 7.0. Redis 7.0 reads versions up to 10
	// and Redis 7.2 up to 11, so both load what it writes.
	Version = 10
	// MaxVersion is the highest RDB version this package reads: 11, that of Redis 7.2.
	MaxVersion = 11
)

// Type is the object type byte that precedes a value in an RDB file and starts a DUMP payload. It names both
// the kind of value and its serialised encoding. The names follow Redis's RDB_TYPE_* constants.
type Type uint8

// Object types. Values 6 to 8 are module types (8 is unused); the Decoder reads all but [TypeModulePreGA].
const (
	TypeString           Type = 0
	TypeList             Type = 1 // linked list of strings
	TypeSet              Type = 2
	TypeZSet             Type = 3 // scores as strings
	TypeHash             Type = 4
	TypeZSet2            Type = 5 // scores as binary doubles
	TypeModulePreGA      Type = 6
	TypeModule2          Type = 7
	TypeHashZipmap       Type = 9
	TypeListZiplist      Type = 10
	TypeSetIntset        Type = 11
	TypeZSetZiplist      Type = 12
	TypeHashZiplist      Type = 13
	TypeListQuicklist    Type = 14 // quicklist of ziplists
	TypeStreamListpacks  Type = 15
	TypeHashListpack     Type = 16 // RDB 10 (Redis 7.0)
	TypeZSetListpack     Type = 17 // RDB 10
	TypeListQuicklist2   Type = 18 // quicklist of listpacks, RDB 10
	TypeStreamListpacks2 Type = 19 // RDB 10
	TypeSetListpack      Type = 20 // RDB 11 (Redis 7.2)
	TypeStreamListpacks3 Type = 21 // RDB 11
)

var typeNames = [...]string{
	TypeString: "string", TypeList: "list", TypeSet: "set", TypeZSet: "zset", TypeHash: "hash",
	TypeZSet2: "zset2", TypeModulePreGA: "module-pre-ga", TypeModule2: "module2", TypeHashZipmap: "hash-zipmap",
	TypeListZiplist: "list-ziplist", TypeSetIntset: "set-intset", TypeZSetZiplist: "zset-ziplist",
	TypeHashZiplist: "hash-ziplist", TypeListQuicklist: "list-quicklist", TypeStreamListpacks: "stream-listpacks",
	TypeHashListpack: "hash-listpack", TypeZSetListpack: "zset-listpack", TypeListQuicklist2: "list-quicklist2",
	TypeStreamListpacks2: "stream-listpacks2", TypeSetListpack: "set-listpack",
	TypeStreamListpacks3: "stream-listpacks3",
}

// Known reports whether t is an object type of RDB versions up to [MaxVersion].
func (t Type) Known() bool { return int(t) < len(typeNames) && typeNames[t] != "" }

// String returns the type's name, e.g. "list-quicklist2", or "type(99)" for an unknown one.
func (t Type) String() string {
	if t.Known() {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Opcode is a byte in an RDB file that introduces something other than a key (the values are above every
// [Type]). The names follow Redis's RDB_OPCODE_* constants.
type Opcode uint8

// Opcodes.
const (
	OpFunction2     Opcode = 245 // a function library (Redis 7.0 GA)
	OpFunctionPreGA Opcode = 246
	OpModuleAux     Opcode = 247 // module auxiliary data
	OpIdle          Opcode = 248 // LRU idle time of the next key
	OpFreq          Opcode = 249 // LFU frequency of the next key
	OpAux           Opcode = 250 // an auxiliary field: two strings
	OpResizeDB      Opcode = 251 // hash table size hints
	OpExpireTimeMs  Opcode = 252 // expiry of the next key, Unix ms, 8 bytes little-endian
	OpExpireTime    Opcode = 253 // expiry of the next key, Unix seconds, 4 bytes little-endian
	OpSelectDB      Opcode = 254 // database number
	OpEOF           Opcode = 255 // end of the file, followed by the checksum
)

// Enc is a special string encoding, announced by a length whose first byte has its two top bits set (see
// [ParseLength]).
type Enc uint8

// Special string encodings.
const (
	EncInt8  Enc = 0 // a signed 8-bit integer follows
	EncInt16 Enc = 1 // a signed 16-bit integer follows, little-endian
	EncInt32 Enc = 2 // a signed 32-bit integer follows, little-endian
	EncLZF   Enc = 3 // compressed length, original length, then the LZF stream
)
