package rdbfmt

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Forms of a length, told apart by the first byte.
const (
	len6     = 0x00 // 00xxxxxx: 6 bits
	len14    = 0x40 // 01xxxxxx xxxxxxxx: 14 bits, big-endian
	len32    = 0x80 // then 4 bytes, big-endian
	len64    = 0x81 // then 8 bytes, big-endian
	lenSpec  = 0xc0 // 11xxxxxx: a special encoding (Enc) in the low 6 bits
	lenForm  = 0xc0 // mask of the form bits
	lenLow6  = 0x3f
	maxLen6  = 1<<6 - 1
	maxLen14 = 1<<14 - 1
)

// AppendLength appends n in RDB length encoding, in the shortest of its four forms (1, 2, 5 or 9 bytes), as
// Redis writes it.
func AppendLength(dst []byte, n uint64) []byte {
	switch {
	case n <= maxLen6:
		return append(dst, byte(n))
	case n <= maxLen14:
		return append(dst, len14|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, len32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, len64), n)
}

// appendSpecial appends the length byte that announces the special encoding e.
func appendSpecial(dst []byte, e Enc) []byte { return append(dst, lenSpec|byte(e)) }

// ParseLength reads a length at the start of b and returns it with the number of bytes it took. When the first
// byte announces a special string encoding instead (its two top bits set), special is true and n is the [Enc]
// in its low 6 bits; where Redis reads a plain length, that value serves as the length. A longer form than
// needed is accepted, as Redis does. Truncated input or an unknown form is ErrCorrupt.
func ParseLength(b []byte) (n uint64, special bool, size int, err error) {
	if len(b) == 0 {
		return 0, false, 0, fmt.Errorf("%w: missing length", ErrCorrupt)
	}
	switch c := b[0]; {
	case c&lenForm == len6:
		return uint64(c), false, 1, nil
	case c&lenForm == len14:
		if len(b) < 2 {
			return 0, false, 0, fmt.Errorf("%w: truncated 14-bit length", ErrCorrupt)
		}
		return uint64(c&lenLow6)<<8 | uint64(b[1]), false, 2, nil
	case c&lenForm == lenSpec:
		return uint64(c & lenLow6), true, 1, nil
	case c == len32:
		if len(b) < 5 {
			return 0, false, 0, fmt.Errorf("%w: truncated 32-bit length", ErrCorrupt)
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), false, 5, nil
	case c == len64:
		if len(b) < 9 {
			return 0, false, 0, fmt.Errorf("%w: truncated 64-bit length", ErrCorrupt)
		}
		return binary.BigEndian.Uint64(b[1:]), false, 9, nil
	default:
		return 0, false, 0, fmt.Errorf("%w: unknown length form %#02x", ErrCorrupt, c)
	}
}
