package rdbfmt

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// The compact encodings that RDB stores as one string: ziplist, listpack, intset and zipmap. Each parser reads a
// whole blob, checks its header against its size and every entry against the bytes left, and returns the
// elements as strings (integers in decimal). Errors wrap ErrCorrupt and name the position inside the blob.

// numbers holds the decimal forms of decoded integers, many to an allocation. Each form is a full slice
// (capacity = length), so appending to one never overwrites the next.
type numbers struct{ buf []byte }

func (n *numbers) format(v int64) []byte {
	if cap(n.buf)-len(n.buf) < 20 {
		n.buf = make([]byte, 0, 2048)
	}
	start := len(n.buf)
	n.buf = strconv.AppendInt(n.buf, v, 10)
	return n.buf[start:len(n.buf):len(n.buf)]
}

// Ziplist (RDB types 10, 12, 13 and the nodes of 14):
//
//	<zlbytes uint32 LE> <zltail uint32 LE> <zllen uint16 LE> <entry>... 0xff
//	entry: <prevlen: 1 byte < 254, or 0xfe + uint32 LE> <encoding> <data>
const zlHeader = 10

func zlErr(pos int, format string, args ...any) error {
	return fmt.Errorf("%w: ziplist byte %d: "+format, append([]any{ErrCorrupt, pos}, args...)...)
}

func parseZiplist(b []byte, num *numbers) ([][]byte, error) {
	if len(b) < zlHeader+1 {
		return nil, zlErr(0, "expected a header and an end byte, found %d bytes", len(b))
	}
	if n := binary.LittleEndian.Uint32(b); uint64(n) != uint64(len(b)) {
		return nil, zlErr(0, "header says %d bytes, the string holds %d", n, len(b))
	}
	tail := int(binary.LittleEndian.Uint32(b[4:]))
	count := int(binary.LittleEndian.Uint16(b[8:]))
	var out [][]byte
	if count != math.MaxUint16 {
		out = make([][]byte, 0, min(count, len(b)/2)) // each entry takes 2 bytes at least
	}
	p, prev, last := zlHeader, 0, zlHeader
	for {
		if p >= len(b) {
			return nil, zlErr(p, "expected an entry or the end byte, the ziplist ends")
		}
		if b[p] == 0xff {
			break
		}
		start := p
		var prevLen int
		if b[p] < 254 {
			prevLen = int(b[p])
			p++
		} else if b[p] == 254 && p+5 <= len(b) {
			prevLen = int(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
		} else {
			return nil, zlErr(p, "bad previous-entry length")
		}
		if prevLen != prev {
			return nil, zlErr(start, "previous-entry length %d, expected %d", prevLen, prev)
		}
		v, n, err := zlEntry(b[p:], num)
		if err != nil {
			return nil, zlErr(p, "%v", err)
		}
		p += n
		out = append(out, v)
		prev, last = p-start, start
	}
	if p != len(b)-1 {
		return nil, zlErr(p, "end byte before the end of the string")
	}
	if tail != last {
		return nil, zlErr(4, "tail offset %d, the last entry is at %d", tail, last)
	}
	if count != math.MaxUint16 && count != len(out) {
		return nil, zlErr(8, "header says %d entries, found %d", count, len(out))
	}
	return out, nil
}

// zlEntry decodes the encoding and data of a ziplist entry.
func zlEntry(b []byte, num *numbers) ([]byte, int, error) {
	if len(b) == 0 {
		return nil, 0, fmt.Errorf("missing encoding")
	}
	e := b[0]
	var n, hdr int
	switch {
	case e>>6 == 0:
		n, hdr = int(e&0x3f), 1
	case e>>6 == 1:
		if len(b) < 2 {
			return nil, 0, fmt.Errorf("truncated 14-bit length")
		}
		n, hdr = int(e&0x3f)<<8|int(b[1]), 2
	case e == 0x80:
		if len(b) < 5 {
			return nil, 0, fmt.Errorf("truncated 32-bit length")
		}
		n, hdr = int(binary.BigEndian.Uint32(b[1:])), 5
	default:
		var size int
		switch e {
		case 0xc0:
			size = 2
		case 0xd0:
			size = 4
		case 0xe0:
			size = 8
		case 0xf0:
			size = 3
		case 0xfe:
			size = 1
		default:
			if e >= 0xf1 && e <= 0xfd {
				return num.format(int64(e&0x0f) - 1), 1, nil
			}
			return nil, 0, fmt.Errorf("unknown encoding %#02x", e)
		}
		if len(b) < 1+size {
			return nil, 0, fmt.Errorf("truncated integer")
		}
		return num.format(leInt(b[1 : 1+size])), 1 + size, nil
	}
	if n > len(b)-hdr {
		return nil, 0, fmt.Errorf("string of %d bytes with %d left", n, len(b)-hdr)
	}
	return b[hdr : hdr+n], hdr + n, nil
}

// leInt reads a signed little-endian integer of 1 to 8 bytes.
func leInt(b []byte) int64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	shift := 64 - 8*uint(len(b))
	return int64(u<<shift) >> shift
}

// Listpack (RDB types 15 to 21, and the nodes of 18):
//
//	<total bytes uint32 LE> <count uint16 LE, 65535 when unknown> <entry>... 0xff
//	entry: <encoding> <data> <backlen: the size of encoding and data, 1 to 5 bytes>
const lpHeader = 6

func lpErr(pos int, format string, args ...any) error {
	return fmt.Errorf("%w: listpack byte %d: "+format, append([]any{ErrCorrupt, pos}, args...)...)
}

// listpackIter walks the entries of a listpack whose header has been checked.
type listpackIter struct {
	b     []byte
	p     int
	count int
	num   *numbers
}

func newListpackIter(b []byte, num *numbers) (listpackIter, error) {
	if len(b) < lpHeader+1 {
		return listpackIter{}, lpErr(0, "expected a header and an end byte, found %d bytes", len(b))
	}
	if n := binary.LittleEndian.Uint32(b); uint64(n) != uint64(len(b)) {
		return listpackIter{}, lpErr(0, "header says %d bytes, the string holds %d", n, len(b))
	}
	return listpackIter{b: b, p: lpHeader, num: num}, nil
}

// next returns the next entry, or ok false at the end byte (after checking the count and that nothing follows).
func (it *listpackIter) next() (v []byte, ok bool, err error) {
	b, p := it.b, it.p
	if p >= len(b) {
		return nil, false, lpErr(p, "expected an entry or the end byte, the listpack ends")
	}
	if b[p] == 0xff {
		if p != len(b)-1 {
			return nil, false, lpErr(p, "end byte before the end of the string")
		}
		if n := int(binary.LittleEndian.Uint16(b[4:])); n != math.MaxUint16 && n != it.count {
			return nil, false, lpErr(4, "header says %d entries, found %d", n, it.count)
		}
		return nil, false, nil
	}
	v, n, err := lpEntry(b[p:], it.num)
	if err != nil {
		return nil, false, lpErr(p, "%v", err)
	}
	bl := backlenSize(n)
	if n+bl > len(b)-p {
		return nil, false, lpErr(p, "entry of %d bytes with %d left", n+bl, len(b)-p)
	}
	if got := decodeBacklen(b[p+n : p+n+bl]); got != uint64(n) {
		return nil, false, lpErr(p+n, "back length %d, expected %d", got, n)
	}
	it.p = p + n + bl
	it.count++
	return v, true, nil
}

// parseListpack returns all the entries of a listpack.
func parseListpack(b []byte, num *numbers) ([][]byte, error) {
	it, err := newListpackIter(b, num)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	if n := int(binary.LittleEndian.Uint16(b[4:])); n != math.MaxUint16 {
		out = make([][]byte, 0, min(n, len(b)/2)) // each entry takes 2 bytes at least
	}
	for {
		v, ok, err := it.next()
		if err != nil || !ok {
			return out, err
		}
		out = append(out, v)
	}
}

// lpEntry decodes the encoding and data of a listpack entry, returning its value and their size.
func lpEntry(b []byte, num *numbers) ([]byte, int, error) {
	e := b[0]
	var n, hdr int
	switch {
	case e&0x80 == 0:
		return num.format(int64(e)), 1, nil
	case e&0xc0 == 0x80:
		n, hdr = int(e&0x3f), 1
	case e&0xe0 == 0xc0:
		if len(b) < 2 {
			return nil, 0, fmt.Errorf("truncated 13-bit integer")
		}
		v := int64(e&0x1f)<<8 | int64(b[1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return num.format(v), 2, nil
	case e&0xf0 == 0xe0:
		if len(b) < 2 {
			return nil, 0, fmt.Errorf("truncated 12-bit length")
		}
		n, hdr = int(e&0x0f)<<8|int(b[1]), 2
	case e == 0xf0:
		if len(b) < 5 {
			return nil, 0, fmt.Errorf("truncated 32-bit length")
		}
		n, hdr = int(binary.LittleEndian.Uint32(b[1:])), 5
	case e >= 0xf1 && e <= 0xf4:
		size := [...]int{2, 3, 4, 8}[e-0xf1]
		if len(b) < 1+size {
			return nil, 0, fmt.Errorf("truncated integer")
		}
		return num.format(leInt(b[1 : 1+size])), 1 + size, nil
	default:
		return nil, 0, fmt.Errorf("unknown encoding %#02x", e)
	}
	if n > len(b)-hdr {
		return nil, 0, fmt.Errorf("string of %d bytes with %d left", n, len(b)-hdr)
	}
	return b[hdr : hdr+n], hdr + n, nil
}

// backlenSize is the number of bytes of the back length of an entry of n bytes.
func backlenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// appendBacklen appends the back length of an entry of n bytes: 7 bits a byte, the most significant first,
// every byte after the first with its top bit set, so that it reads backwards from its last byte.
func appendBacklen(dst []byte, n int) []byte {
	k := backlenSize(n)
	for i := k - 1; i >= 0; i-- {
		c := byte(n>>(7*uint(i))) & 127
		if i != k-1 {
			c |= 128
		}
		dst = append(dst, c)
	}
	return dst
}

func decodeBacklen(b []byte) uint64 {
	var v uint64
	for i, c := range b {
		if i > 0 && c&128 == 0 || i == 0 && c&128 != 0 {
			return math.MaxUint64
		}
		v = v<<7 | uint64(c&127)
	}
	return v
}

// appendLPString appends s as a listpack entry: as an integer when it is the canonical decimal form of a 64-bit
// integer (as Redis's lpAppend does), else as a string.
func appendLPString(dst, s []byte) []byte {
	if v, ok := canonicalInt64(s); ok {
		return appendLPInt(dst, v)
	}
	start := len(dst)
	switch n := len(s); {
	case n < 64:
		dst = append(dst, 0x80|byte(n))
	case n < 4096:
		dst = append(dst, 0xe0|byte(n>>8), byte(n))
	default:
		dst = binary.LittleEndian.AppendUint32(append(dst, 0xf0), uint32(n))
	}
	dst = append(dst, s...)
	return appendBacklen(dst, len(dst)-start)
}

// appendLPInt appends v as a listpack entry in its smallest integer encoding.
func appendLPInt(dst []byte, v int64) []byte {
	start := len(dst)
	switch {
	case v >= 0 && v <= 127:
		dst = append(dst, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint16(v) & 0x1fff
		dst = append(dst, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		dst = binary.LittleEndian.AppendUint16(append(dst, 0xf1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		dst = append(dst, 0xf2, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		dst = binary.LittleEndian.AppendUint32(append(dst, 0xf3), uint32(v))
	default:
		dst = binary.LittleEndian.AppendUint64(append(dst, 0xf4), uint64(v))
	}
	return appendBacklen(dst, len(dst)-start)
}

// listpackWriter builds a listpack: start it, append entries with appendLPString or appendLPInt, then finish.
type listpackWriter struct {
	buf   []byte
	count int
}

func (w *listpackWriter) reset() {
	w.buf = append(w.buf[:0], 0, 0, 0, 0, 0, 0)
	w.count = 0
}

func (w *listpackWriter) str(s []byte) { w.buf = appendLPString(w.buf, s); w.count++ }
func (w *listpackWriter) int(v int64)  { w.buf = appendLPInt(w.buf, v); w.count++ }

// bytes finishes the listpack and returns it (valid until the next reset).
func (w *listpackWriter) bytes() []byte {
	w.buf = append(w.buf, 0xff)
	binary.LittleEndian.PutUint32(w.buf, uint32(len(w.buf)))
	binary.LittleEndian.PutUint16(w.buf[4:], uint16(min(w.count, math.MaxUint16)))
	return w.buf
}

// canonicalInt64 reports whether s is exactly the decimal form of a 64-bit integer (no sign other than a
// leading "-", no leading zeros, not "-0"), and returns it. Matches Redis: string2ll.
func canonicalInt64(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if len(digits) == 0 || digits[0] == '0' && len(s) > 1 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	return v, err == nil
}

// Intset (RDB type 11): <encoding uint32 LE: 2, 4 or 8> <count uint32 LE> <count integers LE, ascending>.
func parseIntset(b []byte, num *numbers) ([][]byte, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: intset of %d bytes has no header", ErrCorrupt, len(b))
	}
	enc := binary.LittleEndian.Uint32(b)
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if enc != 2 && enc != 4 && enc != 8 {
		return nil, fmt.Errorf("%w: intset encoding %d, expected 2, 4 or 8", ErrCorrupt, enc)
	}
	if 8+n*uint64(enc) != uint64(len(b)) {
		return nil, fmt.Errorf("%w: intset of %d %d-byte integers in %d bytes", ErrCorrupt, n, enc, len(b))
	}
	out := make([][]byte, 0, n)
	var prev int64
	for i := range int(n) {
		v := leInt(b[8+i*int(enc) : 8+(i+1)*int(enc)])
		if i > 0 && v <= prev {
			return nil, fmt.Errorf("%w: intset integer %d (%d) not above the one before", ErrCorrupt, i, v)
		}
		prev = v
		out = append(out, num.format(v))
	}
	return out, nil
}

// appendIntset appends an intset of vs, which must be ascending and distinct.
func appendIntset(dst []byte, vs []int64) []byte {
	enc := 2
	for _, v := range vs {
		if v < math.MinInt32 || v > math.MaxInt32 {
			enc = 8
		} else if (v < math.MinInt16 || v > math.MaxInt16) && enc < 4 {
			enc = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(enc))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vs)))
	for _, v := range vs {
		for i := range enc {
			dst = append(dst, byte(v>>(8*i)))
		}
	}
	return dst
}

// Zipmap (RDB type 9, before Redis 2.6): <count byte, 254 or more when unknown> then, for each field,
// <len><field><len><free byte><value><free bytes>, then 0xff. A len is 1 byte below 254, else 254 and a uint32 LE.
func parseZipmap(b []byte) ([][]byte, error) {
	fail := func(pos int, format string, args ...any) error {
		return fmt.Errorf("%w: zipmap byte %d: "+format, append([]any{ErrCorrupt, pos}, args...)...)
	}
	if len(b) < 2 {
		return nil, fail(0, "expected a count and an end byte, found %d bytes", len(b))
	}
	p := 1
	zmLen := func() (int, error) {
		if p >= len(b) {
			return 0, fail(p, "expected a length, the zipmap ends")
		}
		switch c := b[p]; {
		case c < 254:
			p++
			return int(c), nil
		case c == 254 && p+5 <= len(b):
			n := binary.LittleEndian.Uint32(b[p+1:])
			if n < 254 {
				return 0, fail(p, "5-byte length %d, expected 254 or more", n) // Matches Redis, which rejects it
			}
			p += 5
			if uint64(n) > uint64(len(b)-p) {
				return 0, fail(p, "length %d with %d bytes left", n, len(b)-p)
			}
			return int(n), nil
		}
		return 0, fail(p, "bad length")
	}
	var out [][]byte
	for {
		if p >= len(b) {
			return nil, fail(p, "expected a field or the end byte, the zipmap ends")
		}
		if b[p] == 0xff {
			break
		}
		n, err := zmLen()
		if err != nil {
			return nil, err
		}
		if n > len(b)-p {
			return nil, fail(p, "field of %d bytes with %d left", n, len(b)-p)
		}
		out = append(out, b[p:p+n])
		p += n
		if n, err = zmLen(); err != nil {
			return nil, err
		}
		if p >= len(b) {
			return nil, fail(p, "expected a free-space byte, the zipmap ends")
		}
		free := int(b[p])
		p++
		if n+free > len(b)-p {
			return nil, fail(p, "value of %d bytes and %d free with %d left", n, free, len(b)-p)
		}
		out = append(out, b[p:p+n])
		p += n + free
	}
	if p != len(b)-1 {
		return nil, fail(p, "end byte before the end of the string")
	}
	if c := int(b[0]); c < 254 && c != len(out)/2 {
		return nil, fail(0, "count %d, found %d fields", c, len(out)/2)
	}
	return out, nil
}
