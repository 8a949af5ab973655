package node

import (
	"math"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"dbsize":      cmdDBSize,
	"del":         cmdDel,
	"exists":      cmdExists,
	"expire":      cmdExpire,
	"expireat":    cmdExpire,
	"expiretime":  cmdExpireTime,
	"flushall":    cmdFlushAll,
	"flushdb":     cmdFlushDB,
	"persist":     cmdPersist,
	"pexpire":     cmdExpire,
	"pexpireat":   cmdExpire,
	"pexpiretime": cmdExpireTime,
	"pttl":        cmdTTL,
	"touch":       cmdTouch,
	"ttl":         cmdTTL,
	"type":        cmdType,
	"unlink":      cmdDel,
})

// DEL key [key ...] and UNLINK key [key ...]: the number of keys removed.
func cmdDel(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.srv.ks.Begin(c.db, keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		if tx.Delete(k) {
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// EXISTS key [key ...]: how many of the keys exist, a key named twice counting twice.
func cmdExists(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.srv.ks.Begin(c.db, keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		if tx.Exists(k) {
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// TOUCH key [key ...]: like EXISTS, and updates the keys' access time.
func cmdTouch(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.srv.ks.Begin(c.db, keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		if _, ok := tx.Lookup(k); ok {
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// TYPE key
func cmdType(c *client, args [][]byte) error {
	tx := c.srv.ks.Begin(c.db, args[1])
	defer tx.End()
	c.w.WriteSimple(tx.Type(args[1]).String())
	return nil
}

// DBSIZE
func cmdDBSize(c *client, args [][]byte) error {
	tx := c.srv.ks.Begin(c.db)
	defer tx.End()
	c.w.WriteInt(int64(tx.Len()))
	return nil
}

// flushMode checks FLUSHDB's and FLUSHALL's optional ASYNC|SYNC. Both flush at once here: dropping the
// tables is already cheap, and the memory is reclaimed by the garbage collector in the background.
func flushMode(args [][]byte) error {
	if len(args) > 2 {
		return errSyntax
	}
	if len(args) == 2 && !strings.EqualFold(string(args[1]), "async") && !strings.EqualFold(string(args[1]), "sync") {
		return errSyntax
	}
	return nil
}

// FLUSHDB [ASYNC|SYNC]
func cmdFlushDB(c *client, args [][]byte) error {
	if err := flushMode(args); err != nil {
		return err
	}
	tx := c.srv.ks.Begin(c.db)
	tx.Flush()
	tx.End()
	c.w.WriteSimple("OK")
	return nil
}

// FLUSHALL [ASYNC|SYNC]
func cmdFlushAll(c *client, args [][]byte) error {
	if err := flushMode(args); err != nil {
		return err
	}
	tx := c.srv.ks.Begin(c.db)
	tx.FlushAll()
	tx.End()
	c.w.WriteSimple("OK")
	return nil
}

// TTL key and PTTL key: -2 for a missing key, -1 for no expiry, else the time left (TTL rounds to the nearest
// second, as Redis does).
func cmdTTL(c *client, args [][]byte) error {
	tx := c.srv.ks.Begin(c.db, args[1])
	defer tx.End()
	at := tx.ExpireTime(args[1])
	if at < 0 {
		c.w.WriteInt(at)
		return nil
	}
	ttl := max(at-tx.Now(), 0)
	if args[0][0] == 't' || args[0][0] == 'T' {
		ttl = (ttl + 500) / 1000
	}
	c.w.WriteInt(ttl)
	return nil
}

// EXPIRETIME key and PEXPIRETIME key: the absolute Unix time of expiry, -1 or -2.
func cmdExpireTime(c *client, args [][]byte) error {
	tx := c.srv.ks.Begin(c.db, args[1])
	defer tx.End()
	at := tx.ExpireTime(args[1])
	if at >= 0 && (args[0][0] == 'e' || args[0][0] == 'E') {
		at = (at + 500) / 1000 // Matches Redis: rounded to the nearest second, like TTL.
	}
	c.w.WriteInt(at)
	return nil
}

// PERSIST key: 1 when a TTL was removed.
func cmdPersist(c *client, args [][]byte) error {
	tx := c.srv.ks.Begin(c.db, args[1])
	defer tx.End()
	if tx.Persist(args[1]) {
		c.w.WriteInt(1)
	} else {
		c.w.WriteInt(0)
	}
	return nil
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT]: 1 when the TTL was set (or the key deleted
// because the time is already past), 0 when the key is missing or a condition failed.
func cmdExpire(c *client, args [][]byte) error {
	name := strings.ToLower(string(args[0]))
	key := args[1]
	when, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	var nx, xx, gt, lt bool
	for _, a := range args[3:] {
		switch strings.ToLower(string(a)) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			return errorf("Unsupported option " + string(a))
		}
	}
	if nx && (xx || gt || lt) {
		return errorf("NX and XX, GT or LT options at the same time are not compatible")
	}
	if gt && lt {
		return errorf("GT and LT options at the same time are not compatible")
	}
	tx := c.srv.ks.Begin(c.db, key)
	defer tx.End()
	// Matches Redis: seconds become milliseconds, relative times get the current time added, and either
	// overflowing is an error.
	invalid := errorf("invalid expire time in '" + name + "' command")
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return invalid
		}
		when *= 1000
	}
	if name == "expire" || name == "pexpire" {
		now := tx.Now()
		if when > math.MaxInt64-now {
			return invalid
		}
		when += now
	}
	cur := tx.ExpireTime(key)
	if cur == -2 {
		c.w.WriteInt(0)
		return nil
	}
	// A key without a TTL counts as expiring never: GT can never pass, LT always can.
	if (nx && cur != -1) || (xx && cur == -1) || (gt && (cur == -1 || when <= cur)) || (lt && cur != -1 && when >= cur) {
		c.w.WriteInt(0)
		return nil
	}
	if when <= tx.Now() {
		tx.Delete(key)
	} else {
		tx.Expire(key, when)
	}
	c.w.WriteInt(1)
	return nil
}
