package keyspace

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// dict is the hashtable encoding of hashes and sets: a chained hash table of pointer-free string cells, light on
// pointers so that a million fields cost the garbage collector one pointer each and little else.
//
// A cell is one allocation holding a member, or a field and its value:
//
//	set:  uvarint(len) member
//	hash: uvarint(flen) uvarint(vlen) field value
//
// The entries are dense, in chunks of dictChunk (a removal moves the last entry into the hole), so a uniformly
// random element is one random index, iteration is a walk, and growing never copies more than one chunk. The
// bucket arrays hold 1-based entry indexes of chain heads; their length is a power of two, at least the number of
// entries when a resize starts (load factor at most 1), and a table shrinks below 1/8 full, as Redis's dict does.
// Each entry keeps the low 32 bits of its hash, so resizing never rehashes the bytes. A resize is incremental, as
// in Redis: the old bucket array stays beside the new one and each write moves a few of its chains over, so no
// single command pays for rehashing a large table.
//
// SCAN walks buckets in Redis's reverse-binary order, over both arrays while a resize runs (dictScan's
// algorithm), which returns every element present for the whole scan at least once however the table grows or
// shrinks between calls.
type dict struct {
	chunks  [][]dictEnt
	n       int      // entries
	buckets []uint32 // the table; the destination while rehashing
	old     []uint32 // while rehashing: the table being emptied into buckets
	rehash  int      // while rehashing: old buckets below this are moved
	vals    bool     // cells hold a value (hash) or not (set)
	cells   int      // bytes of all cells, as allocated
	ents    int      // bytes of all chunks, as allocated
}

type dictEnt struct {
	p    unsafe.Pointer // cell
	next uint32         // 1-based index of the next entry in the chain, 0 at its end
	hash uint32
}

const (
	dictChunkShift = 10
	dictChunk      = 1 << dictChunkShift
)

// rehashStep is how many old buckets each write moves while rehashing (a variable for tests).
var rehashStep = 64

func newDict(vals bool, hint int) *dict {
	d := &dict{vals: vals}
	if hint > 0 {
		d.buckets = make([]uint32, 1<<bits.Len(uint(hint-1)))
		d.chunks = [][]dictEnt{make([]dictEnt, 0, min(hint, dictChunk))}
		d.ents = chunkAlloc(d.chunks[0])
	}
	return d
}

func dictHash(b []byte) uint32 { return uint32(hashKey(b)) }

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
func (d *dict) Len() int { return d.n }

// ent returns the entry at index i.
func (d *dict) ent(i int) *dictEnt { return &d.chunks[i>>dictChunkShift][i&(dictChunk-1)] }

// head returns the chain head that holds hash h: in the old array while its bucket there is not yet moved.
func (d *dict) head(h uint32) *uint32 {
	if d.old != nil {
		if b := int(h & uint32(len(d.old)-1)); b >= d.rehash {
			return &d.old[b]
		}
	}
	return &d.buckets[h&uint32(len(d.buckets)-1)]
}

// find returns the index of the entry for f, or -1.
func (d *dict) find(f []byte, h uint32) int {
	if d.n == 0 {
		return -1
	}
	for ref := *d.head(h); ref != 0; {
		e := d.ent(int(ref - 1))
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
	_, v := d.cellParts(d.ent(i).p)
	return v, true
}

// set stores f (with v) and reports whether f is new. An existing field gets the new value.
func (d *dict) set(f, v []byte) bool {
	d.rehashSome()
	h := dictHash(f)
	if i := d.find(f, h); i >= 0 {
		if !d.vals {
			return false
		}
		e := d.ent(i)
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
	if len(d.buckets) == 0 {
		d.buckets = make([]uint32, 4)
	} else if d.n >= len(d.buckets) && d.old == nil {
		d.startResize(len(d.buckets) * 2)
	}
	c := d.n >> dictChunkShift
	if c == len(d.chunks) {
		d.chunks = append(d.chunks, make([]dictEnt, 0, 4))
		d.ents += chunkAlloc(d.chunks[c])
	}
	chunk := d.chunks[c]
	if len(chunk) == cap(chunk) {
		// Grow the last chunk by doubling, up to its full size, so small dicts stay small.
		nc := make([]dictEnt, len(chunk), min(dictChunk, 2*cap(chunk)))
		copy(nc, chunk)
		d.ents += chunkAlloc(nc) - chunkAlloc(chunk)
		chunk = nc
	}
	head := d.head(h)
	d.chunks[c] = append(chunk, dictEnt{p: p, next: *head, hash: h})
	d.n++
	*head = uint32(d.n)
}

// startResize begins moving the chains into a new array of n buckets (a power of two), finishing any resize
// still running first.
func (d *dict) startResize(n int) {
	for d.old != nil {
		d.rehashSome()
	}
	if n == len(d.buckets) {
		return
	}
	d.old, d.rehash = d.buckets, 0
	d.buckets = make([]uint32, n)
}

// rehashSome moves up to rehashStep old buckets into the new array, ending the resize after the last.
func (d *dict) rehashSome() {
	if d.old == nil {
		return
	}
	mask := uint32(len(d.buckets) - 1)
	for k := 0; k < rehashStep && d.rehash < len(d.old); k++ {
		for ref := d.old[d.rehash]; ref != 0; {
			e := d.ent(int(ref - 1))
			next := e.next
			b := e.hash & mask
			e.next = d.buckets[b]
			d.buckets[b] = ref
			ref = next
		}
		d.old[d.rehash] = 0
		d.rehash++
	}
	if d.rehash == len(d.old) {
		d.old, d.rehash = nil, 0
	}
}

// remove deletes f and reports whether it was present.
func (d *dict) remove(f []byte) bool {
	d.rehashSome()
	i := d.find(f, dictHash(f))
	if i < 0 {
		return false
	}
	d.removeAt(i)
	return true
}

// relink makes whatever points at index from (a chain head or an entry's next) point at to instead, 0 to
// unlink it.
func (d *dict) relink(from int, to uint32) {
	old := uint32(from + 1)
	head := d.head(d.ent(from).hash)
	if *head == old {
		*head = to
		return
	}
	for r := *head; ; {
		e := d.ent(int(r - 1))
		if e.next == old {
			e.next = to
			return
		}
		r = e.next
	}
}

// removeAt deletes the entry at index i, moving the last entry into its place.
func (d *dict) removeAt(i int) {
	e := d.ent(i)
	d.cells -= cellAlloc(d.cellSize(e.p))
	next := e.next
	d.relink(i, next) // unlink i: its predecessor now points past it
	last := d.n - 1
	if i != last {
		d.relink(last, uint32(i+1))
		*d.ent(i) = *d.ent(last)
	}
	c := last >> dictChunkShift
	d.chunks[c][last&(dictChunk-1)] = dictEnt{}
	d.chunks[c] = d.chunks[c][:last&(dictChunk-1)]
	if len(d.chunks[c]) == 0 {
		d.ents -= chunkAlloc(d.chunks[c])
		d.chunks[c] = nil
		d.chunks = d.chunks[:c]
	}
	d.n--
	if d.old == nil && len(d.buckets) > 4 && d.n*8 < len(d.buckets) {
		// Matches Redis: htNeedsResize after a removal, then dictResize to the smallest power of two >= n.
		size := 4
		for size < d.n {
			size *= 2
		}
		d.startResize(size)
	}
}

// random returns the index of a uniformly random entry; the dict must not be empty.
func (d *dict) random() int { return rand.IntN(d.n) }

// entry returns the field and value at index i.
func (d *dict) entry(i int) (f, v []byte) { return d.cellParts(d.ent(i).p) }

// each calls fn with every entry's field and value, in index order, until fn returns false.
func (d *dict) each(fn func(f, v []byte) bool) {
	for _, chunk := range d.chunks {
		for i := range chunk {
			if !fn(d.cellParts(chunk[i].p)) {
				return
			}
		}
	}
}

// clone returns a deep copy, rehashed into one table.
func (d *dict) clone() *dict {
	c := newDict(d.vals, d.n)
	d.each(func(f, v []byte) bool { c.add(dictHash(f), c.newCell(f, v)); return true })
	return c
}

// memoryUsage estimates the bytes held: header, entries, buckets and cells.
func (d *dict) memoryUsage() int {
	return 96 + allocSize(cap(d.chunks)*24) + allocSize(len(d.buckets)*4) + allocSize(len(d.old)*4) + d.cells + d.ents
}

// chunkAlloc is the heap a chunk of entries takes.
func chunkAlloc(chunk []dictEnt) int { return allocSize(cap(chunk) * int(unsafe.Sizeof(dictEnt{}))) }

// scan visits the buckets from cursor on, in reverse-binary order, calling fn with each entry's field and value,
// until it has visited about count elements (or 10*count buckets), and returns the cursor to continue from, 0 at
// the end. Matches Redis: dictScan's cursor and guarantee, including over both arrays during a resize.
func (d *dict) scan(cursor uint64, count int, fn func(f, v []byte)) uint64 {
	if d.n == 0 {
		return 0
	}
	v := cursor
	emitted, budget := 0, count*10
	visit := func(table []uint32, b uint64) {
		for ref := table[b]; ref != 0; {
			e := d.ent(int(ref - 1))
			f, val := d.cellParts(e.p)
			fn(f, val)
			emitted++
			if d.vals {
				emitted++ // Matches Redis: COUNT counts reply elements, a field and its value
			}
			ref = e.next
		}
	}
	revInc := func(v, mask uint64) uint64 {
		v |= ^mask
		return bits.Reverse64(bits.Reverse64(v) + 1)
	}
	for {
		if d.old == nil {
			m := uint64(len(d.buckets) - 1)
			visit(d.buckets, v&m)
			v = revInc(v, m)
		} else {
			small, large := d.old, d.buckets
			if len(small) > len(large) {
				small, large = large, small
			}
			m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
			visit(small, v&m0)
			for {
				visit(large, v&m1)
				v = revInc(v, m1)
				if v&(m0^m1) == 0 {
					break
				}
			}
		}
		budget--
		if v == 0 || emitted >= count || budget <= 0 {
			return v
		}
	}
}
