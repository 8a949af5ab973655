package node

import (
	"math"
	"math/big"
	"strconv"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"hdel":         cmdHDel,
	"hexists":      cmdHExists,
	"hget":         cmdHGet,
	"hgetall":      cmdHGetAll,
	"hincrby":      cmdHIncrBy,
	"hincrbyfloat": cmdHIncrByFloat,
	"hkeys":        cmdHKeys,
	"hlen":         cmdHLen,
	"hmget":        cmdHMGet,
	"hmset":        cmdHSet,
	"hrandfield":   cmdHRandField,
	"hscan":        cmdHScan,
	"hset":         cmdHSet,
	"hsetnx":       cmdHSetNX,
	"hstrlen":      cmdHStrLen,
	"hvals":        cmdHVals,
})

var (
	errHashNotInt   = errorf("hash value is not an integer")
	errHashNotFloat = errorf("hash value is not a float")
	errNaNOrInf     = errorf("value is NaN or Infinity")
	errOutOfRange   = errorf("value is out of range")
	errCountRange   = errorf("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
)

// withHash runs fn with the hash at key (nil when missing) under the key's lock, counting the read lookup. A key
// of another kind is a WRONGTYPE error.
func (c *client) withHash(key []byte, fn func(h *keyspace.Hash) error) error {
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, false)
	c.countLookup(key, h != nil || err != nil)
	if err != nil {
		return err
	}
	return fn(h) // the Txn stays on the stack: fn does not get it
}

// HSET key field value [field value ...]: the number of new fields. HMSET: OK.
func cmdHSet(c *client, args [][]byte) error {
	if len(args)%2 != 0 {
		return arityError(lowerName(args[0]))
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, true)
	if err != nil {
		return err
	}
	lim := tx.Limits()
	h.Fit(lim, args[2:]...)
	added := 0
	for i := 2; i < len(args); i += 2 {
		if h.Set(args[i], args[i+1], lim) {
			added++
		}
	}
	tx.UpdateSize(key)
	c.wrote(notifyHash, "hset", key)
	c.changes((len(args)-2)/2 - 1)
	if len(args[0]) == 5 { // hmset
		c.w.WriteSimple("OK")
	} else {
		c.w.WriteInt(int64(added))
	}
	return nil
}

// lowerName returns a command name in lower case, for arity errors.
func lowerName(b []byte) string {
	out := make([]byte, len(b))
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return string(out)
}

// HSETNX key field value: 1 when set, 0 when the field exists.
func cmdHSetNX(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, false)
	if err != nil {
		return err
	}
	if h != nil && h.Exists(args[2]) {
		c.w.WriteInt(0)
		return nil
	}
	if h == nil {
		h, _ = tx.HashOf(key, true)
	}
	lim := tx.Limits()
	h.Fit(lim, args[2], args[3])
	h.Set(args[2], args[3], lim)
	tx.UpdateSize(key)
	c.wrote(notifyHash, "hset", key)
	c.w.WriteInt(1)
	return nil
}

// HGET key field
func cmdHGet(c *client, args [][]byte) error {
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		if h != nil {
			if v, ok := h.Get(args[2]); ok {
				c.w.WriteBulk(v)
				return nil
			}
		}
		c.w.WriteNull()
		return nil
	})
}

// HMGET key field [field ...]
func cmdHMGet(c *client, args [][]byte) error {
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		c.w.WriteArrayLen(len(args) - 2)
		for _, f := range args[2:] {
			if h != nil {
				if v, ok := h.Get(f); ok {
					c.w.WriteBulk(v)
					continue
				}
			}
			c.w.WriteNull()
		}
		return nil
	})
}

// HDEL key field [field ...]: how many were removed.
func cmdHDel(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, false)
	if err != nil {
		return err
	}
	deleted := 0
	if h != nil {
		for _, f := range args[2:] {
			if h.Delete(f) {
				deleted++
			}
		}
		if deleted > 0 {
			c.shrank(&tx, key, h.Len() == 0, notifyHash, "hdel")
		}
	}
	c.w.WriteInt(int64(deleted))
	return nil
}

// HLEN key
func cmdHLen(c *client, args [][]byte) error {
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		n := 0
		if h != nil {
			n = h.Len()
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// HSTRLEN key field
func cmdHStrLen(c *client, args [][]byte) error {
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		n := 0
		if h != nil {
			v, _ := h.Get(args[2])
			n = len(v)
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// HEXISTS key field
func cmdHExists(c *client, args [][]byte) error {
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		n := 0
		if h != nil && h.Exists(args[2]) {
			n = 1
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// HKEYS key, HVALS key, HGETALL key: fields, values, or both as a map.
func cmdHKeys(c *client, args [][]byte) error   { return c.hashGetAll(args[1], true, false) }
func cmdHVals(c *client, args [][]byte) error   { return c.hashGetAll(args[1], false, true) }
func cmdHGetAll(c *client, args [][]byte) error { return c.hashGetAll(args[1], true, true) }

func (c *client) hashGetAll(key []byte, fields, values bool) error {
	return c.withHash(key, func(h *keyspace.Hash) error {
		n := 0
		if h != nil {
			n = h.Len()
		}
		if fields && values {
			c.w.WriteMapLen(n)
		} else {
			c.w.WriteArrayLen(n)
		}
		if h != nil {
			h.Range(func(f, v []byte) bool {
				if fields {
					c.w.WriteBulk(f)
				}
				if values {
					c.w.WriteBulk(v)
				}
				return true
			})
		}
		return nil
	})
}

// HINCRBY key field increment
func cmdHIncrBy(c *client, args [][]byte) error {
	incr, ok := keyspace.ParseInt(args[3])
	if !ok {
		return errNotInteger
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, false)
	if err != nil {
		return err
	}
	var cur int64
	if h != nil {
		if v, found := h.Get(args[2]); found {
			if cur, ok = keyspace.ParseInt(v); !ok {
				return errHashNotInt
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		return keyspace.ErrOverflow
	}
	if h == nil {
		h, _ = tx.HashOf(key, true)
	}
	n := cur + incr
	var buf [20]byte
	h.Set(args[2], strconv.AppendInt(buf[:0], n, 10), tx.Limits())
	tx.UpdateSize(key)
	c.wrote(notifyHash, "hincrby", key)
	c.w.WriteInt(n)
	return nil
}

// HINCRBYFLOAT key field increment: the new value, computed as a long double and formatted as INCRBYFLOAT does.
func cmdHIncrByFloat(c *client, args [][]byte) error {
	incr, incrInf, ok := parseLongDouble(args[3])
	if !ok {
		return errNotFloat
	}
	if incrInf {
		return errNaNOrInf
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	h, err := tx.HashOf(key, false)
	if err != nil {
		return err
	}
	cur := new(big.Float).SetPrec(ldMantBits)
	if h != nil {
		if v, found := h.Get(args[2]); found {
			val, inf, ok := parseLongDouble(v)
			if !ok {
				return errHashNotFloat
			}
			if inf {
				return errFloatInf
			}
			cur = val
		}
	}
	sum := new(big.Float).SetPrec(ldMantBits).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		return errFloatInf
	}
	if h == nil {
		h, _ = tx.HashOf(key, true)
	}
	s := formatLongDouble(sum)
	h.Set(args[2], s, tx.Limits())
	tx.UpdateSize(key)
	c.wrote(notifyHash, "hincrbyfloat", key)
	c.propagate(bytesHSET, key, args[2], s) // Matches Redis: the result, so that replicas cannot round differently
	c.w.WriteBulk(s)
	return nil
}

// parseRandCount reads the count of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER: a long in [-LONG_MAX, LONG_MAX].
func parseRandCount(b []byte) (int64, error) {
	n, ok := keyspace.ParseInt(b)
	if !ok {
		return 0, errNotInteger
	}
	if n == math.MinInt64 {
		return 0, errCountRange
	}
	return n, nil
}

// HRANDFIELD key [count [WITHVALUES]]
func cmdHRandField(c *client, args [][]byte) error {
	if len(args) == 2 {
		return c.withHash(args[1], func(h *keyspace.Hash) error {
			if h == nil {
				c.w.WriteNull()
				return nil
			}
			f, _ := h.Random()
			c.w.WriteBulk(f)
			return nil
		})
	}
	count, err := parseRandCount(args[2])
	if err != nil {
		return err
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withvalues")) {
		return errSyntax
	} else if len(args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			return errOutOfRange
		}
	}
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		if h == nil || count == 0 {
			c.w.WriteArrayLen(0)
			return nil
		}
		resp3 := c.w.Protocol() == 3
		pair := func(f, v []byte) {
			if withValues && resp3 {
				c.w.WriteArrayLen(2)
			}
			c.w.WriteBulk(f)
			if withValues {
				c.w.WriteBulk(v)
			}
		}
		header := func(n int) {
			if withValues && !resp3 {
				n *= 2
			}
			c.w.WriteArrayLen(n)
		}
		size := int64(h.Len())
		switch {
		case count < 0 || count == 1:
			// Matches Redis: a negative count may repeat fields, and a count of 1 is one random field.
			n := count
			if n < 0 {
				n = -n
			}
			header(int(n))
			for ; n > 0; n-- {
				pair(h.Random())
			}
		case count >= size:
			header(int(size))
			h.Range(func(f, v []byte) bool { pair(f, v); return true })
		default:
			header(int(count))
			h.Sample(int(count), pair)
		}
		return nil
	})
}

// scanOpts are the options of HSCAN, SSCAN and ZSCAN.
type scanOpts struct {
	count   int
	pattern []byte
	match   bool // a pattern other than "*" was given
}

// parseScanOpts reads [MATCH pattern] [COUNT count] as Redis's scanGenericCommand does for a key's scan.
func parseScanOpts(args [][]byte) (scanOpts, error) {
	o := scanOpts{count: 10}
	for i := 0; i < len(args); i += 2 {
		more := len(args) - i
		switch {
		case eqFold(args[i], "count") && more >= 2:
			n, ok := keyspace.ParseInt(args[i+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 1 {
				return o, errSyntax
			}
			o.count = int(min(n, math.MaxInt32))
		case eqFold(args[i], "match") && more >= 2:
			o.pattern = args[i+1]
			o.match = !(len(o.pattern) == 1 && o.pattern[0] == '*')
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

// writeScanReply writes [cursor, elements] for a key's scan.
func (c *client) writeScanHeader(cursor uint64, n int) {
	c.w.WriteArrayLen(2)
	var buf [20]byte
	c.w.WriteBulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.w.WriteArrayLen(n)
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
func cmdHScan(c *client, args [][]byte) error {
	cursor, err := parseScanCursor(args[2])
	if err != nil {
		return err
	}
	return c.withHash(args[1], func(h *keyspace.Hash) error {
		if h == nil {
			c.writeScanHeader(0, 0)
			return nil
		}
		o, err := parseScanOpts(args[3:])
		if err != nil {
			return err
		}
		var out [][]byte
		next := h.Scan(cursor, o.count, func(f, v []byte) {
			if !o.match || keyspace.Match(o.pattern, f) {
				out = append(out, f, v)
			}
		})
		c.writeScanHeader(next, len(out))
		for _, e := range out {
			c.w.WriteBulk(e)
		}
		return nil
	})
}
