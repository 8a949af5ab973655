package keyspace

import (
	"errors"
	"io"
	"iter"
	"sync/atomic"
)

// Errors of snapshots.
var (
	// ErrSnapshotRunning is returned by [Txn.StartSnapshot] while another snapshot has not been closed.
	ErrSnapshotRunning = errors.New("keyspace: a snapshot is already running")
	// ErrSnapshotClosed is returned by [Snapshot.Next] once the snapshot was closed before its end.
	ErrSnapshotClosed = errors.New("keyspace: snapshot closed")
)

// SnapshotFunc serialises the keys of one shard for a [Snapshot]: keys yields every key of the shard, database
// by database in ascending order, as an [Entry] valid during the call. It runs with the shard locked, on
// whichever goroutine reached the shard first (the saver or a writer), so it may run concurrently for different
// shards; it must only read the entries. What it returns is handed to [Snapshot.Next] unchanged.
type SnapshotFunc func(shard int, keys iter.Seq2[int, Entry]) []byte

// Snapshot is a point-in-time copy of every database, serialised one shard at a time while other Txns go on.
// [Txn.StartSnapshot] marks every shard pending; a pending shard is serialised, with its lock held, either by
// [Snapshot.Next] when the saver reaches it, or earlier by the first thing that is about to look at it (any
// key access of a Txn, active expiry, eviction, SCAN, RANDOMKEY, FLUSHDB, SWAPDB), so every shard is serialised
// exactly as it was when the snapshot started. See the package documentation.
type Snapshot struct {
	ks     *Keyspace
	fn     SnapshotFunc
	chunks [][]byte // chunks[i]: shard i's bytes once serialised by a writer, until Next takes them
	// frozen[i] holds tables of pending shard i as they were at the start, set aside by FLUSHDB, FLUSHALL and
	// SWAPDB instead of serialising the shard at once; under shard i's lock.
	frozen [][]frozenTable
	next   int // the shard Next returns next (saver only)
	closed atomic.Bool
	early  atomic.Int64 // shards serialised by writers rather than by Next
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
		ks.shards[i].snap = sn
	}
	return sn, nil
}

// Next returns the serialised bytes of the next shard, in shard order, serialising it now (holding its lock for
// that long) if nothing has touched it since the snapshot started. It returns io.EOF after the last shard, and
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
	sh.mu.Lock()
	if sh.snap == sn {
		sh.snap = nil
		b := sn.fn(i, sn.entries(i))
		sn.frozen[i] = nil
		sh.mu.Unlock()
		return b, nil
	}
	b := sn.chunks[i]
	sn.chunks[i] = nil
	sh.mu.Unlock()
	return b, nil
}

// Early returns how many shards were serialised by other Txns, before Next reached them.
func (sn *Snapshot) Early() int { return int(sn.early.Load()) }

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

// preserve serialises shard s into the pending snapshot, if it has one, before its caller touches the shard. The
// caller holds the shard's lock. Without a snapshot it costs one load of a field of the locked shard.
func (ks *Keyspace) preserve(s int) {
	if sn := ks.shards[s].snap; sn != nil {
		sn.serialise(s)
	}
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
			sh.snap = nil
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

func (sn *Snapshot) serialise(s int) {
	sh := &sn.ks.shards[s]
	sh.snap = nil
	if sn.closed.Load() {
		return
	}
	sn.chunks[s] = sn.fn(s, sn.entries(s))
	sn.frozen[s] = nil
	sn.early.Add(1)
}

// entries yields every key of shard s as it was when the snapshot started, database by database: a frozen
// table where there is one, else the shard's own.
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
			if !tableEntries(db, t, yield) {
				return
			}
		}
	}
}

// entries yields every key of the shard, database by database.
func (sh *shard) entries(yield func(int, Entry) bool) {
	for db := range sh.tables {
		if !tableEntries(db, &sh.tables[db], yield) {
			return
		}
	}
}

// tableEntries yields the keys of table t of database db, reporting false when yield stopped.
func tableEntries(db int, t *table, yield func(int, Entry) bool) bool {
	if t.count == 0 {
		return true
	}
	for j := range t.recs {
		if t.recs[j].ptr != nil && !yield(db, Entry{t: t, ref: uint32(j + 1)}) {
			return false
		}
	}
	return true
}

// SerialiseAll calls fn for every shard in order, and emit with what it returns, stopping at emit's first error.
// It needs a BeginAll Txn, which holds every lock, so nothing changes meanwhile and no Snapshot is needed (a
// synchronous save, as SAVE inside MULTI or the save of FLUSHALL).
func (tx *Txn) SerialiseAll(fn SnapshotFunc, emit func([]byte) error) error {
	if !tx.all {
		panic("keyspace: SerialiseAll needs a BeginAll Txn")
	}
	for i := range tx.ks.shards {
		if err := emit(fn(i, tx.ks.shards[i].entries)); err != nil {
			return err
		}
	}
	return nil
}
