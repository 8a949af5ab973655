package keyspace

import (
	"hash/maphash"
	"math"
	"math/bits"
	"unsafe"
)

// zindex is the large encoding of a [ZSet] (what Redis calls skiplist): a hash table from member to score and
// a B+tree of the members in (score, member) order whose inner nodes count the members below each child, so
// finding, inserting, deleting and ranking a member, and finding the rank of a score or lex bound, all take
// O(log N).
//
// Members live once, in the hash table's entry slab (ents); the tree's leaves hold each member's score and the
// number of its entry (its ref, index+1), so a leaf is pointer-free and 12 bytes a member. Inner nodes hold a
// separator per child: a lower bound of the child's keys (score and member) that stays valid when members are
// deleted. The table is chained through the entries, with power-of-two bucket arrays, so that ZSCAN can use
// Redis's reverse-binary cursor, which survives resizing.
type zindex struct {
	ents    []zent
	free    uint32 // first free entry (ref), chained through next
	buckets []uint32
	n       int
	strMem  int // bytes the members' allocations take

	height  int // 0: the root is a leaf
	leaf    *zleaf
	inner   *zinner
	nLeaves int
	nInners int
}

// zent is one member. A free entry has a NaN score (a live score is never NaN).
type zent struct {
	member string
	score  float64
	next   uint32 // next entry of the bucket chain, or of the free list
	hash   uint32
}

const (
	zLeafCap  = 64
	zInnerCap = 64
	// zMergeBelow: a node with fewer entries than this after a deletion merges with a neighbour that has room.
	zMergeBelow = zLeafCap / 4
)

type zleaf struct {
	n          int
	prev, next *zleaf
	scores     [zLeafCap]float64
	refs       [zLeafCap]uint32
}

type zinner struct {
	n      int
	counts [zInnerCap]int  // members under each child
	seps   [zInnerCap]zsep // seps[i]: lower bound of child i's keys; seps[0] is the bound of the node itself
	leaves [zInnerCap]*zleaf
	inners [zInnerCap]*zinner
}

type zsep struct {
	score  float64
	member string
}

var zseed = maphash.MakeSeed()

func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// strBytes views s as bytes without copying; the result must not be changed.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (x *zindex) member(ref uint32) string { return x.ents[ref-1].member }

// find returns the ref of member, 0 if absent.
func (x *zindex) find(member []byte) uint32 {
	if x.n == 0 {
		return 0
	}
	h := maphash.Bytes(zseed, member)
	for ref := x.buckets[h&uint64(len(x.buckets)-1)]; ref != 0; {
		e := &x.ents[ref-1]
		if e.hash == uint32(h>>32) && e.member == string(member) {
			return ref
		}
		ref = e.next
	}
	return 0
}

// add stores a member known to be absent, in the table and in the tree.
func (x *zindex) add(member []byte, score float64) {
	s := string(member)
	h := maphash.String(zseed, s)
	if x.n+1 > len(x.buckets) {
		x.rehash(max(4, len(x.buckets)*2))
	}
	var ref uint32
	if x.free != 0 {
		ref = x.free
		x.free = x.ents[ref-1].next
	} else {
		x.ents = append(x.ents, zent{})
		ref = uint32(len(x.ents))
	}
	x.n++
	b := h & uint64(len(x.buckets)-1)
	x.ents[ref-1] = zent{member: s, score: score, next: x.buckets[b], hash: uint32(h >> 32)}
	x.buckets[b] = ref
	x.strMem += allocSize(len(s))
	x.insert(score, s, ref)
}

// remove deletes the member at ref from the tree and the table. Refs stay valid until shrink is called.
func (x *zindex) remove(ref uint32) {
	e := &x.ents[ref-1]
	x.delete(e.score, e.member)
	h := maphash.String(zseed, e.member)
	b := h & uint64(len(x.buckets)-1)
	if x.buckets[b] == ref {
		x.buckets[b] = e.next
	} else {
		p := x.buckets[b]
		for x.ents[p-1].next != ref {
			p = x.ents[p-1].next
		}
		x.ents[p-1].next = e.next
	}
	x.strMem -= allocSize(len(e.member))
	*e = zent{score: math.NaN(), next: x.free}
	x.free = ref
	x.n--
}

// shrink gives memory back after removals: it compacts the entries (renumbering refs) once most are free and
// shrinks the bucket array.
func (x *zindex) shrink() {
	switch {
	case x.n == 0:
		*x = zindex{}
	case len(x.ents) >= 256 && x.n < len(x.ents)/4:
		x.compact()
	case len(x.buckets) > 4 && x.n < len(x.buckets)/8:
		x.rehash(len(x.buckets) / 4)
	}
}

// setScore changes the score of the member at ref.
func (x *zindex) setScore(ref uint32, score float64) {
	e := &x.ents[ref-1]
	x.delete(e.score, e.member)
	e.score = score
	x.insert(score, e.member, ref)
}

// rehash rebuilds the bucket array with n (a power of two) buckets.
func (x *zindex) rehash(n int) {
	x.buckets = make([]uint32, n)
	mask := uint64(n - 1)
	for i := range x.ents {
		e := &x.ents[i]
		if e.score != e.score { // free
			continue
		}
		b := maphash.String(zseed, e.member) & mask
		e.next = x.buckets[b]
		x.buckets[b] = uint32(i + 1)
	}
}

// compact moves the live entries to a new slab in tree order, renumbering the leaves' refs, after most members
// were deleted.
func (x *zindex) compact() {
	ents := make([]zent, 0, x.n+x.n/4)
	for l := x.first(); l != nil; l = l.next {
		for i := 0; i < l.n; i++ {
			ents = append(ents, x.ents[l.refs[i]-1])
			l.refs[i] = uint32(len(ents))
		}
	}
	x.ents, x.free = ents, 0
	x.rehash(max(4, 1<<bits.Len(uint(x.n-1))))
}

func (x *zindex) first() *zleaf {
	if x.height == 0 {
		return x.leaf
	}
	nd := x.inner
	for h := x.height; h > 1; h-- {
		nd = nd.inners[0]
	}
	return nd.leaves[0]
}

// --- the tree ---

// leafPos returns the first index of l whose key is greater than (score, member).
func (x *zindex) leafPos(l *zleaf, score float64, member string) int {
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if zless(score, member, l.scores[m], x.member(l.refs[m])) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// route returns the child of nd whose range holds (score, member): the last i >= 1 with seps[i] <= key, or 0.
func route(nd *zinner, score float64, member string) int {
	lo, hi := 1, nd.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if zless(score, member, nd.seps[m].score, nd.seps[m].member) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo - 1
}

func (x *zindex) insert(score float64, member string, ref uint32) {
	if x.height == 0 {
		if x.leaf == nil {
			x.leaf = new(zleaf)
			x.nLeaves = 1
		}
		r := x.leafInsert(x.leaf, score, member, ref, true, true)
		if r == nil {
			return
		}
		root := &zinner{n: 2}
		root.leaves[0], root.leaves[1] = x.leaf, r
		root.counts[0], root.counts[1] = x.leaf.n, r.n
		root.seps[1] = x.leafSep(r)
		x.nInners++
		x.leaf, x.inner, x.height = nil, root, 1
		return
	}
	r := x.innerInsert(x.inner, x.height, score, member, ref, true, true)
	if r == nil {
		return
	}
	root := &zinner{n: 2}
	root.inners[0], root.inners[1] = x.inner, r
	root.counts[0], root.counts[1] = total(x.inner), total(r)
	root.seps[1] = r.seps[0]
	x.nInners++
	x.inner = root
	x.height++
}

func (x *zindex) leafSep(l *zleaf) zsep { return zsep{l.scores[0], x.member(l.refs[0])} }

func total(nd *zinner) int {
	t := 0
	for i := 0; i < nd.n; i++ {
		t += nd.counts[i]
	}
	return t
}

// leafInsert inserts into l and returns the new right sibling when l had to split. An insertion at the very end
// (or start) of the whole tree splits unevenly, so that members added in order fill their leaves.
func (x *zindex) leafInsert(l *zleaf, score float64, member string, ref uint32, rightmost, leftmost bool) *zleaf {
	pos := x.leafPos(l, score, member)
	if l.n < zLeafCap {
		leafPut(l, pos, score, ref)
		return nil
	}
	r := &zleaf{prev: l, next: l.next}
	if l.next != nil {
		l.next.prev = r
	}
	l.next = r
	x.nLeaves++
	switch {
	case rightmost && pos == l.n:
		leafPut(r, 0, score, ref)
	case leftmost && pos == 0:
		copy(r.scores[:], l.scores[:l.n])
		copy(r.refs[:], l.refs[:l.n])
		r.n, l.n = l.n, 0
		leafPut(l, 0, score, ref)
	default:
		mid := l.n / 2
		copy(r.scores[:], l.scores[mid:l.n])
		copy(r.refs[:], l.refs[mid:l.n])
		r.n, l.n = l.n-mid, mid
		if pos <= mid {
			leafPut(l, pos, score, ref)
		} else {
			leafPut(r, pos-mid, score, ref)
		}
	}
	return r
}

func leafPut(l *zleaf, pos int, score float64, ref uint32) {
	copy(l.scores[pos+1:l.n+1], l.scores[pos:l.n])
	copy(l.refs[pos+1:l.n+1], l.refs[pos:l.n])
	l.scores[pos], l.refs[pos] = score, ref
	l.n++
}

// innerInsert inserts under nd (at height h) and returns nd's new right sibling when nd had to split.
func (x *zindex) innerInsert(nd *zinner, h int, score float64, member string, ref uint32, rightmost, leftmost bool) *zinner {
	i := route(nd, score, member)
	rightmost = rightmost && i == nd.n-1
	leftmost = leftmost && i == 0
	nd.counts[i]++
	var sep zsep
	var newLeaf *zleaf
	var newInner *zinner
	if h == 1 {
		newLeaf = x.leafInsert(nd.leaves[i], score, member, ref, rightmost, leftmost)
		if newLeaf == nil {
			return nil
		}
		nd.counts[i] = nd.leaves[i].n
		sep = x.leafSep(newLeaf)
	} else {
		newInner = x.innerInsert(nd.inners[i], h-1, score, member, ref, rightmost, leftmost)
		if newInner == nil {
			return nil
		}
		nd.counts[i] = total(nd.inners[i])
		sep = newInner.seps[0]
	}
	var cnt int
	if newLeaf != nil {
		cnt = newLeaf.n
	} else {
		cnt = total(newInner)
	}
	// Room for the new child at i+1: split nd first if it is full.
	target, at := nd, i+1
	var r *zinner
	if nd.n == zInnerCap {
		r = &zinner{}
		x.nInners++
		mid := nd.n / 2
		if rightmost && at == nd.n {
			mid = nd.n
		}
		r.n = nd.n - mid
		copy(r.counts[:], nd.counts[mid:nd.n])
		copy(r.seps[:], nd.seps[mid:nd.n])
		copy(r.leaves[:], nd.leaves[mid:nd.n])
		copy(r.inners[:], nd.inners[mid:nd.n])
		clear(nd.seps[mid:nd.n])
		clear(nd.leaves[mid:nd.n])
		clear(nd.inners[mid:nd.n])
		nd.n = mid
		if at > mid || (at == mid && mid == zInnerCap) {
			target, at = r, at-mid
		}
		if r.n == 0 { // the new child starts r on its own
			r.seps[0] = sep
		}
	}
	n := target.n
	copy(target.counts[at+1:n+1], target.counts[at:n])
	copy(target.seps[at+1:n+1], target.seps[at:n])
	copy(target.leaves[at+1:n+1], target.leaves[at:n])
	copy(target.inners[at+1:n+1], target.inners[at:n])
	target.counts[at], target.seps[at] = cnt, sep
	target.leaves[at], target.inners[at] = newLeaf, newInner
	target.n++
	return r
}

// delete removes the key (score, member), which must be present.
func (x *zindex) delete(score float64, member string) {
	if x.height == 0 {
		leafDelete(x, x.leaf, score, member)
		return
	}
	x.innerDelete(x.inner, x.height, score, member)
	for x.height > 0 && x.inner.n == 1 {
		if x.height == 1 {
			x.leaf = x.inner.leaves[0]
			x.inner = nil
		} else {
			x.inner = x.inner.inners[0]
		}
		x.nInners--
		x.height--
	}
}

func leafDelete(x *zindex, l *zleaf, score float64, member string) {
	pos := x.leafPos(l, score, member) - 1 // the last key <= (score, member): the member itself
	copy(l.scores[pos:], l.scores[pos+1:l.n])
	copy(l.refs[pos:], l.refs[pos+1:l.n])
	l.n--
}

func (x *zindex) innerDelete(nd *zinner, h int, score float64, member string) {
	i := route(nd, score, member)
	nd.counts[i]--
	if h == 1 {
		leafDelete(x, nd.leaves[i], score, member)
		if nd.leaves[i].n < zMergeBelow {
			x.mergeLeaves(nd, i)
		}
		return
	}
	x.innerDelete(nd.inners[i], h-1, score, member)
	if nd.inners[i].n < zInnerCap/4 {
		x.mergeInners(nd, i)
	}
}

// mergeLeaves merges the small leaf child i of nd with a neighbour that has room for it.
func (x *zindex) mergeLeaves(nd *zinner, i int) {
	j := -1 // the left one of the pair
	if i > 0 && nd.leaves[i-1].n+nd.leaves[i].n <= zLeafCap {
		j = i - 1
	} else if i+1 < nd.n && nd.leaves[i].n+nd.leaves[i+1].n <= zLeafCap {
		j = i
	}
	if j < 0 {
		return
	}
	l, r := nd.leaves[j], nd.leaves[j+1]
	copy(l.scores[l.n:], r.scores[:r.n])
	copy(l.refs[l.n:], r.refs[:r.n])
	l.n += r.n
	l.next = r.next
	if r.next != nil {
		r.next.prev = l
	}
	nd.counts[j] += nd.counts[j+1]
	dropChild(nd, j+1)
	x.nLeaves--
}

// mergeInners merges the small inner child i of nd with a neighbour that has room for it.
func (x *zindex) mergeInners(nd *zinner, i int) {
	j := -1
	if i > 0 && nd.inners[i-1].n+nd.inners[i].n <= zInnerCap {
		j = i - 1
	} else if i+1 < nd.n && nd.inners[i].n+nd.inners[i+1].n <= zInnerCap {
		j = i
	}
	if j < 0 {
		return
	}
	l, r := nd.inners[j], nd.inners[j+1]
	r.seps[0] = nd.seps[j+1]
	copy(l.counts[l.n:], r.counts[:r.n])
	copy(l.seps[l.n:], r.seps[:r.n])
	copy(l.leaves[l.n:], r.leaves[:r.n])
	copy(l.inners[l.n:], r.inners[:r.n])
	l.n += r.n
	nd.counts[j] += nd.counts[j+1]
	dropChild(nd, j+1)
	x.nInners--
}

func dropChild(nd *zinner, i int) {
	n := nd.n
	copy(nd.counts[i:], nd.counts[i+1:n])
	copy(nd.seps[i:], nd.seps[i+1:n])
	copy(nd.leaves[i:], nd.leaves[i+1:n])
	copy(nd.inners[i:], nd.inners[i+1:n])
	nd.seps[n-1], nd.leaves[n-1], nd.inners[n-1] = zsep{}, nil, nil
	nd.n--
}

// countBefore returns how many members fail p, a predicate on keys that is false up to some key in (score,
// member) order and true from there on: the rank of the first member for which p holds.
func (x *zindex) countBefore(p func(score float64, member string) bool) int {
	rank := 0
	var l *zleaf
	if x.height == 0 {
		l = x.leaf
	} else {
		nd := x.inner
		for h := x.height; ; h-- {
			lo, hi := 1, nd.n
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if p(nd.seps[m].score, nd.seps[m].member) {
					hi = m
				} else {
					lo = m + 1
				}
			}
			i := lo - 1
			for k := 0; k < i; k++ {
				rank += nd.counts[k]
			}
			if h == 1 {
				l = nd.leaves[i]
				break
			}
			nd = nd.inners[i]
		}
	}
	if l == nil {
		return 0
	}
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p(l.scores[m], x.member(l.refs[m])) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return rank + lo
}

// rankOf returns the 0-based rank of a present member.
func (x *zindex) rankOf(score float64, member string) int {
	return x.countBefore(func(s float64, m string) bool { return !zless(s, m, score, member) })
}

// at returns the leaf and index holding rank r (0 <= r < n).
func (x *zindex) at(r int) (*zleaf, int) {
	if x.height == 0 {
		return x.leaf, r
	}
	nd := x.inner
	for h := x.height; ; h-- {
		i := 0
		for r >= nd.counts[i] {
			r -= nd.counts[i]
			i++
		}
		if h == 1 {
			return nd.leaves[i], r
		}
		nd = nd.inners[i]
	}
}

// walk calls fn with the members of ranks start..stop (0 <= start <= stop < n), ascending or, with rev, from
// stop down to start, until fn returns false.
func (x *zindex) walk(start, stop int, rev bool, fn func(member []byte, score float64) bool) {
	if rev {
		l, i := x.at(stop)
		for k := stop - start; k >= 0; k-- {
			if !fn(strBytes(x.member(l.refs[i])), l.scores[i]) {
				return
			}
			if i--; i < 0 && k > 0 {
				l = l.prev
				i = l.n - 1
			}
		}
		return
	}
	l, i := x.at(start)
	for k := stop - start; k >= 0; k-- {
		if !fn(strBytes(x.member(l.refs[i])), l.scores[i]) {
			return
		}
		if i++; i == l.n && k > 0 {
			l = l.next
			i = 0
		}
	}
}

// memoryUsage estimates the bytes of the index.
func (x *zindex) memoryUsage() int {
	return allocSize(cap(x.ents)*int(unsafe.Sizeof(zent{}))) + allocSize(4*len(x.buckets)) + x.strMem +
		x.nLeaves*allocSize(int(unsafe.Sizeof(zleaf{}))) + x.nInners*allocSize(int(unsafe.Sizeof(zinner{})))
}

// scan visits the bucket at cursor and the following ones in reverse-binary order until about count members
// were visited, and returns the next cursor (0 at the end), as Redis's dictScan.
func (x *zindex) scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if x.n == 0 {
		return 0
	}
	v := cursor
	mask := uint64(len(x.buckets) - 1)
	for seen, budget := 0, count*10; seen < count && budget > 0; budget-- {
		for ref := x.buckets[v&mask]; ref != 0; ref = x.ents[ref-1].next {
			e := &x.ents[ref-1]
			fn(strBytes(e.member), e.score)
			seen++
		}
		v |= ^mask
		v = bits.Reverse64(v)
		v++
		v = bits.Reverse64(v)
		if v == 0 {
			return 0
		}
	}
	return v
}
