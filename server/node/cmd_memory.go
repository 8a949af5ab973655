package node

import (
	"fmt"
	"runtime/debug"
)

// MEMORY's reports beyond USAGE (cmd_object.go): STATS from the same figures as INFO memory, DOCTOR, PURGE and
// MALLOC-STATS. Carmine's allocator is Go's, so MALLOC-STATS says what Redis says for an allocator without
// statistics, and PURGE returns freed memory to the system as Redis's jemalloc purge does.

var _ = register(map[string]handler{
	"memory|doctor":       cmdMemoryDoctor,
	"memory|malloc-stats": cmdMemoryMallocStats,
	"memory|purge":        cmdMemoryPurge,
	"memory|stats":        cmdMemoryStats,
})

// MEMORY STATS: Redis's fields, as a map; db.N for each database with keys.
func cmdMemoryStats(c *client, args [][]byte) error {
	s := c.srv
	m := readMemory()
	used := uint64(s.usedMemory())
	peak := s.notePeak(used)
	type dbKeys struct{ db, keys, expires int64 }
	var dbs []dbKeys
	var keys int64
	for db := 0; db < s.ks.Databases(); db++ {
		tx := c.beginDB(db)
		n, exp, _ := keyspaceCounts(&tx)
		tx.End()
		if n > 0 {
			dbs = append(dbs, dbKeys{int64(db), n, exp})
			keys += n
		}
	}
	dataset := int64(used) - baseMemory
	perKey := int64(0)
	if keys > 0 {
		perKey = dataset / keys
	}
	w := c.w
	w.WriteMapLen(27 + len(dbs))
	field := func(name string, v int64) { w.WriteBulkString(name); w.WriteInt(v) }
	ratioField := func(name string, v float64) { w.WriteBulkString(name); w.WriteDouble(v) }
	field("peak.allocated", int64(peak))
	field("total.allocated", int64(used))
	field("startup.allocated", baseMemory)
	for _, name := range []string{"replication.backlog", "clients.slaves", "clients.normal", "cluster.links",
		"aof.buffer", "lua.caches", "functions.caches"} {
		field(name, 0)
	}
	for _, d := range dbs {
		w.WriteBulkString(fmt.Sprintf("db.%d", d.db))
		w.WriteMapLen(2)
		field("overhead.hashtable.main", d.keys*recordOverhead)
		field("overhead.hashtable.expires", d.expires*expireOverhead)
	}
	field("overhead.total", baseMemory)
	field("keys.count", keys)
	field("keys.bytes-per-key", perKey)
	field("dataset.bytes", dataset)
	ratioField("dataset.percentage", ratio(uint64(max(dataset, 0)), used)*100)
	ratioField("peak.percentage", ratio(used, peak)*100)
	field("allocator.allocated", int64(m.heap))
	field("allocator.active", int64(m.active))
	field("allocator.resident", int64(m.resident))
	ratioField("allocator-fragmentation.ratio", ratio(m.active, m.heap))
	field("allocator-fragmentation.bytes", int64(m.active)-int64(m.heap))
	ratioField("allocator-rss.ratio", ratio(m.resident, m.active))
	field("allocator-rss.bytes", int64(m.resident)-int64(m.active))
	ratioField("rss-overhead.ratio", ratio(m.rss, m.resident))
	field("rss-overhead.bytes", int64(m.rss)-int64(m.resident))
	ratioField("fragmentation", ratio(m.rss, used))
	field("fragmentation.bytes", int64(m.rss)-int64(used))
	return nil
}

// recordOverhead and expireOverhead are what one key costs the keyspace's tables beyond its name and value,
// and one TTL its index: MEMORY STATS's per-database hash table overheads.
const (
	recordOverhead = 24
	expireOverhead = 16
)

// MEMORY DOCTOR: Redis's report. Like Redis, it declines to judge an instance using under 5 MB.
func cmdMemoryDoctor(c *client, args [][]byte) error {
	if c.srv.usedMemory() < 5<<20 {
		c.w.WriteVerbatim("txt", "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
		return nil
	}
	c.w.WriteVerbatim("txt", "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
	return nil
}

// MEMORY MALLOC-STATS: Go's allocator has no report in jemalloc's form.
func cmdMemoryMallocStats(c *client, args [][]byte) error {
	c.w.WriteVerbatim("txt", "Stats not supported for the current allocator")
	return nil
}

// MEMORY PURGE: return freed memory to the operating system.
func cmdMemoryPurge(c *client, args [][]byte) error {
	debug.FreeOSMemory()
	c.w.WriteSimple("OK")
	return nil
}
