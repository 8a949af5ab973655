package keyspace

import "encoding/binary"

// List is a list value: byte strings in order, with cheap pushes and pops at both ends. Like Redis's quicklist,
// it packs elements into nodes of at most listNodeBytes bytes each, so a list of small elements costs a few bytes
// per element besides the elements themselves, and the garbage collector sees one pointer-free buffer per node.
//
// Within a node each entry is uvarint(len) data backlen, where backlen is the size of the first two parts
// written backwards in 7-bit groups (as listpack does), so a node is walked from either end. A node's live
// bytes are buf[start:]; the room before start takes pushes at the front without moving the rest.
//
// A List is not safe for concurrent use; stored in a keyspace it is used only under its key's lock.
type List struct {
	nodes []listNode
	n     int // elements
	size  int // bytes of all entries
	bufs  int // capacity of all node buffers, for MemoryUsage
	big   bool
}

type listNode struct {
	buf   []byte
	start int
	n     int
}

// listNodeBytes is the most bytes of entries a node holds (Redis's list-max-listpack-size -2: 8 KiB), unless one
// element alone is larger.
const listNodeBytes = 8 << 10

// NewList returns an empty list.
func NewList() *List { return &List{} }

// Kind reports KindList.
func (l *List) Kind() Kind { return KindList }

// Encoding reports what Redis 7.2 would: listpack while the list fits in one node, quicklist once it has
// outgrown one, until it shrinks to one node of half that size.
func (l *List) Encoding() Encoding {
	if l.big {
		return EncQuicklist
	}
	return EncListpack
}

// settle updates the reported encoding after a change.
func (l *List) settle() {
	if !l.big && (len(l.nodes) > 1 || l.size > listNodeBytes) {
		l.big = true
	} else if l.big && len(l.nodes) <= 1 && l.size <= listNodeBytes/2 {
		l.big = false
	}
}

// Clone returns a deep copy.
func (l *List) Clone() Object {
	c := &List{n: l.n, size: l.size, big: l.big, nodes: make([]listNode, len(l.nodes))}
	for i, nd := range l.nodes {
		c.nodes[i] = listNode{buf: append([]byte(nil), nd.buf[nd.start:]...), n: nd.n}
		c.bufs += cap(c.nodes[i].buf)
	}
	return c
}

// MemoryUsage estimates the bytes the list holds: its node buffers and headers (see [Sizer]).
func (l *List) MemoryUsage() int { return 64 + cap(l.nodes)*40 + l.bufs }

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// entrySize is the encoded size of an element of n bytes.
func entrySize(n int) int {
	body := uvarintLen(uint64(n)) + n
	return body + backlenLen(body)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func backlenLen(v int) int { return uvarintLen(uint64(v)) }

// putEntry writes the entry for v at dst, which has exactly entrySize(len(v)) bytes.
func putEntry(dst, v []byte) {
	h := binary.PutUvarint(dst, uint64(len(v)))
	copy(dst[h:], v)
	body := h + len(v)
	// backlen: the lowest 7 bits last, so a reader going backwards meets them first.
	k := backlenLen(body)
	for i := 0; i < k; i++ {
		b := byte(body>>(7*i)) & 0x7f
		if i < k-1 {
			b |= 0x80
		}
		dst[len(dst)-1-i] = b
	}
}

// next decodes the entry at off in b and returns its element and the offset after it.
func nextEntry(b []byte, off int) ([]byte, int) {
	n, h := binary.Uvarint(b[off:])
	body := h + int(n)
	v := b[off+h : off+body]
	return v, off + body + backlenLen(body)
}

// prevEntry decodes the entry that ends at end in b and returns its element and the offset where it starts.
func prevEntry(b []byte, end int) ([]byte, int) {
	body, i := 0, 0
	for {
		c := b[end-1-i]
		body |= int(c&0x7f) << (7 * i)
		i++
		if c&0x80 == 0 {
			break
		}
	}
	start := end - i - body
	n, h := binary.Uvarint(b[start:])
	return b[start+h : start+h+int(n)], start
}

func (nd *listNode) live() []byte { return nd.buf[nd.start:] }

func (nd *listNode) fits(extra int) bool {
	return nd.n == 0 || len(nd.buf)-nd.start+extra <= listNodeBytes
}

// PushBack appends elements at the tail (RPUSH).
func (l *List) PushBack(vs ...[]byte) {
	for _, v := range vs {
		es := entrySize(len(v))
		if len(l.nodes) == 0 || !l.nodes[len(l.nodes)-1].fits(es) {
			l.nodes = append(l.nodes, listNode{})
		}
		nd := &l.nodes[len(l.nodes)-1]
		off := len(nd.buf)
		if off+es > cap(nd.buf) {
			l.bufs -= cap(nd.buf)
			if nd.n == 0 {
				nd.buf = make([]byte, 0, min(max(es, 64), listNodeBytes))
			}
			nd.buf = append(nd.buf, make([]byte, es)...)
			l.bufs += cap(nd.buf)
		} else {
			nd.buf = nd.buf[:off+es]
		}
		putEntry(nd.buf[off:], v)
		nd.n++
		l.n++
		l.size += es
	}
	l.settle()
}

// PushFront inserts elements at the head one by one (LPUSH a b c leaves c first).
func (l *List) PushFront(vs ...[]byte) {
	for _, v := range vs {
		es := entrySize(len(v))
		if len(l.nodes) == 0 || !l.nodes[0].fits(es) {
			l.nodes = append(l.nodes, listNode{})
			copy(l.nodes[1:], l.nodes)
			l.nodes[0] = listNode{}
		}
		nd := &l.nodes[0]
		if nd.start < es {
			// Regrow with room in front: as much as the live bytes, so pushes at the head are amortized O(1).
			live := nd.live()
			room := max(min(max(len(live), 64), listNodeBytes), es)
			buf := make([]byte, room+len(live), room+len(live))
			copy(buf[room:], live)
			l.bufs += cap(buf) - cap(nd.buf)
			nd.buf, nd.start = buf, room
		}
		nd.start -= es
		putEntry(nd.buf[nd.start:nd.start+es], v)
		nd.n++
		l.n++
		l.size += es
	}
	l.settle()
}

// PopFront removes and returns the first element; ok is false when the list is empty. The element is a copy.
func (l *List) PopFront() (v []byte, ok bool) {
	if l.n == 0 {
		return nil, false
	}
	nd := &l.nodes[0]
	e, _ := nextEntry(nd.buf, nd.start)
	v = append([]byte(nil), e...)
	l.dropFront()
	l.settle()
	return v, true
}

// PopBack removes and returns the last element; ok is false when the list is empty. The element is a copy.
func (l *List) PopBack() (v []byte, ok bool) {
	if l.n == 0 {
		return nil, false
	}
	nd := &l.nodes[len(l.nodes)-1]
	e, _ := prevEntry(nd.buf, len(nd.buf))
	v = append([]byte(nil), e...)
	l.dropBack()
	l.settle()
	return v, true
}

func (l *List) dropFront() {
	nd := &l.nodes[0]
	_, next := nextEntry(nd.buf, nd.start)
	l.size -= next - nd.start
	nd.start = next
	nd.n--
	l.n--
	if nd.n == 0 {
		l.bufs -= cap(nd.buf)
		l.nodes = append(l.nodes[:0], l.nodes[1:]...)
	}
}

func (l *List) dropBack() {
	nd := &l.nodes[len(l.nodes)-1]
	_, start := prevEntry(nd.buf, len(nd.buf))
	l.size -= len(nd.buf) - start
	nd.buf = nd.buf[:start]
	nd.n--
	l.n--
	if nd.n == 0 {
		l.bufs -= cap(nd.buf)
		l.nodes = l.nodes[:len(l.nodes)-1]
	}
}

// Index returns the element at i (0 first, -1 last), or false when i is out of range. The slice aliases the list.
func (l *List) Index(i int) ([]byte, bool) {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return nil, false
	}
	var v []byte
	l.Range(i, i, func(e []byte) bool { v = e; return false })
	return v, true
}

// Range calls fn with the elements from start to stop (indexes already in range, start <= stop) in order until
// fn returns false. Elements alias the list and must not be kept or changed.
func (l *List) Range(start, stop int, fn func([]byte) bool) {
	i := 0
	for ni := range l.nodes {
		nd := &l.nodes[ni]
		if i+nd.n <= start {
			i += nd.n
			continue
		}
		off := nd.start
		for k := 0; k < nd.n; k++ {
			var e []byte
			e, off = nextEntry(nd.buf, off)
			if i >= start {
				if i > stop || !fn(e) {
					return
				}
			}
			i++
		}
	}
}

// RangeReverse calls fn with the elements from index stop down to start (start <= stop, both in range) until fn
// returns false.
func (l *List) RangeReverse(start, stop int, fn func([]byte) bool) {
	i := l.n - 1
	for ni := len(l.nodes) - 1; ni >= 0; ni-- {
		nd := &l.nodes[ni]
		if i-nd.n >= stop {
			i -= nd.n
			continue
		}
		end := len(nd.buf)
		for k := 0; k < nd.n; k++ {
			var e []byte
			e, end = prevEntry(nd.buf, end)
			if i <= stop {
				if i < start || !fn(e) {
					return
				}
			}
			i--
		}
	}
}

// Elements returns copies of all elements, for tests and small conversions.
func (l *List) Elements() [][]byte {
	out := make([][]byte, 0, l.n)
	if l.n > 0 {
		l.Range(0, l.n-1, func(e []byte) bool { out = append(out, append([]byte(nil), e...)); return true })
	}
	return out
}

// rebuild replaces the list's content by elems, packing nodes afresh. Used by the operations that change the
// middle of a list (LSET, LINSERT, LREM, LTRIM), which Redis also implements in O(N).
func (l *List) rebuild(elems [][]byte) {
	*l = List{big: l.big}
	l.PushBack(elems...)
	l.settle()
}

// Set replaces the element at i (negative from the end) and reports whether i was in range.
func (l *List) Set(i int, v []byte) bool {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return false
	}
	elems := l.Elements()
	elems[i] = v
	l.rebuild(elems)
	return true
}

// Insert puts v before (or after) the first element equal to pivot and reports whether pivot was found.
func (l *List) Insert(pivot, v []byte, after bool) bool {
	elems := l.Elements()
	for i, e := range elems {
		if string(e) == string(pivot) {
			if after {
				i++
			}
			elems = append(elems, nil)
			copy(elems[i+1:], elems[i:])
			elems[i] = v
			l.rebuild(elems)
			return true
		}
	}
	return false
}

// Remove deletes elements equal to v: the first count of them from the head when count > 0, the last -count
// from the tail when count < 0, all when count is 0. It returns how many it removed.
func (l *List) Remove(count int, v []byte) int {
	elems := l.Elements()
	removed := 0
	keep := make([]bool, len(elems))
	for i := range keep {
		keep[i] = true
	}
	visit := func(i int) {
		if string(elems[i]) == string(v) && (count == 0 || removed < abs(count)) {
			keep[i] = false
			removed++
		}
	}
	if count >= 0 {
		for i := range elems {
			visit(i)
		}
	} else {
		for i := len(elems) - 1; i >= 0; i-- {
			visit(i)
		}
	}
	if removed == 0 {
		return 0
	}
	out := elems[:0]
	for i, e := range elems {
		if keep[i] {
			out = append(out, e)
		}
	}
	l.rebuild(out)
	return removed
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Trim keeps the elements from start to stop (indexes already normalized to 0 <= start <= stop < Len), or
// none when keep is false.
func (l *List) Trim(start, stop int, keep bool) {
	if !keep {
		l.rebuild(nil)
		return
	}
	if start == 0 && stop == l.n-1 {
		return
	}
	for i := 0; i < start; i++ {
		l.dropFront()
	}
	for l.n > stop-start+1 {
		l.dropBack()
	}
	l.settle()
}

// ObjectOf returns the Object stored at key if it is of kind k, nil if key is missing, or ErrWrongType if it
// holds another kind. The Object may be changed in place while the Txn holds key; a change that empties a list,
// hash, set or sorted set must delete the key, as Redis never keeps empty ones.
func (tx *Txn) ObjectOf(key []byte, k Kind) (Object, error) {
	e, ok := tx.Lookup(key)
	if !ok {
		return nil, nil
	}
	if e.Kind() != k {
		return nil, ErrWrongType
	}
	return e.Object(), nil
}

// ListOf returns the list at key, nil if key is missing, or ErrWrongType. With create set, a missing key gets a
// new empty list (the caller must add to it before the Txn ends).
func (tx *Txn) ListOf(key []byte, create bool) (*List, error) {
	obj, err := tx.ObjectOf(key, KindList)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		if !create {
			return nil, nil
		}
		l := NewList()
		tx.SetObject(key, l, 0)
		return l, nil
	}
	return obj.(*List), nil
}
