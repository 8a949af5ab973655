package keyspace

import (
	"encoding/binary"
	"math/rand/v2"
	"unsafe"
)

// packed is the listpack encoding of small hashes and sets: one pointer-free byte slice holding a 4-byte
// little-endian count of elements, then each element as uvarint(len) bytes. A hash stores field and value
// entries alternately (its count is of fields); a set stores members. Appends go at the end and removals close
// the gap, so the order of elements is the order Redis's listpack keeps: insertion order, with a changed hash
// value kept in its place.
type packed []byte

const packedHdr = 4

func (p packed) count() int {
	if len(p) < packedHdr {
		return 0
	}
	return int(binary.LittleEndian.Uint32(p))
}

func (p packed) setCount(n int) { binary.LittleEndian.PutUint32(p, uint32(n)) }

// next decodes the entry at off and returns it and the offset after it.
func (p packed) next(off int) ([]byte, int) {
	if n := int(p[off]); n < 0x80 { // one-byte length: the common case
		start := off + 1
		return p[start : start+n : start+n], start + n
	}
	n, h := binary.Uvarint(p[off:])
	start := off + h
	return p[start : start+int(n) : start+int(n)], start + int(n)
}

// skip returns the offset after the entry at off.
func (p packed) skip(off int) int {
	if n := int(p[off]); n < 0x80 {
		return off + 1 + n
	}
	_, end := p.next(off)
	return end
}

// find returns the offset of the first entry equal to v, stepping over stride-1 entries after each compared one
// (2 for the fields of a hash), or -1.
func (p packed) find(v []byte, stride int) int {
	off := packedHdr
	for off < len(p) {
		e, end := p.next(off)
		if len(e) == len(v) && string(e) == string(v) {
			return off
		}
		off = end
		for i := 1; i < stride; i++ {
			off = p.skip(off)
		}
	}
	return -1
}

// grow returns p with room for extra more bytes, reallocating to the needed size rounded up to the allocator's
// size class (classes are at most 1/8 apart, which keeps growth amortized) so that small values stay compact,
// as Redis's listpacks, reallocated on every insert, are.
func (p packed) grow(extra int) packed {
	if len(p) == 0 {
		p = make(packed, packedHdr, packedHdr+extra)
	}
	need := len(p) + extra
	if need <= cap(p) {
		return p
	}
	nb := append([]byte(nil), make([]byte, need)...)
	nb = nb[:cap(nb)]
	copy(nb, p)
	return nb[:len(p)]
}

// appendEntry appends v as an entry; the caller adjusts the count.
func (p packed) appendEntry(v []byte) packed {
	p = p.grow(uvarintLen(uint64(len(v))) + len(v))
	p = binary.AppendUvarint(p, uint64(len(v)))
	return append(p, v...)
}

// cut removes the bytes from off to end.
func (p packed) cut(off, end int) packed {
	return append(p[:off], p[end:]...)
}

// replace replaces the entry spanning off to end with v.
func (p packed) replace(off, end int, v []byte) packed {
	es := uvarintLen(uint64(len(v))) + len(v)
	if es == end-off {
		copy(p[off+binary.PutUvarint(p[off:], uint64(len(v))):], v)
		return p
	}
	tail := len(p) - end
	if d := es - (end - off); d > 0 {
		p = p.grow(d)
		p = p[:len(p)+d]
		copy(p[off+es:], p[end:end+tail])
	} else {
		copy(p[off+es:], p[end:])
		p = p[:off+es+tail]
	}
	n := binary.PutUvarint(p[off:], uint64(len(v)))
	copy(p[off+n:], v)
	return p
}

// shrink returns p with its spare capacity given back when more than a quarter of it is unused.
func (p packed) shrink() packed {
	if cap(p)-len(p) > cap(p)/4 && cap(p) > 64 {
		return append(packed(nil), p...)
	}
	return p
}

// clone returns an exact-size copy.
func (p packed) clone() packed {
	if len(p) == 0 {
		return nil
	}
	return append(packed(nil), p...)
}

// offsets calls fn with the offset of every stride-th entry, in order, until fn returns false.
func (p packed) each(stride int, fn func(off int) bool) {
	off := packedHdr
	for off < len(p) {
		if !fn(off) {
			return
		}
		for i := 0; i < stride; i++ {
			_, off = p.next(off)
		}
	}
}

// sample picks count distinct indexes out of n (count < n) uniformly, returned as a membership mask.
func sampleDistinct(n, count int) []bool {
	pick := make([]bool, n)
	if count*2 <= n {
		for picked := 0; picked < count; {
			if i := rand.IntN(n); !pick[i] {
				pick[i] = true
				picked++
			}
		}
		return pick
	}
	// Most are picked: choose the ones left out.
	for i := range pick {
		pick[i] = true
	}
	for left := 0; left < n-count; {
		if i := rand.IntN(n); pick[i] {
			pick[i] = false
			left++
		}
	}
	return pick
}

// sampleSparse calls fn with count distinct random indexes below n (count*3 <= n), in the order drawn.
func sampleSparse(n, count int, fn func(i int)) {
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		i := rand.IntN(n)
		if _, dup := seen[i]; !dup {
			seen[i] = struct{}{}
			fn(i)
		}
	}
}

// compact is a 16-byte handle to the storage of a small value (a packed or intset byte slice) or of a large one
// (a *dict), with a 2-bit tag saying which encoding it holds. Hashes and sets are small by the hundred thousand,
// so their header is kept to one 16-byte allocation instead of a slice header and a pointer.
type compact struct {
	p unsafe.Pointer
	n uint32 // length of the byte slice
	c uint32 // capacity of the byte slice (low 30 bits) and the tag (top 2 bits)
}

// compactMax is the longest byte slice a compact holds; values grow into their hashtable encoding before it.
const compactMax = 1<<30 - 1

func (c *compact) tag() uint32 { return c.c >> 30 }

// bytes returns the byte slice; the handle must not hold a dict.
func (c *compact) bytes() []byte {
	if c.p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(c.p), c.c&compactMax)[:c.n]
}

// setBytes stores b with tag.
func (c *compact) setBytes(b []byte, tag uint32) {
	if cap(b) == 0 {
		c.p, c.n, c.c = nil, 0, tag<<30
		return
	}
	if cap(b) > compactMax {
		panic("keyspace: compact value too large")
	}
	c.p, c.n, c.c = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))|tag<<30
}

func (c *compact) dict() *dict { return (*dict)(c.p) }

func (c *compact) setDict(d *dict, tag uint32) { c.p, c.n, c.c = unsafe.Pointer(d), 0, tag<<30 }
