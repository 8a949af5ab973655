package keyspace

import (
	"math/rand/v2"
	"unsafe"
)

// Hash is a hash value: a map from field to value, both byte strings. Small hashes use the listpack encoding,
// one packed byte slice scanned linearly; once a hash has more than hash-max-listpack-entries fields, or a field
// or value longer than hash-max-listpack-value bytes, it converts to a hashtable for good. Matches Redis: the
// conversion is one-way, and OBJECT ENCODING reports listpack or hashtable exactly when Redis would.
//
// The listpack keeps Redis's order (insertion order, a changed value in place), so HGETALL of a small hash
// replies in the same order as Redis. A Hash is not safe for concurrent use; stored in a keyspace it is used
// only under its key's lock. Slices it returns alias the hash and are valid until it next changes.
type Hash struct {
	c compact // tag hashBig: a *dict (hashtable); otherwise the packed listpack
}

const hashBig = 1

func (h *Hash) big() bool { return h.c.tag() == hashBig }

func (h *Hash) lp() packed { return h.c.bytes() }

func (h *Hash) setLP(lp packed) { h.c.setBytes(lp, 0) }

func (h *Hash) d() *dict { return h.c.dict() }

// NewHash returns an empty hash with the listpack encoding.
func NewHash() *Hash { return &Hash{} }

// Kind reports KindHash.
func (h *Hash) Kind() Kind { return KindHash }

// Encoding reports EncListpack or EncHashtable.
func (h *Hash) Encoding() Encoding {
	if h.big() {
		return EncHashtable
	}
	return EncListpack
}

// Clone returns a deep copy with the same encoding.
func (h *Hash) Clone() Object {
	c := &Hash{}
	if h.big() {
		c.c.setDict(h.d().clone(), hashBig)
	} else {
		c.setLP(h.lp().clone())
	}
	return c
}

// MemoryUsage estimates the bytes the hash holds (see [Sizer]).
func (h *Hash) MemoryUsage() int {
	n := allocSize(int(unsafe.Sizeof(Hash{})))
	if h.big() {
		return n + h.d().memoryUsage()
	}
	return n + allocSize(cap(h.lp()))
}

// Len returns the number of fields.
func (h *Hash) Len() int {
	if h.big() {
		return h.d().Len()
	}
	return h.lp().count()
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.big() {
		return h.d().get(field)
	}
	lp := h.lp()
	off := lp.find(field, 2)
	if off < 0 {
		return nil, false
	}
	_, voff := lp.next(off)
	v, _ := lp.next(voff)
	return v, true
}

// Exists reports whether field is present.
func (h *Hash) Exists(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Fit converts a listpack hash to a hashtable when any of args (fields and values about to be written) is
// longer than the listpack allows. Matches Redis: HSET and HMSET check all their arguments before writing any
// (hashTypeTryConversion), so one long value converts the hash even when it is not written in the end.
func (h *Hash) Fit(lim *Limits, args ...[]byte) {
	if h.big() {
		return
	}
	for _, a := range args {
		if len(a) > lim.HashListpackValue {
			h.convert()
			return
		}
	}
}

func (h *Hash) convert() {
	lp := h.lp()
	d := newDict(true, lp.count())
	off := packedHdr
	for off < len(lp) {
		var f, v []byte
		f, off = lp.next(off)
		v, off = lp.next(off)
		d.add(dictHash(f), d.newCell(f, v))
	}
	h.c.setDict(d, hashBig)
}

// Set stores value under field and reports whether the field is new. It converts the hash to a hashtable as
// Redis does: before writing a field or value longer than lim.HashListpackValue, and after the hash grows past
// lim.HashListpackEntries fields.
func (h *Hash) Set(field, value []byte, lim *Limits) bool {
	if !h.big() && (len(field) > lim.HashListpackValue || len(value) > lim.HashListpackValue) {
		h.convert()
	}
	if h.big() {
		return h.d().set(field, value)
	}
	lp := h.lp()
	if off := lp.find(field, 2); off >= 0 {
		_, voff := lp.next(off)
		_, vend := lp.next(voff)
		if len(lp)+len(value) >= compactMax {
			h.convert()
			return h.d().set(field, value)
		}
		h.setLP(lp.replace(voff, vend, value))
		return false
	}
	if len(lp)+len(field)+len(value)+20 >= compactMax {
		h.convert()
		return h.d().set(field, value)
	}
	lp = lp.appendEntry(field)
	lp = lp.appendEntry(value)
	n := lp.count() + 1
	lp.setCount(n)
	h.setLP(lp)
	if n > lim.HashListpackEntries {
		h.convert()
	}
	return true
}

// Delete removes field and reports whether it was present. The caller deletes the key when the hash empties.
func (h *Hash) Delete(field []byte) bool {
	if h.big() {
		return h.d().remove(field)
	}
	lp := h.lp()
	off := lp.find(field, 2)
	if off < 0 {
		return false
	}
	_, voff := lp.next(off)
	_, end := lp.next(voff)
	lp = lp.cut(off, end)
	lp.setCount(lp.count() - 1)
	h.setLP(lp.shrink())
	return true
}

// Range calls fn with every field and value until fn returns false: in listpack order for a small hash, in no
// particular order for a hashtable. fn must not change the hash.
func (h *Hash) Range(fn func(field, value []byte) bool) {
	if h.big() {
		h.d().each(fn)
		return
	}
	lp := h.lp()
	off := packedHdr
	for off < len(lp) {
		var f, v []byte
		f, off = lp.next(off)
		v, off = lp.next(off)
		if !fn(f, v) {
			return
		}
	}
}

// Random returns a uniformly random field and its value. The hash must not be empty.
func (h *Hash) Random() (field, value []byte) {
	if h.big() {
		return h.d().entry(h.d().random())
	}
	return h.at(rand.IntN(h.lp().count()))
}

// at returns the i-th field and value of a listpack hash.
func (h *Hash) at(i int) (field, value []byte) {
	lp := h.lp()
	off := packedHdr
	for ; i > 0; i-- {
		_, off = lp.next(off)
		_, off = lp.next(off)
	}
	f, off := lp.next(off)
	v, _ := lp.next(off)
	return f, v
}

// Sample calls fn with count distinct random fields and their values (count < Len), as HRANDFIELD with a
// positive count does.
func (h *Hash) Sample(count int, fn func(field, value []byte)) {
	if h.big() && count*3 <= h.Len() {
		// Few of many: random indexes until enough are distinct, O(count) as Redis's CASE 4.
		sampleSparse(h.Len(), count, func(i int) { fn(h.d().entry(i)) })
		return
	}
	pick := sampleDistinct(h.Len(), count)
	i := 0
	h.Range(func(f, v []byte) bool {
		if pick[i] {
			fn(f, v)
		}
		i++
		return true
	})
}

// Scan visits part of the hash from cursor (0 to start), calling fn with fields and values, and returns the
// cursor to continue from, 0 when done (HSCAN). A listpack hash is visited whole in one call, as in Redis.
// Matches Redis: a field present for the whole scan is visited at least once; count is the number of reply
// elements (fields and values) one call aims for.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value []byte)) uint64 {
	if !h.big() {
		h.Range(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	return h.d().scan(cursor, count, fn)
}

// HashOf returns the hash at key, nil if key is missing, or ErrWrongType. With create set, a missing key gets a
// new empty hash (the caller must add to it before the Txn ends).
func (tx *Txn) HashOf(key []byte, create bool) (*Hash, error) {
	obj, err := tx.ObjectOf(key, KindHash)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		if !create {
			return nil, nil
		}
		h := NewHash()
		tx.SetObject(key, h, 0)
		return h, nil
	}
	return obj.(*Hash), nil
}
