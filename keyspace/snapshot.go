package keyspace

import (
	"errors"
	"io"
	"iter"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Errors of snapshots.
var (
	// ErrSnapshotRunning is returned by [Txn.StartSnapshot] while another snapshot has not been closed.
	ErrSnapshotRunning = errors.New("keyspace: a snapshot is already running")
	// ErrSnapshotClosed is returned by [Snapshot.Next] once the snapshot was closed before its end.
	ErrSnapshotClosed = errors.New("keyspace: snapshot closed")
)

// SnapshotFunc serialises keys of one shard for a [Snapshot], appending them to dst (which may be nil) and
// returning the extended slice: keys yields them with their databases, as [Entry] values valid during the call.
// It is called with the shard locked, on the saver's goroutine for what is left of a shard when [Snapshot.Next]
// reaches it, and on a writer's for each key the writer is about to change first; so it may run concurrently
// for different shards, and must only read the entries. The bytes of each shard, in no particular key order
// and with databases interleaved, are handed to [Snapshot.Next] unchanged.
type SnapshotFunc func(dst []byte, shard int, keys iter.Seq2[int, Entry]) []byte

// Snapshot is a point-in-time copy of every database, serialised one shard at a time while other Txns go on.
// [Txn.StartSnapshot] marks every shard pending. Until [Snapshot.Next] reaches a pending shard, whatever is
// about to change or remove one of its keys (a Txn's key access, active expiry, eviction, SCAN, RANDOMKEY)
// first serialises that key alone and marks its record, and keys added meanwhile are marked too; Next then
// serialises the unmarked rest. So every shard is serialised exactly as it was when the snapshot started, and
// a writer waits for one key, not for its shard. See the package documentation.
type Snapshot struct {
	ks     *Keyspace
	fn     SnapshotFunc
	chunks [][]byte // chunks[i]: shard i's keys serialised by writers (or all of it, see serialise) until Next
	// frozen[i] holds tables of pending shard i as they were at the start, set aside by FLUSHDB, FLUSHALL and
	// SWAPDB instead of serialising the shard at once; under shard i's lock.
	frozen [][]frozenTable
	next   int    // the shard Next returns next (saver only)
	spare  []byte // a chunk handed back by Recycle, for Next to fill again (saver only)
	closed atomic.Bool
	early  atomic.Int64 // shards serialised whole by writers rather than by Next (after FLUSHDB or SWAPDB)
	keys   atomic.Int64 // keys serialised one by one by writers
}

// StartSnapshot starts a snapshot of the keyspace as it is now. tx must come from [Keyspace.BeginAll], which
// makes the snapshot's point in time fall between Txns: it never holds half of a MULTI/EXEC. Starting costs one
// store per shard. The caller then calls [Snapshot.Next] until io.EOF (or an error) and [Snapshot.Close].
// It returns ErrSnapshotRunning while another snapshot is open.
func (tx *Txn) StartSnapshot(fn SnapshotFunc) (*Snapshot, error) {
	if !tx.all {
		panic("keyspace: StartSnapshot needs a BeginAll Txn")
	}
	ks := tx.ks
	sn := &Snapshot{ks: ks, fn: fn, chunks: make([][]byte, len(ks.shards)), frozen: make([][]frozenTable, len(ks.shards))}
	if !ks.snap.CompareAndSwap(nil, sn) {
		return nil, ErrSnapshotRunning
	}
	for i := range ks.shards {
		sh := &ks.shards[i]
		if sh.snap != nil {
			sh.release() // left pending by a snapshot closed before its end
		}
		sh.snap = sn
		for db := range sh.tables {
			sh.tables[db].snap = true
		}
	}
	return sn, nil
}

// snapshotPiece is how many records [Snapshot.Next] visits with a shard's lock held before it lets others have
// the lock: about a hundred microseconds of small keys. Tests make it small.
var snapshotPiece = 512

// snapshotBetweenPieces, when set (by tests), runs while Next has let go of a shard between two pieces.
var snapshotBetweenPieces func()

// Next returns the serialised bytes of the next shard, in shard order, serialising what is left of it now. It
// holds the shard's lock for a piece of snapshotPiece records at a time, marking the keys it serialised as
// writers do, so a writer waits for a piece, not for the shard. It returns io.EOF after the last shard, and
// ErrSnapshotClosed if the snapshot was closed. Only one goroutine may call Next.
func (sn *Snapshot) Next() ([]byte, error) {
	if sn.closed.Load() {
		return nil, ErrSnapshotClosed
	}
	if sn.next == len(sn.chunks) {
		return nil, io.EOF
	}
	i := sn.next
	sn.next++
	sh := &sn.ks.shards[i]
	sn.ks.lockShard(i)
	if w := sn.chunks[i]; sn.spare != nil {
		// The rest of the shard goes into the recycled chunk, after the few keys writers serialised.
		sn.chunks[i], sn.spare = append(sn.spare, w...), nil
	}
	for db := 0; db < len(sh.tables) && sh.snap == sn && len(sn.frozen[i]) == 0 && !sn.closed.Load(); db++ {
		for j := 0; ; {
			t := &sh.tables[db]
			recs := unsafe.SliceData(t.recs)
			j = sn.piece(i, db, t, j)
			if j == len(t.recs) {
				break
			}
			sh.mu.Unlock()
			if snapshotBetweenPieces != nil {
				snapshotBetweenPieces()
			}
			runtime.Gosched()
			sn.ks.lockShard(i)
			if sh.snap != sn || len(sn.frozen[i]) != 0 {
				break // finished by a writer (after FLUSHDB or SWAPDB) or released (closed)
			}
			if unsafe.SliceData(sh.tables[db].recs) != recs {
				j = 0 // the table shrank and renumbered its records: the marked ones are skipped
			}
		}
	}
	if sh.snap == sn {
		if len(sn.frozen[i]) != 0 { // tables set aside by FLUSHDB or SWAPDB: the unmarked rest, whole
			sn.chunks[i] = sn.fn(sn.chunks[i], i, sn.entries(i))
			sn.frozen[i] = nil
		}
		sh.release()
	}
	b := sn.chunks[i]
	sn.chunks[i] = nil
	sh.mu.Unlock()
	return b, nil
}

// Recycle hands back a chunk that [Snapshot.Next] returned, once the caller is done with it, for Next to fill
// again: a snapshot of a million small keys otherwise leaves a chunk per shard, some 70 MB in all, for the
// garbage collector. Only the goroutine calling Next may call it.
func (sn *Snapshot) Recycle(chunk []byte) {
	if cap(chunk) > cap(sn.spare) {
		sn.spare = chunk[:0]
	}
}

// piece serialises the unmarked keys among snapshotPiece records of t (database db of shard s) from record j
// on, marking them, and returns where it stopped. The caller holds the shard's lock.
func (sn *Snapshot) piece(s, db int, t *table, j int) int {
	end := min(j+snapshotPiece, len(t.recs))
	sn.chunks[s] = sn.fn(sn.chunks[s], s, func(yield func(int, Entry) bool) {
		for ; j < end; j++ {
			r := &t.recs[j]
			if r.ptr == nil || r.meta&metaSnapMark != 0 {
				continue
			}
			r.meta |= metaSnapMark
			if !yield(db, Entry{t: t, ref: uint32(j + 1)}) {
				return
			}
		}
	})
	return end
}

// Early returns how many shards were serialised whole by other Txns before Next reached them, which happens
// only to the shards a write touches after FLUSHDB, FLUSHALL or SWAPDB set tables aside.
func (sn *Snapshot) Early() int { return int(sn.early.Load()) }

// EarlyKeys returns how many keys were serialised one by one by other Txns, before Next reached their shards.
func (sn *Snapshot) EarlyKeys() int { return int(sn.keys.Load()) }

// Close ends the snapshot, after the last Next or to abandon it (from any goroutine; then Next returns
// ErrSnapshotClosed). Shards still pending are released without being serialised. Closing twice is harmless.
func (sn *Snapshot) Close() {
	if sn.closed.Swap(true) {
		return
	}
	sn.ks.snap.CompareAndSwap(sn, nil)
}

// Snapshotting reports whether a snapshot is open.
func (ks *Keyspace) Snapshotting() bool { return ks.snap.Load() != nil }

// ReadOnly declares that the Txn will change no key (a read-only command): it then leaves the shards a
// snapshot has not serialised yet to the snapshot's saver instead of serialising them itself, except to remove
// an expired key. Writing in a read-only Txn would put the write in a running snapshot. Within copies the mark.
func (tx *Txn) ReadOnly() { tx.read = true }

// preserveKey saves key (hashed to h) of database db of shard s into the pending snapshot, if the shard has
// one, before its caller changes the key, adds it or removes it. The caller holds the shard's lock and checked
// that shard.snap is set.
func (ks *Keyspace) preserveKey(s, db int, key []byte, h uint64) {
	if ks.settle(s) {
		t := &ks.shards[s].tables[db]
		if ref := t.find(h, key); ref != 0 {
			ks.preserveRef(s, db, t, ref)
		}
	}
}

// preserveRef saves the key at ref of t, database db of shard s, into the pending snapshot, if the shard has
// one, before its caller changes or removes it. The caller holds the shard's lock. Without a snapshot it costs
// one load of a field of the locked shard; with one, an unmarked key is serialised and marked, once.
func (ks *Keyspace) preserveRef(s, db int, t *table, ref uint32) {
	sh := &ks.shards[s]
	if sh.snap == nil || !ks.settle(s) {
		return
	}
	r := &t.recs[ref-1]
	if r.meta&metaSnapMark != 0 {
		return
	}
	r.meta |= metaSnapMark
	sn := sh.snap
	sn.chunks[s] = sn.fn(sn.chunks[s], s, func(yield func(int, Entry) bool) { yield(db, Entry{t: t, ref: ref}) })
	sn.keys.Add(1)
}

// settle handles the cases of a pending shard s that preserving one key cannot: it releases the shard of a
// closed snapshot, and serialises whole a shard with tables set aside (their records may be shared with the
// live tables SWAPDB moved, which writes would then change under the snapshot). It reports whether the shard
// is still pending, for its keys to be preserved one by one.
func (ks *Keyspace) settle(s int) bool {
	sh := &ks.shards[s]
	sn := sh.snap
	switch {
	case sn == nil:
		return false
	case sn.closed.Load():
		sn.frozen[s] = nil
		sh.release()
		return false
	case len(sn.frozen[s]) != 0:
		sn.serialise(s)
		return false
	}
	return true
}

// frozenTable is a table of a pending shard set aside as it was when the snapshot started.
type frozenTable struct {
	db int
	t  table
}

// freeze sets aside the tables of dbs in every pending shard, as they are now, for the snapshot to serialise
// later, so that an operation on whole databases (which replaces those tables without changing their contents)
// need not serialise every pending shard first. The caller holds every lock. A table frozen already stays.
func (ks *Keyspace) freeze(dbs ...int) {
	for i := range ks.shards {
		sh := &ks.shards[i]
		sn := sh.snap
		if sn == nil {
			continue
		}
		if sn.closed.Load() {
			sh.release()
			continue
		}
	next:
		for _, db := range dbs {
			for _, f := range sn.frozen[i] {
				if f.db == db {
					continue next
				}
			}
			sn.frozen[i] = append(sn.frozen[i], frozenTable{db, sh.tables[db]})
		}
	}
}

// serialise serialises what is left of shard s, for Next to take, and releases the shard.
func (sn *Snapshot) serialise(s int) {
	sh := &sn.ks.shards[s]
	if !sn.closed.Load() {
		sn.chunks[s] = sn.fn(sn.chunks[s], s, sn.entries(s))
		sn.early.Add(1)
	}
	sn.frozen[s] = nil
	sh.release()
}

// release ends the shard's part in a snapshot: no record of it stays marked, and no table marks new ones. It
// walks every record of the shard, as the serialisation it follows did. The caller holds the shard's lock.
func (sh *shard) release() {
	sh.snap = nil
	for db := range sh.tables {
		t := &sh.tables[db]
		t.snap = false
		for j := range t.recs {
			t.recs[j].meta &^= metaSnapMark
		}
	}
}

// entries yields the unmarked keys of shard s (those the snapshot still needs), database by database: of a
// frozen table where there is one, else of the shard's own.
func (sn *Snapshot) entries(s int) iter.Seq2[int, Entry] {
	sh := &sn.ks.shards[s]
	return func(yield func(int, Entry) bool) {
		for db := range sh.tables {
			t := &sh.tables[db]
			for j := range sn.frozen[s] {
				if sn.frozen[s][j].db == db {
					t = &sn.frozen[s][j].t
				}
			}
			if !tableEntries(db, t, true, yield) {
				return
			}
		}
	}
}

// entries yields every key of the shard, database by database.
func (sh *shard) entries(yield func(int, Entry) bool) {
	for db := range sh.tables {
		if !tableEntries(db, &sh.tables[db], false, yield) {
			return
		}
	}
}

// tableEntries yields the keys of table t of database db, without the marked ones when unmarked is set,
// reporting false when yield stopped.
func tableEntries(db int, t *table, unmarked bool, yield func(int, Entry) bool) bool {
	if t.count == 0 {
		return true
	}
	for j := range t.recs {
		r := &t.recs[j]
		if r.ptr == nil || unmarked && r.meta&metaSnapMark != 0 {
			continue
		}
		if !yield(db, Entry{t: t, ref: uint32(j + 1)}) {
			return false
		}
	}
	return true
}

// SerialiseAll calls fn for every shard in order, and emit with what it returns, stopping at emit's first error;
// emit must not keep the slice, whose memory the next shard reuses.
// It needs a BeginAll Txn, which holds every lock, so nothing changes meanwhile and no Snapshot is needed (a
// synchronous save, as SAVE inside MULTI or the save of FLUSHALL).
func (tx *Txn) SerialiseAll(fn SnapshotFunc, emit func([]byte) error) error {
	if !tx.all {
		panic("keyspace: SerialiseAll needs a BeginAll Txn")
	}
	var chunk []byte
	for i := range tx.ks.shards {
		chunk = fn(chunk[:0], i, tx.ks.shards[i].entries)
		if err := emit(chunk); err != nil {
			return err
		}
	}
	return nil
}
