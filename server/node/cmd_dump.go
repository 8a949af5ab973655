package node

import (
	"bytes"
	"errors"
	"sync"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/resp"
)

var _ = register(map[string]handler{
	"dump":           cmdDump,
	"restore":        cmdRestore,
	"restore-asking": cmdRestore,
})

// Reply errors of DUMP and RESTORE.
var (
	errBusyKey     = &resp.Error{Code: "BUSYKEY", Msg: "Target key name already exists."}
	errDumpPayload = errorf("DUMP payload version or checksum are wrong")
	errBadData     = errorf("Bad data format")
	errInvalidTTL  = errorf("Invalid TTL value, must be >= 0")
	errInvalidIdle = errorf("Invalid IDLETIME value, must be >= 0")
	errInvalidFreq = errorf("Invalid FREQ value, must be >= 0 and <= 255")
)

// DUMP key: the value serialised in Redis's format (RDB version 10), or null when the key is missing.
func cmdDump(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	e, ok := tx.Lookup(args[1])
	if !ok {
		c.w.WriteNull()
		return nil
	}
	p, err := dumpPayload(e, tx.Limits())
	if err != nil {
		return err
	}
	c.w.WriteBulk(p)
	return nil
}

// dumpPayload serialises the value of e as DUMP does (and MIGRATE sends it), under the keyspace's limits lim.
func dumpPayload(e keyspace.Entry, lim *keyspace.Limits) ([]byte, error) {
	if e.Kind() == keyspace.KindString {
		var buf [20]byte
		return rdbfmt.AppendStringDump(nil, e.Bytes(buf[:0])), nil
	}
	v, err := dumpValue(e)
	if err != nil {
		return nil, err
	}
	// Encoded under the server's limits, as Redis writes the encoding the value has in memory.
	t, p := rdbfmt.AppendValue([]byte{0}, v, dumpConfig(lim))
	p[0] = byte(t)
	return rdbfmt.SealDump(p, 0, rdbfmt.Version), nil
}

// dumpConfig is the rdbfmt configuration of DUMP payloads under the keyspace's encoding limits.
func dumpConfig(lim *keyspace.Limits) rdbfmt.Config {
	cfg := rdbfmt.DefaultConfig()
	cfg.HashMaxListpackEntries, cfg.HashMaxListpackValue = lim.HashListpackEntries, lim.HashListpackValue
	cfg.SetMaxIntsetEntries = lim.SetIntsetEntries
	cfg.ZSetMaxListpackEntries, cfg.ZSetMaxListpackValue = lim.ZSetListpackEntries, lim.ZSetListpackValue
	return cfg
}

// dumpValue copies a list, hash, set or sorted set out of the keyspace as an rdbfmt value, for DUMP and RDB
// files; see objectValue.
func dumpValue(e keyspace.Entry) (rdbfmt.Value, error) {
	if e.Kind() == keyspace.KindString {
		return nil, errorf("DUMP of string values is not supported here")
	}
	return objectValue(e.Object(), nil, nil)
}

// objectValue returns obj as an rdbfmt value. The elements of lists, hashes, sets and sorted sets are copied
// (the slices that Range methods pass may be scratch space) into blocks rather than one allocation each; a
// stream's value aliases the stored one, so it is valid only while obj stays unchanged (locked, or shared with
// keyspace.Share). With sc, the value is built in sc's memory, reused from value to value: it is valid until the
// next call with sc. pause, when set, is called every few thousand elements (see rdbfmt.Config.Pause).
func objectValue(obj keyspace.Object, pause func(), sc *valueScratch) (rdbfmt.Value, error) {
	if sc == nil {
		sc = new(valueScratch)
	}
	sc.arena.reset()
	a := &sc.arena
	steps := 0
	step := func() {
		if steps++; pause != nil && steps%pauseEvery == 0 {
			pause()
		}
	}
	switch o := obj.(type) {
	case *keyspace.List:
		l := sc.list[:0]
		if o.Len() > 0 {
			o.Range(0, o.Len()-1, func(v []byte) bool { l = append(l, a.keep(v)); step(); return true })
		}
		sc.list = l
		return l, nil
	case *keyspace.Hash:
		h := sc.hash[:0]
		o.Range(func(f, v []byte) bool {
			h = append(h, rdbfmt.Field{Name: a.keep(f), Value: a.keep(v)})
			step()
			return true
		})
		sc.hash = h
		return h, nil
	case *keyspace.Set:
		s := sc.set[:0]
		o.Range(func(m []byte) bool { s = append(s, a.keep(m)); step(); return true })
		sc.set = s
		return s, nil
	case *keyspace.ZSet:
		z := sc.zset[:0]
		if o.Len() > 0 {
			o.Range(0, o.Len()-1, false, func(m []byte, score float64) bool {
				z = append(z, rdbfmt.ZMember{Member: a.keep(m), Score: score})
				step()
				return true
			})
		}
		sc.zset = z
		return z, nil
	case *keyspace.Stream:
		return streamValue(o, step, sc), nil
	}
	return nil, errorf("DUMP of " + obj.Kind().String() + " values is not supported yet")
}

// pauseEvery is how many elements objectValue copies between calls of its pause, as rdbfmt's encoder does
// between calls of Config.Pause: a millisecond or less.
const pauseEvery = 4096

// valueScratch is memory that objectValue reuses from one big value to the next, so that encoding the big values
// of a save makes little garbage (a collection during a save, on one CPU, held up the event loops).
type valueScratch struct {
	list    rdbfmt.List
	hash    rdbfmt.Hash
	set     rdbfmt.Set
	zset    rdbfmt.ZSet
	entries []rdbfmt.StreamEntry
	fields  []rdbfmt.Field
	arena   arena
}

// scratchPool holds valueScratches between saves; the collector empties it, so an idle server does not keep them.
var scratchPool = sync.Pool{New: func() any { return new(valueScratch) }}

// arena copies byte strings into blocks of arenaBlock bytes: one allocation per block instead of one per
// string. reset reuses the blocks.
type arena struct {
	blocks [][]byte
	cur    int // blocks[cur] is being filled
}

const arenaBlock = 64 << 10

func (a *arena) reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.cur = 0
}

// keep returns a copy of b, which is never appended to.
func (a *arena) keep(b []byte) []byte {
	if len(b) > arenaBlock/8 {
		return bytes.Clone(b)
	}
	for a.cur < len(a.blocks) && cap(a.blocks[a.cur])-len(a.blocks[a.cur]) < len(b) {
		a.cur++
	}
	if a.cur == len(a.blocks) {
		a.blocks = append(a.blocks, make([]byte, 0, arenaBlock))
	}
	blk := append(a.blocks[a.cur], b...)
	a.blocks[a.cur] = blk
	return blk[len(blk)-len(b) : len(blk) : len(blk)]
}

// restoreOpts are RESTORE's options after the payload.
type restoreOpts struct {
	replace, absTTL bool
	idle, freq      int64 // -1 when not given
}

// parseRestoreOpts reads REPLACE, ABSTTL, IDLETIME seconds and FREQ frequency. Matches Redis: restoreCommand
// checks each option as it comes, and IDLETIME after FREQ (or FREQ after IDLETIME) is a syntax error, while
// repeating either is not.
func parseRestoreOpts(opts [][]byte) (restoreOpts, error) {
	o := restoreOpts{idle: -1, freq: -1}
	for j := 0; j < len(opts); j++ {
		more := j+1 < len(opts)
		switch {
		case eqFold(opts[j], "replace"):
			o.replace = true
		case eqFold(opts[j], "absttl"):
			o.absTTL = true
		case eqFold(opts[j], "idletime") && more && o.freq == -1:
			n, ok := keyspace.ParseInt(opts[j+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 0 {
				return o, errInvalidIdle
			}
			o.idle = n
			j++
		case eqFold(opts[j], "freq") && more && o.idle == -1:
			n, ok := keyspace.ParseInt(opts[j+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 0 || n > 255 {
				return o, errInvalidFreq
			}
			o.freq = n
			j++
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. Matches Redis: the
// options are checked first, then whether the key exists (BUSYKEY), then the TTL, then the payload's footer and
// its value. A TTL already in the past creates nothing (and, with REPLACE, deletes the old key) but replies OK.
func cmdRestore(c *client, args [][]byte) error {
	key := args[1]
	o, err := parseRestoreOpts(args[4:])
	if err != nil {
		return err
	}
	tx := c.begin(key)
	defer tx.End()
	if !o.replace && tx.Exists(key) {
		return errBusyKey
	}
	ttl, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	if ttl < 0 {
		return errInvalidTTL
	}
	val, obj, err := restoreValue(args[3], tx.Limits())
	if err != nil {
		return err
	}
	at := ttl // 0: no expiry
	if ttl != 0 && !o.absTTL {
		at += tx.Now() // may wrap, as in Redis, and is then in the past
	}
	if ttl != 0 && at <= tx.Now() {
		if o.replace && tx.Delete(key) {
			c.wrote(notifyGeneric, "del", key)
		}
		c.w.WriteSimple("OK")
		return nil
	}
	if obj != nil {
		tx.SetObject(key, obj, at)
	} else {
		tx.SetString(key, val, at)
	}
	c.wrote(notifyGeneric, "restore", key)
	c.signalReady(key)
	// As Redis's objectSetLRUOrLFU: FREQ sets the LFU counter under an LFU policy, IDLETIME backdates the LRU
	// clock otherwise; the option that does not fit the policy does nothing.
	if o.freq >= 0 {
		tx.SetFreq(key, int(o.freq))
	}
	if o.idle >= 0 {
		tx.SetIdle(key, o.idle)
	}
	c.w.WriteSimple("OK")
	return nil
}

// restoreValue checks a DUMP payload and decodes its value, mapping rdbfmt's errors to Redis's two replies: a
// string, or a list, hash, set or sorted set built under lim. Matches Redis: a value with no elements is bad
// data.
func restoreValue(payload []byte, lim *keyspace.Limits) ([]byte, keyspace.Object, error) {
	d, err := rdbfmt.ParseDump(payload)
	if errors.Is(err, rdbfmt.ErrChecksum) || errors.Is(err, rdbfmt.ErrVersion) {
		return nil, nil, errDumpPayload
	}
	if err != nil {
		return nil, nil, errBadData
	}
	if d.Type == rdbfmt.TypeString {
		val, err := d.StringValue()
		if err != nil {
			return nil, nil, errBadData
		}
		return val, nil, nil
	}
	v, err := d.DecodeValue()
	if err != nil {
		return nil, nil, errBadData
	}
	obj := objectOf(v, lim)
	if obj == nil {
		return nil, nil, errBadData
	}
	return nil, obj, nil
}

// objectOf builds the keyspace object of a decoded list, hash, set or sorted set under lim, as the commands
// that add its elements one by one would build it. It returns nil for a value with no elements (Redis skips
// those keys when loading and calls such a payload bad data) and for the kinds the keyspace does not keep yet
// (module values). Strings are stored with SetString instead. RDB loading shares it. Matches Redis: a stream is
// kept even with no entries.
func objectOf(v rdbfmt.Value, lim *keyspace.Limits) keyspace.Object {
	switch v := v.(type) {
	case rdbfmt.List:
		if len(v) > 0 {
			l := keyspace.NewList()
			l.PushBack(v...)
			return l
		}
	case rdbfmt.Hash:
		if len(v) > 0 {
			h := keyspace.NewHash()
			for _, f := range v {
				h.Set(f.Name, f.Value, lim)
			}
			return h
		}
	case rdbfmt.Set:
		if len(v) > 0 {
			s := keyspace.NewSet(v[0], len(v), lim)
			for _, m := range v {
				s.Add(m, lim)
			}
			return s
		}
	case rdbfmt.ZSet:
		if len(v) > 0 {
			maxLen := 0
			for _, m := range v {
				maxLen = max(maxLen, len(m.Member))
			}
			z := keyspace.NewZSetFor(lim, len(v), maxLen)
			for _, m := range v {
				z.Add(lim, m.Member, m.Score, 0) // rdbfmt never yields NaN scores, the only error of a plain Add
			}
			return z
		}
	case *rdbfmt.Stream:
		return streamObject(v, lim)
	}
	return nil
}
