package rdbfmt

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/carminedb/carmine/rdbfmt/internal/lzf"
)

// Limits of Redis's choice of string encoding.
const (
	maxIntChars   = 11 // "-2147483648": longer strings are never int-encoded
	minCompress   = 21 // shorter strings are never compressed
	compressSaves = 4  // compression must save at least this many bytes
)

// AppendString appends s in RDB string encoding, choosing the encoding as Redis does:
//   - as an 8, 16 or 32-bit integer when s is the canonical decimal form of an integer that fits 32 bits
//     ("12", "-7", but not "012", "+1", "-0" or " 1");
//   - LZF-compressed when compress is true (Redis's rdbcompression), s is longer than 20 bytes and the
//     compressed stream is at least 4 bytes shorter than s;
//   - raw otherwise: its length, then its bytes.
//
// Compressed output is valid for every reader, but it may differ byte for byte from Redis's, whose compressor
// finds other matches.
func AppendString(dst, s []byte, compress bool) []byte {
	if len(s) <= maxIntChars {
		if v, ok := canonicalInt32(s); ok {
			return appendInt(dst, v)
		}
	}
	if compress && len(s) >= minCompress {
		if out, ok := appendLZF(dst, s); ok {
			return out
		}
	}
	return append(AppendLength(dst, uint64(len(s))), s...)
}

// canonicalInt32 reports whether s is exactly the decimal form of an integer of 32 bits, and returns it.
// Matches Redis: rdbTryIntegerEncoding, which accepts a string that parses as an integer and prints back the same.
func canonicalInt32(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > maxIntChars {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(s) > 1) { // no leading zeros, no "-0"
		return 0, false
	}
	var v int64
	for _, c := range digits { // at most 11 digits: no overflow
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if s[0] == '-' {
		v = -v
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return v, true
}

// appendInt appends v, which fits 32 bits, in the smallest integer encoding.
func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(appendSpecial(dst, EncInt8), byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(appendSpecial(dst, EncInt16), uint16(v))
	}
	return binary.LittleEndian.AppendUint32(appendSpecial(dst, EncInt32), uint32(v))
}

// appendLZF appends s LZF-compressed, or reports false when that would not save enough.
func appendLZF(dst, s []byte) ([]byte, bool) {
	// The header goes first, with the compressed length unknown: compress after a header sized for the
	// largest allowed compressed length, then move the stream back if its length took fewer bytes.
	limit := len(s) - compressSaves
	start := len(dst)
	dst = appendSpecial(dst, EncLZF)
	dst = AppendLength(dst, uint64(limit)) // placeholder, as long as any shorter length
	dst = AppendLength(dst, uint64(len(s)))
	hdr := len(dst)
	out, ok := lzf.Compress(dst, s, limit)
	if !ok {
		return dst[:start], false
	}
	stream := out[hdr:]
	fixed := AppendLength(appendSpecial(out[:start], EncLZF), uint64(len(stream)))
	fixed = AppendLength(fixed, uint64(len(s)))
	n := copy(out[len(fixed):], stream) // moves left (or stays): fixed is no longer than the placeholder
	return out[:len(fixed)+n], true
}

// ParseString reads an RDB string at the start of b and returns it with the number of bytes it took. A raw
// string is a subslice of b; an integer or compressed one is newly allocated. Lengths are checked against the
// input before anything is allocated: a compressed string may claim at most 88 times (the most LZF expands) its
// compressed size. Malformed input is ErrCorrupt.
//
// Matches Redis: the lengths inside a compressed string are read as plain lengths (a special-encoding byte
// counts as its low 6 bits), and a compressed string whose original length is 0 is the empty string whatever
// its stream holds.
func ParseString(b []byte) ([]byte, int, error) {
	n, special, size, err := ParseLength(b)
	if err != nil {
		return nil, 0, err
	}
	rest := b[size:]
	if !special {
		if n > uint64(len(rest)) {
			return nil, 0, fmt.Errorf("%w: string of %d bytes with %d left", ErrCorrupt, n, len(rest))
		}
		return rest[:n], size + int(n), nil
	}
	switch Enc(n) {
	case EncInt8:
		if len(rest) < 1 {
			break
		}
		return strconv.AppendInt(nil, int64(int8(rest[0])), 10), size + 1, nil
	case EncInt16:
		if len(rest) < 2 {
			break
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(rest))), 10), size + 2, nil
	case EncInt32:
		if len(rest) < 4 {
			break
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(rest))), 10), size + 4, nil
	case EncLZF:
		s, m, err := parseLZF(rest)
		return s, size + m, err
	default:
		return nil, 0, fmt.Errorf("%w: unknown string encoding %d", ErrCorrupt, n)
	}
	return nil, 0, fmt.Errorf("%w: truncated integer", ErrCorrupt)
}

// parseLZF reads the part of a compressed string after its first byte.
func parseLZF(b []byte) ([]byte, int, error) {
	clen, _, n1, err := ParseLength(b)
	if err != nil {
		return nil, 0, err
	}
	ulen, _, n2, err := ParseLength(b[n1:])
	if err != nil {
		return nil, 0, err
	}
	rest := b[n1+n2:]
	if clen > uint64(len(rest)) {
		return nil, 0, fmt.Errorf("%w: compressed string of %d bytes with %d left", ErrCorrupt, clen, len(rest))
	}
	size := n1 + n2 + int(clen)
	out, err := inflate(rest[:clen], ulen)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return out, size, nil
}

// inflate decompresses the LZF stream c of a compressed string into its ulen bytes, checking ulen against what
// c can make before allocating. Its errors say what is wrong; callers wrap them as ErrCorrupt. Matches Redis: an original length of 0 is the empty string whatever c holds.
func inflate(c []byte, ulen uint64) ([]byte, error) {
	if ulen == 0 {
		return []byte{}, nil
	}
	if ulen > uint64(len(c))*lzf.MaxExpansion {
		return nil, fmt.Errorf("%d compressed bytes cannot make %d", len(c), ulen)
	}
	out := make([]byte, ulen)
	if m, err := lzf.Decompress(out, c); err != nil || m != len(out) {
		return nil, fmt.Errorf("compressed string does not decompress to its %d bytes", ulen)
	}
	return out, nil
}
