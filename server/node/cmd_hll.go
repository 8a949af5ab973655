package node

import (
	"strings"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/hll"
)

// The HyperLogLog commands (Redis's hyperloglog.c). A HyperLogLog is a string in Redis's own representation
// (package hll), changed in place through keyspace.Txn.StringBuf.

var _ = register(map[string]handler{
	"pfadd":   cmdPFAdd,
	"pfcount": cmdPFCount,
	"pfmerge": cmdPFMerge,
	"pfdebug": cmdPFDebug,
	// PFSELFTEST: Redis's test of its HyperLogLog code, which the hll package's tests are here. OK, as Redis.
	"pfselftest": func(c *client, args [][]byte) error { c.w.WriteSimple("OK"); return nil },
})

// Reply errors of the HyperLogLog commands.
var (
	errHLLType    = &resp.Error{Code: "WRONGTYPE", Msg: "Key is not a valid HyperLogLog string value."}
	errHLLInvalid = &resp.Error{Code: "INVALIDOBJ", Msg: "Corrupted HLL object detected"}
)

// hllValue returns the bytes of the HyperLogLog at key and whether it exists. A key of another type is
// ErrWrongType, a string that is not a HyperLogLog errHLLType. With read it counts a keyspace hit or miss.
func (c *client) hllValue(tx *keyspace.Txn, key []byte, read bool) ([]byte, bool, error) {
	var e keyspace.Entry
	var ok bool
	var err error
	if read {
		e, ok, err = c.readString(tx, key)
	} else {
		e, ok, err = lookupString(tx, key)
	}
	if err != nil || !ok {
		return nil, false, err
	}
	if e.Encoding() == keyspace.EncInt { // Matches Redis: an int-encoded string is no HyperLogLog
		return nil, false, errHLLType
	}
	h := e.Bytes(nil)
	if !hll.Valid(h) {
		return nil, false, errHLLType
	}
	return h, true, nil
}

// PFADD key [element ...]: 1 if a register changed or the key was created, else 0.
func cmdPFAdd(c *client, args [][]byte) error {
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	_, found, err := c.hllValue(&tx, key, false)
	if err != nil {
		return err
	}
	var h []byte
	updated := !found
	if found {
		if h, err = tx.StringBuf(key, 0); err != nil { // Matches Redis: the value turns raw
			return err
		}
	} else {
		h = hll.New()
	}
	sparseMax := tx.Limits().HLLSparseMaxBytes
	for _, elem := range args[2:] {
		var changed bool
		h, changed, err = hll.Add(h, elem, sparseMax)
		if err != nil {
			tx.SetStringBuf(key, h) // Matches Redis: the registers set before the corrupt part stay set
			return errHLLInvalid
		}
		updated = updated || changed
	}
	if updated {
		hll.Invalidate(h)
	}
	tx.SetStringBuf(key, h)
	if updated {
		c.wrote(notifyString, "pfadd", key)
	}
	c.w.WriteInt(b2i(updated))
	return nil
}

// PFCOUNT key [key ...]: the estimated cardinality of one HyperLogLog, or of the union of several. Matches
// Redis: with one key the estimate is cached in the value's header (which turns it raw, even when the cache
// was current); with several nothing is written.
func cmdPFCount(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	if len(keys) > 1 {
		var regs [hll.Registers]uint8
		for _, k := range keys {
			h, ok, err := c.hllValue(&tx, k, true)
			if err != nil {
				return err
			}
			if ok {
				if hll.Merge(&regs, h) != nil {
					return errHLLInvalid
				}
			}
		}
		c.w.WriteInt(int64(hll.CountRegisters(&regs)))
		return nil
	}
	key := keys[0]
	_, ok, err := c.hllValue(&tx, key, true)
	if err != nil || !ok {
		if err == nil {
			c.w.WriteInt(0)
		}
		return err
	}
	h, err := tx.StringBuf(key, 0)
	if err != nil {
		return err
	}
	n, fresh := hll.Cached(h)
	if !fresh {
		if n, err = hll.Count(h); err != nil {
			return errHLLInvalid
		}
		hll.SetCached(h, n)
		c.modified(c.db, key) // Matches Redis: signalModifiedKey, without a keyspace event
		c.changes(1)          // and a change, so that the cached count reaches replicas and the AOF
	}
	c.w.WriteInt(int64(n))
	return nil
}

// PFMERGE destkey [sourcekey ...]: stores in destkey (created if missing, itself one of the sources) the union
// of the HyperLogLogs. Matches Redis: destkey turns dense if any source is dense; otherwise the union's
// registers are written into it one by one, which may promote it.
func cmdPFMerge(c *client, args [][]byte) error {
	keys := args[1:]
	tx := c.begin(keys...)
	defer tx.End()
	var regs [hll.Registers]uint8
	dense := false
	for _, k := range keys {
		h, ok, err := c.hllValue(&tx, k, true)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		dense = dense || hll.IsDense(h)
		if hll.Merge(&regs, h) != nil {
			return errHLLInvalid
		}
	}
	dst := keys[0]
	var h []byte
	if _, ok := tx.Lookup(dst); ok {
		var err error
		if h, err = tx.StringBuf(dst, 0); err != nil {
			return err
		}
	} else {
		h = hll.New()
	}
	h, err := hll.Store(h, &regs, dense, tx.Limits().HLLSparseMaxBytes)
	tx.SetStringBuf(dst, h)
	if err != nil {
		return errHLLInvalid
	}
	c.wrote(notifyString, "pfadd", dst) // Matches Redis: PFMERGE raises a pfadd event
	c.w.WriteSimple("OK")
	return nil
}

// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key: Redis's debugging subcommands. GETREG (the 16384 registers)
// and TODENSE (1 if it converted) turn a sparse value dense, and then propagate as writes; DECODE describes
// a sparse value's opcodes; ENCODING says "sparse" or "dense". Matches Redis: the key is checked before the
// subcommand, a missing one is an error, and no keyspace event is raised.
func cmdPFDebug(c *client, args [][]byte) error {
	if len(args) != 3 {
		return arityError("pfdebug")
	}
	key := args[2]
	tx := c.begin(key)
	defer tx.End()
	h, ok, err := c.hllValue(&tx, key, false)
	if err != nil {
		return err
	}
	if !ok {
		return errorf("The specified key does not exist")
	}
	toDense := func() ([]byte, bool, error) {
		if hll.IsDense(h) {
			return h, false, nil
		}
		d, err := hll.ToDense(h)
		if err != nil {
			return nil, false, errHLLInvalid
		}
		tx.SetStringBuf(key, d)
		c.changes(1) // Matches Redis: server.dirty++, so the command propagates, without signalling the key
		return d, true, nil
	}
	switch sub := string(args[1]); strings.ToLower(sub) {
	case "getreg":
		d, _, err := toDense()
		if err != nil {
			return err
		}
		regs, _ := hll.RegistersOf(d)
		c.w.WriteArrayLen(len(regs))
		for _, r := range regs {
			c.w.WriteInt(int64(r))
		}
	case "todense":
		_, converted, err := toDense()
		if err != nil {
			return err
		}
		c.w.WriteInt(b2i(converted))
	case "decode":
		if hll.IsDense(h) {
			return errorf("HLL encoding is not sparse")
		}
		c.w.WriteBulkString(hll.Decode(h))
	case "encoding":
		c.w.WriteSimple(map[bool]string{true: "dense", false: "sparse"}[hll.IsDense(h)])
	default:
		return errorf("Unknown PFDEBUG subcommand '" + sub + "'")
	}
	return nil
}
