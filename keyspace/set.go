package keyspace

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"unsafe"
)

// Set is a set value: distinct byte strings. Like Redis 7.2 it has three encodings:
//
//   - intset: while every member is a canonical 64-bit integer and there are at most set-max-intset-entries of
//     them: the integers sorted, in one byte slice, each 2, 4 or 8 bytes wide (the width grows, never shrinks);
//   - listpack: while there are at most set-max-listpack-entries members of at most set-max-listpack-value bytes:
//     one packed byte slice in insertion order;
//   - hashtable: otherwise.
//
// Conversions follow Redis 7.2's t_set.c: intset to listpack (a non-integer joins a small set) or to hashtable,
// listpack to hashtable, never back, except that the set a command builds afresh (SINTERSTORE, SPOP with a count
// near the size) starts small again. A Set is not safe for concurrent use; stored in a keyspace it is used only
// under its key's lock. Slices it returns alias the set (or a scratch buffer) and are valid until it next changes.
type Set struct {
	c compact // tag setIntset or setListpack: the bytes (see intsetLen, packed); setHashtable: a *dict
}

const (
	setIntset = iota
	setListpack
	setHashtable
)

func (s *Set) b() []byte { return s.c.bytes() }

// setB replaces the bytes, keeping the encoding.
func (s *Set) setB(b []byte) { s.c.setBytes(b, s.c.tag()) }

func (s *Set) d() *dict { return s.c.dict() }

// NewSet returns an empty set in the encoding Redis 7.2 gives a new set whose first member is first and which
// is about to receive about hint members. Matches Redis: setTypeCreate.
func NewSet(first []byte, hint int, lim *Limits) *Set {
	if _, ok := ParseInt(first); ok && hint <= lim.SetIntsetEntries {
		return NewIntset()
	}
	if hint <= lim.SetListpackEntries {
		return newListpackSet()
	}
	s := &Set{}
	s.c.setDict(newDict(false, hint), setHashtable)
	return s
}

// NewIntset returns an empty set with the intset encoding, the starting point of SUNION and SDIFF results.
func NewIntset() *Set {
	s := &Set{}
	s.c.setBytes([]byte{2}, setIntset)
	return s
}

func newListpackSet() *Set {
	s := &Set{}
	s.c.setBytes(nil, setListpack)
	return s
}

// Kind reports KindSet.
func (s *Set) Kind() Kind { return KindSet }

// Encoding reports EncIntset, EncListpack or EncHashtable.
func (s *Set) Encoding() Encoding {
	switch s.c.tag() {
	case setIntset:
		return EncIntset
	case setListpack:
		return EncListpack
	}
	return EncHashtable
}

// Clone returns a deep copy with the same encoding.
func (s *Set) Clone() Object {
	c := &Set{}
	if s.c.tag() == setHashtable {
		c.c.setDict(s.d().clone(), setHashtable)
	} else {
		c.c.setBytes(append([]byte(nil), s.b()...), s.c.tag())
	}
	return c
}

// MemoryUsage estimates the bytes the set holds (see [Sizer]).
func (s *Set) MemoryUsage() int {
	n := allocSize(int(unsafe.Sizeof(Set{})))
	if s.c.tag() == setHashtable {
		return n + s.d().memoryUsage()
	}
	return n + allocSize(int(s.c.c&compactMax))
}

// Len returns the number of members.
func (s *Set) Len() int {
	switch s.Encoding() {
	case EncIntset:
		return intsetLen(s.b())
	case EncListpack:
		return packed(s.b()).count()
	}
	return s.d().Len()
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	switch s.Encoding() {
	case EncIntset:
		v, ok := ParseInt(m)
		if !ok {
			return false
		}
		_, found := intsetSearch(s.b(), v)
		return found
	case EncListpack:
		return packed(s.b()).find(m, 1) >= 0
	}
	return s.d().find(m, dictHash(m)) >= 0
}

// intsetMaxEntries is set-max-intset-entries, capped as Redis caps it.
func intsetMaxEntries(lim *Limits) int { return min(lim.SetIntsetEntries, 1<<30) }

// Add adds m and reports whether it was not a member, converting the encoding as Redis 7.2's setTypeAdd does.
func (s *Set) Add(m []byte, lim *Limits) bool {
	switch s.Encoding() {
	case EncIntset:
		if v, ok := ParseInt(m); ok && (intsetLen(s.b())+1)*8 < compactMax {
			b, added := intsetAdd(s.b(), v)
			s.setB(b)
			if added && intsetLen(s.b()) > intsetMaxEntries(lim) {
				s.convert(EncHashtable, s.Len())
			}
			return added
		}
		n := intsetLen(s.b())
		maxLen := 0
		if n > 0 {
			maxLen = max(digits(intsetGet(s.b(), 0)), digits(intsetGet(s.b(), n-1)))
		}
		if n < lim.SetListpackEntries && len(m) <= lim.SetListpackValue && maxLen <= lim.SetListpackValue &&
			(n+1)*(maxLen+2)+len(m) < compactMax {
			s.convert(EncListpack, n+1)
		} else {
			s.convert(EncHashtable, n+1)
		}
	case EncListpack:
		lp := packed(s.b())
		if lp.find(m, 1) >= 0 {
			return false
		}
		if n := lp.count(); n < lim.SetListpackEntries && len(m) <= lim.SetListpackValue && len(lp)+len(m)+10 < compactMax {
			lp = lp.appendEntry(m)
			lp.setCount(n + 1)
			s.setB(lp)
			return true
		}
		s.convert(EncHashtable, s.Len()+1)
	}
	if s.Encoding() == EncListpack { // from an intset: m is known to be new
		lp := packed(s.b()).appendEntry(m)
		lp.setCount(lp.count() + 1)
		s.setB(lp)
		return true
	}
	return s.d().set(m, nil)
}

// digits is the length of v in decimal, with its sign.
func digits(v int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], v, 10))
}

// MaybeConvert converts a small set to a hashtable when about hint members are about to be added and that is
// more than its encoding holds. Matches Redis 7.2: setTypeMaybeConvert, called by SADD on an existing set.
func (s *Set) MaybeConvert(hint int, lim *Limits) {
	if (s.Encoding() == EncListpack && hint > lim.SetListpackEntries) || (s.Encoding() == EncIntset && hint > lim.SetIntsetEntries) {
		s.convert(EncHashtable, max(hint, s.Len()))
	}
}

// IntsetIfIntegers converts the set to an intset when every member is an integer and there are few enough of
// them. Matches Redis 7.2: SINTERSTORE's maybeConvertToIntset on a result of integers only.
func (s *Set) IntsetIfIntegers(lim *Limits) {
	if s.Encoding() == EncIntset || s.Len() > intsetMaxEntries(lim) {
		return
	}
	is := []byte{2}
	all := true
	s.Range(func(m []byte) bool {
		v, ok := ParseInt(m)
		if !ok {
			all = false
			return false
		}
		is, _ = intsetAdd(is, v)
		return true
	})
	if all {
		s.c.setBytes(is, setIntset)
	}
}

// convert moves the members to encoding enc (listpack or hashtable), sized for hint members.
func (s *Set) convert(enc Encoding, hint int) {
	if enc == EncHashtable {
		d := newDict(false, hint)
		s.Range(func(m []byte) bool { d.add(dictHash(m), d.newCell(m, nil)); return true })
		s.c.setDict(d, setHashtable)
		return
	}
	var lp packed
	lp = lp.grow(hint * 4)
	n := 0
	s.Range(func(m []byte) bool { lp = lp.appendEntry(m); n++; return true })
	if n > 0 {
		lp.setCount(n)
	}
	s.c.setBytes(lp, setListpack)
}

// Remove deletes m and reports whether it was a member. The caller deletes the key when the set empties.
func (s *Set) Remove(m []byte) bool {
	switch s.Encoding() {
	case EncIntset:
		v, ok := ParseInt(m)
		if !ok {
			return false
		}
		b, removed := intsetRemove(s.b(), v)
		s.setB(b)
		return removed
	case EncListpack:
		lp := packed(s.b())
		off := lp.find(m, 1)
		if off < 0 {
			return false
		}
		_, end := lp.next(off)
		lp = lp.cut(off, end)
		lp.setCount(lp.count() - 1)
		s.setB(lp.shrink())
		return true
	}
	return s.d().remove(m)
}

// Range calls fn with every member until fn returns false: ascending for an intset, in insertion order for a
// listpack, in no particular order for a hashtable. fn must not change the set; the slice is valid only during
// the call.
func (s *Set) Range(fn func(m []byte) bool) {
	switch s.Encoding() {
	case EncIntset:
		var buf [20]byte
		for i, n := 0, intsetLen(s.b()); i < n; i++ {
			if !fn(strconv.AppendInt(buf[:0], intsetGet(s.b(), i), 10)) {
				return
			}
		}
	case EncListpack:
		lp := packed(s.b())
		for off := packedHdr; off < len(lp); {
			var m []byte
			m, off = lp.next(off)
			if !fn(m) {
				return
			}
		}
	default:
		s.d().each(func(m, _ []byte) bool { return fn(m) })
	}
}

// Members returns copies of all members, in Range order.
func (s *Set) Members() [][]byte {
	out := make([][]byte, 0, s.Len())
	s.Range(func(m []byte) bool { out = append(out, append([]byte(nil), m...)); return true })
	return out
}

// at returns the i-th member (in Range order), formatting an integer into buf.
func (s *Set) at(i int, buf []byte) []byte {
	switch s.Encoding() {
	case EncIntset:
		return strconv.AppendInt(buf[:0], intsetGet(s.b(), i), 10)
	case EncListpack:
		lp := packed(s.b())
		off := packedHdr
		for ; i > 0; i-- {
			_, off = lp.next(off)
		}
		m, _ := lp.next(off)
		return m
	}
	m, _ := s.d().entry(i)
	return m
}

// Random returns a uniformly random member, formatted into buf when it is an integer of an intset. The set must
// not be empty.
func (s *Set) Random(buf []byte) []byte { return s.at(rand.IntN(s.Len()), buf) }

// Sample calls fn with count distinct random members (count < Len), as SRANDMEMBER with a positive count does.
func (s *Set) Sample(count int, fn func(m []byte)) {
	if s.c.tag() == setHashtable && count*3 <= s.Len() {
		// Few of many: random indexes until enough are distinct, O(count) as Redis's CASE 4.
		sampleSparse(s.Len(), count, func(i int) { m, _ := s.d().entry(i); fn(m) })
		return
	}
	pick := sampleDistinct(s.Len(), count)
	i := 0
	s.Range(func(m []byte) bool {
		if pick[i] {
			fn(m)
		}
		i++
		return true
	})
}

// Pop removes count random members (0 < count < Len) and calls fn with each. Matches Redis 7.2's SPOP with a
// count: when few members remain, the remaining ones are picked instead and become a new set, listpack or
// intset, so a popped hashtable can become small again.
func (s *Set) Pop(count int, lim *Limits, fn func(m []byte)) {
	n := s.Len()
	remaining := n - count
	if remaining*5 > count || s.Encoding() == EncListpack {
		// Redis's listpack path visits the picked members once, in order; the others pop one at a time.
		if s.Encoding() == EncListpack {
			pick := sampleDistinct(n, count)
			lp := packed(s.b())
			out := packed(nil).grow(len(lp))
			kept, i := 0, 0
			for off := packedHdr; off < len(lp); i++ {
				var m []byte
				m, off = lp.next(off)
				if pick[i] {
					fn(m)
				} else {
					out = out.appendEntry(m)
					kept++
				}
			}
			out.setCount(kept)
			s.setB(out.shrink())
			return
		}
		var buf [20]byte
		for ; count > 0; count-- {
			i := rand.IntN(s.Len())
			m := s.at(i, buf[:0])
			fn(m)
			if s.Encoding() == EncHashtable {
				s.d().removeAt(i)
			} else {
				b, _ := intsetRemove(s.b(), intsetGet(s.b(), i))
				s.setB(b)
			}
		}
		return
	}
	keep := sampleDistinct(n, remaining)
	var next *Set
	if s.Encoding() == EncIntset {
		next = NewIntset()
	} else {
		next = newListpackSet()
	}
	i := 0
	s.Range(func(m []byte) bool {
		if keep[i] {
			next.Add(m, lim)
		} else {
			fn(m)
		}
		i++
		return true
	})
	s.c = next.c
}

// Scan visits part of the set from cursor (0 to start), calling fn with members, and returns the cursor to
// continue from, 0 when done (SSCAN). An intset or listpack is visited whole in one call, as in Redis.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.Encoding() != EncHashtable {
		s.Range(func(m []byte) bool { fn(m); return true })
		return 0
	}
	return s.d().scan(cursor, count, func(m, _ []byte) { fn(m) })
}

// SetOf returns the set at key, nil if key is missing, or ErrWrongType.
func (tx *Txn) SetOf(key []byte) (*Set, error) {
	obj, err := tx.ObjectOf(key, KindSet)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*Set), nil
}

// The intset encoding: b[0] is the width in bytes (2, 4 or 8), then the integers sorted ascending, little-endian.

func intsetLen(b []byte) int { return (len(b) - 1) / int(b[0]) }

func intsetGet(b []byte, i int) int64 {
	w := int(b[0])
	p := b[1+i*w:]
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(p)))
	}
	return int64(binary.LittleEndian.Uint64(p))
}

func intsetPut(b []byte, i int, v int64) {
	w := int(b[0])
	p := b[1+i*w:]
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(p, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(p, uint32(v))
	default:
		binary.LittleEndian.PutUint64(p, uint64(v))
	}
}

func intWidth(v int64) byte {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

// intsetSearch returns the position of v, or where it would go.
func intsetSearch(b []byte, v int64) (int, bool) {
	lo, hi := 0, intsetLen(b)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if intsetGet(b, mid) < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < intsetLen(b) && intsetGet(b, lo) == v
}

// intsetAdd inserts v, widening the encoding when v needs it, and reports whether v was new.
func intsetAdd(b []byte, v int64) ([]byte, bool) {
	if w := intWidth(v); w > b[0] {
		n := intsetLen(b)
		nb := make([]byte, 1+(n+1)*int(w))
		nb[0] = w
		for i := 0; i < n; i++ {
			intsetPut(nb, i, intsetGet(b, i))
		}
		nb = nb[:1+n*int(w)]
		b = nb
	}
	pos, found := intsetSearch(b, v)
	if found {
		return b, false
	}
	w := int(b[0])
	if len(b)+w > cap(b) {
		need := len(b) + w
		nb := append([]byte(nil), make([]byte, need)...)
		nb = nb[:cap(nb)]
		copy(nb, b)
		b = nb[:len(b)]
	}
	b = b[:len(b)+w]
	copy(b[1+(pos+1)*w:], b[1+pos*w:len(b)-w])
	intsetPut(b, pos, v)
	return b, true
}

// intsetRemove deletes v and reports whether it was present.
func intsetRemove(b []byte, v int64) ([]byte, bool) {
	pos, found := intsetSearch(b, v)
	if !found {
		return b, false
	}
	w := int(b[0])
	copy(b[1+pos*w:], b[1+(pos+1)*w:])
	b = b[:len(b)-w]
	if cap(b)-len(b) > cap(b)/4 && cap(b) > 64 {
		b = append([]byte(nil), b...)
	}
	return b, true
}
