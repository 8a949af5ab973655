package keyspace

import (
	"bytes"
	"math/rand/v2"
)

// Exists reports whether key exists in the Txn's database (EXISTS, without recording an access).
func (tx *Txn) Exists(key []byte) bool {
	_, ok := tx.Peek(key)
	return ok
}

// Type returns the kind of key's value, KindNone if it does not exist (TYPE).
func (tx *Txn) Type(key []byte) Kind {
	e, ok := tx.Peek(key)
	if !ok {
		return KindNone
	}
	return e.Kind()
}

// Delete removes key and reports whether it existed (DEL, UNLINK). A key whose TTL had passed counts as
// missing and is reported through OnExpired, as in Redis.
func (tx *Txn) Delete(key []byte) bool {
	_, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		return false
	}
	t.remove(ref)
	t.maybeShrink()
	return true
}

// Expire sets the absolute expiry of key to expireAtMs (positive, Unix ms) and reports whether the key exists.
// Matches Redis: a time not in the future deletes the key instead; handlers check it against [Txn.Now] and call
// Delete, since that is a deletion ("del" event) rather than an expiry.
func (tx *Txn) Expire(key []byte, expireAtMs int64) bool {
	_, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		return false
	}
	t.setTTL(ref, expireAtMs)
	return true
}

// Persist removes the expiry of key and reports whether it had one (PERSIST).
func (tx *Txn) Persist(key []byte) bool {
	_, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 || t.recs[ref-1].ttl == 0 {
		return false
	}
	t.clearTTL(&t.recs[ref-1])
	return true
}

// ExpireTime returns the absolute expiry of key in Unix ms, -1 if it has none and -2 if it does not exist,
// the codes of PEXPIRETIME; TTL and PTTL subtract [Txn.Now].
func (tx *Txn) ExpireTime(key []byte) int64 {
	e, ok := tx.Peek(key)
	if !ok {
		return -2
	}
	if at := e.ExpireAt(); at != 0 {
		return at
	}
	return -1
}

// Rename moves the value of src to dst, replacing dst, with src's expiry (RENAME). It returns ErrNoSuchKey when
// src does not exist. Renaming a key to itself succeeds and changes nothing.
func (tx *Txn) Rename(src, dst []byte) error {
	_, err := tx.rename(src, dst, true)
	return err
}

// RenameNX is Rename that does nothing and reports false when dst exists (RENAMENX). Matches Redis: renaming an
// existing key to itself reports false.
func (tx *Txn) RenameNX(src, dst []byte) (bool, error) {
	return tx.rename(src, dst, false)
}

func (tx *Txn) rename(src, dst []byte, replace bool) (bool, error) {
	if _, ok := tx.Lookup(src); !ok { // Matches Redis: an access to src, whose value keeps its access field
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return replace, nil
	}
	_, dt, dh, dref := tx.lookup(tx.db, dst)
	if dref != 0 && !replace {
		return false, nil
	}
	_, st, sh := tx.loc(tx.db, src)
	sref := st.find(sh, src) // looked up again: the lookup of dst may have renumbered a shared table
	r := st.recs[sref-1]
	at := st.expireAt(&r)
	if r.kind() == KindString {
		_, v := blobParts(r.ptr)
		p, nv := newBlob(dst, len(v))
		copy(nv, v)
		r.ptr = p
	} else {
		old := ptrBox(r.ptr)
		r.ptr = boxPtr(newBoxSized(dst, old.obj, old.size))
	}
	if dref != 0 {
		dt.remove(dref)
	}
	st.remove(sref)
	tx.place(dt, dh, r, at)
	tx.added(tx.db, dst)
	st.maybeShrink()
	dt.maybeShrink()
	return true, nil
}

// added reports a key added where it did not exist (Config.OnNew).
func (tx *Txn) added(db int, key []byte) {
	if fn := tx.ks.cfg.OnNew; fn != nil {
		fn(db, key)
	}
}

// place inserts rec r (its ptr and meta) into t under hash h with expiry at (0 for none).
func (tx *Txn) place(t *table, h uint64, r rec, at int64) {
	ref := t.insert(h, r.key())
	nr := &t.recs[ref-1]
	nr.ptr, nr.meta = r.ptr, r.meta&^metaSnapMark|nr.meta&metaSnapMark // the snapshot's mark is the slot's
	t.addMem(nr.memUsage())
	if at != 0 {
		t.setTTL(ref, at)
	}
}

// Copy copies the value of src in the Txn's database to dst in database dstDB, with src's expiry (COPY). It
// reports false when src does not exist, or when dst exists and replace is false. It returns ErrSameObject when
// src and dst are the same key in the same database and ErrDBIndex when dstDB is out of range.
func (tx *Txn) Copy(src []byte, dstDB int, dst []byte, replace bool) (bool, error) {
	if uint(dstDB) >= uint(tx.ks.cfg.Databases) {
		return false, ErrDBIndex
	}
	if dstDB == tx.db && bytes.Equal(src, dst) {
		return false, ErrSameObject
	}
	if _, ok := tx.Lookup(src); !ok {
		return false, nil
	}
	_, dt, dh, dref := tx.lookup(dstDB, dst)
	if dref != 0 && !replace {
		return false, nil
	}
	_, st, sh := tx.loc(tx.db, src)
	sr := st.recs[st.find(sh, src)-1]
	at := st.expireAt(&sr)
	nr := rec{meta: sr.meta}
	if sr.kind() == KindString {
		_, v := blobParts(sr.ptr)
		p, nv := newBlob(dst, len(v))
		copy(nv, v)
		nr.ptr = p
	} else {
		nr.ptr = boxPtr(newBox(dst, ptrBox(sr.ptr).obj.Clone()))
	}
	nr.setAccess(tx.ks.initAccess())
	if dref != 0 {
		dt.remove(dref)
	}
	tx.place(dt, dh, nr, at)
	tx.added(dstDB, dst)
	dt.maybeShrink()
	return true, nil
}

// Move moves key from the Txn's database to database dstDB, with its expiry (MOVE). It reports false when key
// does not exist or already exists in dstDB, and returns ErrSameObject when dstDB is the Txn's database and
// ErrDBIndex when it is out of range. Both databases share the key's shard, so no other lock is needed.
func (tx *Txn) Move(key []byte, dstDB int) (bool, error) {
	if uint(dstDB) >= uint(tx.ks.cfg.Databases) {
		return false, ErrDBIndex
	}
	if dstDB == tx.db {
		return false, ErrSameObject
	}
	_, st, h, sref := tx.lookup(tx.db, key)
	if sref == 0 {
		return false, nil
	}
	_, dt, _, dref := tx.lookup(dstDB, key)
	if dref != 0 {
		return false, nil
	}
	r := st.recs[sref-1]
	at := st.expireAt(&r)
	st.remove(sref)
	tx.place(dt, h, r, at)
	tx.added(dstDB, key)
	st.maybeShrink()
	return true, nil
}

// wide runs fn with every shard locked: directly in a BeginAll Txn, or by locking all shards for the call in a
// Txn that holds no locks. It panics in a Txn that holds only some shards, since locking more could deadlock.
func (tx *Txn) wide(fn func()) {
	if tx.all {
		fn()
		return
	}
	tx.mustHoldNothing()
	ks := tx.ks
	for i := range ks.shards {
		ks.shards[i].mu.Lock()
	}
	defer func() {
		for i := range ks.shards {
			ks.shards[i].mu.Unlock()
		}
	}()
	fn()
}

func (tx *Txn) mustHoldNothing() {
	if tx.locked != [len(tx.locked)]uint64{} {
		panic("keyspace: keyspace-wide operation in a Txn that holds key locks; use BeginAll or Begin with no keys")
	}
}

// Len returns the number of keys in the Txn's database (DBSIZE). Like Redis it counts keys whose TTL has passed
// but which have not been removed yet.
func (tx *Txn) Len() int {
	n := 0
	tx.wide(func() {
		for i := range tx.ks.shards {
			n += tx.ks.shards[i].tables[tx.db].count
		}
	})
	return n
}

// Expires returns the number of keys with a TTL in the Txn's database (INFO keyspace's expires), counting, like
// Len, keys whose TTL has passed but which have not been removed yet.
func (tx *Txn) Expires() int {
	n := 0
	tx.wide(func() {
		for i := range tx.ks.shards {
			n += len(tx.ks.shards[i].tables[tx.db].ttlRef)
		}
	})
	return n
}

// Flush removes every key of the Txn's database (FLUSHDB), atomically.
func (tx *Txn) Flush() {
	tx.wide(func() {
		tx.ks.freeze(tx.db)
		for i := range tx.ks.shards {
			tx.ks.shards[i].tables[tx.db].reset()
		}
	})
}

// FlushAll removes every key of every database (FLUSHALL), atomically.
func (tx *Txn) FlushAll() {
	tx.wide(func() {
		all := make([]int, tx.ks.cfg.Databases)
		for db := range all {
			all[db] = db
		}
		tx.ks.freeze(all...)
		for i := range tx.ks.shards {
			for db := range tx.ks.shards[i].tables {
				tx.ks.shards[i].tables[db].reset()
			}
		}
	})
}

// SwapDB exchanges the contents of databases a and b (SWAPDB), atomically. It returns ErrDBIndex when either
// is out of range.
func (tx *Txn) SwapDB(a, b int) error {
	n := uint(tx.ks.cfg.Databases)
	if uint(a) >= n || uint(b) >= n {
		return ErrDBIndex
	}
	tx.wide(func() {
		tx.ks.freeze(a, b)
		for i := range tx.ks.shards {
			ts := tx.ks.shards[i].tables
			ts[a], ts[b] = ts[b], ts[a]
		}
	})
	return nil
}

// Keys calls fn with every key of the Txn's database that matches the glob pattern (see [Match]) and whose TTL
// has not passed (KEYS). It sees one atomic state of the database, holding every shard for the whole call.
// key is only valid during the call to fn.
func (tx *Txn) Keys(pattern []byte, fn func(key []byte)) {
	all := len(pattern) == 1 && pattern[0] == '*'
	tx.wide(func() {
		now := tx.Now()
		for i := range tx.ks.shards {
			t := &tx.ks.shards[i].tables[tx.db]
			for j := range t.recs {
				r := &t.recs[j]
				if r.ptr == nil || (r.ttl != 0 && t.ttlAt[r.ttl-1] < now) {
					continue
				}
				if k := r.key(); all || Match(pattern, k) {
					fn(k)
				}
			}
		}
	})
}

// RandomKey appends a random key of the Txn's database, whose TTL has not passed, to dst (RANDOMKEY). Keys found
// expired on the way are removed and reported. It reports false when the database is empty. In a Txn without
// locks it locks one shard at a time.
func (tx *Txn) RandomKey(dst []byte) ([]byte, bool) {
	if !tx.all {
		tx.mustHoldNothing()
	}
	ks := tx.ks
	var counts [MaxShards]int
	total := 0
	for try := 0; ; try++ {
		if try%16 == 0 {
			total = 0
			for i := range ks.shards {
				tx.lockShard(i)
				counts[i] = ks.shards[i].tables[tx.db].count
				tx.unlockShard(i)
				total += counts[i]
			}
			if total == 0 {
				return dst, false
			}
		}
		n := rand.IntN(total)
		s := 0
		for n >= counts[s] {
			n -= counts[s]
			s++
		}
		tx.lockShard(s)
		t := &ks.shards[s].tables[tx.db]
		if t.count == 0 {
			tx.unlockShard(s)
			continue
		}
		ref := t.randomRef()
		if t.recs[ref-1].ttl != 0 && tx.expired(t, ref) {
			if ks.keepExpired.Load() {
				if try < 100 {
					tx.unlockShard(s)
					continue
				}
				// Matches Redis: a replica whose keys all seem expired returns one of them after 100 tries.
				dst = append(dst, t.recs[ref-1].key()...)
				tx.unlockShard(s)
				return dst, true
			}
			ks.preserveRef(s, tx.db, t, ref)
			expireRef(ks, tx.db, t, ref)
			t.maybeShrink()
			tx.unlockShard(s)
			continue
		}
		dst = append(dst, t.recs[ref-1].key()...)
		tx.unlockShard(s)
		return dst, true
	}
}

func (tx *Txn) lockShard(s int) {
	if !tx.all {
		tx.ks.shards[s].mu.Lock()
	}
}

func (tx *Txn) unlockShard(s int) {
	if !tx.all {
		tx.ks.shards[s].mu.Unlock()
	}
}

// randomRef returns a random key of a non-empty table: a random non-empty bucket, then a random place in its chain.
func (t *table) randomRef() uint32 {
	mask := uint64(len(t.buckets) - 1)
	for {
		ref := t.buckets[rand.Uint64()&mask]
		if ref == 0 {
			continue
		}
		n := 0
		for r := ref; r != 0; r = t.recs[r-1].next {
			n++
		}
		for i := rand.IntN(n); i > 0; i-- {
			ref = t.recs[ref-1].next
		}
		return ref
	}
}
