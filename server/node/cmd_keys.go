package node

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"copy":        cmdCopy,
	"dbsize":      cmdDBSize,
	"del":         cmdDel,
	"exists":      cmdExists,
	"expire":      cmdExpire,
	"expireat":    cmdExpire,
	"expiretime":  cmdExpireTime,
	"flushall":    cmdFlushAll,
	"flushdb":     cmdFlushDB,
	"keys":        cmdKeys,
	"move":        cmdMove,
	"persist":     cmdPersist,
	"pexpire":     cmdExpire,
	"pexpireat":   cmdExpire,
	"pexpiretime": cmdExpireTime,
	"pttl":        cmdTTL,
	"randomkey":   cmdRandomKey,
	"rename":      cmdRename,
	"renamenx":    cmdRenameNX,
	"scan":        cmdScan,
	"swapdb":      cmdSwapDB,
	"touch":       cmdTouch,
	"ttl":         cmdTTL,
	"type":        cmdType,
	"unlink":      cmdDel,
})

// DEL key [key ...] and UNLINK key [key ...]: the number of keys removed.
func cmdDel(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		if tx.Delete(k) {
			c.wrote(notifyGeneric, "del", k)
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// EXISTS key [key ...]: how many of the keys exist, a key named twice counting twice.
func cmdExists(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		ok := tx.Exists(k)
		c.countLookup(k, ok)
		if ok {
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// TOUCH key [key ...]: like EXISTS, and updates the keys' access time.
func cmdTouch(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		_, ok := tx.Lookup(k)
		c.countLookup(k, ok)
		if ok {
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// TYPE key
func cmdType(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	kind := tx.Type(args[1])
	c.countLookup(args[1], kind != keyspace.KindNone)
	c.w.WriteSimple(kind.String())
	return nil
}

// DBSIZE
func cmdDBSize(c *client, args [][]byte) error {
	tx := c.begin()
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
	tx := c.beginAll()
	c.srv.touchWatchedIn(existsIn(&tx), c.db)
	c.srv.invalidateAll()
	c.stats.dirty.Add(int64(tx.Len())) // Matches Redis: each key removed is a change
	c.forcePropagation()               // even when there was none
	tx.Flush()
	c.signalDBsReady(c.db)
	tx.End()
	c.w.WriteSimple("OK")
	return nil
}

// FLUSHALL [ASYNC|SYNC]
func cmdFlushAll(c *client, args [][]byte) error {
	if err := flushMode(args); err != nil {
		return err
	}
	tx := c.beginAll()
	dbs := make([]int, c.srv.ks.Databases())
	for i := range dbs {
		dbs[i] = i
	}
	c.srv.touchWatchedIn(existsIn(&tx), dbs...)
	c.srv.invalidateAll()
	removed := int64(0)
	for _, db := range dbs {
		in := tx.Within(db)
		removed += int64(in.Len())
		in.End()
	}
	// Matches Redis: each key removed is a change; a running BGSAVE is abandoned and, with save points, the
	// empty dataset saved at once.
	c.stats.dirty.Add(removed)
	c.forcePropagation()
	c.srv.abortSave()
	tx.FlushAll()
	c.signalDBsReady(dbs...)
	if len(c.srv.config().Save) > 0 {
		c.srv.saveLocked(&tx, false) // a failure is logged; FLUSHALL still replies OK, as in Redis
	}
	tx.End()
	c.w.WriteSimple("OK")
	return nil
}

// TTL key and PTTL key: -2 for a missing key, -1 for no expiry, else the time left (TTL rounds to the nearest
// second, as Redis does).
func cmdTTL(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	at := tx.ExpireTime(args[1])
	c.countLookup(args[1], at != -2)
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
	tx := c.begin(args[1])
	defer tx.End()
	at := tx.ExpireTime(args[1])
	c.countLookup(args[1], at != -2)
	if at >= 0 && (args[0][0] == 'e' || args[0][0] == 'E') {
		at = (at + 500) / 1000 // Matches Redis: rounded to the nearest second, like TTL.
	}
	c.w.WriteInt(at)
	return nil
}

// PERSIST key: 1 when a TTL was removed.
func cmdPersist(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	if tx.Persist(args[1]) {
		c.wrote(notifyGeneric, "persist", args[1])
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
	tx := c.begin(key)
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
	if c.alreadyExpired(&tx, when) {
		tx.Delete(key)
		c.wrote(notifyGeneric, "del", key)
		c.propagate(bytesDEL, key)
	} else {
		tx.Expire(key, when)
		c.wrote(notifyGeneric, "expire", key)
		if c.propagating() {
			// Matches Redis: PEXPIREAT with the absolute time; the options stay.
			argv := slices.Clone(args)
			argv[0], argv[2] = bytesPEXPIREAT, itob(when)
			c.propagate(argv...)
		}
	}
	c.w.WriteInt(1)
	return nil
}

// KEYS pattern: every key matching the glob pattern, in no particular order.
func cmdKeys(c *client, args [][]byte) error {
	tx := c.begin()
	defer tx.End()
	var buf []byte
	var ends []int
	tx.Keys(args[1], func(key []byte) {
		buf = append(buf, key...)
		ends = append(ends, len(buf))
	})
	writeKeys(c, buf, ends)
	return nil
}

// writeKeys writes the keys packed in buf, each ending at the offset in ends, as an array of bulk strings.
func writeKeys(c *client, buf []byte, ends []int) {
	c.w.WriteArrayLen(len(ends))
	start := 0
	for _, end := range ends {
		c.w.WriteBulk(buf[start:end])
		start = end
	}
}

// parseScanCursor reads a SCAN cursor as Redis does, with C's strtoul: an optional sign (a negative number wraps
// around), then decimal digits, and nothing else. Matches Redis: the empty string is cursor 0, a leading space is
// an error, and the text ends at a NUL byte.
func parseScanCursor(b []byte) (uint64, error) {
	invalid := errorf("invalid cursor")
	if len(b) > 0 && strings.IndexByte(" \t\n\v\f\r", b[0]) >= 0 {
		return 0, invalid
	}
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	digits := 0
	for ; digits < len(s) && '0' <= s[digits] && s[digits] <= '9'; digits++ {
		d := uint64(s[digits] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, invalid
		}
		n = n*10 + d
	}
	if digits == 0 {
		// strtoul consumed nothing: only the empty string (or one starting with NUL) passes.
		if len(b) > 0 && b[0] != 0 {
			return 0, invalid
		}
		return 0, nil
	}
	if digits < len(s) && s[digits] != 0 {
		return 0, invalid
	}
	if neg {
		n = -n
	}
	return n, nil
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: the next cursor and a batch of keys.
func cmdScan(c *client, args [][]byte) error {
	cursor, err := parseScanCursor(args[1])
	if err != nil {
		return err
	}
	opts := keyspace.ScanOptions{Count: 10}
	emptyMatch, unknownType := false, false
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return errSyntax
		}
		switch strings.ToLower(string(args[i])) {
		case "count":
			n, ok := keyspace.ParseInt(args[i+1])
			if !ok {
				return errNotInteger
			}
			if n < 1 {
				return errSyntax
			}
			// Count only sizes the work of one call; clamping it keeps the keyspace's arithmetic in range.
			opts.Count = int(min(n, math.MaxInt32))
		case "match":
			opts.Match = args[i+1]
			emptyMatch = len(args[i+1]) == 0
		case "type":
			// Matches Redis 7.0: the type name is compared case-insensitively, and an unknown one is no error
			// but matches no key.
			k, ok := keyspace.ParseKind(strings.ToLower(string(args[i+1])))
			opts.Type, unknownType = k, !ok
		default:
			return errSyntax
		}
	}
	tx := c.begin()
	defer tx.End()
	var buf []byte
	var ends []int
	next := tx.Scan(cursor, opts, func(key []byte) {
		// The keyspace reads an empty pattern as "every key"; Redis matches it against the empty key only.
		if unknownType || (emptyMatch && len(key) != 0) {
			return
		}
		buf = append(buf, key...)
		ends = append(ends, len(buf))
	})
	c.w.WriteArrayLen(2)
	c.w.WriteBulkString(strconv.FormatUint(next, 10))
	writeKeys(c, buf, ends)
	return nil
}

// RANDOMKEY: a random key, or null when the database is empty.
func cmdRandomKey(c *client, args [][]byte) error {
	tx := c.begin()
	defer tx.End()
	key, ok := tx.RandomKey(nil)
	if !ok {
		c.w.WriteNull()
		return nil
	}
	c.w.WriteBulk(key)
	return nil
}

// RENAME key newkey
func cmdRename(c *client, args [][]byte) error {
	tx := c.begin(args[1], args[2])
	defer tx.End()
	if err := tx.Rename(args[1], args[2]); err != nil {
		return err
	}
	c.renamed(args[1], args[2])
	c.w.WriteSimple("OK")
	return nil
}

// RENAMENX key newkey: 1 when renamed, 0 when newkey exists.
func cmdRenameNX(c *client, args [][]byte) error {
	tx := c.begin(args[1], args[2])
	defer tx.End()
	ok, err := tx.RenameNX(args[1], args[2])
	if err != nil {
		return err
	}
	if ok {
		c.renamed(args[1], args[2])
	}
	c.w.WriteInt(boolInt(ok))
	return nil
}

// renamed reports the effects of RENAME and RENAMENX. Matches Redis: renaming a key to itself changes nothing.
func (c *client) renamed(src, dst []byte) {
	if bytes.Equal(src, dst) {
		return
	}
	c.wrote(notifyGeneric, "rename_from", src)
	c.wrote(notifyGeneric, "rename_to", dst)
	c.stats.dirty.Add(-1) // Matches Redis: a rename is one change to server.dirty, not two
	c.signalReady(dst)
}

// parseDB reads a database index as Redis's COPY and MOVE do: a C int, then a range check.
func (c *client) parseDB(b []byte) (int, error) {
	n, err := parseInt32(b)
	if err != nil {
		return 0, err
	}
	if n < 0 || n >= int64(c.srv.cfg.Databases) {
		return 0, errDBIndex
	}
	return int(n), nil
}

// COPY source destination [DB destination-db] [REPLACE]: 1 when copied. Matches Redis: options are checked
// left to right, so a bad DB index is reported before a later syntax error.
func cmdCopy(c *client, args [][]byte) error {
	dstDB, replace := c.db, false
	for i := 3; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "replace"):
			replace = true
		case strings.EqualFold(string(args[i]), "db") && i+1 < len(args):
			n, err := c.parseDB(args[i+1])
			if err != nil {
				return err
			}
			dstDB = n
			i++
		default:
			return errSyntax
		}
	}
	// A key lives in the same shard in every database, so locking both names covers the destination database.
	tx := c.begin(args[1], args[2])
	defer tx.End()
	if dstDB != c.db || !bytes.Equal(args[1], args[2]) {
		c.countLookup(args[1], tx.Exists(args[1])) // Matches Redis: the source is read with lookupKeyRead
	}
	ok, err := tx.Copy(args[1], dstDB, args[2], replace)
	if err != nil {
		return err
	}
	if ok {
		c.wroteIn(dstDB, notifyGeneric, "copy_to", args[2])
		c.signalReadyIn(dstDB, args[2])
	}
	c.w.WriteInt(boolInt(ok))
	return nil
}

// MOVE key db: 1 when moved, 0 when key is missing or already exists in db.
func cmdMove(c *client, args [][]byte) error {
	db, err := c.parseDB(args[2])
	if err != nil {
		return err
	}
	tx := c.begin(args[1])
	defer tx.End()
	ok, err := tx.Move(args[1], db)
	if err != nil {
		return err
	}
	if ok {
		c.wrote(notifyGeneric, "move_from", args[1])
		c.wroteIn(db, notifyGeneric, "move_to", args[1])
		c.signalReadyIn(db, args[1])
	}
	c.w.WriteInt(boolInt(ok))
	return nil
}

// SWAPDB index1 index2. Matches Redis: an index that is not a C int gets its own message, naming which one,
// and both are parsed before either is range-checked.
func cmdSwapDB(c *client, args [][]byte) error {
	a, err := parseInt32(args[1])
	if err != nil {
		return errorf("invalid first DB index")
	}
	b, err := parseInt32(args[2])
	if err != nil {
		return errorf("invalid second DB index")
	}
	tx := c.beginAll()
	defer tx.End()
	if err := tx.SwapDB(int(a), int(b)); err != nil {
		return err
	}
	c.changes(1) // Matches Redis: one change, and so propagated
	c.signalDBsReady(int(a), int(b))
	// Matches Redis: a watched key of either database that exists in either one now holds another value.
	exists := existsIn(&tx)
	c.srv.touchWatchedIn(func(k blockKey) bool {
		return exists(blockKey{int(a), k.key}) || exists(blockKey{int(b), k.key})
	}, int(a), int(b))
	c.w.WriteSimple("OK")
	return nil
}

// existsIn returns a test of whether a key exists, for a Txn that holds every shard lock.
func existsIn(tx *keyspace.Txn) func(k blockKey) bool {
	return func(k blockKey) bool {
		t := tx.Within(k.db)
		defer t.End()
		return t.Exists([]byte(k.key))
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
