package keyspace

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The gate makes a BeginAll Txn exclusive without locking 256 shards. Every other locker of a shard (Begin, the
// keyspace-wide operations, active expiry, eviction, snapshots) takes the gate shared in the same motion: it
// locks its shards, then loads gate.closed; if the gate is closed it unlocks them again and waits for the
// exclusive Txn to end. BeginAll takes it exclusive: it stores gate.closed, then looks at each shard's lock and
// waits for those it finds locked to be unlocked. With sequentially consistent atomics on both sides (a shard
// lock is a compare-and-swap) this is a Dekker handshake: either the locker sees the gate closed, or BeginAll
// sees the shard locked; so once BeginAll has looked at every shard, no other Txn holds a shard and none can
// get one. The shared side costs one load of a line that is written only when an exclusive Txn starts or ends,
// so commands on different keys still run in parallel without a shared counter; the exclusive side costs two
// atomic stores, one mutex and a load per shard, against a lock and an unlock per shard before.
type gate struct {
	_      [64]byte // keep the flag off the lines of the keyspace's busy counters
	closed atomic.Bool
	_      [63]byte
	mu     sync.Mutex // held by the exclusive Txn from BeginAll to End; the queue of lockers that found it closed
}

// Exclusive reports whether a [Keyspace.BeginAll] Txn is open or waiting for the shards to be released, for
// diagnostics and tests.
func (ks *Keyspace) Exclusive() bool { return ks.gate.closed.Load() }

// closeGate makes the calling Txn the exclusive one (BeginAll).
func (ks *Keyspace) closeGate() {
	ks.gate.mu.Lock()
	ks.gate.closed.Store(true)
	for i := range ks.shards {
		if mu := &ks.shards[i].mu; mutexLocked(mu) {
			mu.Lock() // waits for the Txn holding it, which will find the gate closed when it next locks
			mu.Unlock()
		}
	}
}

// openGate ends the exclusive Txn and lets the lockers waiting for it retry.
func (ks *Keyspace) openGate() {
	ks.gate.closed.Store(false)
	ks.gate.mu.Unlock()
}

// waitGate waits for the exclusive Txn to end. The caller holds no shard lock.
func (ks *Keyspace) waitGate() {
	ks.gate.mu.Lock()
	ks.gate.mu.Unlock() //nolint:staticcheck // an empty critical section: the wait is the point
}

// lockShard locks one shard, taking the gate shared.
func (ks *Keyspace) lockShard(s int) {
	ks.shards[s].mu.Lock()
	if ks.gate.closed.Load() {
		ks.relockShard(s)
	}
}

// relockShard is lockShard's slow path: the gate was found closed with the shard locked.
func (ks *Keyspace) relockShard(s int) {
	mu := &ks.shards[s].mu
	for ks.gate.closed.Load() {
		mu.Unlock()
		ks.waitGate()
		mu.Lock()
	}
}

// lockSet locks the shards set in m in ascending order, taking the gate shared. The gate is checked once all are
// locked: a locker that held some shards while waiting for the gate would hold up the exclusive Txn forever.
func (ks *Keyspace) lockSet(m *[MaxShards / 64]uint64) {
	for {
		ks.lockBits(m)
		if !ks.gate.closed.Load() {
			return
		}
		ks.unlockSet(m)
		ks.waitGate()
	}
}

// lockBits locks the shards set in m, in ascending order, without looking at the gate.
func (ks *Keyspace) lockBits(m *[MaxShards / 64]uint64) {
	for w, bm := range m {
		for bm != 0 {
			ks.shards[w<<6|bits.TrailingZeros64(bm)].mu.Lock()
			bm &= bm - 1
		}
	}
}

// unlockSet unlocks the shards set in m.
func (ks *Keyspace) unlockSet(m *[MaxShards / 64]uint64) {
	for w, bm := range m {
		for bm != 0 {
			ks.shards[w<<6|bits.TrailingZeros64(bm)].mu.Unlock()
			bm &= bm - 1
		}
	}
}

// mutexLocked reports whether mu is locked, by loading sync.Mutex's state word: its first field, whose lowest
// bit is the locked bit (TestMutexLockedBit checks this layout, so a Go release that changes it fails the
// tests rather than the gate). A load costs far less than the lock and unlock it replaces.
func mutexLocked(mu *sync.Mutex) bool {
	return atomic.LoadInt32((*int32)(unsafe.Pointer(mu)))&1 != 0
}
