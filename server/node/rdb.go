package node

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
)

// RDB snapshots: loading dir/dbfilename at start-up, SAVE, BGSAVE and the save points.
//
// Go cannot fork, so a background save is a keyspace Snapshot (keyspace/snapshot.go): it starts under a
// BeginAll Txn, between two commands or transactions, by marking every shard pending; a saver goroutine then
// walks the shards in order, copying each one's keys into a chunk with its lock held (about a millisecond per
// 4,000 small keys), while any write command (c.begin marks the Txns of read-only commands ReadOnly) that
// touches a key of a still-pending shard first copies that key alone into the shard's chunk, so the file shows
// every key as it was at the start. The saver encodes the chunks into RDB records (and LZF-compresses) outside
// the locks; the records of a chunk carry their SELECTDBs, so they stream into the file in shard order and only
// the keys copied early by commands wait in memory. A big list, hash, set, sorted set or stream is not copied:
// it is shared (keyspace.Share) and encoded after its lock is released, and a command that writes it meanwhile
// works on a clone (see valueStash). SAVE inside MULTI, FLUSHALL's save and SHUTDOWN's save hold
// every lock instead (Txn.SerialiseAll), as Redis's synchronous saves stop its one thread; SAVE outside MULTI
// uses a snapshot and blocks only its own client (and event loop).
//
// The file is written as temp-<random>.rdb in dir, fsynced, renamed over dbfilename, and dir is fsynced, so a
// crash never leaves a torn dump.

// rdbRetryDelay is how long the save points wait after a failed BGSAVE before trying again. Matches Redis:
// CONFIG_BGSAVE_RETRY_DELAY.
const rdbRetryDelay = 5 * time.Second

// SavePoint is one save point of the save config: BGSAVE after Seconds when at least Changes writes happened.
type SavePoint struct{ Seconds, Changes int64 }

// rdbState is the state of saving, for INFO persistence and the save points.
type rdbState struct {
	mu        sync.Mutex
	job       *saveJob // the running save, nil when none
	scheduled bool     // BGSAVE SCHEDULE (or BGSAVE in MULTI) waits for the running save
	lastSave  time.Time
	lastTry   time.Time     // when the last BGSAVE started
	lastOK    bool          // rdb_last_bgsave_status
	failed    atomic.Bool   // !lastOK, for the dispatcher's stop-writes-on-bgsave-error check (diskerr.go)
	lastTime  time.Duration // rdb_last_bgsave_time_sec, -1 before any
	saves     int64         // rdb_saves
	base      int64         // the dirty count the last successful save included
	loaded    int64         // rdb_last_load_keys_loaded
	expired   int64         // rdb_last_load_keys_expired
}

// saveJob is one running save.
type saveJob struct {
	bg        bool
	start     time.Time
	dirty     int64 // the dirty count at the start
	keysTotal int64
	keys      atomic.Int64       // keys serialised so far
	stash     *valueStash        // big values waiting to be encoded
	snap      *keyspace.Snapshot // set once started, under s.rdb.mu
	aborted   bool               // abortSave: the file must not replace dbfilename; under s.rdb.mu
	done      chan struct{}
	err       error
}

// dirty returns how many changes to keys commands made since the server started.
func (s *Server) dirty() int64 {
	return s.stats.sum(func(sh *statShard) int64 { return sh.dirty.Load() })
}

// rdbPath is dir/dbfilename.
func (s *Server) rdbPath() string { return filepath.Join(s.cfg.Dir, s.config().DBFilename) }

// rdbConfig is the rdbfmt configuration of files: the encoding limits of the keyspace, rdbcompression and
// rdbchecksum.
func (s *Server) rdbConfig() rdbfmt.Config {
	cfg := dumpConfig(s.ks.Limits())
	live := s.config()
	cfg.Compress, cfg.NoChecksum = live.RDBCompression, !live.RDBChecksum
	return cfg
}

// serialiser returns the keyspace.SnapshotFunc that turns a shard's keys into a chunk, counting them in keys.
//
// A chunk is made under the shard's lock, so it holds copies rather than RDB records: the encoding (and LZF
// compression) of strings, the bulk of most datasets, happens later in writeChunk, outside any lock. A chunk is a
// sequence of
//
//	's' db expire-ms key value     a string key (uvarints; key and value each a uvarint length and the bytes)
//	'r' length records             another kind, encoded as RDB records (its elements are copied out anyway)
//	'v' id                         a big value of another kind, shared until it is encoded (see valueStash)
func (s *Server) serialiser(cfg rdbfmt.Config, keys *atomic.Int64, st *valueStash) keyspace.SnapshotFunc {
	pool := sync.Pool{New: func() any { return rdbfmt.NewRecords(cfg) }}
	// chunk grows as needed: the keyspace hands back the saver's chunks (Snapshot.Recycle), so only the first
	// shards' grow, and a writer's chunk holds the few keys it serialises before the saver reaches their shard.
	return func(chunk []byte, shard int, entries iter.Seq2[int, keyspace.Entry]) []byte {
		var scratch [20]byte
		n := int64(0)
		for db, e := range entries {
			at := e.ExpireAt()
			if e.Kind() == keyspace.KindString {
				chunk = binary.AppendUvarint(append(chunk, 's'), uint64(db))
				chunk = binary.AppendUvarint(chunk, uint64(at))
				chunk = appendBytes(appendBytes(chunk, e.Key()), e.Bytes(scratch[:0]))
				n++
				continue
			}
			if id, ok := st.put(db, e); ok {
				chunk = binary.AppendUvarint(append(chunk, 'v'), id)
				n++
				continue
			}
			v, err := dumpValue(e)
			if err != nil {
				s.log.Error("key not saved", "db", db, "error", err)
				continue
			}
			r := pool.Get().(*rdbfmt.Records)
			err = r.Entry(&rdbfmt.Entry{DB: uint64(db), Key: e.Key(), HasExpire: at != 0, ExpireAtMs: at, Value: v})
			if err == nil {
				chunk = appendBytes(append(chunk, 'r'), r.Bytes())
				n++
			} else {
				s.log.Error("key not saved", "db", db, "error", err)
			}
			r.Reset()
			pool.Put(r)
		}
		keys.Add(n)
		return chunk
	}
}

// valueStash holds the big values (lists, hashes, sets, sorted sets and streams of more than stashAbove
// elements) that a save's serialiser met, until writeChunk encodes them outside any lock. Copying such a value's
// elements under its shard's lock took tens of milliseconds for a few hundred thousand elements, and every
// command on that shard waited for it; instead the serialiser shares the value (keyspace.Share: copy-on-write)
// and only a command that writes that key meanwhile pays for a copy of it. One per save; close ends the shares
// of whatever a failed save left behind.
type valueStash struct {
	ks     *keyspace.Keyspace
	mu     sync.Mutex
	next   uint64
	closed bool
	vals   map[uint64]*stashed
}

// stashed is a big value waiting in a valueStash.
type stashed struct {
	db  int
	key []byte
	at  int64 // expiry in Unix ms, 0 for none
	obj keyspace.Object
}

func newValueStash(ks *keyspace.Keyspace) *valueStash {
	return &valueStash{ks: ks, vals: make(map[uint64]*stashed)}
}

// put stashes e's value if it is big enough and the stash is open (st may be nil), sharing it; the caller holds
// e's shard lock.
func (st *valueStash) put(db int, e keyspace.Entry) (uint64, bool) {
	if st == nil {
		return 0, false
	}
	obj := e.Object()
	if l, ok := obj.(interface{ Len() int }); !ok || l.Len() <= stashAbove {
		return 0, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return 0, false
	}
	st.ks.Share(obj)
	st.next++
	st.vals[st.next] = &stashed{db: db, key: bytes.Clone(e.Key()), at: e.ExpireAt(), obj: obj}
	return st.next, true
}

// take removes the value stashed as id and returns it, nil if there is none (or st is nil); the caller encodes
// it, then ends its share (done).
func (st *valueStash) take(id uint64) *stashed {
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	v := st.vals[id]
	delete(st.vals, id)
	return v
}

// done ends the share of a value taken from the stash.
func (st *valueStash) done(v *stashed) { st.ks.Unshare(v.obj) }

// close stops the stash taking values and ends the shares of those never taken. Call it once the save's snapshot
// is closed (or its SerialiseAll returned).
func (st *valueStash) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.closed = true
	for id, v := range st.vals {
		st.ks.Unshare(v.obj)
		delete(st.vals, id)
	}
}

// stashAbove is the element count above which a value's encoding waits for writeChunk: smaller ones encode
// in less time than the stash costs.
const stashAbove = 256

// appendBytes appends b with its length, as a uvarint, before it.
func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// saveYieldBytes is how many bytes of records writeChunk encodes before it yields: a snapshot is written by a
// goroutine that never waits otherwise, and with every P busy the goroutines serving clients would wait for
// the scheduler's 10 ms preemption. About a hundred microseconds of work.
const saveYieldBytes = 16 << 10

// writeChunk encodes a chunk made by the serialiser into RDB records with r and writes them with e. It lets
// other goroutines run after every few hundred keys (see saveYieldBytes).
func writeChunk(e *rdbfmt.Encoder, r *rdbfmt.Records, st *valueStash, sc *valueScratch, chunk []byte) error {
	next := func() uint64 {
		v, n := binary.Uvarint(chunk)
		chunk = chunk[n:]
		return v
	}
	bytesOf := func() []byte {
		n := next()
		b := chunk[:n]
		chunk = chunk[n:]
		return b
	}
	flush := func() error {
		err := e.Records(r.Bytes())
		r.Reset()
		runtime.Gosched()
		return err
	}
	for len(chunk) > 0 {
		tag := chunk[0]
		chunk = chunk[1:]
		if tag == 'r' {
			if err := flush(); err != nil {
				return err
			}
			if err := e.Records(bytesOf()); err != nil {
				return err
			}
			continue
		}
		if tag == 'v' {
			v := st.take(next())
			if v == nil {
				return errors.New("a big value is missing from the save's stash")
			}
			val, err := objectValue(v.obj, runtime.Gosched, sc)
			if err == nil {
				err = r.Entry(&rdbfmt.Entry{DB: uint64(v.db), Key: v.key, HasExpire: v.at != 0, ExpireAtMs: v.at, Value: val})
			}
			st.done(v)
			if err != nil {
				return err
			}
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		db, at := next(), int64(next())
		key := bytesOf()
		r.String(db, key, bytesOf(), at)
		if r.Len() >= saveYieldBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// writeRDB writes an RDB file into a temp file in path's directory, fsynced: the aux fields, then every part
// that parts emits. It returns the temp file's name, for commitRDB.
func (s *Server) writeRDB(path string, cfg rdbfmt.Config, st *valueStash, parts func(emit func([]byte) error) error) (tmp string, err error) {
	return s.writeRDBFile(path, cfg, false, st, parts)
}

// writeRDBFile is writeRDB for a dump (aofBase false) or an AOF base file, whose aof-base aux field is 1.
func (s *Server) writeRDBFile(path string, cfg rdbfmt.Config, aofBase bool, st *valueStash, parts func(emit func([]byte) error) error) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "temp-*.rdb")
	if err != nil {
		return "", fmt.Errorf("creating temp file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var w io.Writer = f
	if s.config().RDBIncrFsync {
		w = &syncWriter{f: f}
	}
	if err := s.encodeRDB(w, cfg, aofBase, nil, st, parts); err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("closing %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// encodeRDB writes an RDB file to w: the aux fields (with extra ones after the usual; aof-base 1 for an AOF
// base file), then every part that parts emits (chunks made by the serialiser). Files and a replica's full copy
// are written by it.
func (s *Server) encodeRDB(w io.Writer, cfg rdbfmt.Config, aofBase bool, extra [][2]string, st *valueStash, parts func(emit func([]byte) error) error) error {
	e := rdbfmt.NewEncoder(w, cfg)
	aux := append([][2]string{
		{"redis-ver", RedisVersion}, {"redis-bits", "64"}, {"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatInt(s.usedMemory(), 10)},
	}, extra...)
	aux = append(aux, [2]string{"aof-base", strconv.FormatInt(boolInt(aofBase), 10)})
	for _, a := range aux {
		e.Aux([]byte(a[0]), []byte(a[1]))
	}
	for _, code := range s.libraryCodes() { // FUNCTION libraries, after the aux fields as Redis
		e.Function(code)
	}
	rcfg := cfg
	rcfg.Pause = runtime.Gosched // a big value's encoding lets the event loops run, see saveYieldBytes
	r := rdbfmt.NewRecords(rcfg)
	sc := scratchPool.Get().(*valueScratch)
	defer scratchPool.Put(sc)
	if err := parts(func(chunk []byte) error { return writeChunk(e, r, st, sc, chunk) }); err != nil {
		return err
	}
	return e.Close()
}

// syncWriter fsyncs its file every 32 MB written (rdb-save-incremental-fsync), so the kernel never holds much
// dirty data of a save. Matches Redis: REDIS_AUTOSYNC_BYTES. It writes at most syncWriterPiece bytes per system
// call: copying megabytes (a big value's records) into the page cache in one write kept the CPU in the kernel
// for up to 20 ms, and a server pinned to one CPU could not run its event loop meanwhile.
type syncWriter struct {
	f *os.File
	n int
}

const syncWriterPiece = 256 << 10

func (w *syncWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := w.f.Write(p[done:min(len(p), done+syncWriterPiece)])
		done += n
		if w.n += n; err == nil && w.n >= 32<<20 {
			w.n, err = 0, w.f.Sync()
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// commitRDB renames the temp file over path and fsyncs the directory, so a crash leaves either the old file or
// the new one. The caller holds s.rdb.mu, which orders the saves that finish together.
func commitRDB(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %s: %w", tmp, err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

var (
	errSaveInProgress = errorf("Background save already in progress")
	errSaveFailed     = errorf("") // Redis's shared.err: "-ERR"
	errSaveAborted    = errors.New("save aborted")
)

// Lock order: s.rdb.mu may be taken while holding shard locks (FLUSHALL, SAVE in MULTI), so no shard lock is
// ever taken while holding s.rdb.mu.

// startSave starts a snapshot of the keyspace as it is now and returns its job, or errSaveInProgress. The
// caller runs it with runSave.
func (s *Server) startSave(bg bool) (*saveJob, error) {
	job := &saveJob{bg: bg, start: time.Now(), stash: newValueStash(s.ks), done: make(chan struct{})}
	s.rdb.mu.Lock()
	if s.rdb.job != nil {
		s.rdb.mu.Unlock()
		return nil, errSaveInProgress
	}
	s.rdb.job = job // reserved: the snapshot starts below
	if bg {
		s.rdb.lastTry = job.start
	}
	s.rdb.mu.Unlock()

	tx := s.ks.BeginAll(0)
	sn, err := tx.StartSnapshot(s.serialiser(s.rdbConfig(), &job.keys, job.stash))
	var dirty, total int64
	if err == nil {
		dirty = s.dirty()
		for db := range s.ks.Databases() {
			in := tx.Within(db)
			total += int64(in.Len())
			in.End()
		}
	}
	tx.End()
	s.rdb.mu.Lock()
	defer s.rdb.mu.Unlock()
	job.dirty, job.keysTotal = dirty, total // under s.rdb.mu: INFO reads the job from the moment it is reserved
	if err != nil || job.aborted {
		if sn != nil {
			sn.Close()
		}
		job.stash.close()
		s.rdb.job = nil
		close(job.done)
		return nil, errSaveInProgress
	}
	job.snap = sn
	return job, nil
}

// runSave writes the job's snapshot to dbfilename and records the result.
func (s *Server) runSave(job *saveJob) error {
	path := s.rdbPath()
	tmp, err := s.writeRDB(path, s.rdbConfig(), job.stash, snapshotParts(job.snap))
	job.snap.Close()
	job.stash.close()
	took := time.Since(job.start)
	s.rdb.mu.Lock()
	if err == nil && job.aborted {
		os.Remove(tmp)
		err = errSaveAborted
	}
	if err == nil {
		err = commitRDB(tmp, path)
	}
	s.rdb.job = nil
	s.saved(job.bg, true, job.dirty, took, err)
	s.rdb.mu.Unlock()
	job.err = err
	close(job.done)
	switch {
	case errors.Is(err, errSaveAborted):
		s.log.Warn("background save aborted")
	case err != nil:
		s.log.Error("save failed", "background", job.bg, "error", err)
	default:
		s.log.Info("db saved on disk", "background", job.bg, "keys", job.keys.Load(), "seconds", took.Seconds(),
			"early-keys", job.snap.EarlyKeys(), "early-shards", job.snap.Early())
	}
	return err
}

// snapshotParts is the parts function of writeRDB that emits the chunks of sn until its end; a closed snapshot
// is errSaveAborted.
func snapshotParts(sn *keyspace.Snapshot) func(emit func([]byte) error) error {
	return func(emit func([]byte) error) error {
		for {
			p, err := sn.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, keyspace.ErrSnapshotClosed) {
				return errSaveAborted
			}
			if err != nil {
				return err
			}
			if err := emit(p); err != nil {
				return err
			}
			sn.Recycle(p)
		}
	}
}

// saved records the end of a save that included the changes up to dirty, counting it in rdb_saves when count
// is set (SAVE and BGSAVE, not the saves of FLUSHALL and SHUTDOWN, as in Redis); s.rdb.mu is held.
func (s *Server) saved(bg, count bool, dirty int64, took time.Duration, err error) {
	if bg && !errors.Is(err, errSaveAborted) { // Matches Redis: a child killed on purpose changes no status
		s.rdb.lastOK = err == nil
		s.rdb.lastTime = took
	}
	if err == nil {
		s.rdb.lastSave = time.Now()
		s.rdb.base = dirty
		s.rdb.lastOK = true
		if count {
			s.rdb.saves++
		}
	}
	s.rdb.failed.Store(!s.rdb.lastOK)
}

// saveLocked saves synchronously in a BeginAll Txn the caller holds (SAVE inside MULTI, FLUSHALL, SHUTDOWN):
// nothing changes meanwhile, so no snapshot is needed. A running BGSAVE is aborted first, as Redis kills its
// child. count says whether rdb_saves counts it.
func (s *Server) saveLocked(tx *keyspace.Txn, count bool) error {
	s.abortSave()
	start := time.Now()
	var keys atomic.Int64
	dirty := s.dirty()
	st := newValueStash(s.ks)
	fn := s.serialiser(s.rdbConfig(), &keys, st)
	path := s.rdbPath()
	tmp, err := s.writeRDB(path, s.rdbConfig(), st, func(emit func([]byte) error) error {
		return tx.SerialiseAll(fn, emit)
	})
	st.close()
	s.rdb.mu.Lock()
	if err == nil {
		err = commitRDB(tmp, path)
	}
	s.saved(false, count, dirty, time.Since(start), err)
	s.rdb.mu.Unlock()
	if err != nil {
		s.log.Error("save failed", "error", err)
		return err
	}
	s.log.Info("db saved on disk", "keys", keys.Load(), "seconds", time.Since(start).Seconds())
	return nil
}

// abortSave stops a running BGSAVE, as Redis kills its child: its snapshot is closed and its file never
// replaces dbfilename. It does not wait (the caller may hold shard locks the saver needs to finish).
func (s *Server) abortSave() {
	s.rdb.mu.Lock()
	defer s.rdb.mu.Unlock()
	if job := s.rdb.job; job != nil {
		job.aborted = true
		if job.snap != nil {
			job.snap.Close()
		}
	}
}

// bgsave starts a background save. It returns errSaveInProgress when one runs.
func (s *Server) bgsave() error {
	job, err := s.startSave(true)
	if err != nil {
		return err
	}
	s.log.Info("background saving started")
	s.saveWG.Add(1)
	go func() {
		defer s.saveWG.Done()
		s.runSave(job)
	}()
	return nil
}

// saveCron starts a BGSAVE when one was scheduled or a save point is reached, as Redis's serverCron does.
func (s *Server) saveCron(now time.Time) {
	if s.aofRewriting() { // Matches Redis: one child at a time; the save waits
		return
	}
	s.rdb.mu.Lock()
	if s.rdb.job != nil {
		s.rdb.mu.Unlock()
		return
	}
	retryOK := s.rdb.lastOK || now.Sub(s.rdb.lastTry) > rdbRetryDelay
	changes := s.dirty() - s.rdb.base
	since := now.Sub(s.rdb.lastSave)
	start := s.rdb.scheduled && retryOK
	for _, p := range s.config().Save {
		if changes >= p.Changes && since > time.Duration(p.Seconds)*time.Second && retryOK {
			s.log.Info("save point reached", "changes", changes, "seconds", p.Seconds)
			start = true
			break
		}
	}
	if start {
		s.rdb.scheduled = false
	}
	s.rdb.mu.Unlock()
	if start {
		if err := s.bgsave(); err != nil && !errors.Is(err, errSaveInProgress) {
			s.log.Error("background save failed to start", "error", err)
		}
	}
}

// SAVE: save synchronously.
func cmdSave(c *client, args [][]byte) error {
	if c.exec != nil {
		if c.srv.saving() {
			return errSaveInProgress
		}
		tx := c.beginAll()
		defer tx.End()
		if err := c.srv.saveLocked(&tx, true); err != nil {
			return errSaveFailed
		}
		c.w.WriteSimple("OK")
		return nil
	}
	job, err := c.srv.startSave(false)
	if err != nil {
		return err
	}
	if err := c.srv.runSave(job); err != nil {
		return errSaveFailed
	}
	c.w.WriteSimple("OK")
	return nil
}

// BGSAVE [SCHEDULE]: save in the background. Matches Redis: inside MULTI (and with SCHEDULE while... nothing
// else can run here) the save is scheduled for the save cron rather than started.
func cmdBGSave(c *client, args [][]byte) error {
	if len(args) > 2 || len(args) == 2 && !eqFold(args[1], "schedule") {
		return errSyntax
	}
	s := c.srv
	if s.saving() {
		return errSaveInProgress
	}
	if s.aofRewriting() && len(args) == 1 {
		return errorf("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	}
	if c.exec != nil || s.aofRewriting() {
		s.rdb.mu.Lock()
		s.rdb.scheduled = true
		s.rdb.mu.Unlock()
		c.w.WriteSimple("Background saving scheduled")
		return nil
	}
	if err := s.bgsave(); err != nil {
		return err
	}
	c.w.WriteSimple("Background saving started")
	return nil
}

// saving reports whether a save runs.
func (s *Server) saving() bool {
	s.rdb.mu.Lock()
	defer s.rdb.mu.Unlock()
	return s.rdb.job != nil
}

// LASTSAVE: the Unix time of the last successful save (the start time before any).
func cmdLastSave(c *client, args [][]byte) error {
	c.w.WriteInt(c.srv.lastSave().Unix())
	return nil
}

// lastSave is the time of the last successful save, or the start time.
func (s *Server) lastSave() time.Time {
	s.rdb.mu.Lock()
	defer s.rdb.mu.Unlock()
	return s.rdb.lastSave
}

// debugReload is DEBUG RELOAD [NOSAVE]: save (unless NOSAVE), empty every database and load dbfilename again,
// holding every key meanwhile, as Redis's single thread does.
func (c *client) debugReload(args [][]byte) error {
	save := true
	for _, a := range args {
		if !eqFold(a, "nosave") {
			return errorf("DEBUG RELOAD only supports the NOSAVE option here")
		}
		save = false
	}
	s := c.srv
	tx := c.beginAll()
	defer tx.End()
	if save {
		if err := s.saveLocked(&tx, false); err != nil {
			return errorf("Error trying to save the DB")
		}
	}
	s.abortSave()
	tx.FlushAll()
	if err := s.loadRDBWith(func(db int, _ []byte) keyspace.Txn { return tx.Within(db) }); err != nil {
		s.log.Error("DEBUG RELOAD failed to load", "error", err)
		return errorf("Error trying to load the RDB dump, check server logs.")
	}
	c.w.WriteSimple("OK")
	return nil
}

var _ = register(map[string]handler{
	"save":     cmdSave,
	"bgsave":   cmdBGSave,
	"lastsave": cmdLastSave,
})

// loadRDB loads dir/dbfilename, if it exists, into the empty keyspace. Matches Redis on a master: keys already
// expired are dropped; a corrupt file is an error naming the offset, and the server does not start.
func (s *Server) loadRDB() error {
	return s.loadRDBWith(func(db int, key []byte) keyspace.Txn { return s.ks.Begin(db, key) })
}

// loadRDBWith is loadRDB opening each key's Txn with begin.
func (s *Server) loadRDBWith(begin func(db int, key []byte) keyspace.Txn) error {
	path := s.rdbPath()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	start := time.Now()
	s.log.Info("loading rdb", "path", path)
	loaded, expired, err := s.loadRDBFrom(rdbfmt.NewDecoder(f), path, begin)
	if err != nil {
		return err
	}
	s.rdb.mu.Lock()
	s.rdb.loaded, s.rdb.expired = loaded, expired
	s.rdb.mu.Unlock()
	s.log.Info("db loaded from disk", "keys", loaded, "expired", expired, "seconds", time.Since(start).Seconds())
	return nil
}

// loadRDBFrom loads the records d decodes from the file at path (named in errors and logs) until the end of the
// RDB data, opening each key's Txn with begin, and returns how many keys it loaded and how many it dropped as
// expired.
func (s *Server) loadRDBFrom(d *rdbfmt.Decoder, path string, begin func(db int, key []byte) keyspace.Txn) (loaded, expired int64, err error) {
	start := time.Now()
	lim := s.ks.Limits()
	nextLog := start.Add(2 * time.Second)
	now := time.Now().UnixMilli()
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return loaded, expired, nil
		}
		if err != nil {
			return loaded, expired, fmt.Errorf("loading %s: %w", path, err)
		}
		switch r := rec.(type) {
		case *rdbfmt.Entry:
			if r.DB >= uint64(s.ks.Databases()) {
				return loaded, expired, fmt.Errorf("loading %s: the file has keys in database %d, and databases is %d", path, r.DB, s.ks.Databases())
			}
			if r.HasExpire && r.ExpireAtMs < now {
				expired++
				continue
			}
			if err := loadEntry(begin, r, lim); err != nil {
				return loaded, expired, fmt.Errorf("loading %s: key %q: %w", path, r.Key, err)
			}
			loaded++
			if loaded%1024 == 0 && time.Now().After(nextLog) {
				s.log.Info("loading rdb", "keys", loaded, "seconds", int(time.Since(start).Seconds()))
				nextLog = time.Now().Add(2 * time.Second)
			}
		case *rdbfmt.Function:
			if err := s.loadLibrary(r.Code); err != nil {
				return loaded, expired, fmt.Errorf("loading %s: function library: %w", path, err)
			}
		case *rdbfmt.ModuleAux:
			return loaded, expired, fmt.Errorf("loading %s: module data, and modules are not supported", path)
		}
	}
}

// loadEntry stores one loaded key.
func loadEntry(begin func(db int, key []byte) keyspace.Txn, r *rdbfmt.Entry, lim *keyspace.Limits) error {
	var at int64
	if r.HasExpire {
		at = r.ExpireAtMs
	}
	tx := begin(int(r.DB), r.Key)
	defer tx.End()
	if v, ok := r.Value.(rdbfmt.String); ok {
		tx.SetString(r.Key, v, at)
	} else {
		obj := objectOf(r.Value, lim)
		if obj == nil {
			if _, ok := r.Value.(rdbfmt.Module); ok {
				return errors.New("module values are not supported")
			}
			return nil // Matches Redis: an empty collection is skipped
		}
		tx.SetObject(r.Key, obj, at)
	}
	if r.HasFreq {
		tx.SetFreq(r.Key, int(r.Freq))
	}
	if r.HasIdle {
		tx.SetIdle(r.Key, int64(min(r.IdleSec, 1<<40)))
	}
	return nil
}
