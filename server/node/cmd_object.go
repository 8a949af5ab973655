package node

import (
	"math"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"object|encoding": cmdObjectEncoding,
	"object|freq":     cmdObjectFreq,
	"object|help":     cmdObjectHelp,
	"object|idletime": cmdObjectIdleTime,
	"object|refcount": cmdObjectRefCount,
	"memory|help":     cmdMemoryHelp,
	"memory|usage":    cmdMemoryUsage,
})

var (
	errIdleTimeLFU = errorf("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	errFreqNotLFU  = errorf("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
)

// objectReply looks up key without recording an access (Redis's LOOKUP_NOTOUCH) and, when it exists, calls
// reply with the entry; a missing key gets a null reply.
func (c *client) objectReply(key []byte, reply func(tx *keyspace.Txn, e keyspace.Entry) error) error {
	tx := c.begin(key)
	defer tx.End()
	e, ok := tx.Peek(key)
	if !ok {
		c.w.WriteNull()
		return nil
	}
	return reply(&tx, e)
}

// OBJECT ENCODING key
func cmdObjectEncoding(c *client, args [][]byte) error {
	return c.objectReply(args[2], func(_ *keyspace.Txn, e keyspace.Entry) error {
		c.w.WriteBulkString(e.Encoding().String())
		return nil
	})
}

// sharedIntegers is how many small integers Redis keeps as shared objects. Matches Redis: OBJ_SHARED_INTEGERS.
const sharedIntegers = 10000

// OBJECT REFCOUNT key. Carmine shares no values, but it replies what Redis would: Redis stores the integers 0
// to 9999 as shared objects, whose reference count reads INT_MAX, unless maxmemory is set with an LRU or LFU
// policy (which needs a per-key access field).
func cmdObjectRefCount(c *client, args [][]byte) error {
	return c.objectReply(args[2], func(_ *keyspace.Txn, e keyspace.Entry) error {
		n, isInt := int64(0), e.Kind() == keyspace.KindString && e.Encoding() == keyspace.EncInt
		if isInt {
			n, _ = e.Int()
		}
		p := c.srv.ks.EvictionPolicy()
		shared := c.srv.maxMemory.Load() == 0 || !(p.LRU() || p.LFU())
		if isInt && shared && n >= 0 && n < sharedIntegers {
			c.w.WriteInt(math.MaxInt32)
		} else {
			c.w.WriteInt(1)
		}
		return nil
	})
}

// OBJECT IDLETIME key: seconds since the last access; an error under an LFU policy.
func cmdObjectIdleTime(c *client, args [][]byte) error {
	return c.objectReply(args[2], func(tx *keyspace.Txn, e keyspace.Entry) error {
		if c.srv.ks.LFU() {
			return errIdleTimeLFU
		}
		c.w.WriteInt(int64(tx.IdleTime(e).Seconds()))
		return nil
	})
}

// OBJECT FREQ key: the logarithmic access counter; an error unless an LFU policy is set.
func cmdObjectFreq(c *client, args [][]byte) error {
	return c.objectReply(args[2], func(tx *keyspace.Txn, e keyspace.Entry) error {
		if !c.srv.ks.LFU() {
			return errFreqNotLFU
		}
		c.w.WriteInt(int64(tx.Freq(e)))
		return nil
	})
}

// OBJECT HELP
func cmdObjectHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
	return nil
}

// MEMORY USAGE key [SAMPLES count]: the estimated bytes of the key and its value. Carmine measures nested
// values whole, so SAMPLES is checked and otherwise ignored.
func cmdMemoryUsage(c *client, args [][]byte) error {
	for j := 3; j < len(args); j += 2 {
		if !strings.EqualFold(string(args[j]), "samples") || j+1 >= len(args) {
			return errSyntax
		}
		n, ok := keyspace.ParseInt(args[j+1])
		if !ok {
			return errNotInteger
		}
		if n < 0 {
			return errSyntax
		}
	}
	return c.objectReply(args[2], func(_ *keyspace.Txn, e keyspace.Entry) error {
		c.w.WriteInt(e.MemoryUsage())
		return nil
	})
}

// MEMORY HELP
func cmdMemoryHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
	return nil
}
