// Package keyspace implements Carmine's databases: binary-safe keys holding typed values, millisecond expiry,
// LRU/LFU access fields, and the locking that makes every command atomic while commands on different keys run
// in parallel. It knows nothing of RESP or networking, never logs and starts no goroutines.
//
// # Using it
//
// A [Keyspace] from [New] holds every database. A command handler opens a [Txn] for the keys it will touch,
// works on them, writes its reply while still holding the locks (values are read in place, not copied) and ends
// the Txn:
//
//	tx := ks.Begin(db, key)            // SET key val EX 10
//	tx.SetString(key, val, tx.Now()+10_000)
//	tx.End()
//
//	tx := ks.Begin(db, src, dst)       // RENAME src dst
//	err := tx.Rename(src, dst)         // ErrNoSuchKey -> "ERR no such key"
//	tx.End()
//
// [Txn.Lookup] returns an [Entry], a handle to the stored value valid until the Txn writes to that database.
// Strings are complete; the other kinds (list, hash, set, zset, stream) plug in as an [Object].
//
// # Concurrency
//
// The keyspace is split into shards (256 by default) by the top bits of the xxhash of the key. A shard is one
// sync.Mutex and, for each database, a hash table of its keys; a key lives in the same shard in every database,
// so MOVE, COPY between databases and SWAPDB never need more than the key's own locks. [Keyspace.Begin] locks
// the shards of its keys in ascending order, which makes deadlock impossible, and the Txn checks that every key
// it touches is covered. A command on one key therefore costs one hash and one uncontended mutex, and commands
// on keys of different shards run in parallel on all cores.
//
// Groups of commands that must see nothing interleaved (MULTI/EXEC, scripts, FLUSHALL, SWAPDB, KEYS) use
// [Keyspace.BeginAll], which locks every shard in the same ascending order. There is deliberately no keyspace-wide
// RWMutex: taking it shared on every command would put an atomic add on one shared cache line into the hot path
// of every core, while BeginAll pays 256 uncontended lock operations (a few microseconds) only when it is used.
// A Txn from Begin with no keys holds nothing and can run the keyspace-wide operations, which lock what they need:
// Len, Keys, Flush, FlushAll and SwapDB lock every shard for the call (atomic, like Redis); Scan and RandomKey lock
// one shard at a time. A MULTI block whose keys are all known in advance may also use Begin with all of them.
//
// # Memory layout
//
// Each shard's table for one database is a chained hash table with power-of-two bucket arrays ([]uint32 of
// chain heads) and a slice of 24-byte records (pointer, next, hash, kind/encoding/access bits, TTL slot). A string
// key and its value share one pointer-free allocation (the blob), so a key costs one allocation besides its
// share of the slices and the garbage collector has nothing inside blobs to scan. Int-encoded strings store the
// int64 in 8 bytes and are updated in place by INCR; a SET of a value with the same stored size reuses its blob.
// Other kinds are reached through a small box holding the key and the [Object]. Tables grow at load factor 1 and
// shrink (compacting their records) below 1/8, each resize touching one shard-database only.
//
// # Expiry
//
// Expiry times are absolute Unix milliseconds. Keys with a TTL are also listed in a dense per-table index
// (record ref and time), so active expiry samples them without scanning all keys. Expiry is lazy (a lookup of an
// expired key removes it) and active: the server calls [Keyspace.ActiveExpireCycle] about 10 times a second
// with a time budget. Both report each removal through [Config.OnExpired], called with the shard locked, so the
// server can propagate DEL and emit the "expired" notification in order.
//
// # Snapshots (to come)
//
// Go cannot fork, so BGSAVE, full resync and AOF rewrite will iterate the keyspace shard by shard while writes
// continue. The intended design: a snapshot gets an epoch; each shard remembers whether it has been serialised
// in the current epoch, and each record has a mark bit (reserved in rec.meta) telling whether it was visited.
// Before a write changes or removes a key of a shard not yet serialised whose record is not yet marked, the
// writer hands the old value (or a copy, for in-place mutations such as INCR and SETRANGE) to the snapshot and
// marks the record. Keys are then serialised exactly as they were when the snapshot began, and the extra work
// falls only on keys written during a snapshot. Since writes happen under the shard lock, the hook is one check
// in the few write paths of table.go and string.go.
package keyspace
