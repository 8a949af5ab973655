package keyspace

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// dict is the hashtable encoding of hashes and sets: a chained hash table of pointer-free string cells, light on
// pointers so that a million fields cost the garbage collector one pointer each and little else.
//
// A cell is one allocation holding a member, or a field and its value:
//
//	set:  uvarint(len) member
//	hash: uvarint(flen) uvarint(vlen) field value
//
// ents is dense (a removal moves the last entry into the hole), so a uniformly random element is one random
// index, and iteration is a walk of a slice. buckets holds 1-based indexes of chain heads; its length is a
// power of two, at least the number of entries (load factor at most 1), and it shrinks below 1/8 full, as
// Redis's dict does. Each entry keeps the low 32 bits of its hash, so resizing never rehashes the bytes.
//
// SCAN walks buckets in Redis's reverse-binary order, which returns every element present for the whole scan
// at least once however the table grows or shrinks between calls.
type dict struct {
	ents    []dictEnt
	buckets []uint32
	vals    bool // cells hold a value (hash) or not (set)
	cells   int  // bytes of all cells, as allocated
}

type dictEnt struct {
	p    unsafe.Pointer // cell
	next uint32         // 1-based index of the next entry in the chain, 0 at its end
	hash uint32
}

func newDict(vals bool, hint int) *dict {
	d := &dict{vals: vals}
	if hint > 0 {
		d.ents = make([]dictEnt, 0, hint)
		d.buckets = make([]uint32, 1<<bits.Len(uint(hint-1)))
	}
	return d
}

func dictHash(b []byte) uint32 { return uint32(xxhash.Sum64(b)) }

// cellByte returns the byte at offset i of cell p.
func cellByte(p unsafe.Pointer, i int) byte { return *(*byte)(unsafe.Add(p, i)) }

// cellUvarint decodes the uvarint at offset i of cell p and returns it and the offset after it.
func cellUvarint(p unsafe.Pointer, i int) (int, int) {
	var v, s uint
	for {
		c := cellByte(p, i)
		i++
		v |= uint(c&0x7f) << s
		if c < 0x80 {
			return int(v), i
		}
		s += 7
	}
}

// cellParts returns the field (or member) and value of cell p; both alias the cell.
func (d *dict) cellParts(p unsafe.Pointer) (f, v []byte) {
	flen, i := cellUvarint(p, 0)
	vlen := 0
	if d.vals {
		vlen, i = cellUvarint(p, i)
	}
	all := unsafe.Slice((*byte)(p), i+flen+vlen)
	return all[i : i+flen : i+flen], all[i+flen:]
}

func (d *dict) cellSize(p unsafe.Pointer) int {
	f, v := d.cellParts(p)
	n := uvarintLen(uint64(len(f))) + len(f) + len(v)
	if d.vals {
		n += uvarintLen(uint64(len(v)))
	}
	return n
}

// newCell allocates a cell for f (and v, in a hash dict).
func (d *dict) newCell(f, v []byte) unsafe.Pointer {
	n := uvarintLen(uint64(len(f))) + len(f)
	if d.vals {
		n += uvarintLen(uint64(len(v))) + len(v)
	}
	b := make([]byte, n)
	i := putUvarint(b, len(f))
	if d.vals {
		i += putUvarint(b[i:], len(v))
	}
	i += copy(b[i:], f)
	copy(b[i:], v)
	d.cells += cellAlloc(n)
	return unsafe.Pointer(&b[0])
}

// cellAlloc is the heap a cell of n bytes takes. Cells below 16 bytes measure as 16 (Go's tiny allocator does
// not pack them tightly enough to count on less).
func cellAlloc(n int) int { return allocSize(max(n, 16)) }

func putUvarint(b []byte, v int) int {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return i + 1
}

// Len returns the number of entries.
func (d *dict) Len() int { return len(d.ents) }

// find returns the index of the entry for f, or -1.
func (d *dict) find(f []byte, h uint32) int {
	if len(d.buckets) == 0 {
		return -1
	}
	for ref := d.buckets[h&uint32(len(d.buckets)-1)]; ref != 0; {
		e := &d.ents[ref-1]
		if e.hash == h {
			if k, _ := d.cellParts(e.p); string(k) == string(f) {
				return int(ref - 1)
			}
		}
		ref = e.next
	}
	return -1
}

// get returns the value (or member) stored for f.
func (d *dict) get(f []byte) ([]byte, bool) {
	i := d.find(f, dictHash(f))
	if i < 0 {
		return nil, false
	}
	_, v := d.cellParts(d.ents[i].p)
	return v, true
}

// set stores f (with v) and reports whether f is new. An existing field gets the new value.
func (d *dict) set(f, v []byte) bool {
	h := dictHash(f)
	if i := d.find(f, h); i >= 0 {
		if !d.vals {
			return false
		}
		e := &d.ents[i]
		_, old := d.cellParts(e.p)
		if len(old) == len(v) {
			copy(old, v)
			return false
		}
		d.cells -= cellAlloc(d.cellSize(e.p))
		e.p = d.newCell(f, v)
		return false
	}
	d.add(h, d.newCell(f, v))
	return true
}

// add appends an entry for a cell known not to be present.
func (d *dict) add(h uint32, p unsafe.Pointer) {
	if len(d.ents) >= len(d.buckets) {
		d.resize(max(4, len(d.buckets)*2))
	}
	b := h & uint32(len(d.buckets)-1)
	d.ents = append(d.ents, dictEnt{p: p, next: d.buckets[b], hash: h})
	d.buckets[b] = uint32(len(d.ents))
}

// resize rebuilds the chains over n buckets (a power of two).
func (d *dict) resize(n int) {
	if n == len(d.buckets) {
		return
	}
	d.buckets = make([]uint32, n)
	mask := uint32(n - 1)
	for i := range d.ents {
		e := &d.ents[i]
		b := e.hash & mask
		e.next = d.buckets[b]
		d.buckets[b] = uint32(i + 1)
	}
}

// remove deletes f and reports whether it was present.
func (d *dict) remove(f []byte) bool {
	i := d.find(f, dictHash(f))
	if i < 0 {
		return false
	}
	d.removeAt(i)
	return true
}

// unlink takes the entry at index i out of its chain.
func (d *dict) unlink(i int) {
	ref := uint32(i + 1)
	b := d.ents[i].hash & uint32(len(d.buckets)-1)
	if d.buckets[b] == ref {
		d.buckets[b] = d.ents[i].next
		return
	}
	for r := d.buckets[b]; ; {
		e := &d.ents[r-1]
		if e.next == ref {
			e.next = d.ents[i].next
			return
		}
		r = e.next
	}
}

// relink makes whatever pointed at the entry at index from point at index to.
func (d *dict) relink(from, to int) {
	old, ref := uint32(from+1), uint32(to+1)
	b := d.ents[from].hash & uint32(len(d.buckets)-1)
	if d.buckets[b] == old {
		d.buckets[b] = ref
		return
	}
	for r := d.buckets[b]; ; {
		e := &d.ents[r-1]
		if e.next == old {
			e.next = ref
			return
		}
		r = e.next
	}
}

// removeAt deletes the entry at index i, moving the last entry into its place.
func (d *dict) removeAt(i int) {
	d.cells -= cellAlloc(d.cellSize(d.ents[i].p))
	d.unlink(i)
	last := len(d.ents) - 1
	if i != last {
		d.relink(last, i)
		d.ents[i] = d.ents[last]
	}
	d.ents[last] = dictEnt{}
	d.ents = d.ents[:last]
	d.maybeShrink()
}

// maybeShrink halves the table while it is less than 1/8 full, as Redis's htNeedsResize and dictResize do after
// removals, and gives back the spare capacity of ents.
func (d *dict) maybeShrink() {
	n := len(d.ents)
	if len(d.buckets) <= 4 || n*8 >= len(d.buckets) {
		return
	}
	size := 4
	for size < n {
		size *= 2
	}
	ents := make([]dictEnt, n, size)
	copy(ents, d.ents)
	d.ents = ents
	d.resize(size)
}

// random returns the index of a uniformly random entry; the dict must not be empty.
func (d *dict) random() int { return rand.IntN(len(d.ents)) }

// entry returns the field and value at index i.
func (d *dict) entry(i int) (f, v []byte) { return d.cellParts(d.ents[i].p) }

// clone returns a deep copy.
func (d *dict) clone() *dict {
	c := &dict{vals: d.vals, ents: make([]dictEnt, len(d.ents)), buckets: append([]uint32(nil), d.buckets...)}
	for i, e := range d.ents {
		f, v := d.cellParts(e.p)
		c.ents[i] = dictEnt{p: c.newCell(f, v), next: e.next, hash: e.hash}
	}
	return c
}

// memoryUsage estimates the bytes held: header, entries, buckets and cells.
func (d *dict) memoryUsage() int {
	return 64 + allocSize(cap(d.ents)*int(unsafe.Sizeof(dictEnt{}))) + allocSize(len(d.buckets)*4) + d.cells
}

// scan visits the buckets from cursor on, in reverse-binary order, calling fn with each entry's field and value,
// until it has visited about count elements (or 10*count buckets), and returns the cursor to continue from, 0 at
// the end. Matches Redis: dictScan's cursor and guarantee.
func (d *dict) scan(cursor uint64, count int, fn func(f, v []byte)) uint64 {
	if len(d.buckets) == 0 {
		return 0
	}
	mask := uint64(len(d.buckets) - 1)
	v := cursor
	emitted, budget := 0, count*10
	for {
		for ref := d.buckets[v&mask]; ref != 0; ref = d.ents[ref-1].next {
			f, val := d.cellParts(d.ents[ref-1].p)
			fn(f, val)
			emitted++
			if d.vals {
				emitted++ // Matches Redis: COUNT counts reply elements, a field and its value
			}
		}
		v |= ^mask
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		budget--
		if v == 0 || emitted >= count || budget <= 0 {
			return v
		}
	}
}
