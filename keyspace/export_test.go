package keyspace

import "fmt"

// CheckInvariants verifies every table's internal structure; tests call it after mutations.
// It must not run concurrently with writes, since it also checks the keyspace-wide memory total.
func (ks *Keyspace) CheckInvariants() error {
	var total int64
	for s := range ks.shards {
		sh := &ks.shards[s]
		sh.mu.Lock()
		for db := range sh.tables {
			if err := sh.tables[db].check(); err != nil {
				sh.mu.Unlock()
				return fmt.Errorf("shard %d db %d: %w", s, db, err)
			}
			total += sh.tables[db].mem
		}
		sh.mu.Unlock()
	}
	if used := ks.used.Load(); used != total {
		return fmt.Errorf("used memory %d, tables hold %d", used, total)
	}
	return nil
}

func (t *table) check() error {
	seen := 0
	var mem int64
	for b, head := range t.buckets {
		for ref := head; ref != 0; ref = t.recs[ref-1].next {
			r := &t.recs[ref-1]
			if r.ptr == nil {
				return fmt.Errorf("free rec %d in bucket %d", ref, b)
			}
			if int(r.hash)&(len(t.buckets)-1) != b {
				return fmt.Errorf("rec %d in wrong bucket", ref)
			}
			if uint32(hashKey(r.key())) != r.hash {
				return fmt.Errorf("rec %d hash mismatch", ref)
			}
			if r.ttl != 0 && t.ttlRef[r.ttl-1] != ref {
				return fmt.Errorf("rec %d ttl slot mismatch", ref)
			}
			seen++
			mem += r.memUsage()
		}
	}
	if mem != t.mem {
		return fmt.Errorf("accounted %d bytes, keys hold %d", t.mem, mem)
	}
	if t.used == nil {
		return fmt.Errorf("table not linked to the keyspace total")
	}
	if seen != t.count {
		return fmt.Errorf("count %d, chained %d", t.count, seen)
	}
	if len(t.ttlRef) != len(t.ttlAt) {
		return fmt.Errorf("ttl index lengths differ")
	}
	for i, ref := range t.ttlRef {
		if t.recs[ref-1].ttl != uint32(i+1) {
			return fmt.Errorf("ttl entry %d points to rec %d with slot %d", i, ref, t.recs[ref-1].ttl)
		}
	}
	if t.slots != nil {
		return t.slots.check(t)
	}
	return nil
}

// check verifies that every live rec is linked exactly once, in the list of its key's slot, and the counts.
func (x *slotIndex) check(t *table) error {
	linked := 0
	for s, l := range x.lists {
		n, prev := 0, uint32(0)
		for ref := l.head; ref != 0; ref = x.links[ref-1].next {
			k := x.links[ref-1]
			switch {
			case t.recs[ref-1].ptr == nil:
				return fmt.Errorf("slot %d links free rec %d", s, ref)
			case k.prev != prev:
				return fmt.Errorf("slot %d: rec %d's prev is %d, not %d", s, ref, k.prev, prev)
			case k.slot != s || x.of(t.recs[ref-1].key()) != int(s):
				return fmt.Errorf("rec %d in the list of slot %d", ref, s)
			}
			n++
			prev = ref
		}
		if n != l.n || n == 0 {
			return fmt.Errorf("slot %d counts %d keys, links %d", s, l.n, n)
		}
		linked += n
	}
	if linked != t.count {
		return fmt.Errorf("slot lists link %d keys, the table holds %d", linked, t.count)
	}
	return nil
}

// BucketCount returns the bucket count of the table holding key in db, for resize tests.
func (ks *Keyspace) BucketCount(db int, key []byte) int {
	sh := &ks.shards[ks.shardOf(hashKey(key))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.tables[db].buckets)
}

// SetSnapshotPiece makes Next serialise n records at a time until the test ends.
func SetSnapshotPiece(t interface{ Cleanup(func()) }, n int) {
	old := snapshotPiece
	snapshotPiece = n
	t.Cleanup(func() { snapshotPiece = old })
}

// BetweenSnapshotPieces runs fn whenever Next lets go of a shard between two pieces, until the test ends.
func BetweenSnapshotPieces(t interface{ Cleanup(func()) }, fn func()) {
	snapshotBetweenPieces = fn
	t.Cleanup(func() { snapshotBetweenPieces = nil })
}
