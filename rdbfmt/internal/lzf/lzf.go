// Package lzf compresses and decompresses LZF, the format Redis uses for compressed strings in RDB files and
// DUMP payloads. It is written from the format description:
//
// A stream is a sequence of chunks, each starting with a control byte c.
//   - c < 32: a literal run; the next c+1 bytes are copied to the output.
//   - otherwise a back-reference: its length is c>>5, plus the next byte when c>>5 is 7; its offset is
//     (c&31)<<8 | the following byte. It copies length+2 bytes starting offset+1 bytes before the end of the
//     output, one byte at a time, so a reference may overlap the bytes it produces.
//
// The stream does not record its decompressed length; RDB stores it beside the stream.
package lzf

import (
	"errors"
	"math"
)

// Limits of the format.
const (
	maxLit    = 32          // longest literal run
	maxOff    = 1 << 13     // farthest back-reference, in bytes back from the output position
	maxRef    = 7 + 255 + 2 // longest back-reference
	hashBits  = 14          // hash table size (log2) for long inputs
	smallBits = 9           // and for inputs of at most 512 bytes
	minMatch  = 3           // a shorter match costs as much as literals
)

// MaxExpansion is the largest ratio of decompressed to compressed size: a 3-byte back-reference yields at most
// 264 bytes. A decompressed length above MaxExpansion times the compressed length cannot be valid, which lets
// callers check a length from untrusted input before allocating for it.
const MaxExpansion = maxRef / 3

var (
	// ErrShortBuffer is returned when the output would not fit in the buffer given to Decompress.
	ErrShortBuffer = errors.New("lzf: output buffer too small")
	// ErrCorrupt is returned for a truncated stream or a back-reference to before the start of the output.
	ErrCorrupt = errors.New("lzf: corrupt input")
)

// Decompress decompresses src into dst and returns the number of bytes written. It never reads or writes out
// of bounds: a stream that would produce more than len(dst) bytes is ErrShortBuffer, and a malformed one is
// ErrCorrupt. A nil error means src was consumed completely.
func Decompress(dst, src []byte) (int, error) {
	ip, op := 0, 0
	for ip < len(src) {
		c := int(src[ip])
		ip++
		if c < 32 {
			n := c + 1
			if ip+n > len(src) {
				return op, ErrCorrupt
			}
			if op+n > len(dst) {
				return op, ErrShortBuffer
			}
			copy(dst[op:], src[ip:ip+n])
			ip += n
			op += n
			continue
		}
		n := c >> 5
		if n == 7 {
			if ip >= len(src) {
				return op, ErrCorrupt
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return op, ErrCorrupt
		}
		ref := op - (c&31)<<8 - int(src[ip]) - 1
		ip++
		n += 2
		if op+n > len(dst) {
			return op, ErrShortBuffer
		}
		if ref < 0 {
			return op, ErrCorrupt
		}
		// The source may overlap the bytes being written (offset < length): copy what exists so far, repeatedly.
		for end := op + n; op < end; {
			op += copy(dst[op:end], dst[ref:op])
		}
	}
	return op, nil
}

// Compress appends the LZF compression of src to dst, unless it would take more than limit bytes: then it
// returns dst unchanged and false. It finds matches greedily with a hash table of 3-byte prefixes, so it is fast
// but its output is not byte-identical to other LZF compressors (any LZF decompressor reads it). Inputs of 2 GiB
// or more are not compressed (false).
func Compress(dst, src []byte, limit int) ([]byte, bool) {
	if len(src) >= math.MaxInt32 { // positions are int32 in the table
		return dst, false
	}
	// A table on the stack, small for short inputs so that clearing it does not cost more than compressing.
	if len(src) <= 1<<smallBits {
		var table [1 << smallBits]int32
		return compress(dst, src, limit, table[:], smallBits)
	}
	var table [1 << hashBits]int32
	return compress(dst, src, limit, table[:], hashBits)
}

// compress is Compress with a hash table of 1<<bits entries: the position+1 of the last 3-byte prefix with each
// hash, 0 for none.
func compress(dst, src []byte, limit int, table []int32, bits uint) ([]byte, bool) {
	start := len(dst)
	lit := 0 // length of the pending literal run, which ends at ip
	ip := 0
	for ip+minMatch <= len(src) {
		h := hash3(src[ip:], bits)
		cand := int(table[h]) - 1
		table[h] = int32(ip + 1)
		off := ip - cand - 1
		if cand < 0 || off >= maxOff || src[cand] != src[ip] || src[cand+1] != src[ip+1] || src[cand+2] != src[ip+2] {
			ip++
			lit++
			if lit == maxLit {
				dst = appendLiterals(dst, src[ip-lit:ip])
				lit = 0
				if len(dst)-start > limit {
					return dst[:start], false
				}
			}
			continue
		}
		n := minMatch
		for end := min(len(src)-ip, maxRef); n < end && src[cand+n] == src[ip+n]; n++ {
		}
		if lit > 0 {
			dst = appendLiterals(dst, src[ip-lit:ip])
			lit = 0
		}
		if l := n - 2; l < 7 {
			dst = append(dst, byte(l<<5|off>>8), byte(off))
		} else {
			dst = append(dst, byte(7<<5|off>>8), byte(l-7), byte(off))
		}
		if len(dst)-start > limit {
			return dst[:start], false
		}
		// Remember the prefixes inside the match, so later repeats of them are found.
		for p := ip + 1; p < ip+n && p+minMatch <= len(src); p++ {
			table[hash3(src[p:], bits)] = int32(p + 1)
		}
		ip += n
	}
	lit += len(src) - ip
	for ip = len(src) - lit; lit > 0; {
		k := min(lit, maxLit)
		dst = appendLiterals(dst, src[ip:ip+k])
		ip += k
		lit -= k
	}
	if len(dst)-start > limit {
		return dst[:start], false
	}
	return dst, true
}

// appendLiterals appends a literal run of 1 to 32 bytes.
func appendLiterals(dst, lit []byte) []byte {
	return append(append(dst, byte(len(lit)-1)), lit...)
}

func hash3(p []byte, bits uint) uint32 {
	v := uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
	return v * 2654435761 >> (32 - bits)
}
