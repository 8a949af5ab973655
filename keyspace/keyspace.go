package keyspace

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Keyspace holds every database of a server. It is safe for concurrent use; all access goes through a [Txn].
type Keyspace struct {
	cfg          Config
	shards       []shard
	shardBits    uint
	shift        uint                   // hash >> shift is the shard index
	allShards    [MaxShards / 64]uint64 // a Txn's locked set with every shard in it
	lfu          atomic.Bool            // an LFU policy is set: access fields hold LFU counters
	policy       atomic.Uint32
	samples      atomic.Int32
	lfuLogFactor atomic.Int32
	lfuDecayTime atomic.Int32
	evict        evictor
	cachedMs     atomic.Int64 // coarse clock for LRU/LFU, refreshed by ActiveExpireCycle
	used         atomic.Int64 // estimated bytes of all keys, the sum of every table.mem (see memory.go)
	limits       atomic.Pointer[Limits]
	snap         atomic.Pointer[Snapshot] // the open snapshot, if any
	shared       sharedObjects            // values read outside their lock: copy-on-write (see shared.go)
	keepExpired  atomic.Bool              // a replica's keyspace: see SetKeepExpired
	gate         gate
	expire       struct {
		mu    sync.Mutex // serialises ActiveExpireCycle callers
		shard int        // where the next cycle starts
	}
}

// shard is one lock and its part of every database. It is padded so that neighbouring locks do not share a cache line.
type shard struct {
	mu     sync.Mutex
	tables []table   // one per database
	rng    uint64    // xorshift state for LFU increments and RandomKey, used under mu
	snap   *Snapshot // the snapshot waiting for this shard to be serialised, under mu (see snapshot.go)
	_      [64 - (8+24+8+8)%64]byte
}

// New returns an empty keyspace configured by cfg; zero fields of cfg take their defaults from [DefaultConfig].
func New(cfg Config) (*Keyspace, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ks := &Keyspace{cfg: cfg, shards: make([]shard, cfg.Shards)}
	ks.shardBits = uint(bits.TrailingZeros(uint(cfg.Shards)))
	ks.shift = 64 - ks.shardBits
	for i := range ks.shards {
		ks.shards[i].tables = make([]table, cfg.Databases)
		for db := range ks.shards[i].tables {
			ks.shards[i].tables[db].used = &ks.used
			if cfg.SlotOf != nil {
				ks.shards[i].tables[db].slots = newSlotIndex(cfg.SlotOf)
			}
		}
		ks.shards[i].rng = uint64(i)*0x9e3779b97f4a7c15 + 1
		ks.allShards[i>>6] |= 1 << (i & 63)
	}
	ks.SetEvictionPolicy(cfg.Policy)
	ks.SetEvictionSamples(cfg.Samples)
	ks.SetLFUTuning(cfg.LFULogFactor, cfg.LFUDecayTime)
	ks.SetLimits(DefaultLimits())
	ks.cachedMs.Store(cfg.Clock())
	return ks, nil
}

// Databases returns the number of databases.
func (ks *Keyspace) Databases() int { return ks.cfg.Databases }

// hashSeed keys the hash of keys and of collection elements with a random value per process, as Redis keys its
// SipHash: someone who can choose keys (or hash fields) cannot compute ones that pile into one bucket chain and
// turn every lookup into a scan of it. maphash is Go's seeded hash (AES-based where the CPU has AES), and no
// slower than xxhash was on 16-byte keys.
var hashSeed = maphash.MakeSeed()

func hashKey(key []byte) uint64 { return maphash.Bytes(hashSeed, key) }

func (ks *Keyspace) shardOf(h uint64) int { return int(h >> ks.shift & uint64(len(ks.shards)-1)) }

// Txn is the lock scope of one command, a MULTI/EXEC block or a script. It is a small value: keep it in a local
// variable (it must not be copied after Begin) and call End exactly once. A Txn is used by one goroutine.
//
// Begin(db, keys...) locks the shards of keys; every key the Txn touches must be among them, else the Txn panics.
// BeginAll excludes every other Txn. A Txn from Begin with no keys locks nothing and may only use the keyspace-wide
// methods (Len, Keys, Scan, RandomKey, Flush, FlushAll, SwapDB), which then lock what they need themselves.
type Txn struct {
	ks     *Keyspace
	db     int
	all    bool
	locked [MaxShards / 64]uint64
	nowMs  int64
	// hash of the last key looked at, so a single-key command hashes its key once
	hkey  *byte
	hlen  int
	hval  uint64
	one   int // 1 + the only locked shard of a single-key Txn, else 0
	ended bool
	share bool // from Within: uses another Txn's locks, End releases nothing
	read  bool // ReadOnly: changes no key, so needs no snapshot serialised first (see snapshot.go)
	stale bool // SeeExpired: keys whose TTL passed are still there (a replica applying its primary's stream)
	hook  EndHook
}

// SetKeepExpired switches the keyspace to a replica's expiry, as Redis's replicas do: a key whose TTL passed is
// hidden from reads ([Txn.ReadOnly] Txns find it missing) but stays until it is deleted explicitly, by the
// DEL the primary propagates when the key expires there. Nothing is removed lazily by reads, by SCAN, KEYS or
// RandomKey, nor by [Keyspace.ActiveExpireCycle]. A Txn that writes still removes an expired key it meets (a
// writable replica's own writes), and one marked [Txn.SeeExpired] sees it as present.
func (ks *Keyspace) SetKeepExpired(on bool) { ks.keepExpired.Store(on) }

// SeeExpired makes the Txn see keys whose TTL passed as present: the primary's commands on a replica apply to
// the keys the primary has, which it deletes by sending DEL when it expires them ([Keyspace.SetKeepExpired]).
func (tx *Txn) SeeExpired() { tx.stale = true }

// EndHook is told that a Txn is ending, before the Txn releases its locks (see [Txn.OnEnd]).
type EndHook interface{ TxnEnding() }

// OnEnd makes End call h.TxnEnding() while the Txn still holds its locks: the place to record what the Txn
// changed in an order that agrees with every other Txn on the same keys (a replication stream, an append-only
// file). A share from [Txn.Within] never calls it; the Txn it shares does, once, at its own End.
func (tx *Txn) OnEnd(h EndHook) { tx.hook = h }

// Begin locks the shards of keys, in ascending shard order so that concurrent Txns never deadlock, and returns
// the Txn scope for database db. It panics if db is out of range. Duplicate keys are fine. The bytes of keys
// must not be modified until End: a single-key Txn reuses the key's hash for later calls with the same slice.
func (ks *Keyspace) Begin(db int, keys ...[]byte) Txn {
	if uint(db) >= uint(ks.cfg.Databases) {
		panic("keyspace: database index out of range")
	}
	tx := Txn{ks: ks, db: db}
	if len(keys) == 1 {
		h := hashKey(keys[0])
		s := ks.shardOf(h)
		tx.locked[s>>6] = 1 << (s & 63)
		tx.hkey, tx.hlen, tx.hval = unsafe.SliceData(keys[0]), len(keys[0]), h
		tx.one = s + 1
		ks.shards[s].mu.Lock() // lockShard, inlined by hand for the hot path
		if ks.gate.closed.Load() {
			ks.relockShard(s)
		}
		return tx
	}
	var hs [prefetchKeys]uint64
	for i, k := range keys {
		h := hashKey(k)
		if i < len(hs) {
			hs[i] = h
		}
		s := ks.shardOf(h)
		tx.locked[s>>6] |= 1 << (s & 63)
	}
	ks.lockSet(&tx.locked)
	ks.prefetch(db, hs[:min(len(keys), len(hs))])
	return tx
}

// Prefetch loads into the CPU's cache what looking up the first 16 non-nil keys in database db will read, so
// that commands about to run on them, such as a pipeline's, wait for memory together rather than one after
// another (see prefetch). It changes nothing, and does nothing while a [Keyspace.BeginAll] Txn holds the keyspace
// (it would have to wait for it).
func (ks *Keyspace) Prefetch(db int, keys [][]byte) {
	if uint(db) >= uint(ks.cfg.Databases) || ks.gate.closed.Load() {
		return
	}
	var hs [prefetchKeys]uint64
	var locked [MaxShards / 64]uint64
	n := 0
	for _, k := range keys {
		if k == nil {
			continue
		}
		if n == len(hs) {
			break
		}
		h := hashKey(k)
		hs[n] = h
		n++
		s := ks.shardOf(h)
		locked[s>>6] |= 1 << (s & 63)
	}
	if n < 2 {
		return // one lookup has nothing to overlap with
	}
	ks.lockBits(&locked)
	if !ks.gate.closed.Load() { // closed meanwhile: the BeginAll waits for these locks, so let go at once
		ks.prefetch(db, hs[:n])
	}
	ks.unlockSet(&locked)
}

// prefetchKeys is how many keys of a multi-key Begin [Keyspace.prefetch] loads ahead.
const prefetchKeys = 16

// prefetch loads into the CPU's cache what looking up the keys hashed to hs will read, in three passes: the
// bucket heads, then the first rec of each chain, then that rec's blob or box. The loads of one pass do not
// depend on each other, so their cache misses overlap, where the lookups one key at a time would wait for each
// miss in turn (on this project's 2-core VM a miss costs about 110 ns, and MSET of 10 random keys spent half its
// time in them). The shards must be locked. The result only keeps the loads from being optimised away, as does
// go:noinline.
//
//go:noinline
func (ks *Keyspace) prefetch(db int, hs []uint64) uint32 {
	var tabs [prefetchKeys]*table
	var refs [prefetchKeys]uint32
	for i, h := range hs {
		t := &ks.shards[ks.shardOf(h)].tables[db]
		tabs[i] = t
		if len(t.buckets) != 0 {
			refs[i] = t.buckets[uint32(h)&uint32(len(t.buckets)-1)]
		}
	}
	var ptrs [prefetchKeys]unsafe.Pointer
	var sum uint32
	for i, ref := range refs[:len(hs)] {
		if ref != 0 {
			r := &tabs[i].recs[ref-1]
			ptrs[i] = r.ptr
			sum += r.hash
		}
	}
	for _, p := range ptrs[:len(hs)] {
		if p != nil {
			sum += uint32(*(*byte)(p))
		}
	}
	return sum
}

// BeginAll returns a Txn for database db in which any key may be used and nothing else runs: MULTI/EXEC,
// scripts, FLUSHALL, SWAPDB and anything that must see the keyspace still. It closes the gate (see gate.go)
// rather than locking every shard: it waits for the Txns holding shard locks to end, and later ones wait
// until this one ends.
func (ks *Keyspace) BeginAll(db int) Txn {
	if uint(db) >= uint(ks.cfg.Databases) {
		panic("keyspace: database index out of range")
	}
	tx := Txn{ks: ks, db: db, all: true, locked: ks.allShards}
	ks.closeGate()
	return tx
}

// Within returns a Txn for database db that works under tx's locks without owning them: its End releases
// nothing. It lets each command of a group run in tx (MULTI/EXEC, a script) as if it had its own Txn. It must
// end before tx does, and it shares tx's time (see [Txn.Now]) when tx has read it.
func (tx *Txn) Within(db int) Txn {
	if uint(db) >= uint(tx.ks.cfg.Databases) {
		panic("keyspace: database index out of range")
	}
	t := *tx
	t.db, t.hkey, t.share, t.hook = db, nil, true, nil
	return t
}

// End releases the Txn's locks. The Txn and every [Entry] it returned are unusable afterwards.
func (tx *Txn) End() {
	if tx.ended {
		panic("keyspace: Txn ended twice")
	}
	tx.ended = true
	if tx.share {
		return
	}
	if tx.hook != nil {
		tx.hook.TxnEnding()
	}
	switch {
	case tx.one != 0:
		tx.ks.shards[tx.one-1].mu.Unlock()
	case tx.all:
		tx.ks.openGate()
	default:
		tx.ks.unlockSet(&tx.locked)
	}
}

// DB returns the database the Txn's key operations use.
func (tx *Txn) DB() int { return tx.db }

// Select changes the database the Txn's key operations use, as SELECT inside MULTI does. Shard locks cover all
// databases, so the locked keys stay locked.
func (tx *Txn) Select(db int) error {
	if uint(db) >= uint(tx.ks.cfg.Databases) {
		return ErrDBIndex
	}
	tx.db = db
	return nil
}

// Now returns the time the Txn judges expiry by, in Unix ms. It is read from the clock once, on first use, so a
// whole command (or MULTI block, or script) sees one time, as in Redis.
func (tx *Txn) Now() int64 {
	if tx.nowMs == 0 {
		tx.nowMs = tx.ks.cfg.Clock()
	}
	return tx.nowMs
}

func (tx *Txn) isLocked(s int) bool { return tx.locked[s>>6]&(1<<(s&63)) != 0 }

// hash returns the hash of key, reusing the one computed by a single-key Begin for the same slice (which must
// not have been modified since, see Begin).
func (tx *Txn) hash(key []byte) uint64 {
	if tx.hkey != nil && tx.hkey == unsafe.SliceData(key) && tx.hlen == len(key) {
		return tx.hval
	}
	return hashKey(key)
}

// loc finds the shard and table of key in database db, checking that the Txn holds its lock.
func (tx *Txn) loc(db int, key []byte) (*shard, *table, uint64) {
	h := tx.hash(key)
	s := tx.ks.shardOf(h)
	if !tx.isLocked(s) {
		panic("keyspace: key used outside the Txn's locked keys")
	}
	sh := &tx.ks.shards[s]
	if !tx.read && sh.snap != nil {
		tx.ks.preserveKey(s, db, key, h)
	}
	return sh, &sh.tables[db], h
}

// lookup finds key in database db, removing it (and reporting it expired) if its TTL has passed. It returns the
// table and the key's ref, 0 if absent.
func (tx *Txn) lookup(db int, key []byte) (*shard, *table, uint64, uint32) {
	sh, t, h := tx.loc(db, key)
	ref := t.find(h, key)
	if ref != 0 && t.recs[ref-1].ttl != 0 && tx.expired(t, ref) {
		if tx.ks.keepExpired.Load() && (tx.stale || tx.read) {
			if !tx.stale {
				return sh, t, h, 0 // hidden, not removed: the primary's DEL removes it
			}
			tx.own(t, ref)
			return sh, t, h, ref
		}
		tx.ks.preserveRef(tx.ks.shardOf(h), db, t, ref) // a read-only Txn changes this key all the same
		tx.expireRef(db, t, ref)
		t.maybeShrink()
		ref = 0
	}
	if ref != 0 {
		tx.own(t, ref)
	}
	return sh, t, h, ref
}

// own gives the key at ref a value of its own if a write Txn found it shared (see shared.go): this Txn may change
// it.
func (tx *Txn) own(t *table, ref uint32) {
	if !tx.read && tx.ks.shared.n.Load() != 0 {
		tx.ks.unshareRec(t, ref)
	}
}

// expired reports whether the key at ref has expired. Matches Redis (keyIsExpired): a key expires after its
// expiry time, so it is still there during the millisecond it names.
func (tx *Txn) expired(t *table, ref uint32) bool {
	return t.ttlAt[t.recs[ref-1].ttl-1] < tx.Now()
}

// expireRef removes an expired key and reports it through OnExpired.
func (tx *Txn) expireRef(db int, t *table, ref uint32) {
	expireRef(tx.ks, db, t, ref)
}

func expireRef(ks *Keyspace, db int, t *table, ref uint32) {
	if fn := ks.cfg.OnExpired; fn != nil {
		fn(db, t.recs[ref-1].key())
	}
	t.remove(ref)
}

// Entry is a key's value as found by [Txn.Lookup]. It is a handle into the locked table: valid until the Txn
// changes that database (any write, or a lookup that expires a key) or ends. Slices it returns alias the stored
// value and must not be modified or kept.
type Entry struct {
	t   *table
	ref uint32
}

func (e Entry) rec() *rec { return &e.t.recs[e.ref-1] }

// Kind returns the kind of value.
func (e Entry) Kind() Kind { return e.rec().kind() }

// Key returns the key.
func (e Entry) Key() []byte { return e.rec().key() }

// Encoding returns the value's internal representation, for OBJECT ENCODING.
func (e Entry) Encoding() Encoding {
	r := e.rec()
	if r.kind() == KindString {
		return r.strEnc()
	}
	return ptrBox(r.ptr).obj.Encoding()
}

// ExpireAt returns the key's absolute expiry in Unix ms, or 0 if it has none.
func (e Entry) ExpireAt() int64 { return e.t.expireAt(e.rec()) }

// Object returns the value of a non-string key, or nil for a string.
func (e Entry) Object() Object {
	r := e.rec()
	if r.kind() == KindString {
		return nil
	}
	return ptrBox(r.ptr).obj
}
