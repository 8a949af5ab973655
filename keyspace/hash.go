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
	lp packed // listpack encoding, when d is nil
	d  *dict  // hashtable encoding
}

// NewHash returns an empty hash with the listpack encoding.
func NewHash() *Hash { return &Hash{} }

// Kind reports KindHash.
func (h *Hash) Kind() Kind { return KindHash }

// Encoding reports EncListpack or EncHashtable.
func (h *Hash) Encoding() Encoding {
	if h.d != nil {
		return EncHashtable
	}
	return EncListpack
}

// Clone returns a deep copy with the same encoding.
func (h *Hash) Clone() Object {
	if h.d != nil {
		return &Hash{d: h.d.clone()}
	}
	return &Hash{lp: h.lp.clone()}
}

// MemoryUsage estimates the bytes the hash holds (see [Sizer]).
func (h *Hash) MemoryUsage() int {
	n := allocSize(int(unsafe.Sizeof(Hash{})))
	if h.d != nil {
		return n + h.d.memoryUsage()
	}
	return n + allocSize(cap(h.lp))
}

// Len returns the number of fields.
func (h *Hash) Len() int {
	if h.d != nil {
		return h.d.Len()
	}
	return h.lp.count()
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.d != nil {
		return h.d.get(field)
	}
	off := h.lp.find(field, 2)
	if off < 0 {
		return nil, false
	}
	_, voff := h.lp.next(off)
	v, _ := h.lp.next(voff)
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
	if h.d != nil {
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
	n := h.lp.count()
	d := newDict(true, n)
	off := packedHdr
	for off < len(h.lp) {
		var f, v []byte
		f, off = h.lp.next(off)
		v, off = h.lp.next(off)
		d.add(dictHash(f), d.newCell(f, v))
	}
	h.d, h.lp = d, nil
}

// Set stores value under field and reports whether the field is new. It converts the hash to a hashtable as
// Redis does: before writing a field or value longer than lim.HashListpackValue, and after the hash grows past
// lim.HashListpackEntries fields.
func (h *Hash) Set(field, value []byte, lim *Limits) bool {
	if h.d == nil && (len(field) > lim.HashListpackValue || len(value) > lim.HashListpackValue) {
		h.convert()
	}
	if h.d != nil {
		return h.d.set(field, value)
	}
	if off := h.lp.find(field, 2); off >= 0 {
		_, voff := h.lp.next(off)
		_, vend := h.lp.next(voff)
		h.lp = h.lp.replace(voff, vend, value)
		return false
	}
	h.lp = h.lp.appendEntry(field)
	h.lp = h.lp.appendEntry(value)
	n := h.lp.count() + 1
	h.lp.setCount(n)
	if n > lim.HashListpackEntries {
		h.convert()
	}
	return true
}

// Delete removes field and reports whether it was present. The caller deletes the key when the hash empties.
func (h *Hash) Delete(field []byte) bool {
	if h.d != nil {
		return h.d.remove(field)
	}
	off := h.lp.find(field, 2)
	if off < 0 {
		return false
	}
	_, voff := h.lp.next(off)
	_, end := h.lp.next(voff)
	h.lp = h.lp.cut(off, end)
	h.lp.setCount(h.lp.count() - 1)
	h.lp = h.lp.shrink()
	return true
}

// Range calls fn with every field and value until fn returns false: in listpack order for a small hash, in no
// particular order for a hashtable. fn must not change the hash.
func (h *Hash) Range(fn func(field, value []byte) bool) {
	if h.d != nil {
		for i := range h.d.ents {
			if !fn(h.d.entry(i)) {
				return
			}
		}
		return
	}
	off := packedHdr
	for off < len(h.lp) {
		var f, v []byte
		f, off = h.lp.next(off)
		v, off = h.lp.next(off)
		if !fn(f, v) {
			return
		}
	}
}

// Random returns a uniformly random field and its value. The hash must not be empty.
func (h *Hash) Random() (field, value []byte) {
	if h.d != nil {
		return h.d.entry(h.d.random())
	}
	return h.at(rand.IntN(h.lp.count()))
}

// at returns the i-th field and value of a listpack hash.
func (h *Hash) at(i int) (field, value []byte) {
	off := packedHdr
	for ; i > 0; i-- {
		_, off = h.lp.next(off)
		_, off = h.lp.next(off)
	}
	f, off := h.lp.next(off)
	v, _ := h.lp.next(off)
	return f, v
}

// Sample calls fn with count distinct random fields and their values (count < Len), as HRANDFIELD with a
// positive count does.
func (h *Hash) Sample(count int, fn func(field, value []byte)) {
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
	if h.d == nil {
		h.Range(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	return h.d.scan(cursor, count, fn)
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
