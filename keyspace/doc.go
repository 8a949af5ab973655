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
// The keyspace is split into shards (256 by default) by the top bits of the key's hash (maphash, seeded at
// random per process). A shard is one sync.Mutex and, for each database, a hash table of its keys; a key lives
// in the same shard in every database, so MOVE, COPY between databases and SWAPDB never need more than the
// key's own locks. [Keyspace.Begin] locks
// the shards of its keys in ascending order, which makes deadlock impossible, and the Txn checks that every key
// it touches is covered. A command on one key therefore costs one hash and one uncontended mutex, and commands
// on keys of different shards run in parallel on all cores.
//
// Groups of commands that must see nothing interleaved (MULTI/EXEC, scripts, FLUSHALL, SWAPDB, KEYS) use
// [Keyspace.BeginAll], which closes a keyspace-wide gate instead of locking every shard. There is deliberately no
// keyspace-wide RWMutex: taking it shared on every command would put an atomic add on one shared cache line into
// the hot path of every core. Instead every shard lock doubles as the shared side of the gate: a locker loads one
// read-mostly flag after locking and, if the gate is closed, unlocks and waits; BeginAll sets the flag and waits
// for the shards it finds locked (a Dekker handshake, see gate.go). Begin pays one load of a line nobody writes
// meanwhile; BeginAll pays a load per shard (under a microsecond) instead of 256 lock and unlock operations.
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
// Strings that commands change in place (APPEND, SETRANGE, SETBIT, BITFIELD, PFADD: [Txn.StringBuf]) move to a
// blob with spare capacity that grows as Redis's sds does, so repeated small writes cost amortized O(1).
// Other kinds are reached through a small box holding the key, the [Object] and its last measured size. Tables grow at load factor 1 and
// shrink (compacting their records) below 1/8, each resize touching one shard-database only.
//
// A lookup follows three dependent pointers (bucket head, record, blob or box), and with keys picked at random
// each is usually a cache miss, about 110 ns on the 2-core VM this project is measured on, whose L3 hardly helps.
// So a multi-key Begin (MSET) and [Keyspace.Prefetch] (the server calls it with the first keys of a pipeline)
// load the bucket heads of up to 16 keys, then their records, then their blobs, in three passes of independent
// loads whose misses overlap; the commands then find those lines in the cache. MSET of 10 random keys went from
// 5.6 to 3.4 µs (BenchmarkMSetRandom), and GET in pipelines of 16 from 0.90x to about 1.1x Redis's throughput.
//
// # Expiry
//
// Expiry times are absolute Unix milliseconds. Keys with a TTL are also listed in a dense per-table index
// (record ref and time), so active expiry samples them without scanning all keys. Expiry is lazy (a lookup of an
// expired key removes it) and active: the server calls [Keyspace.ActiveExpireCycle] about 10 times a second
// with a time budget. Both report each removal through [Config.OnExpired], called with the shard locked, so the
// server can propagate DEL and emit the "expired" notification in order.
//
// # Access tracking
//
// The top 24 bits of each record's meta hold what Redis keeps in an object's lru field, so tracking costs no
// memory: under an LRU (or no) eviction policy, the LRU clock (Unix seconds mod 2^24) of the last access, for
// OBJECT IDLETIME; under an LFU policy, the minutes of the last decrement (16 bits) and a logarithmic counter
// (8 bits, new keys start at 5, lfu-log-factor and lfu-decay-time as in Redis), for OBJECT FREQ. [Txn.Lookup]
// and writes to an existing key record an access; [Txn.Peek] does not (Redis's LOOKUP_NOTOUCH: TYPE, TTL,
// EXISTS, OBJECT). The clock is a coarse one refreshed by [Keyspace.ActiveExpireCycle], so the hot path reads
// one atomic instead of the time. [Txn.SetIdle] and [Txn.SetFreq] set the field (RESTORE IDLETIME/FREQ).
//
// # Memory accounting and eviction
//
// Each key has an estimated cost: its record with its share of the table's buckets and spare records, plus its
// allocation rounded up as the Go allocator rounds it (for an [Object], its box, key and [Sizer] estimate).
// Each table sums its keys' costs, and every change is added to one keyspace-wide atomic counter, so
// [Keyspace.UsedMemory] is one load; only writes that change a key's allocation touch it. For 16-byte keys and
// values the estimate is within a few percent of the live heap they take.
//
// [Keyspace.Evict] brings UsedMemory down to a target by removing keys as the maxmemory-policy says,
// approximated as in Redis: each round samples maxmemory-samples keys (from the TTL index for volatile
// policies), keeps the 16 best candidates seen so far in a pool that persists across calls, and evicts the best
// candidate still present. The server calls it before each command while maxmemory is exceeded, and refuses
// commands flagged denyoom when it returns [ErrOOM]. Evicted keys are reported through [Config.OnEvicted].
//
// # Snapshots
//
// Go cannot fork, so a point-in-time copy of every database (BGSAVE; later full resync and AOF rewrite) is a
// [Snapshot] taken while commands go on, by copy-on-write per key. [Txn.StartSnapshot], in a BeginAll Txn,
// marks every shard pending (a few stores per shard): the point in time lies between Txns, so a snapshot never
// holds half of a MULTI/EXEC. Until the saver has serialised a pending shard, the first thing about to change,
// add or remove one of its keys serialises that key's current value alone, with the caller's [SnapshotFunc],
// into the shard's chunk, and sets the record's snapshot bit (metaSnapMark) so the key is saved once. The
// check is one load of a field of the locked shard (shard.snap) in [Txn]'s key lookup (loc, used by every key
// operation, in Begin and BeginAll Txns alike), and before active expiry, eviction, SCAN and RANDOMKEY remove a
// key; a Txn marked [Txn.ReadOnly] (read-only commands) skips it, except when its lookup removes an expired key.
// Records inserted into a pending shard's tables get the bit at once (table.snap), so keys added after the start
// are left out. The saver calls [Snapshot.Next] shard by shard, in order; Next serialises the unmarked records,
// marking them, a piece of snapshotPiece records at a time with the shard's lock held, and lets writers have the
// lock between pieces (a table that shrank meanwhile renumbered its records, so Next starts that table again,
// skipping what is marked); then it clears the bits of the shard. So every key is serialised exactly once, as
// it was at the start, a writer waits for at most one key's copy or one piece (about a hundred microseconds of
// small keys), and only the keys copied by writers wait in memory before their shard's turn.
//
// FLUSHDB, FLUSHALL and SWAPDB do not serialise the pending shards: they set their old tables aside for the
// snapshot (frozen tables) and replace them, which leaves the old ones untouched. SWAPDB's live tables then
// share their records with the frozen ones, so the first write (or Next) to reach such a shard serialises its
// unmarked keys whole, as the snapshot's first version did for every shard. [Snapshot.Close] abandons a
// snapshot (FLUSHALL kills a BGSAVE as Redis does): the pending shards are then released (their bits cleared)
// as they are touched, or by the next StartSnapshot.
//
// A big value (a list, hash, set, sorted set or stream of thousands of elements) would keep its shard locked for
// as long as copying it takes, tens of milliseconds for hundreds of thousands of elements. So a SnapshotFunc may
// share it instead ([Keyspace.Share], shared.go) and read it after the lock is released: the value then becomes
// copy-on-write, and only a write Txn that looks up a key holding it pays for a clone, once, as a write to a page
// shared with Redis's forked child pays for copying that page. [Txn.SerialiseAll] serialises everything at once
// under a BeginAll Txn (SAVE inside MULTI, the saves of FLUSHALL and SHUTDOWN), ignoring the bits.
package keyspace
