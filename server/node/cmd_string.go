package node

import (
	"math"
	"math/big"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"append":      cmdAppend,
	"decr":        cmdIncr,
	"decrby":      cmdIncrBy,
	"get":         cmdGet,
	"getdel":      cmdGetDel,
	"getex":       cmdGetEx,
	"getrange":    cmdGetRange,
	"getset":      cmdGetSet,
	"incr":        cmdIncr,
	"incrby":      cmdIncrBy,
	"incrbyfloat": cmdIncrByFloat,
	"lcs":         cmdLCS,
	"mget":        cmdMGet,
	"mset":        cmdMSet,
	"msetnx":      cmdMSet,
	"psetex":      cmdSetEx,
	"set":         cmdSet,
	"setex":       cmdSetEx,
	"setnx":       cmdSetNX,
	"setrange":    cmdSetRange,
	"strlen":      cmdStrLen,
	"substr":      cmdGetRange,
})

// Reply errors of the string commands.
var (
	errDecrOverflow = errorf("decrement would overflow")
	errNotFloat     = errorf("value is not a valid float")
	errFloatInf     = errorf("increment would produce NaN or Infinity")
	errStringSize   = errorf("string exceeds maximum allowed size (proto-max-bulk-len)")
	errOffsetRange  = errorf("offset is out of range")
	errLCSType      = errorf("The specified keys must contain string values")
	errLCSIdxLen    = errorf("If you want both the length and indexes, please just use IDX.")
	errLCSMemory    = errorf("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
)

// eqFold reports whether the argument b is the option s (lower case), ignoring ASCII case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}

// Expiry units of SET and GETEX options.
const (
	unitNone = iota
	unitEX
	unitPX
	unitEXAT
	unitPXAT
)

// strOpts are the options of SET and GETEX.
type strOpts struct {
	nx, xx, get, keepTTL, persist bool
	unit                          int    // unitNone when no expiry was given
	expire                        []byte // the expiry argument
}

// parseStrOpts parses SET's options (forSet) or GETEX's. Matches Redis: parseExtendedStringArgumentsOrReply,
// which accepts repeating an option (EX 1 EX 2: the last wins) but not conflicting ones.
func parseStrOpts(opts [][]byte, forSet bool) (strOpts, error) {
	var o strOpts
	for j := 0; j < len(opts); j++ {
		a := opts[j]
		hasNext := j+1 < len(opts)
		unit := unitNone
		switch {
		case eqFold(a, "nx") && !o.xx && forSet:
			o.nx = true
		case eqFold(a, "xx") && !o.nx && forSet:
			o.xx = true
		case eqFold(a, "get") && forSet:
			o.get = true
		case eqFold(a, "keepttl") && !o.persist && o.unit == unitNone && forSet:
			o.keepTTL = true
		case eqFold(a, "persist") && !forSet && o.unit == unitNone && !o.keepTTL:
			o.persist = true
		case eqFold(a, "ex"):
			unit = unitEX
		case eqFold(a, "px"):
			unit = unitPX
		case eqFold(a, "exat"):
			unit = unitEXAT
		case eqFold(a, "pxat"):
			unit = unitPXAT
		default:
			return o, errSyntax
		}
		if unit == unitNone {
			continue
		}
		if o.keepTTL || o.persist || (o.unit != unitNone && o.unit != unit) || !hasNext {
			return o, errSyntax
		}
		o.unit = unit
		o.expire = opts[j+1]
		j++
	}
	return o, nil
}

// expireAt turns an expiry argument into an absolute Unix time in ms. Matches Redis:
// getExpireMillisecondsOrReply, which rejects times <= 0 and overflows as "invalid expire time".
func expireAt(tx *keyspace.Txn, name []byte, unit int, arg []byte) (int64, error) {
	ms, ok := keyspace.ParseInt(arg)
	if !ok {
		return 0, errNotInteger
	}
	seconds := unit == unitEX || unit == unitEXAT
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, invalidExpire(name)
	}
	if seconds {
		ms *= 1000
	}
	if unit == unitEX || unit == unitPX {
		ms += tx.Now() // may wrap, as in Redis, and is caught below
	}
	if ms <= 0 {
		return 0, invalidExpire(name)
	}
	return ms, nil
}

func invalidExpire(name []byte) error {
	return errorf("invalid expire time in '" + strings.ToLower(string(name)) + "' command")
}

// lookupString finds key, which must hold a string if it exists.
func lookupString(tx *keyspace.Txn, key []byte) (keyspace.Entry, bool, error) {
	e, ok := tx.Lookup(key)
	if ok && e.Kind() != keyspace.KindString {
		return e, false, keyspace.ErrWrongType
	}
	return e, ok, nil
}

// readString is lookupString for commands that read key, counted as a keyspace hit or miss.
func (c *client) readString(tx *keyspace.Txn, key []byte) (keyspace.Entry, bool, error) {
	e, ok, err := lookupString(tx, key)
	c.countLookup(key, ok || err != nil)
	return e, ok, err
}

// writeString writes a string value as a bulk reply.
func (c *client) writeString(e keyspace.Entry) {
	c.w.WriteBulk(e.Bytes(c.scratch[:0])) // a scratch on the stack would escape through WriteBulk
}

// replyString looks up a string key and replies with its value, or a null when it is missing; it reports
// whether the key was found. A key of another type is ErrWrongType, with nothing written.
func (c *client) replyString(tx *keyspace.Txn, key []byte) (bool, error) {
	e, ok, err := c.readString(tx, key)
	if err != nil {
		return false, err
	}
	if ok {
		c.writeString(e)
	} else {
		c.w.WriteNull()
	}
	return ok, nil
}

// GET key
func cmdGet(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	_, err := c.replyString(&tx, args[1])
	return err
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
// PXAT unix-time-milliseconds | KEEPTTL]
func cmdSet(c *client, args [][]byte) error {
	o, err := parseStrOpts(args[3:], true)
	if err != nil {
		return err
	}
	return c.setGeneric(args[0], args[1], args[2], o, nil)
}

// SETNX key value: 1 when the key was set.
func cmdSetNX(c *client, args [][]byte) error {
	return c.setGeneric(args[0], args[1], args[2], strOpts{nx: true}, func(set bool) {
		if set {
			c.w.WriteInt(1)
		} else {
			c.w.WriteInt(0)
		}
	})
}

// SETEX key seconds value and PSETEX key milliseconds value.
func cmdSetEx(c *client, args [][]byte) error {
	o := strOpts{unit: unitEX, expire: args[2]}
	if args[0][0] == 'p' || args[0][0] == 'P' {
		o.unit = unitPX
	}
	return c.setGeneric(args[0], args[1], args[3], o, nil)
}

// setGeneric is Redis's setGenericCommand. reply, when not nil, replaces the OK / null replies and is told
// whether the key was set.
func (c *client) setGeneric(name, key, val []byte, o strOpts, reply func(set bool)) error {
	tx := c.begin(key)
	defer tx.End()
	var at int64
	switch {
	case o.unit != unitNone:
		var err error
		if at, err = expireAt(&tx, name, o.unit, o.expire); err != nil {
			return err
		}
	case o.keepTTL:
		at = keyspace.KeepTTL
	}
	var found bool
	if o.get {
		var err error
		if found, err = c.replyString(&tx, key); err != nil {
			return err
		}
	} else {
		found = tx.Exists(key)
	}
	if (o.nx && found) || (o.xx && !found) {
		if found {
			tx.Lookup(key) // Matches Redis: SET looks the key up (an access) before NX refuses it
		}
		if reply != nil {
			reply(false)
		} else if !o.get {
			c.w.WriteNull()
		}
		return nil
	}
	tx.SetString(key, val, at)
	c.wrote(notifyString, "set", key)
	if o.unit != unitNone {
		c.notify(notifyGeneric, "expire", key)
	}
	switch {
	case !c.propagating():
	case o.unit != unitNone && o.unit != unitPXAT:
		// Matches Redis: a relative or seconds expiry propagates as SET key value PXAT ms.
		c.propagate(bytesSET, key, val, bytesPXAT, itob(at))
	case o.get:
		c.propagateWithout("get", 3) // Matches Redis: GET has nothing to replay
	}
	if reply != nil {
		reply(true)
	} else if !o.get {
		c.w.WriteSimple("OK")
	}
	return nil
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
func cmdGetEx(c *client, args [][]byte) error {
	o, err := parseStrOpts(args[2:], false)
	if err != nil {
		return err
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	e, ok, err := c.readString(&tx, key)
	if err != nil {
		return err
	}
	if !ok {
		c.w.WriteNull()
		return nil
	}
	// Matches Redis: the expiry is checked only once the key is known to exist.
	var at int64
	if o.unit != unitNone {
		if at, err = expireAt(&tx, args[0], o.unit, o.expire); err != nil {
			return err
		}
	}
	c.writeString(e)
	switch {
	case (o.unit == unitEXAT || o.unit == unitPXAT) && at <= tx.Now():
		tx.Delete(key)
		c.wrote(notifyGeneric, "del", key)
		c.propagate(bytesDEL, key)
	case o.unit != unitNone:
		tx.Expire(key, at)
		c.wrote(notifyGeneric, "expire", key)
		if c.propagating() {
			c.propagate(bytesPEXPIREAT, key, itob(at))
		}
	case o.persist:
		if tx.Persist(key) {
			c.wrote(notifyGeneric, "persist", key)
			c.propagate(bytesPERSIST, key)
		}
	}
	return nil
}

// GETDEL key
func cmdGetDel(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	ok, err := c.replyString(&tx, args[1])
	if ok {
		tx.Delete(args[1])
		c.wrote(notifyGeneric, "del", args[1])
		c.propagate(bytesDEL, args[1])
	}
	return err
}

// GETSET key value: the old value; the new one has no TTL.
func cmdGetSet(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	if _, err := c.replyString(&tx, args[1]); err != nil {
		return err
	}
	tx.SetString(args[1], args[2], 0)
	c.wrote(notifyString, "set", args[1])
	c.propagate(bytesSET, args[1], args[2])
	return nil
}

// MGET key [key ...]: null for missing keys and keys of other types.
func cmdMGet(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	c.w.WriteArrayLen(len(keys))
	for _, k := range keys {
		e, ok := tx.Lookup(k)
		c.countLookup(k, ok)
		if !ok || e.Kind() != keyspace.KindString {
			c.w.WriteNull()
			continue
		}
		c.writeString(e)
	}
	return nil
}

// MSET key value [key value ...] and MSETNX key value [key value ...] (which sets nothing, replying 0, when any
// key exists).
func cmdMSet(c *client, args [][]byte) error {
	name := strings.ToLower(string(args[0]))
	if len(args)%2 == 0 {
		return arityError(name)
	}
	keys := make([][]byte, 0, len(args)/2)
	for j := 1; j < len(args); j += 2 {
		keys = append(keys, args[j])
	}
	tx := c.begin(keys...)
	defer tx.End()
	nx := name == "msetnx"
	if nx {
		for _, k := range keys {
			if tx.Exists(k) {
				c.w.WriteInt(0)
				return nil
			}
		}
	}
	for j := 1; j < len(args); j += 2 {
		tx.SetString(args[j], args[j+1], 0)
		c.wrote(notifyString, "set", args[j])
	}
	if nx {
		c.w.WriteInt(1)
	} else {
		c.w.WriteSimple("OK")
	}
	return nil
}

// STRLEN key
func cmdStrLen(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	e, ok, err := c.readString(&tx, args[1])
	if err != nil {
		return err
	}
	n := 0
	if ok {
		n = e.StrLen()
	}
	c.w.WriteInt(int64(n))
	return nil
}

// checkStringLength fails when a string of size bytes grown by add bytes would exceed proto-max-bulk-len.
// Matches Redis: checkStringLength, including its overflow checks.
func (c *client) checkStringLength(size, add int64) error {
	total := int64(uint64(size) + uint64(add))
	if total > c.srv.cfg.ProtoMaxBulkLen || total < size || total < add {
		return errStringSize
	}
	return nil
}

// APPEND key value: the new length. The TTL is kept. Matches Redis: a new key is stored as SET stores it (int,
// embstr or raw); appending to an existing one makes it raw and grows it in place, with spare capacity.
func cmdAppend(c *client, args [][]byte) error {
	key, val := args[1], args[2]
	tx := c.begin(key)
	defer tx.End()
	e, ok, err := lookupString(&tx, key)
	if err != nil {
		return err
	}
	if !ok {
		tx.SetString(key, val, 0)
		c.wrote(notifyString, "append", key)
		c.w.WriteInt(int64(len(val)))
		return nil
	}
	olen := e.StrLen()
	if err := c.checkStringLength(int64(olen), int64(len(val))); err != nil {
		return err
	}
	buf, err := tx.StringBuf(key, olen+len(val))
	if err != nil {
		return err
	}
	copy(buf[olen:], val)
	c.wrote(notifyString, "append", key)
	c.w.WriteInt(int64(len(buf)))
	return nil
}

// SETRANGE key offset value: the new length. The TTL is kept; the string is changed in place.
func cmdSetRange(c *client, args [][]byte) error {
	key, val := args[1], args[3]
	off, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	if off < 0 {
		return errOffsetRange
	}
	tx := c.begin(key)
	defer tx.End()
	e, found, err := lookupString(&tx, key)
	if err != nil {
		return err
	}
	olen := 0
	if found {
		olen = e.StrLen()
	}
	if len(val) == 0 {
		c.w.WriteInt(int64(olen))
		return nil
	}
	if err := c.checkStringLength(off, int64(len(val))); err != nil {
		return err
	}
	buf, err := tx.StringBuf(key, int(off)+len(val))
	if err != nil {
		return err
	}
	copy(buf[off:], val)
	c.wrote(notifyString, "setrange", key)
	c.w.WriteInt(int64(len(buf)))
	return nil
}

// GETRANGE key start end and SUBSTR key start end. Matches Redis: getrangeCommand's index clamping.
func cmdGetRange(c *client, args [][]byte) error {
	start, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	end, ok := keyspace.ParseInt(args[3])
	if !ok {
		return errNotInteger
	}
	tx := c.begin(args[1])
	defer tx.End()
	e, found, err := c.readString(&tx, args[1])
	if err != nil {
		return err
	}
	if !found {
		c.w.WriteBulk(nil)
		return nil
	}
	var buf [20]byte
	s := e.Bytes(buf[:0])
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.w.WriteBulk(nil)
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.w.WriteBulk(nil)
		return nil
	}
	c.w.WriteBulk(s[start : end+1])
	return nil
}

// INCR key and DECR key.
func cmdIncr(c *client, args [][]byte) error {
	delta := int64(1)
	if args[0][0] == 'd' || args[0][0] == 'D' {
		delta = -1
	}
	return c.incrBy(args[1], delta)
}

// INCRBY key increment and DECRBY key decrement.
func cmdIncrBy(c *client, args [][]byte) error {
	delta, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	if args[0][0] == 'd' || args[0][0] == 'D' {
		if delta == math.MinInt64 {
			return errDecrOverflow // Matches Redis: negating LLONG_MIN would overflow.
		}
		delta = -delta
	}
	return c.incrBy(args[1], delta)
}

func (c *client) incrBy(key []byte, delta int64) error {
	tx := c.begin(key)
	defer tx.End()
	n, err := tx.IncrBy(key, delta)
	if err != nil {
		return err
	}
	c.wrote(notifyString, "incrby", key)
	c.w.WriteInt(n)
	return nil
}

// Limits of the x87 80-bit long double Redis computes INCRBYFLOAT in, as exponents of big.Float's MantExp
// (x = m × 2^exp with 0.5 <= m < 1): it overflows at 2^16384 and rounds to zero below 2^-16446.
const (
	ldMantBits = 64
	ldMaxExp   = 16384
	ldMinExp   = -16445
)

// parseLongDouble parses b as Redis's string2ld does with strtold: decimal or hexadecimal floats, "inf" and
// "infinity" (reported by inf), no surrounding spaces, no NaN, nothing that overflows or underflows to zero.
// The value is rounded to a 64-bit mantissa, the precision of a long double.
func parseLongDouble(b []byte) (f *big.Float, inf, ok bool) {
	const maxChars = 5 * 1024 // MAX_LONG_DOUBLE_CHARS
	if len(b) == 0 || len(b) >= maxChars {
		return nil, false, false
	}
	s := string(b)
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if lower := strings.ToLower(body); lower == "inf" || lower == "infinity" {
		return nil, true, true
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	if !validFloat(body, hex) {
		return nil, false, false
	}
	f = new(big.Float).SetPrec(ldMantBits).SetMode(big.ToNearestEven)
	base := 10
	if hex {
		base = 0
	}
	if _, _, err := f.Parse(s, base); err != nil {
		return nil, false, false
	}
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > ldMaxExp || exp <= ldMinExp-1 {
			return nil, false, false // ERANGE: HUGE_VAL or zero
		}
	}
	return f, false, true
}

// validFloat reports whether s (without its sign) is a whole floating-point number in strtold's syntax:
// digits with an optional point and at least one digit, then an optional exponent (e for decimal, p for hex,
// followed by at least one decimal digit).
func validFloat(s string, hex bool) bool {
	digit := func(ch byte) bool { return '0' <= ch && ch <= '9' }
	mant := digit
	expCh := byte('e')
	if hex {
		s = s[2:]
		mant = func(ch byte) bool { return digit(ch) || ('a' <= ch|0x20 && ch|0x20 <= 'f') }
		expCh = 'p'
	}
	i, n := 0, 0
	for i < len(s) && mant(s[i]) {
		i, n = i+1, n+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && mant(s[i]) {
			i, n = i+1, n+1
		}
	}
	if n == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i]|0x20 != expCh {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if !digit(s[i]) {
			return false
		}
	}
	return true
}

// formatLongDouble formats f as Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" with the trailing zeros of the
// fraction (and a bare point) removed, and "-0" written as "0".
func formatLongDouble(f *big.Float) []byte {
	s := f.Append(nil, 'f', 17)
	if i := len(s); i > 0 {
		for s[i-1] == '0' {
			i--
		}
		if s[i-1] == '.' {
			i--
		}
		s = s[:i]
	}
	if string(s) == "-0" {
		s = s[1:]
	}
	return s
}

// INCRBYFLOAT key increment: the new value, computed with the precision of a long double and kept as a string.
func cmdIncrByFloat(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	e, found, err := lookupString(&tx, key)
	if err != nil {
		return err
	}
	cur, curInf := new(big.Float).SetPrec(ldMantBits), false
	if found {
		var buf [20]byte
		v, inf, ok := parseLongDouble(e.Bytes(buf[:0]))
		if !ok {
			return errNotFloat
		}
		cur, curInf = v, inf
	}
	incr, incrInf, ok := parseLongDouble(args[2])
	if !ok {
		return errNotFloat
	}
	if curInf || incrInf {
		return errFloatInf
	}
	sum := new(big.Float).SetPrec(ldMantBits).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		return errFloatInf
	}
	s := formatLongDouble(sum)
	tx.SetStringNoInt(key, s, keyspace.KeepTTL)
	c.wrote(notifyString, "incrbyfloat", key)
	if c.propagating() {
		// Matches Redis: the result, so that float formatting cannot make a replica differ.
		c.propagate(bytesSET, key, []byte(s), bytesKEEPTTL)
	}
	c.w.WriteBulk(s)
	return nil
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]. Matches Redis: lcsCommand, including
// the order in which it reports the matching ranges (from the end of the strings).
func cmdLCS(c *client, args [][]byte) error {
	tx := c.begin(args[1], args[2])
	defer tx.End()
	// A lookup that expires a key invalidates earlier entries, so a is copied before b is looked up.
	var a, b []byte
	ea, okA := tx.Lookup(args[1])
	c.countLookup(args[1], okA)
	if okA && ea.Kind() == keyspace.KindString {
		a = ea.Bytes(nil)
		a = append([]byte(nil), a...)
	}
	eb, okB := tx.Lookup(args[2])
	c.countLookup(args[2], okB)
	if (okA && ea.Kind() != keyspace.KindString) || (okB && eb.Kind() != keyspace.KindString) {
		return errLCSType
	}
	if okB {
		var buf [20]byte
		b = eb.Bytes(buf[:0])
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		opt := args[j]
		switch {
		case eqFold(opt, "idx"):
			getIdx = true
		case eqFold(opt, "len"):
			getLen = true
		case eqFold(opt, "withmatchlen"):
			withLen = true
		case eqFold(opt, "minmatchlen") && j+1 < len(args):
			n, ok := keyspace.ParseInt(args[j+1])
			if !ok {
				return errNotInteger
			}
			minLen = max(n, 0)
			j++
		default:
			return errSyntax
		}
	}
	if getIdx && getLen {
		return errLCSIdxLen
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1)*4 > uint64(c.srv.cfg.ProtoMaxBulkLen) {
		return errLCSMemory
	}
	// lcs[i*(blen+1)+j] is the length of the LCS of a[:i] and b[:j].
	w := blen + 1
	lcs := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				lcs[i*w+j] = lcs[(i-1)*w+j-1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i-1)*w+j], lcs[i*w+j-1])
			}
		}
	}
	total := lcs[alen*w+blen]
	if getLen {
		c.w.WriteInt(int64(total))
		return nil
	}
	// Walk back from the end, collecting the LCS and the ranges of contiguous matches.
	result := make([]byte, total)
	type match struct{ aStart, aEnd, bStart, bEnd int }
	var matches []match
	idx := int(total)
	cur, inRange := match{}, false
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			switch {
			case !inRange:
				cur, inRange = match{i - 1, i - 1, j - 1, j - 1}, true
			case cur.aStart == i && cur.bStart == j:
				cur.aStart--
				cur.bStart--
			default:
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if lcs[(i-1)*w+j] > lcs[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = inRange
		}
		if emit {
			if n := int64(cur.aEnd - cur.aStart + 1); minLen == 0 || n >= minLen {
				matches = append(matches, cur)
			}
			inRange = false
		}
	}
	if !getIdx {
		c.w.WriteBulk(result)
		return nil
	}
	c.w.WriteMapLen(2)
	c.w.WriteBulkString("matches")
	c.w.WriteArrayLen(len(matches))
	for _, m := range matches {
		if withLen {
			c.w.WriteArrayLen(3)
		} else {
			c.w.WriteArrayLen(2)
		}
		c.w.WriteArrayLen(2)
		c.w.WriteInt(int64(m.aStart))
		c.w.WriteInt(int64(m.aEnd))
		c.w.WriteArrayLen(2)
		c.w.WriteInt(int64(m.bStart))
		c.w.WriteInt(int64(m.bEnd))
		if withLen {
			c.w.WriteInt(int64(m.aEnd - m.aStart + 1))
		}
	}
	c.w.WriteBulkString("len")
	c.w.WriteInt(int64(total))
	return nil
}
