package rdbfmt

import "errors"

var (
	// ErrCorrupt is returned for data that is not valid RDB: truncated, an unknown encoding, a length that
	// does not fit, a compressed string that does not decompress. The error wraps it with details.
	ErrCorrupt = errors.New("rdbfmt: corrupt data")
	// ErrVersion is returned for an RDB version above [MaxVersion].
	ErrVersion = errors.New("rdbfmt: unsupported RDB version")
	// ErrChecksum is returned when a CRC-64 does not match the data, or a DUMP payload is too short to hold one.
	ErrChecksum = errors.New("rdbfmt: checksum mismatch")
	// ErrUnsupportedType is returned for a valid object type or opcode that this package does not decode: module
	// values of Redis 4.0 release candidates, functions of Redis 7.0 release candidates, and a type other than
	// string for [Dump.StringValue].
	ErrUnsupportedType = errors.New("rdbfmt: unsupported object type")
)
