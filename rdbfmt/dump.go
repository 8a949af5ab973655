package rdbfmt

import (
	"encoding/binary"
	"fmt"

	"github.com/carminedb/carmine/rdbfmt/internal/crc64"
)

// footerLen is the size of a DUMP payload's footer: the RDB version (2 bytes) and the CRC-64 (8 bytes), both
// little-endian.
const footerLen = 10

// A DUMP payload, as DUMP returns and RESTORE takes it, is one serialised value:
//
//	<type byte> <value in RDB encoding> <RDB version, uint16 LE> <CRC-64 of all before, uint64 LE>

// AppendStringDump appends the DUMP payload of the string value s (compressed as with rdbcompression yes) to dst.
func AppendStringDump(dst, s []byte) []byte {
	start := len(dst)
	dst = append(dst, byte(TypeString))
	dst = AppendString(dst, s, true)
	return SealDump(dst, start, Version)
}

// SealDump appends the footer of a DUMP payload whose type byte and value are dst[start:]: the RDB version
// (normally [Version]; a payload using a type of a later version must name that version) and the CRC-64 of
// dst[start:] with the version. Writers of other types build payloads with it.
func SealDump(dst []byte, start int, version uint16) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, version)
	return binary.LittleEndian.AppendUint64(dst, crc64.Checksum(dst[start:]))
}

// Dump is a DUMP payload whose footer has been checked, split into its parts.
type Dump struct {
	Type    Type   // the object type
	Version int    // the RDB version of the payload
	Value   []byte // the serialised value between the type byte and the footer; a subslice of the payload
	rest    []byte // all after the type byte, footer included: where Redis reads the value from
}

// ParseDump checks the footer of a DUMP payload and splits it. Matches Redis: a payload shorter than its footer
// or with a CRC that does not match is ErrChecksum (a CRC of zero is not exempt), a version above
// [MaxVersion] is ErrVersion, and a payload with no type byte or with an unknown type is ErrCorrupt.
func ParseDump(p []byte) (Dump, error) {
	if len(p) < footerLen {
		return Dump{}, fmt.Errorf("%w: DUMP payload of %d bytes has no footer", ErrChecksum, len(p))
	}
	body, footer := p[:len(p)-footerLen], p[len(p)-footerLen:]
	version := int(binary.LittleEndian.Uint16(footer))
	if version > MaxVersion {
		return Dump{}, fmt.Errorf("%w: DUMP payload of version %d", ErrVersion, version)
	}
	if crc64.Checksum(p[:len(p)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return Dump{}, fmt.Errorf("%w: DUMP payload", ErrChecksum)
	}
	if len(body) == 0 {
		return Dump{}, fmt.Errorf("%w: DUMP payload without a value", ErrCorrupt)
	}
	d := Dump{Type: Type(body[0]), Version: version, Value: body[1:], rest: p[1:]}
	if !d.Type.Known() {
		return Dump{}, fmt.Errorf("%w: DUMP payload of unknown type %d", ErrCorrupt, body[0])
	}
	return d, nil
}

// StringValue decodes the value of a payload of [TypeString]; another type is ErrUnsupportedType. The result
// may alias the payload (see [ParseString]).
//
// Matches Redis: RESTORE reads the value from all the bytes after the type byte, so bytes left over before the
// footer are ignored, and a value may even end inside the footer.
func (d Dump) StringValue() ([]byte, error) {
	if d.Type != TypeString {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, d.Type)
	}
	s, _, err := ParseString(d.rest)
	return s, err
}
