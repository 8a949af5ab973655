package keyspace

import (
	"sync"
	"sync/atomic"
)

// sharedObjects are the values handed out with [Keyspace.Share]: copy-on-write for values too big to copy under
// a lock. A snapshot's serialiser shares a big list, hash, set, sorted set or stream instead of copying its
// elements with the shard's lock held (tens of milliseconds for hundreds of thousands of elements, which every
// command on that shard would wait for), and reads it after letting go of the lock. Until it is unshared, the
// first write Txn to look up a key holding it replaces it with a clone and changes the clone, so the reader
// sees the value as it was shared: only a command that writes that very key pays for a copy, as a write to a
// page shared with Redis's forked child pays for copying the page.
//
// The registry is keyed by the Object itself, not by its key, so a RENAME, MOVE or SWAPDB that carries the
// value elsewhere carries its sharing along.
type sharedObjects struct {
	n  atomic.Int64 // len(m): a write lookup reads only this while nothing is shared
	mu sync.Mutex
	m  map[Object]int // how many holders share each object
}

// Share declares that obj, the value of a key, will be read without any lock until the matching [Keyspace.Unshare]:
// from now on, a write Txn that looks up a key holding obj first replaces it with a clone ([Object.Clone]) and
// works on that. Call it with the key's shard locked (in a [SnapshotFunc], say), so that no write is under way.
// Read-only Txns ([Txn.ReadOnly]) keep reading obj itself, which is safe alongside other readers. Shares nest.
func (ks *Keyspace) Share(obj Object) {
	s := &ks.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[Object]int)
	}
	s.m[obj]++
	s.n.Store(int64(len(s.m)))
}

// Unshare ends one [Keyspace.Share] of obj: once every share has ended, writes change obj in place again.
func (ks *Keyspace) Unshare(obj Object) {
	s := &ks.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c := s.m[obj]; c {
	case 0:
		panic("keyspace: Unshare of an object that is not shared")
	case 1:
		delete(s.m, obj)
	default:
		s.m[obj] = c - 1
	}
	s.n.Store(int64(len(s.m)))
}

// isShared reports whether obj is shared.
func (s *sharedObjects) isShared(obj Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[obj] > 0
}

// unshareRec gives the key at ref of t, if its value is shared, a clone of its own in a new box (the old box may
// also be in a table set aside for the snapshot, see FLUSHDB and SWAPDB). The caller holds the shard's lock in a
// write Txn and checked that something is shared.
func (ks *Keyspace) unshareRec(t *table, ref uint32) {
	r := &t.recs[ref-1]
	if r.kind() == KindString {
		return
	}
	b := ptrBox(r.ptr)
	if !ks.shared.isShared(b.obj) {
		return
	}
	c := b.obj.Clone()
	t.replace(r, boxPtr(newBox(b.key(), c)), r.kind(), EncRaw)
}

// SharedValues returns how many distinct values are shared now: 0 once every [Keyspace.Share] has ended.
func (ks *Keyspace) SharedValues() int { return int(ks.shared.n.Load()) }
