package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"unsafe"
)

// ZSet is a sorted set value: distinct byte-string members, each with a float64 score, ordered by score and,
// between equal scores, by member bytes (as Redis orders them).
//
// Like Redis, it has two encodings. A small set is one packed buffer of (member, score) entries in order (OBJECT
// ENCODING listpack), searched linearly. Once it would hold more than zset-max-listpack-entries members, or a
// member longer than zset-max-listpack-value bytes (see [Limits]), it converts for good to a hash table from
// member to score plus a B+tree with subtree counts (OBJECT ENCODING skiplist), where lookup, insertion,
// deletion, ranking and finding a score or lex bound take O(log N). Only [ZSet.Compact], which Redis's store
// commands (ZUNIONSTORE ...) call on their fresh result, converts back.
//
// Members passed to callbacks and returned by [ZSet.At] alias the set's storage: they must not be changed, and
// are valid only until the set is next changed.
//
// A ZSet is not safe for concurrent use; stored in a keyspace it is used only under its key's lock.
type ZSet struct {
	lp  []byte // listpack encoding: a 4-byte count, then the entries in order; nil when empty or idx is in use
	idx *zindex
}

// ZAddFlags are the options of [ZSet.Add], as ZADD's NX, XX, GT, LT and INCR.
type ZAddFlags uint8

const (
	// ZAddNX only adds new members.
	ZAddNX ZAddFlags = 1 << iota
	// ZAddXX only updates existing members.
	ZAddXX
	// ZAddGT only updates an existing member when the new score is greater.
	ZAddGT
	// ZAddLT only updates an existing member when the new score is less.
	ZAddLT
	// ZAddIncr adds the score to the member's current score (0 for a new member).
	ZAddIncr
)

// ZAddResult is what [ZSet.Add] did.
type ZAddResult uint8

const (
	// ZAddRefused: the flags (NX, XX, GT, LT) prevented the change. ZADD INCR replies null.
	ZAddRefused ZAddResult = iota
	// ZAddUnchanged: the member exists and already had the resulting score.
	ZAddUnchanged
	// ZAddAdded: the member is new.
	ZAddAdded
	// ZAddUpdated: the member's score changed.
	ZAddUpdated
)

// ErrScoreNaN is returned by [ZSet.Add] with ZAddIncr when the sum is not a number (inf + -inf).
// Matches Redis: "ERR resulting score is not a number (NaN)".
var ErrScoreNaN = errors.New("keyspace: resulting score is not a number (NaN)")

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet { return &ZSet{} }

// NewZSetFor returns an empty sorted set in the encoding Redis 7.2 creates for a set about to receive sizeHint
// members of which the longest has maxLen bytes (zsetTypeCreate): skiplist when either exceeds the limits.
func NewZSetFor(lim *Limits, sizeHint, maxLen int) *ZSet {
	lim = limitsOrDefault(lim)
	if sizeHint <= lim.ZSetListpackEntries && maxLen <= lim.ZSetListpackValue {
		return &ZSet{}
	}
	return &ZSet{idx: &zindex{}}
}

func limitsOrDefault(lim *Limits) *Limits {
	if lim == nil {
		d := DefaultLimits()
		return &d
	}
	return lim
}

// Kind reports KindZSet.
func (z *ZSet) Kind() Kind { return KindZSet }

// Encoding reports EncListpack or EncSkiplist, as Redis would for the same history of commands.
func (z *ZSet) Encoding() Encoding {
	if z.idx != nil {
		return EncSkiplist
	}
	return EncListpack
}

// Clone returns a deep copy in the same encoding.
func (z *ZSet) Clone() Object {
	if z.idx == nil {
		return &ZSet{lp: bytes.Clone(z.lp)}
	}
	c := &ZSet{idx: &zindex{}}
	if n := z.Len(); n > 0 {
		z.Range(0, n-1, false, func(m []byte, s float64) bool { c.idx.add(m, s); return true })
	}
	return c
}

// MemoryUsage estimates the bytes the set holds (see [Sizer]).
func (z *ZSet) MemoryUsage() int {
	n := allocSize(int(unsafe.Sizeof(ZSet{})))
	if z.idx != nil {
		return n + allocSize(128) + z.idx.memoryUsage()
	}
	return n + allocSize(cap(z.lp))
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.idx != nil {
		return z.idx.n
	}
	return z.lpLen()
}

// Score returns the score of member and whether it is in the set.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.idx != nil {
		ref := z.idx.find(member)
		if ref == 0 {
			return 0, false
		}
		return z.idx.ents[ref-1].score, true
	}
	_, s, ok := z.lpFind(member)
	return s, ok
}

// Rank returns the 0-based rank of member in ascending order (ZRANK; ZREVRANK is Len()-1-rank), its score,
// and whether it is in the set.
func (z *ZSet) Rank(member []byte) (rank int, score float64, ok bool) {
	if z.idx != nil {
		ref := z.idx.find(member)
		if ref == 0 {
			return 0, 0, false
		}
		e := &z.idx.ents[ref-1]
		return z.idx.rankOf(e.score, e.member), e.score, true
	}
	for off, i := lpHdr, 0; off < len(z.lp); i++ {
		m, s, next := lpEntry(z.lp, off)
		if bytes.Equal(m, member) {
			return i, s, true
		}
		off = next
	}
	return 0, 0, false
}

// Add sets member's score as ZADD does with flags, converting the set to the skiplist encoding when a new
// member would exceed lim (nil: the defaults). It returns the member's resulting score and what it did; with
// ZAddIncr the sum can be NaN, which is ErrScoreNaN and changes nothing. score must not be NaN.
//
// Matches Redis (zsetAdd): NX refuses existing members, XX new ones; GT and LT refuse an existing member's
// update unless the new score is greater (less); an update to an equal score (0 and -0 included) changes
// nothing and is ZAddUnchanged.
func (z *ZSet) Add(lim *Limits, member []byte, score float64, flags ZAddFlags) (float64, ZAddResult, error) {
	var cur float64
	var off int
	var ref uint32
	var found bool
	if z.idx != nil {
		ref = z.idx.find(member)
		found = ref != 0
		if found {
			cur = z.idx.ents[ref-1].score
		}
	} else {
		off, cur, found = z.lpFind(member)
	}
	if found {
		if flags&ZAddNX != 0 {
			return cur, ZAddRefused, nil
		}
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return cur, ZAddRefused, ErrScoreNaN
			}
		}
		if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
			return cur, ZAddRefused, nil
		}
		if score == cur {
			return score, ZAddUnchanged, nil
		}
		if z.idx != nil {
			z.idx.setScore(ref, score)
		} else {
			z.lpDelete(off)
			z.lpInsert(member, score)
		}
		return score, ZAddUpdated, nil
	}
	if flags&ZAddXX != 0 {
		return 0, ZAddRefused, nil
	}
	if z.idx == nil {
		lim = limitsOrDefault(lim)
		if z.lpLen()+1 > lim.ZSetListpackEntries || len(member) > lim.ZSetListpackValue {
			z.convert()
		} else {
			z.lpInsert(member, score)
			return score, ZAddAdded, nil
		}
	}
	z.idx.add(member, score)
	return score, ZAddAdded, nil
}

// Remove deletes member and reports whether it was there. The caller deletes the key when the set empties.
func (z *ZSet) Remove(member []byte) bool {
	if z.idx != nil {
		ref := z.idx.find(member)
		if ref == 0 {
			return false
		}
		z.idx.remove(ref)
		z.idx.shrink()
		return true
	}
	off, _, ok := z.lpFind(member)
	if ok {
		z.lpDelete(off)
	}
	return ok
}

// At returns the member and score at rank r (0 <= r < Len()), in ascending order.
func (z *ZSet) At(r int) (member []byte, score float64) {
	z.Range(r, r, false, func(m []byte, s float64) bool { member, score = m, s; return false })
	return member, score
}

// Range calls fn with the members of ranks start to stop (0 <= start <= stop < Len()) in ascending order or,
// with rev, from stop down to start, until fn returns false. ZRANGE with REV passes the ranks counted from
// the end already turned into ascending ones.
func (z *ZSet) Range(start, stop int, rev bool, fn func(member []byte, score float64) bool) {
	if z.idx != nil {
		z.idx.walk(start, stop, rev, fn)
		return
	}
	off := lpHdr
	for i := 0; i < start; i++ {
		_, _, off = lpEntry(z.lp, off)
	}
	if !rev {
		for i := start; i <= stop; i++ {
			m, s, next := lpEntry(z.lp, off)
			if !fn(m, s) {
				return
			}
			off = next
		}
		return
	}
	var buf [128]int
	offs := buf[:0]
	for i := start; i <= stop; i++ {
		offs = append(offs, off)
		_, _, off = lpEntry(z.lp, off)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		m, s, _ := lpEntry(z.lp, offs[i])
		if !fn(m, s) {
			return
		}
	}
}

// RemoveRange deletes the members of ranks start to stop (0 <= start <= stop < Len()).
func (z *ZSet) RemoveRange(start, stop int) {
	if z.idx != nil {
		refs := make([]uint32, 0, stop-start+1)
		l, i := z.idx.at(start)
		for k := start; k <= stop; k++ {
			refs = append(refs, l.refs[i])
			if i++; i == l.n && k < stop {
				l, i = l.next, 0
			}
		}
		for _, ref := range refs {
			z.idx.remove(ref)
		}
		z.idx.shrink()
		return
	}
	from := lpHdr
	for i := 0; i < start; i++ {
		_, _, from = lpEntry(z.lp, from)
	}
	to := from
	for i := start; i <= stop; i++ {
		_, _, to = lpEntry(z.lp, to)
	}
	z.lp = append(z.lp[:from], z.lp[to:]...)
	z.lpSetLen(z.lpLen() - (stop - start + 1))
}

// ScoreRange is an interval of scores, as ZRANGEBYSCORE's min and max: "(" makes a bound exclusive, and
// -inf/+inf are infinite floats.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether s is at or above the range's lower bound.
func (r ScoreRange) GteMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

// LteMax reports whether s is at or below the range's upper bound.
func (r ScoreRange) LteMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// ScoreRanks returns the ranks of the first and last members whose scores are in r; first > last when none
// are (ZCOUNT is last-first+1).
func (z *ZSet) ScoreRanks(r ScoreRange) (first, last int) {
	if z.idx != nil {
		first = z.idx.countBefore(func(s float64, _ string) bool { return r.GteMin(s) })
		last = z.idx.countBefore(func(s float64, _ string) bool { return !r.LteMax(s) }) - 1
		return first, max(last, first-1)
	}
	return z.lpRanks(func(_ []byte, s float64) bool { return r.GteMin(s) }, func(_ []byte, s float64) bool { return r.LteMax(s) })
}

// LexBound is one end of a lex range, as ZRANGEBYLEX reads it: "[value" (inclusive), "(value" (Exclusive),
// "-" (Inf -1: below every member) or "+" (Inf 1: above every member).
type LexBound struct {
	Value     []byte
	Exclusive bool
	Inf       int
}

// LexRange is an interval of members, for sets whose members all have the same score.
type LexRange struct{ Min, Max LexBound }

// GteMin reports whether m is at or above the range's lower bound.
func (r LexRange) GteMin(m []byte) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(m, r.Min.Value)
	return c > 0 || (c == 0 && !r.Min.Exclusive)
}

// LteMax reports whether m is at or below the range's upper bound.
func (r LexRange) LteMax(m []byte) bool {
	switch r.Max.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, r.Max.Value)
	return c < 0 || (c == 0 && !r.Max.Exclusive)
}

// LexRanks returns the ranks of the first and last members in r; first > last when none are. As in Redis, the
// result is meaningful only when all members have the same score.
func (z *ZSet) LexRanks(r LexRange) (first, last int) {
	if z.idx != nil {
		first = z.idx.countBefore(func(_ float64, m string) bool { return r.GteMin(strBytes(m)) })
		last = z.idx.countBefore(func(_ float64, m string) bool { return !r.LteMax(strBytes(m)) }) - 1
		return first, max(last, first-1)
	}
	return z.lpRanks(func(m []byte, _ float64) bool { return r.GteMin(m) }, func(m []byte, _ float64) bool { return r.LteMax(m) })
}

// lpRanks walks the listpack as Redis's zzlFirstInRange and the loops after it do: the first entry passing
// gteMin, and then the run of entries passing lteMax.
func (z *ZSet) lpRanks(gteMin, lteMax func([]byte, float64) bool) (int, int) {
	i, off := 0, lpHdr
	for ; off < len(z.lp); i++ {
		m, s, next := lpEntry(z.lp, off)
		if gteMin(m, s) {
			break
		}
		off = next
	}
	first := i
	for ; off < len(z.lp); i++ {
		m, s, next := lpEntry(z.lp, off)
		if !lteMax(m, s) {
			break
		}
		off = next
	}
	return first, i - 1
}

// Scan visits part of the set from cursor (0 to start), calling fn with each member and score, and returns the
// cursor to continue from, 0 when done (ZSCAN). count is the amount of work, as ZSCAN's COUNT.
//
// Matches Redis: a listpack set is visited whole in the first call; a skiplist set is visited by its hash
// table's buckets in reverse-binary order, so a member present for the whole scan is returned at least once,
// even if the set grows or shrinks between calls.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if z.idx != nil {
		return z.idx.scan(cursor, max(count, 1), fn)
	}
	for off := lpHdr; off < len(z.lp); {
		m, s, next := lpEntry(z.lp, off)
		fn(m, s)
		off = next
	}
	return 0
}

// Compact converts a skiplist set back to a listpack when it fits lim (nil: the defaults), as Redis does for the
// result of ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE (zsetConvertToListpackIfNeeded).
func (z *ZSet) Compact(lim *Limits) {
	lim = limitsOrDefault(lim)
	if z.idx == nil || z.idx.n > lim.ZSetListpackEntries {
		return
	}
	fits := true
	n := z.idx.n
	size := 0
	if n > 0 {
		z.idx.walk(0, n-1, false, func(m []byte, s float64) bool {
			size += lpEntryLen(m, s)
			fits = len(m) <= lim.ZSetListpackValue
			return fits
		})
	}
	if !fits {
		return
	}
	lp := make([]byte, lpHdr, lpHdr+size)
	binary.LittleEndian.PutUint32(lp, uint32(n))
	if n > 0 {
		z.idx.walk(0, n-1, false, func(m []byte, s float64) bool { lp = lpAppend(lp, m, s); return true })
	}
	*z = ZSet{lp: lp}
}

// convert moves a listpack set to the skiplist encoding.
func (z *ZSet) convert() {
	x := &zindex{}
	for off := lpHdr; off < len(z.lp); {
		m, s, next := lpEntry(z.lp, off)
		x.add(m, s)
		off = next
	}
	*z = ZSet{idx: x}
}

// --- the listpack encoding ---
//
// Each entry is uvarint(len(member)<<1 | float) member score, where the score is a zigzag varint when it is an
// integer of at most 53 bits, and otherwise its 8 IEEE 754 bytes (float set).

const lpMaxInt = 1 << 53

// lpHdr is the size of the listpack's header: its entry count.
const lpHdr = 4

func (z *ZSet) lpLen() int {
	if len(z.lp) < lpHdr {
		return 0
	}
	return int(binary.LittleEndian.Uint32(z.lp))
}

func (z *ZSet) lpSetLen(n int) { binary.LittleEndian.PutUint32(z.lp, uint32(n)) }

// lpIntScore reports whether s is stored as an integer. -0 is, and so reads back as 0.
//
// Matches Redis 7.0: a listpack stores -0 as "0" (a skiplist keeps -0, and prints it "-0").
func lpIntScore(s float64) bool {
	return s == math.Trunc(s) && math.Abs(s) <= lpMaxInt
}

func lpEntryLen(member []byte, score float64) int {
	n := uvarintLen(uint64(len(member))<<1) + len(member)
	if lpIntScore(score) {
		v := int64(score)
		return n + uvarintLen(uint64(v<<1^v>>63))
	}
	return n + 8
}

func lpAppend(dst, member []byte, score float64) []byte {
	if lpIntScore(score) {
		dst = binary.AppendUvarint(dst, uint64(len(member))<<1)
		dst = append(dst, member...)
		v := int64(score)
		return binary.AppendUvarint(dst, uint64(v<<1^v>>63))
	}
	dst = binary.AppendUvarint(dst, uint64(len(member))<<1|1)
	dst = append(dst, member...)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(score))
}

// lpEntry decodes the entry at off and returns its member, score and the offset after it.
func lpEntry(b []byte, off int) ([]byte, float64, int) {
	h, n := binary.Uvarint(b[off:])
	off += n
	m := b[off : off+int(h>>1)]
	off += int(h >> 1)
	if h&1 != 0 {
		return m, math.Float64frombits(binary.LittleEndian.Uint64(b[off:])), off + 8
	}
	u, n := binary.Uvarint(b[off:])
	return m, float64(int64(u>>1) ^ -int64(u&1)), off + n
}

// lpFind returns the offset and score of member's entry.
func (z *ZSet) lpFind(member []byte) (int, float64, bool) {
	for off := lpHdr; off < len(z.lp); {
		m, s, next := lpEntry(z.lp, off)
		if bytes.Equal(m, member) {
			return off, s, true
		}
		off = next
	}
	return 0, 0, false
}

// lpInsert adds an absent member at its place in order.
func (z *ZSet) lpInsert(member []byte, score float64) {
	if z.lp == nil {
		z.lp = make([]byte, lpHdr, lpHdr+lpEntryLen(member, score))
	}
	off := lpHdr
	for off < len(z.lp) {
		m, s, next := lpEntry(z.lp, off)
		if s > score || (s == score && bytes.Compare(m, member) > 0) {
			break
		}
		off = next
	}
	n := lpEntryLen(member, score)
	if len(z.lp)+n > cap(z.lp) {
		// Grow to what is needed, rounded up to the allocator's size class (as Redis reallocs a listpack), not
		// by doubling: small sets are many, and each keeps its slack.
		grown := append([]byte(nil), make([]byte, len(z.lp)+n)...)[:len(z.lp)]
		copy(grown, z.lp)
		z.lp = grown
	}
	old := len(z.lp)
	z.lp = z.lp[:old+n]
	copy(z.lp[off+n:], z.lp[off:old])
	lpAppend(z.lp[off:off], member, score)
	z.lpSetLen(z.lpLen() + 1)
}

// lpDelete removes the entry at off.
func (z *ZSet) lpDelete(off int) {
	_, _, next := lpEntry(z.lp, off)
	z.lp = append(z.lp[:off], z.lp[next:]...)
	z.lpSetLen(z.lpLen() - 1)
}

// ZSetOf returns the sorted set at key, nil if key is missing, or ErrWrongType. To create one, store a new
// [ZSet] with [Txn.SetObject] and add to it before the Txn ends.
func (tx *Txn) ZSetOf(key []byte) (*ZSet, error) {
	obj, err := tx.ObjectOf(key, KindZSet)
	if obj == nil || err != nil {
		return nil, err
	}
	return obj.(*ZSet), nil
}
