package keyspace

import "time"

const (
	// expireSample is how many keys with a TTL one step of active expiry examines.
	// Matches Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP is 20.
	expireSample = 20
	// expireAgainPct: a table is sampled again while more than this share of its last sample had expired.
	expireAgainPct = 25
)

// ActiveExpireCycle removes keys whose TTL has passed at nowMs without waiting for them to be accessed, as Redis's
// active expire cycle does. The server's sweeper calls it about 10 times a second. Each call walks the shards
// round-robin, starting where the previous call stopped; in each database of a shard it examines keys with a
// TTL 20 at a time, continuing while more than 25% of a sample had expired, and it returns once it has visited
// every shard or spent budget. So with regular calls expired keys stay a small share of the keys with a TTL
// and no call pauses a shard for long. Each removed key is reported through OnExpired.
//
// It also refreshes the coarse clock that LRU/LFU access tracking reads, as Redis's server cron does.
// It may be called from any goroutine; concurrent calls run one after another.
func (ks *Keyspace) ActiveExpireCycle(nowMs int64, budget time.Duration) (sampled, expired int) {
	ks.cachedMs.Store(nowMs)
	if ks.keepExpired.Load() {
		return 0, 0 // a replica waits for its primary's DEL
	}
	ks.expire.mu.Lock()
	defer ks.expire.mu.Unlock()
	start := time.Now()
	n := len(ks.shards)
	for i := 0; i < n; i++ {
		s := ks.expire.shard
		sh := &ks.shards[s]
		sh.mu.Lock()
		done := true
		for db := range sh.tables {
			t := &sh.tables[db]
			for len(t.ttlRef) != 0 {
				smp, exp := t.expireStep(ks, s, db, nowMs)
				sampled += smp
				expired += exp
				if exp*100 <= smp*expireAgainPct {
					break
				}
				if time.Since(start) >= budget {
					done = false
					break
				}
			}
			t.maybeShrink()
			if !done {
				break
			}
		}
		sh.mu.Unlock()
		if !done {
			return sampled, expired // resume in this shard next time
		}
		ks.expire.shard = (s + 1) % n
		if time.Since(start) >= budget {
			break
		}
	}
	return sampled, expired
}

// expireStep examines up to expireSample keys of t's TTL index, from where the last step stopped, and removes
// the expired ones. It never resizes t. t is database db of shard s.
func (t *table) expireStep(ks *Keyspace, s, db int, nowMs int64) (sampled, expired int) {
	limit := min(expireSample, len(t.ttlRef))
	for sampled < limit && len(t.ttlRef) != 0 {
		if t.ttlNext >= len(t.ttlRef) {
			t.ttlNext = 0
		}
		i := t.ttlNext
		sampled++
		if t.ttlAt[i] < nowMs {
			// Removing moves the last TTL entry into slot i, which the next sample then examines.
			ks.preserveRef(s, db, t, t.ttlRef[i])
			expireRef(ks, db, t, t.ttlRef[i])
			expired++
			continue
		}
		t.ttlNext++
	}
	return sampled, expired
}
