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
		if sh.rand01() < 1.0/(base*float64(ks.lfuLogFactor.Load())+1) {
			counter++
		}
	}
	r.setAccess(lfuMinutes(ms)<<8 | counter)
}

// lfuDecr returns the LFU counter of field v decayed by the minutes elapsed since its last decrement.
func (ks *Keyspace) lfuDecr(v uint32, ms int64) uint32 {
	ldt, counter := v>>8, v&0xff
	decay := ks.lfuDecayTime.Load()
	if decay <= 0 {
		return counter
	}
	now := lfuMinutes(ms)
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 0xffff - ldt + now
	}
	periods := elapsed / uint32(decay)
	if periods >= counter {
		return 0
	}
	return counter - periods
}

// IdleTime returns how long ago e was last accessed, for OBJECT IDLETIME (which replies in seconds). It is
// meaningful only while the keyspace tracks LRU (see [Keyspace.LFU]).
func (tx *Txn) IdleTime(e Entry) time.Duration {
	return time.Duration(lruIdle(lruClock(tx.Now()), e.rec().access())) * time.Second
}

// lruIdle returns the seconds from LRU clock lru to now, allowing for one wrap of the clock.
func lruIdle(now, lru uint32) uint32 {
	if now >= lru {
		return now - lru
	}
	return now + (lruClockMax - lru)
}

// SetIdle sets the idle time of key in seconds, as RESTORE ... IDLETIME does, and reports whether key exists. Matches
// Redis: it changes nothing while the keyspace tracks LFU.
func (tx *Txn) SetIdle(key []byte, seconds int64) bool {
	e, ok := tx.Peek(key)
	if ok && !tx.ks.LFU() && seconds >= 0 {
		lru := int64(lruClock(tx.ks.cachedMs.Load())) - seconds%lruClockMax
		if lru < 0 {
			lru += lruClockMax
		}
		e.rec().setAccess(uint32(lru))
	}
	return ok
}

// SetFreq sets the LFU counter of key (0 to 255), as RESTORE ... FREQ does, and reports whether key exists.
// Matches Redis: it changes nothing unless the keyspace tracks LFU.
func (tx *Txn) SetFreq(key []byte, freq int) bool {
	e, ok := tx.Peek(key)
	if ok && tx.ks.LFU() {
		freq = min(max(freq, 0), 255)
		e.rec().setAccess(lfuMinutes(tx.ks.cachedMs.Load())<<8 | uint32(freq))
	}
	return ok
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
