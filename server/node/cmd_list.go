package node

import (
	"bytes"
	"math"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"lindex":    cmdLIndex,
	"linsert":   cmdLInsert,
	"llen":      cmdLLen,
	"lmove":     cmdLMove,
	"lmpop":     cmdLMPop,
	"lpop":      cmdPop,
	"lpos":      cmdLPos,
	"lpush":     cmdPush,
	"lpushx":    cmdPush,
	"lrange":    cmdLRange,
	"lrem":      cmdLRem,
	"lset":      cmdLSet,
	"ltrim":     cmdLTrim,
	"rpop":      cmdPop,
	"rpoplpush": cmdRPopLPush,
	"rpush":     cmdPush,
	"rpushx":    cmdPush,
})

var (
	errNotPositive   = errorf("value is out of range, must be positive")
	errIndexRange    = errorf("index out of range")
	errNumKeys       = errorf("numkeys should be greater than 0")
	errCountPositive = errorf("count should be greater than 0")
)

// isLeft reports whether a command name starts with L (LPUSH, LPOP) rather than R.
func isLeft(name []byte) bool { return name[0] == 'l' || name[0] == 'L' }

// parseSide reads LEFT or RIGHT and reports whether it is LEFT.
func parseSide(b []byte) (left bool, err error) {
	switch {
	case eqFold(b, "left"):
		return true, nil
	case eqFold(b, "right"):
		return false, nil
	}
	return false, errSyntax
}

// LPUSH/RPUSH key element [element ...], LPUSHX/RPUSHX key element [element ...]: the new length.
func cmdPush(c *client, args [][]byte) error {
	onlyIfExists := len(args[0]) == 6 // lpushx, rpushx
	tx := c.begin(args[1])
	defer tx.End()
	l, err := tx.ListOf(args[1], !onlyIfExists)
	if err != nil {
		return err
	}
	if l == nil {
		c.w.WriteInt(0)
		return nil
	}
	if isLeft(args[0]) {
		l.PushFront(args[2:]...)
		c.wrote(notifyList, "lpush", args[1])
	} else {
		l.PushBack(args[2:]...)
		c.wrote(notifyList, "rpush", args[1])
	}
	c.changes(len(args) - 3)
	tx.UpdateSize(args[1])
	c.signalReady(args[1])
	c.w.WriteInt(int64(l.Len()))
	return nil
}

// withList runs fn with the list at args[1] (nil when the key is missing) while holding the key's lock. A key
// of another kind is a WRONGTYPE error. A read-only command's lookup counts as a keyspace hit or miss.
// The Txn it passes to fn escapes to the heap; the hottest commands (LRANGE, LPOP, RPOP) use listFor instead.
func (c *client) withList(key []byte, fn func(tx *keyspace.Txn, l *keyspace.List) error) error {
	tx := c.begin(key)
	defer tx.End()
	l, err := c.listFor(&tx, key)
	if err != nil {
		return err
	}
	err = fn(&tx, l)
	if l != nil {
		tx.UpdateSize(key) // after a change in place (a no-op lookup for reads, or when the list went)
	}
	return err
}

// listFor looks up the list at key as withList does: nil when the key is missing, WRONGTYPE for another kind,
// and a read-only command's lookup counts as a keyspace hit or miss.
func (c *client) listFor(tx *keyspace.Txn, key []byte) (*keyspace.List, error) {
	l, err := tx.ListOf(key, false)
	c.countRead(key, l != nil || err != nil)
	return l, err
}

// pop removes one element from the chosen end of a list, deleting the key when it empties.
func pop(tx *keyspace.Txn, key []byte, l *keyspace.List, left bool) []byte {
	var v []byte
	if left {
		v, _ = l.PopFront()
	} else {
		v, _ = l.PopBack()
	}
	if l.Len() == 0 {
		tx.Delete(key)
	}
	return v
}

// popped reports the effects of popping from the list at key: Redis's one lpop or rpop event per command, and
// del when the list emptied and so went.
func (c *client) popped(key []byte, left, emptied bool) {
	if left {
		c.wrote(notifyList, "lpop", key)
	} else {
		c.wrote(notifyList, "rpop", key)
	}
	if emptied {
		c.notify(notifyGeneric, "del", key)
	}
}

// LPOP/RPOP key [count]
func cmdPop(c *client, args [][]byte) error {
	if len(args) > 3 {
		return arityError(strings.ToLower(string(args[0])))
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := keyspace.ParseInt(args[2])
		if !ok || n < 0 {
			return errNotPositive
		}
		count = n
	}
	tx := c.begin(args[1])
	defer tx.End()
	l, err := c.listFor(&tx, args[1])
	if err != nil {
		return err
	}
	left := isLeft(args[0])
	switch {
	case l == nil && count < 0:
		c.w.WriteNull()
	case l == nil:
		c.w.WriteNullArray()
	case count < 0:
		c.w.WriteBulk(pop(&tx, args[1], l, left))
		c.popped(args[1], left, l.Len() == 0)
	default:
		c.writePops(&tx, args[1], l, left, count)
	}
	if l != nil {
		tx.UpdateSize(args[1])
	}
	return nil
}

// writePops pops up to count elements and writes them as an array.
func (c *client) writePops(tx *keyspace.Txn, key []byte, l *keyspace.List, left bool, count int64) {
	n := min(count, int64(l.Len()))
	c.w.WriteArrayLen(int(n))
	for i := int64(0); i < n; i++ {
		c.w.WriteBulk(pop(tx, key, l, left))
	}
	if n > 0 {
		c.popped(key, left, l.Len() == 0)
	}
}

// LLEN key
func cmdLLen(c *client, args [][]byte) error {
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		n := 0
		if l != nil {
			n = l.Len()
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// LINDEX key index
func cmdLIndex(c *client, args [][]byte) error {
	i, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		if l == nil {
			c.w.WriteNull()
			return nil
		}
		v, ok := l.Index(clampIndex(i))
		if !ok {
			c.w.WriteNull()
			return nil
		}
		c.w.WriteBulk(v)
		return nil
	})
}

// clampIndex brings a 64-bit index into int range without changing whether it is in a list's range.
func clampIndex(i int64) int { return int(max(min(i, math.MaxInt32), math.MinInt32)) }

// LSET key index element
func cmdLSet(c *client, args [][]byte) error {
	i, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		if l == nil {
			return keyspace.ErrNoSuchKey
		}
		if !l.Set(clampIndex(i), args[3]) {
			return errIndexRange
		}
		c.wrote(notifyList, "lset", args[1])
		c.w.WriteSimple("OK")
		return nil
	})
}

// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key.
func cmdLInsert(c *client, args [][]byte) error {
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		return errSyntax
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		switch {
		case l == nil:
			c.w.WriteInt(0)
		case !l.Insert(args[3], args[4], after):
			c.w.WriteInt(-1)
		default:
			c.wrote(notifyList, "linsert", args[1])
			c.w.WriteInt(int64(l.Len()))
		}
		return nil
	})
}

// listRange normalizes LRANGE/LTRIM indexes as Redis does; ok is false when the range is empty.
func listRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}

func parseRange(a, b []byte) (int64, int64, error) {
	start, ok1 := keyspace.ParseInt(a)
	stop, ok2 := keyspace.ParseInt(b)
	if !ok1 || !ok2 {
		return 0, 0, errNotInteger
	}
	return start, stop, nil
}

// LRANGE key start stop
func cmdLRange(c *client, args [][]byte) error {
	start, stop, err := parseRange(args[2], args[3])
	if err != nil {
		return err
	}
	tx := c.begin(args[1])
	defer tx.End()
	l, err := c.listFor(&tx, args[1])
	if err != nil {
		return err
	}
	from, to, ok := 0, 0, false
	if l != nil {
		from, to, ok = listRange(start, stop, l.Len())
	}
	if !ok {
		c.w.WriteArrayLen(0)
		return nil
	}
	c.w.WriteArrayLen(to - from + 1)
	l.Range(from, to, func(e []byte) bool { c.w.WriteBulk(e); return true })
	return nil
}

// LTRIM key start stop
func cmdLTrim(c *client, args [][]byte) error {
	start, stop, err := parseRange(args[2], args[3])
	if err != nil {
		return err
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		if l != nil {
			from, to, ok := listRange(start, stop, l.Len())
			l.Trim(from, to, ok)
			c.shrank(tx, args[1], l.Len() == 0, notifyList, "ltrim")
		}
		c.w.WriteSimple("OK")
		return nil
	})
}

// LREM key count element: how many were removed.
func cmdLRem(c *client, args [][]byte) error {
	count, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		n := 0
		if l != nil {
			n = l.Remove(clampIndex(count), args[3])
			if n > 0 {
				c.shrank(tx, args[1], l.Len() == 0, notifyList, "lrem")
			}
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLPos(c *client, args [][]byte) error {
	rank, count, maxLen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return errSyntax
		}
		n, ok := keyspace.ParseInt(args[i+1])
		switch {
		case eqFold(args[i], "rank"):
			if !ok {
				return errNotInteger
			}
			if n == 0 {
				return errorf("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
			}
			rank = n
		case eqFold(args[i], "count"):
			if !ok {
				return errNotInteger
			}
			if n < 0 {
				return errorf("COUNT can't be negative")
			}
			count = n
		case eqFold(args[i], "maxlen"):
			if !ok {
				return errNotInteger
			}
			if n < 0 {
				return errorf("MAXLEN can't be negative")
			}
			maxLen = n
		default:
			return errSyntax
		}
	}
	return c.withList(args[1], func(tx *keyspace.Txn, l *keyspace.List) error {
		var found []int64
		if l != nil && l.Len() > 0 {
			want := count
			if want < 0 {
				want = 1
			}
			skip := rank - 1 // matches to pass over first
			if rank < 0 {
				skip = -rank - 1
			}
			if rank == math.MinInt64 {
				skip = 0 // Redis negates the rank, which leaves LONG_MIN negative: every match qualifies
			}
			// Walk from the head for a positive rank, from the tail for a negative one; i is the element's index.
			n, scanned := l.Len(), int64(0)
			i, step, walk := 0, 1, l.Range
			if rank < 0 {
				i, step, walk = n-1, -1, l.RangeReverse
			}
			walk(0, n-1, func(e []byte) bool {
				if maxLen > 0 && scanned >= maxLen {
					return false
				}
				scanned++
				at := i
				i += step
				if string(e) != string(args[2]) {
					return true
				}
				if skip > 0 {
					skip--
					return true
				}
				found = append(found, int64(at))
				return want == 0 || int64(len(found)) < want
			})
		}
		if count < 0 {
			if len(found) == 0 {
				c.w.WriteNull()
			} else {
				c.w.WriteInt(found[0])
			}
			return nil
		}
		c.w.WriteArrayLen(len(found))
		for _, i := range found {
			c.w.WriteInt(i)
		}
		return nil
	})
}

// move pops from src's end and pushes to dst's end (LMOVE, RPOPLPUSH and their blocking forms, which pass
// a timeout >= 0), checking dst's type first as Redis does. It writes the element or a null.
func (c *client) move(src, dst []byte, fromLeft, toLeft bool, timeout int64) error {
	tx := c.begin(src, dst)
	defer tx.End()
	l, err := tx.ListOf(src, false)
	if err != nil {
		return err
	}
	if l == nil {
		if timeout >= 0 {
			return c.block([][]byte{src}, timeout)
		}
		c.w.WriteNull()
		return nil
	}
	switch {
	case c.serving && isLeft(c.argv[0][1:]): // Matches Redis: a served BLMOVE spells its sides in lower case
		c.propagate([]byte("LMOVE"), src, dst, sideName(fromLeft), sideName(toLeft))
	case timeout >= 0:
		c.propagatePlain()
	}
	return c.moveIn(&tx, src, dst, l, fromLeft, toLeft)
}

// moveIn moves one element of the non-empty list l at src to dst within tx and writes it.
func (c *client) moveIn(tx *keyspace.Txn, src, dst []byte, l *keyspace.List, fromLeft, toLeft bool) error {
	if _, err := tx.ListOf(dst, false); err != nil {
		return err
	}
	v := pop(tx, src, l, fromLeft)
	d, _ := tx.ListOf(dst, true)
	if toLeft {
		d.PushFront(v)
		c.wrote(notifyList, "lpush", dst)
	} else {
		d.PushBack(v)
		c.wrote(notifyList, "rpush", dst)
	}
	c.popped(src, fromLeft, l.Len() == 0 && !bytes.Equal(src, dst)) // LMOVE k k keeps k
	tx.UpdateSize(src)
	tx.UpdateSize(dst)
	c.signalReady(dst)
	c.w.WriteBulk(v)
	return nil
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT, BLMOVE ... timeout
func cmdLMove(c *client, args [][]byte) error {
	from, err := parseSide(args[3])
	if err != nil {
		return err
	}
	to, err := parseSide(args[4])
	if err != nil {
		return err
	}
	timeout, err := blockingTimeout(args, 5)
	if err != nil {
		return err
	}
	return c.move(args[1], args[2], from, to, timeout)
}

// RPOPLPUSH source destination, BRPOPLPUSH source destination timeout
func cmdRPopLPush(c *client, args [][]byte) error {
	timeout, err := blockingTimeout(args, 3)
	if err != nil {
		return err
	}
	return c.move(args[1], args[2], false, true, timeout)
}

// blockingTimeout reads the timeout at args[i] of a command's blocking form (BLMOVE, BRPOPLPUSH), or returns
// -1 for the plain form, which has no argument there.
func blockingTimeout(args [][]byte, i int) (int64, error) {
	if len(args) <= i {
		return -1, nil
	}
	return parseTimeout(args[i])
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], BLMPOP timeout numkeys ...
func cmdLMPop(c *client, args [][]byte) error {
	timeout, rest := int64(-1), args[1:]
	if args[0][0] == 'b' || args[0][0] == 'B' {
		t, err := parseTimeout(args[1])
		if err != nil {
			return err
		}
		timeout, rest = t, args[2:]
	}
	keys, left, count, err := parseMPop(rest)
	if err != nil {
		return err
	}
	tx := c.begin(keys...)
	defer tx.End()
	k, l, err := firstList(&tx, keys)
	if err != nil {
		return err
	}
	if l == nil {
		if timeout >= 0 {
			return c.block(keys, timeout)
		}
		c.w.WriteNullArray()
		return nil
	}
	c.writeMPop(&tx, k, l, left, count)
	return nil
}

// firstList returns the first of keys that holds a list, or a WRONGTYPE error for a key of another kind met
// first.
func firstList(tx *keyspace.Txn, keys [][]byte) ([]byte, *keyspace.List, error) {
	for _, k := range keys {
		l, err := tx.ListOf(k, false)
		if err != nil || l != nil {
			return k, l, err
		}
	}
	return nil, nil, nil
}

// writeMPop writes LMPOP's reply: the key and up to count elements popped from it.
func (c *client) writeMPop(tx *keyspace.Txn, key []byte, l *keyspace.List, left bool, count int64) {
	if c.propagating() {
		// Matches Redis: LMPOP and BLMPOP propagate as LPOP or RPOP key count, count the elements popped.
		c.propagate(popName(left), key, itob(min(count, int64(l.Len()))))
	}
	c.w.WriteArrayLen(2)
	c.w.WriteBulk(key)
	c.writePops(tx, key, l, left, count)
	tx.UpdateSize(key)
}

// parseMPop reads LMPOP's arguments after the command name: numkeys key [key ...] LEFT|RIGHT [COUNT count].
func parseMPop(args [][]byte) (keys [][]byte, left bool, count int64, err error) {
	n, ok := keyspace.ParseInt(args[0])
	if !ok || n <= 0 {
		return nil, false, 0, errNumKeys
	}
	if n > int64(len(args)-2) {
		return nil, false, 0, errSyntax
	}
	keys = args[1 : 1+n]
	rest := args[1+n:]
	if left, err = parseSide(rest[0]); err != nil {
		return nil, false, 0, err
	}
	count = 1
	rest = rest[1:]
	for seen := false; len(rest) > 0; seen = true {
		if len(rest) < 2 || !eqFold(rest[0], "count") || seen {
			return nil, false, 0, errSyntax
		}
		c, ok := keyspace.ParseInt(rest[1])
		if !ok || c <= 0 {
			return nil, false, 0, errCountPositive
		}
		count = c
		rest = rest[2:]
	}
	return keys, left, count, nil
}

var _ = register(map[string]handler{
	"blmove":     cmdLMove,
	"blmpop":     cmdLMPop,
	"blpop":      cmdBPop,
	"brpop":      cmdBPop,
	"brpoplpush": cmdRPopLPush,
})

// BLPOP/BRPOP key [key ...] timeout: [key, element] from the first non-empty key, or wait for one.
func cmdBPop(c *client, args [][]byte) error {
	timeout, err := parseTimeout(args[len(args)-1])
	if err != nil {
		return err
	}
	keys := args[1 : len(args)-1]
	left := args[0][1] == 'l' || args[0][1] == 'L'
	tx := c.begin(keys...)
	defer tx.End()
	k, l, err := firstList(&tx, keys)
	if err != nil {
		return err
	}
	if l == nil {
		return c.block(keys, timeout)
	}
	c.w.WriteArrayLen(2)
	c.w.WriteBulk(k)
	c.w.WriteBulk(pop(&tx, k, l, left))
	c.popped(k, left, l.Len() == 0)
	tx.UpdateSize(k)
	c.propagate(popName(left), k) // Matches Redis: BLPOP propagates as LPOP of the key served
	return nil
}

// popName is LPOP or RPOP, as what a blocking or multi-key pop propagates.
func popName(left bool) []byte {
	if left {
		return bytesLPOP
	}
	return bytesRPOP
}

func sideName(left bool) []byte {
	if left {
		return []byte("left")
	}
	return []byte("right")
}

// propagatePlain makes a blocking command that did not block (or was served) propagate as its plain form:
// the name without its B, the timeout (last argument) dropped. BLMOVE as LMOVE, BRPOPLPUSH as RPOPLPUSH.
func (c *client) propagatePlain() {
	if !c.propagating() {
		return
	}
	argv := append([][]byte{c.argv[0][1:]}, c.argv[1:len(c.argv)-1]...)
	c.propagate(argv...)
}
