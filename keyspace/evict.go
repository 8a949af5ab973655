package keyspace

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Policy is a maxmemory-policy: which keys [Keyspace.Evict] removes.
type Policy uint8

// The eviction policies of Redis 7. LRU policies evict the keys idle longest, LFU ones the least frequently
// used, Random ones any key, VolatileTTL the keys closest to expiring; Volatile policies consider only keys
// with an expiry. NoEviction evicts nothing: writes fail once memory is full.
const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
	"volatile-lfu", "volatile-random", "volatile-ttl"}

// String returns the policy's name in redis.conf, such as "allkeys-lru".
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "unknown"
}

// ParsePolicy returns the Policy named s (as redis.conf spells it, any case). It reports false for an unknown name.
func ParsePolicy(s string) (Policy, bool) {
	for i, n := range policyNames {
		if len(n) == len(s) && bytes.EqualFold([]byte(n), []byte(s)) {
			return Policy(i), true
		}
	}
	return NoEviction, false
}

// LFU reports whether p evicts by access frequency, which makes the keyspace keep LFU counters.
func (p Policy) LFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// LRU reports whether p evicts by idle time.
func (p Policy) LRU() bool { return p == AllKeysLRU || p == VolatileLRU }

func (p Policy) volatile() bool { return p >= VolatileLRU }

// evictPoolSize is how many of the best candidates seen in samples are kept between eviction rounds.
// Matches Redis: EVPOOL_SIZE is 16.
const evictPoolSize = 16

// candidate is a key the eviction pool remembers, with its score (higher evicts first).
type candidate struct {
	score uint64
	shard int
	db    int
	key   []byte // owned by the pool; its buffer is reused
}

// evictor is the state of eviction, guarded by mu: callers of Evict run one after another.
type evictor struct {
	mu      sync.Mutex
	pool    [evictPoolSize]candidate // pool[:n], in ascending score order
	n       int
	shard   int // where the next sampling round starts
	evicted atomic.Int64
}

// SetEvictionPolicy changes the eviction policy, as CONFIG SET maxmemory-policy does. Switching between LRU and
// LFU changes the meaning of the access field; matches Redis: existing keys keep their old field until they
// are next accessed, so their idle times or frequencies are off for a while.
func (ks *Keyspace) SetEvictionPolicy(p Policy) {
	ks.policy.Store(uint32(p))
	ks.lfu.Store(p.LFU())
}

// EvictionPolicy returns the current eviction policy.
func (ks *Keyspace) EvictionPolicy() Policy { return Policy(ks.policy.Load()) }

// LFU reports whether the keyspace keeps LFU counters (an LFU policy) rather than LRU clocks.
func (ks *Keyspace) LFU() bool { return ks.lfu.Load() }

// SetEvictionSamples sets how many keys each eviction round samples (maxmemory-samples); n below 1 counts as 1.
func (ks *Keyspace) SetEvictionSamples(n int) { ks.samples.Store(int32(min(max(n, 1), math.MaxInt32))) }

// SetLFUTuning sets Redis's lfu-log-factor and lfu-decay-time (minutes); negative values count as 0.
func (ks *Keyspace) SetLFUTuning(logFactor, decayTime int) {
	ks.lfuLogFactor.Store(int32(min(max(logFactor, 0), math.MaxInt32)))
	ks.lfuDecayTime.Store(int32(min(max(decayTime, 0), math.MaxInt32)))
}

// EvictedKeys returns how many keys Evict has removed since the keyspace was created (INFO's evicted_keys).
func (ks *Keyspace) EvictedKeys() int64 { return ks.evict.evicted.Load() }

// Evict removes keys chosen by the eviction policy until [Keyspace.UsedMemory] is at most target bytes, and
// returns how many it removed. It returns ErrOOM when it cannot get there: the policy is NoEviction, or no key
// is left that the policy may evict. Each removed key is reported through [Config.OnEvicted].
//
// Like Redis it approximates the policy by sampling: each round samples maxmemory-samples keys from a few
// shards, keeps the best candidates seen so far in a pool of 16 that persists across calls, and evicts the
// best one still present. The caller must hold no Txn: Evict locks one shard at a time.
func (ks *Keyspace) Evict(target int64) (int, error) {
	if ks.used.Load() <= target {
		return 0, nil
	}
	p := ks.EvictionPolicy()
	if p == NoEviction {
		return 0, ErrOOM
	}
	ev := &ks.evict
	ev.mu.Lock()
	defer ev.mu.Unlock()
	n := 0
	for ks.used.Load() > target {
		var ok bool
		if p == AllKeysRandom || p == VolatileRandom {
			ok = ks.evictRandom(p)
		} else {
			ok = ks.evictBest(p)
		}
		if !ok {
			return n, ErrOOM
		}
		n++
	}
	return n, nil
}

// evictRandom removes one random key the policy may evict, visiting shards round-robin from a random one so
// that every key has about the same chance. It reports false when there is none.
func (ks *Keyspace) evictRandom(p Policy) bool {
	start := rand.IntN(len(ks.shards))
	for i := range ks.shards {
		s := (start + i) % len(ks.shards)
		sh := &ks.shards[s]
		ks.lockShard(s)
		first := rand.IntN(len(sh.tables))
		for j := range sh.tables {
			db := (first + j) % len(sh.tables)
			t := &sh.tables[db]
			var ref uint32
			switch {
			case p.volatile() && len(t.ttlRef) != 0:
				ref = t.ttlRef[rand.IntN(len(t.ttlRef))]
			case !p.volatile() && t.count != 0:
				ref = t.randomRef()
			default:
				continue
			}
			ks.preserveRef(s, db, t, ref)
			ks.evictRef(db, t, ref)
			sh.mu.Unlock()
			return true
		}
		sh.mu.Unlock()
	}
	return false
}

// evictBest refills the pool from a sampling round and removes its best candidate that still exists, as
// Redis's performEvictions does for the LRU, LFU and TTL policies. It reports false when no key can be evicted.
func (ks *Keyspace) evictBest(p Policy) bool {
	ev := &ks.evict
	for {
		ks.sample(p)
		if ev.n == 0 {
			return false
		}
		for ev.n > 0 {
			ev.n--
			c := &ev.pool[ev.n]
			sh := &ks.shards[c.shard]
			ks.lockShard(c.shard)
			t := &sh.tables[c.db]
			ref := t.find(hashKey(c.key), c.key)
			if ref != 0 && (!p.volatile() || t.recs[ref-1].ttl != 0) {
				ks.preserveRef(c.shard, c.db, t, ref)
				ks.evictRef(c.db, t, ref)
				sh.mu.Unlock()
				return true
			}
			sh.mu.Unlock() // a stale candidate: deleted, or lost its expiry, since it was sampled
		}
	}
}

// sample visits shards from where the last round stopped, adding the keys it samples to the pool, until it has
// sampled maxmemory-samples keys or visited every shard.
func (ks *Keyspace) sample(p Policy) {
	ev := &ks.evict
	want := int(ks.samples.Load())
	seen := 0
	lru, now := p.LRU(), ks.cachedMs.Load()
	clock := lruClock(now)
	for i := 0; i < len(ks.shards) && seen < want; i++ {
		s := ev.shard % len(ks.shards)
		ev.shard = s + 1
		sh := &ks.shards[s]
		ks.lockShard(s)
		for db := range sh.tables {
			t := &sh.tables[db]
			n := t.count
			if p.volatile() {
				n = len(t.ttlRef)
			}
			for k := min(n, want); k > 0; k-- {
				var ref uint32
				if p.volatile() {
					ref = t.ttlRef[sh.next()%uint64(n)]
				} else {
					ref = t.randomRef()
				}
				r := &t.recs[ref-1]
				var score uint64
				switch {
				case p == VolatileTTL:
					score = math.MaxUint64 - uint64(t.ttlAt[r.ttl-1])
				case lru:
					score = uint64(lruIdle(clock, r.access()))
				default:
					score = 255 - uint64(ks.lfuDecr(r.access(), now))
				}
				ev.add(score, s, db, r.key())
				seen++
			}
		}
		sh.mu.Unlock()
	}
}

// add inserts a candidate into the pool in score order, dropping the worst one when the pool is full. A key
// already in the pool gets the new score.
func (ev *evictor) add(score uint64, shard, db int, key []byte) {
	for i := 0; i < ev.n; i++ {
		if c := &ev.pool[i]; c.db == db && bytes.Equal(c.key, key) {
			ev.remove(i)
			break
		}
	}
	i := 0
	for i < ev.n && ev.pool[i].score < score {
		i++
	}
	if ev.n == evictPoolSize {
		if i == 0 {
			return // worse than everything in a full pool
		}
		// Drop the worst (pool[0]) by shifting pool[1:i] down, reusing its key buffer for the new entry.
		spare := ev.pool[0].key
		copy(ev.pool[:i-1], ev.pool[1:i])
		i--
		ev.pool[i] = candidate{key: spare}
	} else {
		spare := ev.pool[ev.n].key
		copy(ev.pool[i+1:ev.n+1], ev.pool[i:ev.n])
		ev.pool[i] = candidate{key: spare}
		ev.n++
	}
	c := &ev.pool[i]
	c.score, c.shard, c.db, c.key = score, shard, db, append(c.key[:0], key...)
}

// remove deletes pool[i], keeping its key buffer for reuse.
func (ev *evictor) remove(i int) {
	spare := ev.pool[i].key
	copy(ev.pool[i:ev.n-1], ev.pool[i+1:ev.n])
	ev.n--
	ev.pool[ev.n] = candidate{key: spare}
}

// evictRef removes the key at ref, reporting it through OnEvicted, and counts it.
func (ks *Keyspace) evictRef(db int, t *table, ref uint32) {
	if fn := ks.cfg.OnEvicted; fn != nil {
		fn(db, t.recs[ref-1].key())
	}
	t.remove(ref)
	t.maybeShrink()
	ks.evict.evicted.Add(1)
}
