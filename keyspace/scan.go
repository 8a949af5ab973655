package keyspace

import "math/bits"

// ScanOptions filter a [Txn.Scan] call.
type ScanOptions struct {
	// Count is the amount of work per call, as SCAN's COUNT: about that many keys are visited. Default 10.
	Count int
	// Match, when not empty, keeps only keys matching this glob pattern (see [Match]). "*" keeps every key.
	Match []byte
	// Type, when not KindNone, keeps only keys of this kind.
	Type Kind
}

// Scan visits part of the Txn's database, starting at cursor (0 to start), calls fn with each key that passes
// opts, and returns the cursor to continue from, 0 when the scan is complete (SCAN). Keys whose TTL has passed
// are removed and reported rather than returned.
//
// Matches Redis: a key present in the database for the whole scan is returned at least once, even if the
// database grows or shrinks between calls; a key may be returned more than once. The cursor holds the shard in
// its low bits and a reverse-binary bucket cursor over that shard's table above them, which is what survives
// resizing. In a Txn without locks, each call locks one shard at a time; in a BeginAll Txn it locks nothing more.
// key is only valid during the call to fn.
func (tx *Txn) Scan(cursor uint64, opts ScanOptions, fn func(key []byte)) uint64 {
	if !tx.all {
		tx.mustHoldNothing()
	}
	count := opts.Count
	if count <= 0 {
		count = 10
	}
	matchAll := len(opts.Match) == 0 || (len(opts.Match) == 1 && opts.Match[0] == '*')
	ks := tx.ks
	shardMask := uint64(len(ks.shards) - 1)
	s := int(cursor & shardMask)
	v := cursor >> ks.shardBits
	emitted, budget := 0, count*10
	var expired []uint32
	for {
		tx.lockShard(s)
		t := &ks.shards[s].tables[tx.db]
		now := tx.Now()
		for len(t.buckets) != 0 {
			mask := uint64(len(t.buckets) - 1)
			expired = expired[:0]
			for ref := t.buckets[v&mask]; ref != 0; ref = t.recs[ref-1].next {
				r := &t.recs[ref-1]
				if r.ttl != 0 && t.ttlAt[r.ttl-1] < now {
					if !ks.keepExpired.Load() {
						expired = append(expired, ref)
					}
					continue
				}
				if opts.Type != KindNone && r.kind() != opts.Type {
					continue
				}
				if k := r.key(); matchAll || Match(opts.Match, k) {
					fn(k)
					emitted++
				}
			}
			for _, ref := range expired {
				ks.preserveRef(s, tx.db, t, ref)
			}
			for _, ref := range expired {
				expireRef(ks, tx.db, t, ref)
			}
			// Advance the reverse-binary cursor: set the bits above the mask, increment the reversed value.
			v |= ^mask
			v = bits.Reverse64(bits.Reverse64(v) + 1)
			budget--
			if v == 0 || emitted >= count || budget <= 0 {
				break
			}
		}
		empty := len(t.buckets) == 0
		if empty {
			v = 0
		}
		t.maybeShrink()
		tx.unlockShard(s)
		if v == 0 {
			s++
			if s == len(ks.shards) {
				return 0
			}
			// Passing an empty shard costs one lock and spends no budget, so a scan of an empty database
			// (or of its empty tail) ends in one call with cursor 0, as in Redis.
			if !empty {
				budget--
			}
		}
		if emitted >= count || budget <= 0 {
			return v<<ks.shardBits | uint64(s)
		}
	}
}
