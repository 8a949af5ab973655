package node

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

var _ = register(map[string]handler{
	"zadd":             cmdZAdd,
	"zincrby":          cmdZIncrBy,
	"zrem":             cmdZRem,
	"zcard":            cmdZCard,
	"zscore":           cmdZScore,
	"zmscore":          cmdZMScore,
	"zcount":           cmdZCount,
	"zlexcount":        cmdZLexCount,
	"zrank":            cmdZRank,
	"zrevrank":         cmdZRank,
	"zrange":           cmdZRange,
	"zrangestore":      cmdZRange,
	"zrevrange":        cmdZRange,
	"zrangebyscore":    cmdZRange,
	"zrevrangebyscore": cmdZRange,
	"zrangebylex":      cmdZRange,
	"zrevrangebylex":   cmdZRange,
	"zremrangebyrank":  cmdZRemRange,
	"zremrangebyscore": cmdZRemRange,
	"zremrangebylex":   cmdZRemRange,
	"zpopmin":          cmdZPop,
	"zpopmax":          cmdZPop,
	"zmpop":            cmdZMPop,
	"bzmpop":           cmdZMPop,
	"bzpopmin":         cmdBZPop,
	"bzpopmax":         cmdBZPop,
	"zrandmember":      cmdZRandMember,
	"zscan":            cmdZScan,
})

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func cmdZAdd(c *client, args [][]byte) error {
	var flags keyspace.ZAddFlags
	ch := false
	i := 2
opts:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			flags |= keyspace.ZAddNX
		case eqFold(a, "xx"):
			flags |= keyspace.ZAddXX
		case eqFold(a, "gt"):
			flags |= keyspace.ZAddGT
		case eqFold(a, "lt"):
			flags |= keyspace.ZAddLT
		case eqFold(a, "ch"):
			ch = true
		case eqFold(a, "incr"):
			flags |= keyspace.ZAddIncr
		default:
			break opts
		}
	}
	pairs := args[i:]
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return errSyntax
	}
	has := func(f keyspace.ZAddFlags) bool { return flags&f != 0 }
	if has(keyspace.ZAddNX) && has(keyspace.ZAddXX) {
		return errorf("XX and NX options at the same time are not compatible")
	}
	if (has(keyspace.ZAddGT) && has(keyspace.ZAddNX)) || (has(keyspace.ZAddLT) && has(keyspace.ZAddNX)) ||
		(has(keyspace.ZAddGT) && has(keyspace.ZAddLT)) {
		return errorf("GT, LT, and/or NX options at the same time are not compatible")
	}
	if has(keyspace.ZAddIncr) && len(pairs) > 2 {
		return errorf("INCR option supports a single increment-element pair")
	}
	return c.zadd(args[1], pairs, flags, ch)
}

// ZINCRBY key increment member
func cmdZIncrBy(c *client, args [][]byte) error {
	return c.zadd(args[1], args[2:4], keyspace.ZAddIncr, false)
}

// zadd adds the score-member pairs to the set at key and writes ZADD's reply (or ZINCRBY's, with ZAddIncr).
func (c *client) zadd(key []byte, pairs [][]byte, flags keyspace.ZAddFlags, ch bool) error {
	n := len(pairs) / 2
	var one [1]float64
	scores := one[:]
	if n > 1 {
		scores = make([]float64, n)
	}
	maxLen := 0
	for j := 0; j < n; j++ {
		s, ok := parseScore(pairs[2*j])
		if !ok {
			return errNotFloat
		}
		scores[j] = s
		maxLen = max(maxLen, len(pairs[2*j+1]))
	}
	incr := flags&keyspace.ZAddIncr != 0
	tx := c.begin(key)
	defer tx.End()
	z, err := tx.ZSetOf(key)
	if err != nil {
		return err
	}
	if z == nil {
		if flags&keyspace.ZAddXX != 0 {
			if incr {
				c.w.WriteNull()
			} else {
				c.w.WriteInt(0)
			}
			return nil
		}
		z = keyspace.NewZSetFor(tx.Limits(), n, maxLen)
		tx.SetObject(key, z, 0)
	}
	lim := tx.Limits()
	added, updated, processed := 0, 0, 0
	var last float64
	for j := 0; j < n; j++ {
		s, res, err := z.Add(lim, pairs[2*j+1], scores[j], flags)
		if err != nil {
			err = errScoreNaN
		}
		switch res {
		case keyspace.ZAddAdded:
			added++
		case keyspace.ZAddUpdated:
			updated++
		}
		if res != keyspace.ZAddRefused {
			processed++
			last = s
		}
		if err != nil {
			c.zaddEffects(&tx, key, z, added, updated, incr)
			return err
		}
	}
	c.zaddEffects(&tx, key, z, added, updated, incr)
	switch {
	case !incr && ch:
		c.w.WriteInt(int64(added + updated))
	case !incr:
		c.w.WriteInt(int64(added))
	case processed > 0:
		c.writeScore(last)
	default:
		c.w.WriteNull()
	}
	return nil
}

func (c *client) zaddEffects(tx *keyspace.Txn, key []byte, z *keyspace.ZSet, added, updated int, incr bool) {
	if z.Len() == 0 {
		tx.Delete(key) // created for nothing
		return
	}
	tx.UpdateSize(key)
	if added+updated > 0 {
		event := "zadd"
		if incr {
			event = "zincr"
		}
		c.wrote(notifyZSet, event, key)
	}
	if added > 0 {
		c.signalReady(key)
	}
}

// withZSet runs fn with the sorted set at key (nil when missing) under the key's lock; WRONGTYPE for another
// kind. A read-only command's lookup counts as a keyspace hit or miss.
func (c *client) withZSet(key []byte, fn func(tx *keyspace.Txn, z *keyspace.ZSet) error) error {
	tx := c.begin(key)
	defer tx.End()
	z, err := c.zsetFor(&tx, key)
	if err != nil {
		return err
	}
	return fn(&tx, z)
}

// zsetFor looks up the sorted set at key as withZSet does, for the commands that take the lock themselves.
func (c *client) zsetFor(tx *keyspace.Txn, key []byte) (*keyspace.ZSet, error) {
	z, err := tx.ZSetOf(key)
	c.countRead(key, z != nil || err != nil)
	return z, err
}

// ZREM key member [member ...]
func cmdZRem(c *client, args [][]byte) error {
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		n := 0
		if z != nil {
			for _, m := range args[2:] {
				if z.Remove(m) {
					n++
					if z.Len() == 0 {
						break
					}
				}
			}
			if n > 0 {
				c.shrank(tx, args[1], z.Len() == 0, notifyZSet, "zrem")
			}
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// ZCARD key
func cmdZCard(c *client, args [][]byte) error {
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		n := 0
		if z != nil {
			n = z.Len()
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// ZSCORE key member
func cmdZScore(c *client, args [][]byte) error {
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		if z != nil {
			if s, ok := z.Score(args[2]); ok {
				c.writeScore(s)
				return nil
			}
		}
		c.w.WriteNull()
		return nil
	})
}

// ZMSCORE key member [member ...]
func cmdZMScore(c *client, args [][]byte) error {
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		c.w.WriteArrayLen(len(args) - 2)
		for _, m := range args[2:] {
			if z != nil {
				if s, ok := z.Score(m); ok {
					c.writeScore(s)
					continue
				}
			}
			c.w.WriteNull()
		}
		return nil
	})
}

// ZCOUNT key min max
func cmdZCount(c *client, args [][]byte) error {
	r, err := parseScoreRange(args[2], args[3])
	if err != nil {
		return err
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		n := 0
		if z != nil {
			first, last := z.ScoreRanks(r)
			n = max(0, last-first+1)
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// ZLEXCOUNT key min max
func cmdZLexCount(c *client, args [][]byte) error {
	r, err := parseLexRange(args[2], args[3])
	if err != nil {
		return err
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		n := 0
		if z != nil {
			first, last := z.LexRanks(r)
			n = max(0, last-first+1)
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// ZRANK/ZREVRANK key member [WITHSCORE] (WITHSCORE is Redis 7.2's).
func cmdZRank(c *client, args [][]byte) error {
	if len(args) > 4 {
		return arityError(string(lowerASCII(args[0])))
	}
	withScore := false
	if len(args) == 4 {
		if !eqFold(args[3], "withscore") {
			return errSyntax
		}
		withScore = true
	}
	rev := len(args[0]) == 8 // zrevrank
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		var rank int
		var score float64
		ok := false
		if z != nil {
			rank, score, ok = z.Rank(args[2])
		}
		switch {
		case !ok && withScore:
			c.w.WriteNullArray()
			return nil
		case !ok:
			c.w.WriteNull()
			return nil
		}
		if rev {
			rank = z.Len() - 1 - rank
		}
		if withScore {
			c.w.WriteArrayLen(2)
		}
		c.w.WriteInt(int64(rank))
		if withScore {
			c.writeScore(score)
		}
		return nil
	})
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return out
}

// The kinds of ZRANGE ranges.
const (
	zrangeAuto = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeSpec is a parsed ZRANGE (or one of its older forms).
type zrangeSpec struct {
	kind          int
	rev           bool
	withScores    bool
	offset, limit int64 // limit < 0: no limit
	start, stop   int64
	score         keyspace.ScoreRange
	lex           keyspace.LexRange
	dst, key      []byte
	store         bool
}

// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], ZRANGESTORE dst src ...,
// and ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX.
func cmdZRange(c *client, args [][]byte) error {
	name := string(lowerASCII(args[0]))
	sp := zrangeSpec{limit: -1}
	at := 1 // the source key's index
	dirFixed := false
	switch name {
	case "zrangestore":
		sp.store, sp.dst, at = true, args[1], 2
	case "zrevrange":
		sp.kind, sp.rev, dirFixed = zrangeRank, true, true
	case "zrangebyscore":
		sp.kind, dirFixed = zrangeScore, true
	case "zrevrangebyscore":
		sp.kind, sp.rev, dirFixed = zrangeScore, true, true
	case "zrangebylex":
		sp.kind, dirFixed = zrangeLex, true
	case "zrevrangebylex":
		sp.kind, sp.rev, dirFixed = zrangeLex, true, true
	}
	if len(args) < at+3 {
		return arityError(name)
	}
	sp.key = args[at]
	for j := at + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !sp.store && eqFold(a, "withscores"):
			sp.withScores = true
		case eqFold(a, "limit") && left >= 2:
			off, ok1 := keyspace.ParseInt(args[j+1])
			lim, ok2 := keyspace.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return errNotInteger
			}
			sp.offset, sp.limit = off, lim
			j += 2
		case !dirFixed && !sp.rev && eqFold(a, "rev"):
			sp.rev = true
		case sp.kind == zrangeAuto && eqFold(a, "bylex"):
			sp.kind = zrangeLex
		case sp.kind == zrangeAuto && eqFold(a, "byscore"):
			sp.kind = zrangeScore
		default:
			return errSyntax
		}
	}
	if sp.kind == zrangeAuto {
		sp.kind = zrangeRank
	}
	if sp.kind == zrangeRank && sp.limit != -1 {
		return errorf("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	}
	if sp.withScores && sp.kind == zrangeLex {
		return errorf("syntax error, WITHSCORES not supported in combination with BYLEX")
	}
	lo, hi := args[at+1], args[at+2]
	if sp.rev && sp.kind != zrangeRank {
		lo, hi = hi, lo
	}
	var err error
	switch sp.kind {
	case zrangeRank:
		var ok1, ok2 bool
		sp.start, ok1 = keyspace.ParseInt(lo)
		sp.stop, ok2 = keyspace.ParseInt(hi)
		if !ok1 || !ok2 {
			return errNotInteger
		}
	case zrangeScore:
		sp.score, err = parseScoreRange(lo, hi)
	case zrangeLex:
		sp.lex, err = parseLexRange(lo, hi)
	}
	if err != nil {
		return err
	}
	if sp.store {
		return c.zrangeStore(&sp)
	}
	// Not withZSet: its closure would move the Txn to the heap on every ZRANGE.
	tx := c.begin(sp.key)
	defer tx.End()
	z, err := c.zsetFor(&tx, sp.key)
	if err != nil {
		return err
	}
	first, last := 0, -1
	if z != nil {
		first, last = sp.ranks(z)
	}
	if first > last {
		c.w.WriteArrayLen(0)
		return nil
	}
	c.writeScoredLen(last-first+1, sp.withScores)
	z.Range(first, last, sp.rev, func(m []byte, s float64) bool {
		c.writeScored(m, s, sp.withScores)
		return true
	})
	return nil
}

// ranks returns the ascending ranks of the first and last member of the range in z, after LIMIT (first >
// last when empty). Members are then visited from first to last, or last to first with rev.
func (sp *zrangeSpec) ranks(z *keyspace.ZSet) (int, int) {
	n := z.Len()
	if sp.kind == zrangeRank {
		start, stop, ok := listRange(sp.start, sp.stop, n)
		if !ok {
			return 0, -1
		}
		if sp.rev {
			start, stop = n-1-stop, n-1-start
		}
		return start, stop
	}
	var first, last int
	if sp.kind == zrangeScore {
		first, last = z.ScoreRanks(sp.score)
	} else {
		first, last = z.LexRanks(sp.lex)
	}
	if first > last || sp.offset < 0 {
		return 0, -1
	}
	count := int64(last - first + 1)
	if sp.offset >= count {
		return 0, -1
	}
	take := count - sp.offset
	if sp.limit >= 0 {
		take = min(take, sp.limit)
	}
	if take <= 0 {
		return 0, -1
	}
	if sp.rev {
		last -= int(sp.offset)
		return last - int(take) + 1, last
	}
	first += int(sp.offset)
	return first, first + int(take) - 1
}

// zrangeStore runs ZRANGESTORE: the range of the source stored at the destination, replacing what it held.
func (c *client) zrangeStore(sp *zrangeSpec) error {
	tx := c.begin(sp.dst, sp.key)
	defer tx.End()
	src, err := tx.ZSetOf(sp.key)
	if err != nil {
		return err
	}
	var out *keyspace.ZSet
	if src != nil {
		first, last := sp.ranks(src)
		if first <= last {
			hint := 0
			if sp.kind == zrangeRank {
				hint = last - first + 1 // Redis 7.2 sizes the result only for rank ranges
			}
			out = keyspace.NewZSetFor(tx.Limits(), hint, 0)
			lim := tx.Limits()
			src.Range(first, last, sp.rev, func(m []byte, s float64) bool {
				out.Add(lim, m, s, 0)
				return true
			})
		}
	}
	c.storeZSet(&tx, sp.dst, out, "zrangestore")
	return nil
}

// storeZSet replaces dst with z (deleting dst when z is nil or empty) and writes the result's size, as the
// store commands do.
func (c *client) storeZSet(tx *keyspace.Txn, dst []byte, z *keyspace.ZSet, event string) {
	if z == nil || z.Len() == 0 {
		if tx.Delete(dst) {
			c.wrote(notifyGeneric, "del", dst)
		}
		c.w.WriteInt(0)
		return
	}
	tx.SetObject(dst, z, 0)
	c.wrote(notifyZSet, event, dst)
	c.signalReady(dst)
	c.w.WriteInt(int64(z.Len()))
}

// ZREMRANGEBYRANK key start stop, ZREMRANGEBYSCORE key min max, ZREMRANGEBYLEX key min max
func cmdZRemRange(c *client, args [][]byte) error {
	name := string(lowerASCII(args[0]))
	var sp zrangeSpec
	sp.limit = -1
	var err error
	switch name {
	case "zremrangebyrank":
		sp.kind = zrangeRank
		sp.start, sp.stop, err = parseRange(args[2], args[3])
	case "zremrangebyscore":
		sp.kind = zrangeScore
		sp.score, err = parseScoreRange(args[2], args[3])
	default:
		sp.kind = zrangeLex
		sp.lex, err = parseLexRange(args[2], args[3])
	}
	if err != nil {
		return err
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		n := 0
		if z != nil {
			first, last := sp.ranks(z)
			if first <= last {
				z.RemoveRange(first, last)
				n = last - first + 1
				c.shrank(tx, args[1], z.Len() == 0, notifyZSet, name)
			}
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// zpop pops up to count members from one end of z (the minimum, or with max the maximum) and writes each as
// a member and its score, nested in a pair when nested; then removes them and reports the change.
func (c *client) zpop(tx *keyspace.Txn, key []byte, z *keyspace.ZSet, max bool, count int64, nested bool) {
	n := int(min(count, int64(z.Len())))
	first, last := 0, n-1
	if max {
		first, last = z.Len()-n, z.Len()-1
	}
	if n > 0 {
		z.Range(first, last, max, func(m []byte, s float64) bool {
			if nested {
				c.w.WriteArrayLen(2)
			}
			c.w.WriteBulk(m)
			c.writeScore(s)
			return true
		})
		z.RemoveRange(first, last)
		event := "zpopmin"
		if max {
			event = "zpopmax"
		}
		c.shrank(tx, key, z.Len() == 0, notifyZSet, event)
	}
}

// isMax reports whether a ZPOPMAX-like command name ends in "max".
func isMax(name []byte) bool {
	ch := name[len(name)-2]
	return ch == 'a' || ch == 'A'
}

// ZPOPMIN/ZPOPMAX key [count]
func cmdZPop(c *client, args [][]byte) error {
	if len(args) > 3 {
		return errSyntax
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := keyspace.ParseInt(args[2])
		if !ok || n < 0 {
			return errNotPositive
		}
		count = n
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		if z == nil || count == 0 {
			c.w.WriteArrayLen(0)
			return nil
		}
		nested := len(args) == 3 && c.w.Protocol() == 3
		n := int(min(count, int64(z.Len())))
		if nested {
			c.w.WriteArrayLen(n)
		} else {
			c.w.WriteArrayLen(2 * n)
		}
		c.zpop(tx, args[1], z, isMax(args[0]), count, nested)
		return nil
	})
}

// firstZSet returns the first of keys that holds a sorted set, or a WRONGTYPE error for a key of another kind
// met first.
func firstZSet(tx *keyspace.Txn, keys [][]byte) ([]byte, *keyspace.ZSet, error) {
	for _, k := range keys {
		z, err := tx.ZSetOf(k)
		if err != nil || z != nil {
			return k, z, err
		}
	}
	return nil, nil, nil
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], BZMPOP timeout numkeys ...
func cmdZMPop(c *client, args [][]byte) error {
	blocking := args[0][0] == 'b' || args[0][0] == 'B'
	rest := args[1:]
	if blocking {
		rest = args[2:]
	}
	n, ok := keyspace.ParseInt(rest[0])
	if !ok || n <= 0 {
		return errNumKeysZero
	}
	if n > int64(len(rest)-2) {
		return errSyntax
	}
	keys := rest[1 : 1+n]
	opts := rest[1+n:]
	var max bool
	switch {
	case eqFold(opts[0], "min"):
	case eqFold(opts[0], "max"):
		max = true
	default:
		return errSyntax
	}
	count := int64(-1)
	for j := 1; j < len(opts); j++ {
		if count != -1 || !eqFold(opts[j], "count") || j+1 >= len(opts) {
			return errSyntax
		}
		v, ok := keyspace.ParseInt(opts[j+1])
		if !ok || v <= 0 {
			return errCountPositive
		}
		count = v
		j++
	}
	if count == -1 {
		count = 1
	}
	timeout := int64(-1)
	if blocking {
		t, err := parseTimeout(args[1])
		if err != nil {
			return err
		}
		timeout = t
	}
	tx := c.begin(keys...)
	defer tx.End()
	k, z, err := firstZSet(&tx, keys)
	if err != nil {
		return err
	}
	if z == nil {
		if timeout >= 0 {
			return c.block(keys, timeout)
		}
		c.w.WriteNullArray()
		return nil
	}
	c.w.WriteArrayLen(2)
	c.w.WriteBulk(k)
	popN := min(count, int64(z.Len()))
	c.w.WriteArrayLen(int(popN))
	if c.propagating() {
		// Matches Redis: ZMPOP and BZMPOP propagate as ZPOPMIN or ZPOPMAX key count, count the members popped.
		c.propagate(zpopName(max), k, itob(popN))
	}
	c.zpop(&tx, k, z, max, count, true)
	return nil
}

// zpopName is ZPOPMIN or ZPOPMAX, as what a blocking or multi-key pop propagates.
func zpopName(max bool) []byte {
	if max {
		return bytesZPOPMAX
	}
	return bytesZPOPMIN
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score] from the first non-empty key, or wait.
func cmdBZPop(c *client, args [][]byte) error {
	timeout, err := parseTimeout(args[len(args)-1])
	if err != nil {
		return err
	}
	keys := args[1 : len(args)-1]
	tx := c.begin(keys...)
	defer tx.End()
	k, z, err := firstZSet(&tx, keys)
	if err != nil {
		return err
	}
	if z == nil {
		return c.block(keys, timeout)
	}
	c.w.WriteArrayLen(3)
	c.w.WriteBulk(k)
	c.zpop(&tx, k, z, isMax(args[0]), 1, false)
	c.propagate(zpopName(isMax(args[0])), k) // Matches Redis: as ZPOPMIN or ZPOPMAX of the key served
	return nil
}

// ZRANDMEMBER key [count [WITHSCORES]]
func cmdZRandMember(c *client, args [][]byte) error {
	if len(args) == 2 {
		return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
			if z == nil {
				c.w.WriteNull()
				return nil
			}
			m, _ := z.At(rand.IntN(z.Len()))
			c.w.WriteBulk(m)
			return nil
		})
	}
	l, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	if l == math.MinInt64 {
		return errorf("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
		return errSyntax
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			return errorf("value is out of range")
		}
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		if z == nil || l == 0 {
			c.w.WriteArrayLen(0)
			return nil
		}
		size := z.Len()
		if l < 0 || l == 1 { // with repetitions, in random order
			count := -l
			if l == 1 {
				count = 1
			}
			c.writeScoredLen(int(count), withScores)
			for i := int64(0); i < count; i++ {
				m, s := z.At(rand.IntN(size))
				c.writeScored(m, s, withScores)
			}
			return nil
		}
		if l >= int64(size) { // the whole set
			c.writeScoredLen(size, withScores)
			z.Range(0, size-1, false, func(m []byte, s float64) bool {
				c.writeScored(m, s, withScores)
				return true
			})
			return nil
		}
		// Distinct members: a partial Fisher-Yates shuffle of the ranks.
		count := int(l)
		ranks := make([]int, size)
		for i := range ranks {
			ranks[i] = i
		}
		c.writeScoredLen(count, withScores)
		for i := 0; i < count; i++ {
			j := i + rand.IntN(size-i)
			ranks[i], ranks[j] = ranks[j], ranks[i]
			m, s := z.At(ranks[i])
			c.writeScored(m, s, withScores)
		}
		return nil
	})
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func cmdZScan(c *client, args [][]byte) error {
	cursor, err := parseScanCursor(args[2])
	if err != nil {
		return err
	}
	return c.withZSet(args[1], func(tx *keyspace.Txn, z *keyspace.ZSet) error {
		if z == nil {
			c.w.WriteArrayLen(2)
			c.w.WriteBulkString("0")
			c.w.WriteArrayLen(0)
			return nil
		}
		count := 10
		var pattern []byte
		usePattern := false
		for i := 3; i < len(args); i += 2 {
			if i+1 >= len(args) {
				return errSyntax
			}
			switch {
			case eqFold(args[i], "count"):
				n, ok := keyspace.ParseInt(args[i+1])
				if !ok {
					return errNotInteger
				}
				if n < 1 {
					return errSyntax
				}
				count = int(min(n, math.MaxInt32))
			case eqFold(args[i], "match"):
				pattern = args[i+1]
				usePattern = !(len(pattern) == 1 && pattern[0] == '*')
			default:
				return errSyntax
			}
		}
		// Matches Redis 7.2: a listpack set's scores are printed as stored (d2string), a skiplist set's with
		// "%.17Lg".
		listpack := z.Encoding() == keyspace.EncListpack
		var buf []byte
		var ends []int
		next := z.Scan(cursor, count, func(m []byte, s float64) {
			if usePattern && !keyspace.Match(pattern, m) {
				return
			}
			buf = append(buf, m...)
			ends = append(ends, len(buf))
			if listpack {
				buf = appendScore(buf, s)
			} else {
				buf = resp.AppendFloat(buf, s)
			}
			ends = append(ends, len(buf))
		})
		c.w.WriteArrayLen(2)
		c.w.WriteBulkString(strconv.FormatUint(next, 10))
		writeKeys(c, buf, ends)
		return nil
	})
}
