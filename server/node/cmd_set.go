package node

import (
	"math"
	"sort"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"sadd":        cmdSAdd,
	"scard":       cmdSCard,
	"sdiff":       cmdSUnionDiff,
	"sdiffstore":  cmdSUnionDiff,
	"sinter":      cmdSInter,
	"sintercard":  cmdSInterCard,
	"sinterstore": cmdSInter,
	"sismember":   cmdSIsMember,
	"smembers":    cmdSInter,
	"smismember":  cmdSMIsMember,
	"smove":       cmdSMove,
	"spop":        cmdSPop,
	"srandmember": cmdSRandMember,
	"srem":        cmdSRem,
	"sscan":       cmdSScan,
	"sunion":      cmdSUnionDiff,
	"sunionstore": cmdSUnionDiff,
})

var (
	errNumKeysArgs  = errorf("Number of keys can't be greater than number of args")
	errLimitNegativ = errorf("LIMIT can't be negative")
)

// withSet runs fn with the set at key (nil when missing) under the key's lock, counting the read lookup.
func (c *client) withSet(key []byte, fn func(s *keyspace.Set) error) error {
	tx := c.begin(key)
	defer tx.End()
	s, err := tx.SetOf(key)
	c.countLookup(key, s != nil || err != nil)
	if err != nil {
		return err
	}
	return fn(s) // the Txn stays on the stack: fn does not get it
}

// SADD key member [member ...]: how many were added.
func cmdSAdd(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	s, err := tx.SetOf(key)
	if err != nil {
		return err
	}
	lim := tx.Limits()
	if s == nil {
		s = keyspace.NewSet(args[2], len(args)-2, lim)
		tx.SetObject(key, s, 0)
	} else {
		s.MaybeConvert(len(args)-2, lim)
	}
	added := 0
	for _, m := range args[2:] {
		if s.Add(m, lim) {
			added++
		}
	}
	tx.UpdateSize(key)
	if added > 0 {
		c.wrote(notifySet, "sadd", key)
		c.changes(added - 1)
	}
	c.w.WriteInt(int64(added))
	return nil
}

// SREM key member [member ...]: how many were removed.
func cmdSRem(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	s, err := tx.SetOf(key)
	if err != nil {
		return err
	}
	deleted := 0
	if s != nil {
		for _, m := range args[2:] {
			if s.Remove(m) {
				deleted++
			}
		}
		if deleted > 0 {
			c.shrank(&tx, key, s.Len() == 0, notifySet, "srem")
		}
	}
	c.w.WriteInt(int64(deleted))
	return nil
}

// SCARD key
func cmdSCard(c *client, args [][]byte) error {
	return c.withSet(args[1], func(s *keyspace.Set) error {
		n := 0
		if s != nil {
			n = s.Len()
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// SISMEMBER key member
func cmdSIsMember(c *client, args [][]byte) error {
	return c.withSet(args[1], func(s *keyspace.Set) error {
		n := 0
		if s != nil && s.Contains(args[2]) {
			n = 1
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// SMISMEMBER key member [member ...]
func cmdSMIsMember(c *client, args [][]byte) error {
	return c.withSet(args[1], func(s *keyspace.Set) error {
		c.w.WriteArrayLen(len(args) - 2)
		for _, m := range args[2:] {
			n := 0
			if s != nil && s.Contains(m) {
				n = 1
			}
			c.w.WriteInt(int64(n))
		}
		return nil
	})
}

// SMOVE source destination member: 1 when moved, 0 when member is not in source.
func cmdSMove(c *client, args [][]byte) error {
	src, dst, m := args[1], args[2], args[3]
	tx := c.begin(src, dst)
	defer tx.End()
	ss, err := tx.SetOf(src)
	if err != nil && err != keyspace.ErrWrongType {
		return err
	}
	srcWrong := err != nil
	srcExists := ss != nil || srcWrong
	if !srcExists {
		c.w.WriteInt(0) // Matches Redis: a missing source answers 0 before the destination's type is checked.
		return nil
	}
	if srcWrong {
		return keyspace.ErrWrongType
	}
	ds, err := tx.SetOf(dst)
	if err != nil {
		return err
	}
	if string(src) == string(dst) {
		n := 0
		if ss.Contains(m) {
			n = 1
		}
		c.w.WriteInt(int64(n))
		return nil
	}
	if !ss.Remove(m) {
		c.w.WriteInt(0)
		return nil
	}
	c.shrank(&tx, src, ss.Len() == 0, notifySet, "srem")
	lim := tx.Limits()
	if ds == nil {
		ds = keyspace.NewSet(m, 1, lim)
		tx.SetObject(dst, ds, 0)
	}
	if ds.Add(m, lim) {
		tx.UpdateSize(dst)
		c.wrote(notifySet, "sadd", dst)
	}
	c.w.WriteInt(1)
	return nil
}

// SPOP key [count]
func cmdSPop(c *client, args [][]byte) error {
	if len(args) > 3 {
		return errSyntax
	}
	key := args[1]
	count := int64(-1)
	if len(args) == 3 {
		n, ok := keyspace.ParseInt(args[2])
		if !ok || n < 0 {
			return errNotPositive // Matches Redis: getPositiveLongFromObjectOrReply says so for both
		}
		count = n
	}
	tx := c.begin(key)
	defer tx.End()
	s, err := tx.SetOf(key)
	if err != nil {
		return err
	}
	if s == nil {
		if count < 0 {
			c.w.WriteNull()
		} else {
			c.w.WriteSetLen(0)
		}
		return nil
	}
	if count < 0 {
		var buf [20]byte
		m := append([]byte(nil), s.Random(buf[:0])...)
		s.Remove(m)
		c.wrote(notifySet, "spop", key)
		c.propagate(bytesSREM, key, m) // Matches Redis: the member popped, so replicas pop the same
		c.w.WriteBulk(m)               // before the "del", as Redis replies
		if s.Len() == 0 {
			tx.Delete(key)
			c.notify(notifyGeneric, "del", key)
		} else {
			tx.UpdateSize(key)
		}
		return nil
	}
	if count == 0 {
		c.w.WriteSetLen(0)
		return nil
	}
	c.wrote(notifySet, "spop", key)
	if count >= int64(s.Len()) {
		// Matches Redis: the whole set is replied as SUNION would, in the order of a set built afresh.
		all := c.unionDiff([]*keyspace.Set{s}, args[1:2], false, tx.Limits())
		c.w.WriteSetLen(all.Len())
		all.Range(func(m []byte) bool { c.w.WriteBulk(m); return true })
		tx.Delete(key)
		c.notify(notifyGeneric, "del", key)
		c.propagate(bytesDEL, key) // Matches Redis: popping the whole set propagates as DEL
		return nil
	}
	c.w.WriteSetLen(int(count))
	if !c.propagating() {
		s.Pop(int(count), tx.Limits(), func(m []byte) { c.w.WriteBulk(m) })
		tx.UpdateSize(key)
		return nil
	}
	// Matches Redis: the members popped propagate as SREMs of at most 1024 members each.
	const batch = 1024
	argv := [][]byte{bytesSREM, key}
	s.Pop(int(count), tx.Limits(), func(m []byte) {
		c.w.WriteBulk(m)
		argv = append(argv, append([]byte(nil), m...))
		if len(argv) == 2+batch {
			c.propagate(argv...)
			argv = argv[:2]
		}
	})
	if len(argv) > 2 {
		c.propagate(argv...)
	}
	tx.UpdateSize(key)
	return nil
}

// SRANDMEMBER key [count]
func cmdSRandMember(c *client, args [][]byte) error {
	if len(args) > 3 {
		return errSyntax
	}
	if len(args) == 2 {
		return c.withSet(args[1], func(s *keyspace.Set) error {
			if s == nil {
				c.w.WriteNull()
				return nil
			}
			var buf [20]byte
			c.w.WriteBulk(s.Random(buf[:0]))
			return nil
		})
	}
	count, err := parseRandCount(args[2])
	if err != nil {
		return err
	}
	return c.withSet(args[1], func(s *keyspace.Set) error {
		if s == nil || count == 0 {
			c.w.WriteArrayLen(0)
			return nil
		}
		size := int64(s.Len())
		var buf [20]byte
		switch {
		case count < 0 || count == 1:
			n := count
			if n < 0 {
				n = -n
			}
			c.w.WriteArrayLen(int(n))
			for ; n > 0; n-- {
				c.w.WriteBulk(s.Random(buf[:0]))
			}
		case count >= size:
			c.w.WriteArrayLen(int(size))
			s.Range(func(m []byte) bool { c.w.WriteBulk(m); return true })
		default:
			c.w.WriteArrayLen(int(count))
			s.Sample(int(count), func(m []byte) { c.w.WriteBulk(m) })
		}
		return nil
	})
}

// lookupSets returns the sets at keys (nil for a missing key), or WRONGTYPE if any holds another kind.
func (c *client) lookupSets(tx *keyspace.Txn, keys [][]byte) ([]*keyspace.Set, error) {
	sets := make([]*keyspace.Set, len(keys))
	for i, k := range keys {
		s, err := tx.SetOf(k)
		c.countLookup(k, s != nil || err != nil)
		if err != nil {
			return nil, err
		}
		sets[i] = s
	}
	return sets, nil
}

// members collects byte strings in one buffer.
type members struct {
	buf  []byte
	ends []int
}

func (m *members) add(b []byte) {
	m.buf = append(m.buf, b...)
	m.ends = append(m.ends, len(m.buf))
}

func (m *members) each(fn func(b []byte)) {
	start := 0
	for _, end := range m.ends {
		fn(m.buf[start:end])
		start = end
	}
}

// SMEMBERS key, SINTER key [key ...], SINTERSTORE destination key [key ...]
func cmdSInter(c *client, args [][]byte) error {
	store := len(args[0]) == 11 // sinterstore
	keys := args[1:]
	var dst []byte
	if store {
		dst, keys = args[1], args[2:]
	}
	if !store && len(keys) == 1 { // SMEMBERS, or SINTER of one set: the set itself
		return c.withSet(keys[0], func(s *keyspace.Set) error {
			if s == nil {
				c.w.WriteSetLen(0)
				return nil
			}
			c.w.WriteSetLen(s.Len())
			s.Range(func(m []byte) bool { c.w.WriteBulk(m); return true })
			return nil
		})
	}
	tx := c.begin(args[1:]...)
	defer tx.End()
	sets, err := c.lookupSets(&tx, keys)
	if err != nil {
		return err
	}
	lim := tx.Limits()
	var res *keyspace.Set
	var out members
	c.intersect(sets, 0, func(m []byte) bool {
		if !store {
			out.add(m)
			return true
		}
		if res == nil {
			if sets[0] != nil && sortedBySize(sets)[0].Encoding() == keyspace.EncIntset {
				res = keyspace.NewIntset()
			} else {
				res = keyspace.NewSet(nil, 0, lim) // Matches Redis 7.2: the result starts as a listpack
			}
		}
		res.Add(m, lim)
		return true
	})
	if !store {
		c.w.WriteSetLen(len(out.ends))
		out.each(func(b []byte) { c.w.WriteBulk(b) })
		return nil
	}
	if res == nil || res.Len() == 0 {
		c.storeEmpty(&tx, dst)
		return nil
	}
	res.IntsetIfIntegers(lim)
	tx.SetObject(dst, res, 0)
	c.wrote(notifySet, "sinterstore", dst)
	c.w.WriteInt(int64(res.Len()))
	return nil
}

// storeEmpty replies 0 to a STORE command with an empty result and deletes its destination, as Redis does.
func (c *client) storeEmpty(tx *keyspace.Txn, dst []byte) {
	if tx.Delete(dst) {
		c.wrote(notifyGeneric, "del", dst)
	}
	c.w.WriteInt(0)
}

// sortedBySize returns the sets ordered by cardinality, smallest first.
func sortedBySize(sets []*keyspace.Set) []*keyspace.Set {
	s := append([]*keyspace.Set(nil), sets...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Len() < s[j].Len() })
	return s
}

// intersect calls fn with each member of every set (smallest first) until fn returns false; limit > 0 stops
// after that many. A missing set makes the intersection empty.
func (c *client) intersect(sets []*keyspace.Set, limit int, fn func(m []byte) bool) {
	for _, s := range sets {
		if s == nil {
			return
		}
	}
	sorted := sortedBySize(sets)
	n := 0
	sorted[0].Range(func(m []byte) bool {
		for _, o := range sorted[1:] {
			if o != sorted[0] && !o.Contains(m) {
				return true
			}
		}
		n++
		return fn(m) && (limit == 0 || n < limit)
	})
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSInterCard(c *client, args [][]byte) error {
	numKeys, ok := keyspace.ParseInt(args[1])
	if !ok || numKeys < 1 {
		return errNumKeys
	}
	if numKeys > int64(len(args)-2) {
		return errNumKeysArgs
	}
	keys := args[2 : 2+numKeys]
	limit := int64(0)
	for j := 2 + int(numKeys); j < len(args); j++ {
		if eqFold(args[j], "limit") && j+1 < len(args) {
			j++
			n, ok := keyspace.ParseInt(args[j])
			if !ok || n < 0 {
				return errLimitNegativ
			}
			limit = n
		} else {
			return errSyntax
		}
	}
	tx := c.begin(keys...)
	defer tx.End()
	sets, err := c.lookupSets(&tx, keys)
	if err != nil {
		return err
	}
	n := 0
	c.intersect(sets, int(min(limit, math.MaxInt32)), func(m []byte) bool { n++; return true })
	c.w.WriteInt(int64(n))
	return nil
}

// SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE: the result is built as a new set starting as an intset, so a stored
// result has the encoding Redis 7.2 gives it.
func cmdSUnionDiff(c *client, args [][]byte) error {
	name := lowerName(args[0])
	store := name == "sunionstore" || name == "sdiffstore"
	diff := name[1] == 'd'
	keys := args[1:]
	var dst []byte
	if store {
		dst, keys = args[1], args[2:]
	}
	tx := c.begin(args[1:]...)
	defer tx.End()
	sets, err := c.lookupSets(&tx, keys)
	if err != nil {
		return err
	}
	res := c.unionDiff(sets, keys, diff, tx.Limits())
	if !store {
		c.w.WriteSetLen(res.Len())
		res.Range(func(m []byte) bool { c.w.WriteBulk(m); return true })
		return nil
	}
	if res.Len() == 0 {
		c.storeEmpty(&tx, dst)
		return nil
	}
	tx.SetObject(dst, res, 0)
	event := "sunionstore"
	if diff {
		event = "sdiffstore"
	}
	c.wrote(notifySet, event, dst)
	c.w.WriteInt(int64(res.Len()))
	return nil
}

// unionDiff computes the union, or the difference of the first set and the others, with Redis 7.2's choice of
// difference algorithm (which decides the encoding a stored result ends with).
func (c *client) unionDiff(sets []*keyspace.Set, keys [][]byte, diff bool, lim *keyspace.Limits) *keyspace.Set {
	res := keyspace.NewIntset()
	if !diff {
		for _, s := range sets {
			if s != nil {
				s.Range(func(m []byte) bool { res.Add(m, lim); return true })
			}
		}
		return res
	}
	if sets[0] == nil {
		return res
	}
	for _, k := range keys[1:] {
		if string(k) == string(keys[0]) {
			return res // the same set: the difference is empty
		}
	}
	one, two := 0, 0
	for _, s := range sets {
		if s != nil {
			one += sets[0].Len()
			two += s.Len()
		}
	}
	if one/2 <= two {
		sets[0].Range(func(m []byte) bool {
			for _, o := range sets[1:] {
				if o != nil && o.Contains(m) {
					return true
				}
			}
			res.Add(m, lim)
			return true
		})
		return res
	}
	sets[0].Range(func(m []byte) bool { res.Add(m, lim); return true })
	for _, o := range sets[1:] {
		if o == nil {
			continue
		}
		if res.Len() == 0 {
			break
		}
		o.Range(func(m []byte) bool { res.Remove(m); return true })
	}
	return res
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func cmdSScan(c *client, args [][]byte) error {
	cursor, err := parseScanCursor(args[2])
	if err != nil {
		return err
	}
	return c.withSet(args[1], func(s *keyspace.Set) error {
		if s == nil {
			c.writeScanHeader(0, 0)
			return nil
		}
		o, err := parseScanOpts(args[3:])
		if err != nil {
			return err
		}
		var out members
		next := s.Scan(cursor, o.count, func(m []byte) {
			if !o.match || keyspace.Match(o.pattern, m) {
				out.add(m)
			}
		})
		c.writeScanHeader(next, len(out.ends))
		out.each(func(b []byte) { c.w.WriteBulk(b) })
		return nil
	})
}
