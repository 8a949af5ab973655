package keyspace

import "time"

// The 24-bit access field of each key follows Redis: with LRU it is the LRU clock (Unix seconds mod 2^24) of the
// last access; with LFU it is the last decrement time (Unix minutes mod 2^16) << 8 | a logarithmic 8-bit counter.

const (
	lruClockMax = accessFieldLimit - 1
	lfuInitVal  = 5 // Matches Redis: LFU_INIT_VAL, the counter of a new key.
)

func lruClock(ms int64) uint32 { return uint32(ms/1000) & lruClockMax }

func lfuMinutes(ms int64) uint32 { return uint32(ms/60000) & 0xffff }

// initAccess returns the access field of a newly written value.
func (ks *Keyspace) initAccess() uint32 {
	ms := ks.cachedMs.Load()
	if ks.lfu.Load() {
		return lfuMinutes(ms)<<8 | lfuInitVal
	}
	return lruClock(ms)
}

// touch records an access to r, as Redis does on every lookup that is not NOTOUCH.
func (ks *Keyspace) touch(sh *shard, r *rec) {
	ms := ks.cachedMs.Load()
	if !ks.lfu.Load() {
		r.setAccess(lruClock(ms))
		return
	}
	counter := ks.lfuDecr(r.access(), ms)
	if counter < 255 {
		base := float64(counter) - lfuInitVal
		if base < 0 {
			base = 0
		}
		if sh.rand01() < 1.0/(base*float64(ks.cfg.LFULogFactor)+1) {
			counter++
		}
	}
	r.setAccess(lfuMinutes(ms)<<8 | counter)
}

// lfuDecr returns the LFU counter of field v decayed by the minutes elapsed since its last decrement.
func (ks *Keyspace) lfuDecr(v uint32, ms int64) uint32 {
	ldt, counter := v>>8, v&0xff
	if ks.cfg.LFUDecayTime <= 0 {
		return counter
	}
	now := lfuMinutes(ms)
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 0xffff - ldt + now
	}
	periods := elapsed / uint32(ks.cfg.LFUDecayTime)
	if periods >= counter {
		return 0
	}
	return counter - periods
}

// IdleTime returns how long ago e was last accessed, for OBJECT IDLETIME (which replies in seconds). It is
// meaningful only while the keyspace tracks LRU (see [Keyspace.SetLFU]).
func (tx *Txn) IdleTime(e Entry) time.Duration {
	now := lruClock(tx.Now())
	lru := e.rec().access()
	var secs uint32
	if now >= lru {
		secs = now - lru
	} else {
		secs = now + (lruClockMax - lru)
	}
	return time.Duration(secs) * time.Second
}

// Freq returns the decayed LFU counter of e, for OBJECT FREQ. It is meaningful only while the keyspace tracks LFU.
func (tx *Txn) Freq(e Entry) int {
	return int(tx.ks.lfuDecr(e.rec().access(), tx.Now()))
}

func (sh *shard) next() uint64 {
	x := sh.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	sh.rng = x
	return x
}

func (sh *shard) rand01() float64 { return float64(sh.next()>>11) / (1 << 53) }
