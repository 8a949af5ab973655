package node

import (
	"bytes"
	"math"
	"slices"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"sort":    cmdSort,
	"sort_ro": cmdSort,
})

var errSortScore = errorf("One or more scores can't be converted into double")

// sortOpts are SORT's options.
type sortOpts struct {
	by            []byte // BY pattern; nil for none
	dontSort      bool   // BY with a pattern that has no '*' (BY nosort)
	gets          [][]byte
	desc, alpha   bool
	start, count  int64 // LIMIT; count < 0 for all
	store         []byte
	storeGiven    bool
	patternLookup bool // BY or GET reads other keys: the whole keyspace is locked
}

func (c *client) parseSortOpts(args [][]byte, ro bool) (sortOpts, error) {
	o := sortOpts{count: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case eqFold(a, "asc"):
			o.desc = false
		case eqFold(a, "desc"):
			o.desc = true
		case eqFold(a, "alpha"):
			o.alpha = true
		case eqFold(a, "limit") && left >= 2:
			s, ok1 := keyspace.ParseInt(args[j+1])
			n, ok2 := keyspace.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return o, errNotInteger
			}
			o.start, o.count = s, n
			j += 2
		case eqFold(a, "store") && left >= 1 && !ro:
			o.store, o.storeGiven = args[j+1], true
			j++
		case eqFold(a, "by") && left >= 1:
			o.by = args[j+1]
			o.dontSort = bytes.IndexByte(o.by, '*') < 0 // Matches Redis: BY with no '*' sorts nothing
			if !o.dontSort && !c.fullKeyAccess(args) {
				return o, errorf("BY option of SORT denied due to insufficient ACL permissions.")
			}
			o.patternLookup = o.patternLookup || !o.dontSort
			j++
		case eqFold(a, "get") && left >= 1:
			if !c.fullKeyAccess(args) {
				return o, errorf("GET option of SORT denied due to insufficient ACL permissions.")
			}
			o.gets = append(o.gets, args[j+1])
			o.patternLookup = o.patternLookup || !bytes.Equal(args[j+1], []byte("#"))
			j++
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

// sortItem is one element being sorted, with what it sorts by.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA with BY: the value compared, nil when the pattern found none
	found bool
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination], and
// SORT_RO without STORE: the elements of a list, set or sorted set, sorted as numbers or (ALPHA) as strings,
// by themselves or by the values BY's pattern finds, optionally replaced by what GET's patterns find.
func cmdSort(c *client, args [][]byte) error {
	ro := len(args[0]) > 4
	o, err := c.parseSortOpts(args, ro)
	if err != nil {
		return err
	}
	key := args[1]
	var tx keyspace.Txn
	switch {
	case o.patternLookup:
		tx = c.beginAll()
	case o.storeGiven:
		tx = c.begin(key, o.store)
	default:
		tx = c.begin(key)
	}
	defer tx.End()
	elems, kind, err := sortElems(&tx, key)
	c.countLookup(key, kind != keyspace.KindNone || err != nil)
	if err != nil {
		return err
	}
	if o.dontSort && kind == keyspace.KindSet && o.storeGiven {
		// Matches Redis: a set's order is its own, so a stored (and so replicated) result is sorted anyway.
		o.dontSort, o.alpha, o.by = false, true, nil
	}
	if o.dontSort && o.desc && kind != keyspace.KindSet {
		slices.Reverse(elems) // Matches Redis: BY nosort keeps a list's or sorted set's order, DESC reversing it
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	if !o.dontSort {
		if err := c.sortWeights(&tx, items, &o); err != nil {
			return err
		}
		slices.SortStableFunc(items, func(a, b sortItem) int { return sortCompare(&a, &b, &o) })
	}
	start, end := sortLimit(o.start, o.count, len(items))
	var out [][]byte
	var found []bool
	for i := start; i <= end; i++ {
		if len(o.gets) == 0 {
			out, found = append(out, items[i].elem), append(found, true)
			continue
		}
		for _, pat := range o.gets {
			v, ok := sortLookup(&tx, pat, items[i].elem)
			out, found = append(out, v), append(found, ok)
		}
	}
	if !o.storeGiven {
		c.w.WriteArrayLen(len(out))
		for i, v := range out {
			if found[i] {
				c.w.WriteBulk(v)
			} else {
				c.w.WriteNull()
			}
		}
		return nil
	}
	return c.sortStore(&tx, o.store, out)
}

// sortElems copies the elements of the list, set or sorted set at key (nil when it is missing).
func sortElems(tx *keyspace.Txn, key []byte) ([][]byte, keyspace.Kind, error) {
	e, ok := tx.Peek(key)
	if !ok {
		return nil, keyspace.KindNone, nil
	}
	var out [][]byte
	switch kind := e.Kind(); kind {
	case keyspace.KindList:
		l, _ := tx.ListOf(key, false)
		l.Range(0, l.Len()-1, func(v []byte) bool { out = append(out, bytes.Clone(v)); return true })
		return out, kind, nil
	case keyspace.KindSet:
		s, _ := tx.SetOf(key)
		s.Range(func(m []byte) bool { out = append(out, bytes.Clone(m)); return true })
		return out, kind, nil
	case keyspace.KindZSet:
		z, _ := tx.ZSetOf(key)
		z.Range(0, z.Len()-1, false, func(m []byte, _ float64) bool { out = append(out, bytes.Clone(m)); return true })
		return out, kind, nil
	}
	return nil, keyspace.KindNone, keyspace.ErrWrongType
}

// sortWeights fills in what each item sorts by.
func (c *client) sortWeights(tx *keyspace.Txn, items []sortItem, o *sortOpts) error {
	for i := range items {
		it := &items[i]
		by := it.elem
		if o.by != nil {
			v, ok := sortLookup(tx, o.by, it.elem)
			if !ok {
				continue // Matches Redis: a missing weight sorts as 0, or first with ALPHA
			}
			by = v
		}
		if o.alpha {
			it.cmp, it.found = by, true
			continue
		}
		f, ok := sortScore(by)
		if !ok {
			return errSortScore
		}
		it.score = f
	}
	return nil
}

// sortScore parses a weight as Redis's SORT does: strtod must consume the whole C string (leading spaces
// skipped, "" is 0), and NaN or a value out of range is an error.
func sortScore(b []byte) (float64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true
	}
	for len(b) > 0 && isCSpace(b[0]) {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	f, ok := strtod(b)
	if !ok || math.IsNaN(f) || (math.IsInf(f, 0) && !isInfWord(b)) || (f == 0 && mantissaNonZero(b)) {
		return 0, false
	}
	return f, true
}

// sortCompare orders two items as Redis's sortCompare: numbers with ties broken by the elements' bytes,
// strings by their bytes with a missing BY value first; DESC reverses.
func sortCompare(a, b *sortItem, o *sortOpts) int {
	var cmp int
	switch {
	case !o.alpha:
		switch {
		case a.score < b.score:
			cmp = -1
		case a.score > b.score:
			cmp = 1
		default:
			cmp = bytes.Compare(a.elem, b.elem)
		}
	case o.by != nil:
		switch {
		case !a.found || !b.found:
			cmp = int(boolInt(a.found) - boolInt(b.found))
		default:
			cmp = bytes.Compare(a.cmp, b.cmp)
		}
	default:
		cmp = bytes.Compare(a.elem, b.elem)
	}
	if o.desc {
		return -cmp
	}
	return cmp
}

// sortLimit turns LIMIT offset count into the inclusive range of items to output, as Redis clamps it.
func sortLimit(offset, count int64, n int) (start, end int) {
	s := max(offset, 0)
	e := int64(n) - 1
	if count >= 0 {
		e = s + count - 1
	}
	if s >= int64(n) {
		s, e = int64(n)-1, int64(n)-2
	}
	e = min(e, int64(n)-1)
	return int(s), int(e)
}

// sortLookup finds what a BY or GET pattern names for elem: "#" is elem itself; otherwise the first '*' is
// replaced by elem, and the key's string value, or with "->field" after the '*' the hash field, is the result.
func sortLookup(tx *keyspace.Txn, pattern, elem []byte) ([]byte, bool) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false
	}
	keyPat, field := pattern, []byte(nil)
	if arrow := bytes.Index(pattern[star+1:], []byte("->")); arrow >= 0 && star+1+arrow+2 < len(pattern) {
		keyPat, field = pattern[:star+1+arrow], pattern[star+1+arrow+2:]
	}
	key := make([]byte, 0, len(keyPat)+len(elem))
	key = append(append(append(key, keyPat[:star]...), elem...), keyPat[star+1:]...)
	e, ok := tx.Peek(key)
	if !ok {
		return nil, false
	}
	if field == nil {
		if e.Kind() != keyspace.KindString {
			return nil, false
		}
		return e.Bytes(nil), true
	}
	if e.Kind() != keyspace.KindHash {
		return nil, false
	}
	h, _ := tx.HashOf(key, false)
	v, ok := h.Get(field)
	return bytes.Clone(v), ok
}

// sortStore replaces dst with a list of out (GET's misses stored as empty strings), or deletes it when out is
// empty, and replies with the length.
func (c *client) sortStore(tx *keyspace.Txn, dst []byte, out [][]byte) error {
	if len(out) == 0 {
		if tx.Delete(dst) {
			c.wrote(notifyGeneric, "del", dst)
		}
		c.w.WriteInt(0)
		return nil
	}
	l := keyspace.NewList()
	for _, v := range out {
		l.PushBack(v)
	}
	tx.Delete(dst)
	tx.SetObject(dst, l, 0)
	c.wrote(notifyList, "sortstore", dst)
	c.changes(len(out) - 1) // Matches Redis: each element stored is a change
	c.signalReady(dst)
	c.w.WriteInt(int64(len(out)))
	return nil
}
