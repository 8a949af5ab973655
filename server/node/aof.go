package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/keyspace"
)

// AOFConfig holds the append-only file's parameters.
type AOFConfig struct {
	Enabled               bool   // appendonly
	Fsync                 string // appendfsync: always, everysec or no
	Filename              string // appendfilename: the prefix of the parts' names
	DirName               string // appenddirname: the parts' directory, inside dir
	LoadTruncated         bool   // aof-load-truncated: load a torn last file, cutting its tail
	RDBPreamble           bool   // aof-use-rdb-preamble: rewrites write the base as an RDB file
	Timestamps            bool   // aof-timestamp-enabled: "#TS:<unix time>" lines before the commands of each new second
	RewriteIncrFsync      bool   // aof-rewrite-incremental-fsync
	DisableAutoGC         bool   // aof-disable-auto-gc: keep history files instead of deleting them
	NoFsyncOnRewrite      bool   // no-appendfsync-on-rewrite
	AutoRewritePercentage int64  // auto-aof-rewrite-percentage: 0 disables automatic rewrites
	AutoRewriteMinSize    int64  // auto-aof-rewrite-min-size: bytes
}

// DefaultAOFConfig returns Redis's defaults.
func DefaultAOFConfig() AOFConfig {
	return AOFConfig{
		Fsync:                 "everysec",
		Filename:              "appendonly.aof",
		DirName:               "appendonlydir",
		LoadTruncated:         true,
		RDBPreamble:           true,
		RewriteIncrFsync:      true,
		AutoRewritePercentage: 100,
		AutoRewriteMinSize:    64 << 20,
	}
}

// aofNameCheck checks appendfilename and appenddirname with Redis's error texts: a plain name, not empty.
func aofNameCheck(param, what string) func(string) error {
	return func(s string) error {
		if s == "" {
			return errors.New(param + " can't be empty")
		}
		if strings.ContainsAny(s, "/\\") {
			return errors.New(param + " can't be a path, just a " + what)
		}
		return nil
	}
}

// aofStatus is Redis's aof_state.
type aofStatus int

const (
	aofOff         aofStatus = iota
	aofOn                    // writing to the incr file the manifest lists last
	aofWaitRewrite           // CONFIG SET appendonly yes: writing to a temp incr file until the first rewrite ends
)

// aofState is the append-only file's state (aof.go, aof_write.go, aof_load.go).
type aofState struct {
	opMu      sync.Mutex // serialises starting, installing and stopping; taken before shard locks and mu
	mu        sync.Mutex // guards the fields; never held while taking shard locks
	status    aofStatus
	man       *aofManifest // the manifest in force; nil before the first
	w         *aofWriter   // the sink, nil when off
	job       *aofRewrite  // the running rewrite
	scheduled bool         // a rewrite waits for the running BGSAVE
	lastOK    bool         // aof_last_bgrewrite_status
	lastTime  time.Duration
	rewrites  int64
	failures  int64 // aof_rewrites_consecutive_failures
	baseSize  int64 // aof_base_size: the files' size after the last rewrite or load
	otherSize int64 // the size of the listed files but the current incr one

	fsync    atomic.Value              // appendfsync, a string
	writeErr atomic.Pointer[string]    // the AOF write error while writes fail (checkDiskError)
	barrier  atomic.Pointer[aofWriter] // w while the AOF is on (aofBarrier)
	durable  atomic.Bool               // appendfsync always: the barrier waits for the fsync
}

// aofRewrite is one running rewrite.
type aofRewrite struct {
	start    time.Time
	enabling bool    // the rewrite turns the AOF on (aofWaitRewrite)
	incr     aofFile // the new incr file, none when the AOF is off
	tempIncr string  // its path while being written
	snap     *keyspace.Snapshot
	keys     atomic.Int64
	stash    *valueStash // big values waiting to be encoded
	aborted  bool        // under aof.mu
	done     chan struct{}
}

var (
	errAOFRewriting   = errorf("Background append only file rewriting already in progress")
	errAOFRewriteBusy = errors.New("a background save is running")
)

// setAOFFsync records appendfsync (at start and after CONFIG SET).
func (s *Server) setAOFFsync(policy string) {
	s.aof.fsync.Store(policy)
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	s.updateAlways()
}

// updateAlways publishes the writer to aofBarrier, and whether the barrier waits for fsyncs; s.aof.mu is held.
func (s *Server) updateAlways() {
	s.aof.durable.Store(s.aof.fsync.Load() == "always" && s.aof.status == aofOn)
	s.aof.barrier.Store(s.aof.w)
}

// startAOF is the start-up of a server with appendonly yes: load the files the manifest lists, or create the
// first base and incr file when there is none (Matches Redis: then the RDB file is not loaded), and open the
// last incr file for appending.
func (s *Server) startAOF() error {
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return fmt.Errorf("creating the AOF directory: %w", err)
	}
	m, err := s.readManifest()
	if err != nil {
		return err
	}
	if m == nil {
		if m, err = s.migrateOldAOF(); err != nil {
			return err
		}
	}
	if m != nil {
		st, err := s.loadAOF(m, func() aofApplier {
			c := s.newFakeClient()
			return func(argv [][]byte) error { return s.applyLoaded(c, argv) }
		}, s.cfg.AOF.LoadTruncated)
		if err != nil {
			return err
		}
		s.rdb.mu.Lock()
		s.rdb.loaded, s.rdb.expired = st.keys, st.expired
		s.rdb.base = s.dirty()
		s.rdb.mu.Unlock()
	} else {
		m = &aofManifest{}
	}
	if m.base == nil && len(m.incr) == 0 {
		// Matches Redis: "Creating AOF base file ... on server start"; the keyspace is empty.
		preamble := s.cfg.AOF.RDBPreamble
		base := aofFile{name: baseName(s.cfg.AOF.Filename, m.baseSeq+1, preamble), seq: m.baseSeq + 1, typ: 'b'}
		path := filepath.Join(s.aofDir(), base.name)
		if preamble {
			tmp, err := s.writeRDBFile(path, s.rdbConfig(), true, nil, func(func([]byte) error) error { return nil })
			if err == nil {
				err = os.Rename(tmp, path)
			}
			if err != nil {
				return fmt.Errorf("creating the AOF base file: %w", err)
			}
		} else if err := os.WriteFile(path, nil, 0o644); err != nil {
			return fmt.Errorf("creating the AOF base file: %w", err)
		}
		m.base, m.baseSeq = &base, base.seq
		s.log.Info("creating AOF base file on server start", "file", base.name)
	}
	if len(m.incr) == 0 {
		m.incrSeq++
		m.incr = append(m.incr, aofFile{name: incrName(s.cfg.AOF.Filename, m.incrSeq), seq: m.incrSeq, typ: 'i'})
		s.log.Info("creating AOF incr file on server start", "file", m.incr[0].name)
	} else {
		s.log.Info("opening AOF incr file on server start", "file", m.incr[len(m.incr)-1].name)
	}
	last := m.incr[len(m.incr)-1]
	f, size, err := openAppend(filepath.Join(s.aofDir(), last.name))
	if err != nil {
		return err
	}
	if err := s.writeManifest(m); err != nil {
		f.Close()
		return err
	}
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	s.aof.man = m
	s.aof.otherSize = s.partsSize(m) - size
	s.aof.baseSize = s.aof.otherSize + size
	s.aof.w = newAOFWriter(s, f, size)
	s.aof.status = aofOn
	s.attachSink(toAOF, s.aof.w)
	s.updateAlways()
	return nil
}

// migrateOldAOF turns the single append-only file of Redis 6 and older (dir/appendfilename) into the base of a
// multi-part AOF, as Redis 7 does on its first start: the file moves into appenddirname and a manifest names
// it. It returns nil when there is no such file.
func (s *Server) migrateOldAOF() (*aofManifest, error) {
	old := filepath.Join(s.cfg.Dir, s.cfg.AOF.Filename)
	if st, err := os.Stat(old); err != nil || !st.Mode().IsRegular() {
		return nil, nil
	}
	m := &aofManifest{base: &aofFile{name: s.cfg.AOF.Filename, seq: 1, typ: 'b'}, baseSeq: 1}
	if err := os.Rename(old, filepath.Join(s.aofDir(), s.cfg.AOF.Filename)); err != nil {
		return nil, fmt.Errorf("moving the old-style AOF into %s: %w", s.aofDir(), err)
	}
	if err := s.writeManifest(m); err != nil {
		return nil, err
	}
	s.log.Info("migrated an old-style AOF into the AOF directory", "file", s.cfg.AOF.Filename, "dir", s.cfg.AOF.DirName)
	return m, nil
}

// applyLoaded runs one command read from the AOF. Matches Redis: an unknown command is fatal, while the
// errors commands reply are ignored.
func (s *Server) applyLoaded(c *client, argv [][]byte) error {
	if commands[string(appendLower(c.lower[:0], argv[0]))] == nil {
		return fmt.Errorf("unknown command '%s' reading the append only file", argv[0])
	}
	if err := c.apply(argv); err != nil {
		s.log.Debug("a command of the AOF failed", "command", string(argv[0]), "error", err)
	}
	return nil
}

// partsSize is the size of the files m lists.
func (s *Server) partsSize(m *aofManifest) int64 {
	var n int64
	files := m.incr
	if m.base != nil {
		files = append([]aofFile{*m.base}, files...)
	}
	for _, f := range files {
		if st, err := os.Stat(filepath.Join(s.aofDir(), f.name)); err == nil {
			n += st.Size()
		}
	}
	return n
}

// aofRewriting reports whether a rewrite runs.
func (s *Server) aofRewriting() bool {
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	return s.aof.job != nil
}

// startRewrite starts a rewrite in the background. It returns errAOFRewriting when one runs, and
// errAOFRewriteBusy (after scheduling it) while a BGSAVE runs, as Redis waits for its other child. Never call
// it holding shard locks (inside EXEC): it takes every one.
func (s *Server) startRewrite() error {
	s.aof.opMu.Lock()
	defer s.aof.opMu.Unlock()
	s.aof.mu.Lock()
	if s.aof.job != nil {
		s.aof.mu.Unlock()
		return errAOFRewriting
	}
	if s.saving() {
		s.aof.scheduled = true
		s.aof.mu.Unlock()
		return errAOFRewriteBusy
	}
	s.aof.scheduled = false
	status, m := s.aof.status, s.aof.man
	s.aof.mu.Unlock()
	if m == nil {
		m = &aofManifest{}
	}
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return fmt.Errorf("creating the AOF directory: %w", err)
	}
	job := &aofRewrite{start: time.Now(), enabling: status == aofWaitRewrite, stash: newValueStash(s.ks), done: make(chan struct{})}
	var f *os.File
	if status != aofOff {
		job.incr = aofFile{name: incrName(s.cfg.AOF.Filename, m.incrSeq+1), seq: m.incrSeq + 1, typ: 'i'}
		path := filepath.Join(s.aofDir(), job.incr.name)
		if job.enabling {
			// Matches Redis: a temp incr file gathers the writes until the first base exists.
			path = filepath.Join(s.aofDir(), "temp-"+s.cfg.AOF.Filename+".incr")
		}
		var err error
		f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("creating the AOF incr file: %w", err)
		}
		if !job.enabling {
			// The new incr file is listed before anything is written to it, so a crash during the rewrite
			// loads the old base and both incr files.
			nm := m.clone()
			nm.incr = append(nm.incr, job.incr)
			nm.incrSeq = job.incr.seq
			if err := s.writeManifest(nm); err != nil {
				f.Close()
				os.Remove(path)
				return err
			}
			s.aof.mu.Lock()
			s.aof.man = nm
			s.aof.mu.Unlock()
		}
		job.tempIncr = path
		s.log.Info("creating AOF incr file on background rewrite", "file", filepath.Base(path))
	}

	tx := s.ks.BeginAll(0)
	sn, err := tx.StartSnapshot(s.serialiser(s.rdbConfig(), &job.keys, job.stash))
	s.aof.mu.Lock()
	if err == nil && f != nil {
		// The cut: the snapshot and everything fed to f from now on are exactly the data.
		if w := s.aof.w; w != nil {
			s.detachSink(toAOF, w)
			s.aof.otherSize += w.size.Load()
			w.cut(f)
		} else {
			s.aof.w = newAOFWriter(s, f, 0)
			s.updateAlways()
		}
		s.attachSink(toAOF, s.aof.w)
	}
	if err == nil {
		job.snap = sn
		s.aof.job = job
		s.aof.rewrites++ // Matches Redis: counted when the rewrite starts
	} else {
		s.aof.scheduled = true // another snapshot runs (a BGSAVE, a full sync): try again later
	}
	s.aof.mu.Unlock()
	tx.End()
	if err != nil {
		if f != nil {
			f.Close() // listed in the manifest unless enabling: it stays, empty
			if job.enabling {
				os.Remove(job.tempIncr)
			}
		}
		return errAOFRewriteBusy
	}
	s.saveWG.Add(1)
	go func() {
		defer s.saveWG.Done()
		s.runRewrite(job)
	}()
	s.log.Info("background append only file rewriting started")
	return nil
}

// runRewrite writes the job's snapshot as the new base, then installs it.
func (s *Server) runRewrite(job *aofRewrite) {
	dir := s.aofDir()
	cfg := s.rdbConfig()
	tmp, err := s.writeRDBFile(filepath.Join(dir, "x"), cfg, true, job.stash, snapshotParts(job.snap))
	job.snap.Close()
	job.stash.close()
	preamble := s.config().AOF.RDBPreamble
	if err == nil && !preamble {
		var cmds string
		cmds, err = rdbToCommands(tmp)
		os.Remove(tmp)
		tmp = cmds
	}
	defer close(job.done)
	s.aof.opMu.Lock()
	defer s.aof.opMu.Unlock()
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	s.aof.job = nil
	if err == nil && job.aborted {
		os.Remove(tmp)
		err = errSaveAborted
	}
	if err == nil {
		err = s.installRewrite(job, tmp, preamble)
	}
	took := time.Since(job.start)
	switch {
	case errors.Is(err, errSaveAborted):
		s.log.Warn("background AOF rewrite aborted")
		return
	case err != nil:
		s.aof.lastOK = false
		s.aof.failures++
		s.log.Error("background AOF rewrite failed", "error", err)
		if job.enabling {
			s.aof.scheduled = true // Matches Redis: appendonly stays on its way, trying again
		}
	default:
		s.aof.lastOK = true
		s.aof.failures = 0
		s.log.Info("background AOF rewrite finished successfully", "keys", job.keys.Load(), "seconds", took.Seconds())
	}
	s.aof.lastTime = took
}

// installRewrite makes the new base (written to tmp) and the job's incr file the AOF: the manifest names them,
// and the files before them become history, deleted unless aof-disable-auto-gc. s.aof.mu is held.
func (s *Server) installRewrite(job *aofRewrite, tmp string, preamble bool) error {
	dir := s.aofDir()
	old := s.aof.man
	if old == nil {
		old = &aofManifest{}
	}
	nm := old.clone()
	nm.baseSeq++
	base := aofFile{name: baseName(s.cfg.AOF.Filename, nm.baseSeq, preamble), seq: nm.baseSeq, typ: 'b'}
	if err := os.Rename(tmp, filepath.Join(dir, base.name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming the new AOF base file: %w", err)
	}
	if nm.base != nil {
		nm.history = append(nm.history, aofFile{name: nm.base.name, seq: nm.base.seq, typ: 'h'})
	}
	nm.base = &base
	keep := job.incr
	if job.enabling {
		if err := os.Rename(job.tempIncr, filepath.Join(dir, keep.name)); err != nil {
			return fmt.Errorf("renaming the AOF incr file: %w", err)
		}
		nm.incrSeq = keep.seq
	}
	for _, f := range nm.incr {
		if f.name != keep.name {
			nm.history = append(nm.history, aofFile{name: f.name, seq: f.seq, typ: 'h'})
		}
	}
	nm.incr = nil
	if keep.name != "" {
		nm.incr = []aofFile{keep}
	}
	if err := s.writeManifest(nm); err != nil {
		return err
	}
	s.aof.man = nm
	if job.enabling && s.aof.status == aofWaitRewrite {
		s.aof.status = aofOn
		s.updateAlways()
	}
	if st, err := os.Stat(filepath.Join(dir, base.name)); err == nil {
		s.aof.otherSize = st.Size()
	}
	s.aof.baseSize = s.aof.otherSize
	if s.aof.w != nil {
		s.aof.baseSize += s.aof.w.size.Load()
	}
	if !s.config().AOF.DisableAutoGC {
		s.deleteHistory()
	}
	return nil
}

// deleteHistory removes the history files and writes the manifest without them. s.aof.mu is held.
func (s *Server) deleteHistory() {
	m := s.aof.man
	if len(m.history) == 0 {
		return
	}
	for _, f := range m.history {
		s.log.Info("removing the history file", "file", f.name)
		if err := os.Remove(filepath.Join(s.aofDir(), f.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("removing an AOF history file failed", "file", f.name, "error", err)
		}
	}
	nm := m.clone()
	nm.history = nil
	if err := s.writeManifest(nm); err != nil {
		s.log.Warn("writing the AOF manifest failed", "error", err)
		return
	}
	s.aof.man = nm
}

// stopAOF turns the AOF off (CONFIG SET appendonly no, and on the way out): a running rewrite is abandoned,
// what was fed is written and fsynced, the file closed.
func (s *Server) stopAOF() {
	s.aof.opMu.Lock()
	defer s.aof.opMu.Unlock()
	s.aof.mu.Lock()
	job := s.aof.job
	if job != nil {
		job.aborted = true
		job.snap.Close()
	}
	w := s.aof.w
	if w != nil {
		s.detachSink(toAOF, w)
	}
	s.aof.w = nil
	s.aof.status = aofOff
	s.aof.scheduled = false
	s.updateAlways()
	s.aof.mu.Unlock()
	if w != nil {
		w.close()
		s.log.Info("AOF file fsynced and closed")
	}
	s.aof.writeErr.Store(nil)
	if job != nil && job.enabling {
		os.Remove(job.tempIncr)
	}
}

// setAppendOnly is CONFIG SET appendonly: on, the AOF waits for a rewrite, scheduled here and started at once
// by CONFIG SET outside MULTI (startScheduledRewrite); off, it stops.
func (s *Server) setAppendOnly(on bool) {
	if !on {
		s.stopAOF()
		return
	}
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	if s.aof.status == aofOff {
		s.aof.status = aofWaitRewrite
		s.aof.scheduled = true
	}
}

// startScheduledRewrite starts a scheduled rewrite now, unless a save runs.
func (s *Server) startScheduledRewrite() {
	s.aof.mu.Lock()
	start := s.aof.scheduled && s.aof.job == nil
	s.aof.mu.Unlock()
	if start && !s.saving() {
		if err := s.startRewrite(); err != nil && !errors.Is(err, errAOFRewriteBusy) && !errors.Is(err, errAOFRewriting) {
			s.log.Error("background AOF rewrite failed to start", "error", err)
		}
	}
}

// aofCron starts a scheduled rewrite once no save runs, and an automatic one when the files grew by
// auto-aof-rewrite-percentage since the last rewrite (and are at least auto-aof-rewrite-min-size), as
// Redis's serverCron does.
func (s *Server) aofCron() {
	s.aof.mu.Lock()
	cfg := s.config().AOF
	start := false
	if s.aof.job == nil {
		if s.aof.scheduled {
			start = true
		} else if s.aof.status == aofOn && cfg.AutoRewritePercentage > 0 && s.aof.w != nil {
			size := s.aof.otherSize + s.aof.w.size.Load()
			base := max(s.aof.baseSize, 1)
			if size > cfg.AutoRewriteMinSize && (size-base)*100/base >= cfg.AutoRewritePercentage {
				s.log.Info("starting automatic rewriting of AOF", "growth-percent", (size-base)*100/base)
				start = true
			}
		}
	}
	if start {
		s.aof.scheduled = true
	}
	s.aof.mu.Unlock()
	s.startScheduledRewrite()
}

// BGREWRITEAOF
func cmdBGRewriteAOF(c *client, args [][]byte) error {
	s := c.srv
	if c.exec != nil {
		// Matches Redis: inside MULTI the rewrite is scheduled.
		s.aof.mu.Lock()
		defer s.aof.mu.Unlock()
		if s.aof.job != nil {
			return errAOFRewriting
		}
		s.aof.scheduled = true
		c.w.WriteSimple("Background append only file rewriting scheduled")
		return nil
	}
	err := s.startRewrite()
	switch {
	case errors.Is(err, errAOFRewriteBusy):
		c.w.WriteSimple("Background append only file rewriting scheduled")
	case err != nil:
		return err
	default:
		c.w.WriteSimple("Background append only file rewriting started")
	}
	return nil
}

var _ = register(map[string]handler{"bgrewriteaof": cmdBGRewriteAOF})

// infoAOF writes INFO persistence's aof_* fields.
func (s *Server) infoAOF(b *infoBuf) {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	current := int64(-1)
	if a.job != nil {
		current = int64(time.Since(a.job.start).Seconds())
	}
	last := int64(-1)
	if a.lastTime >= 0 && a.rewrites+a.failures > 0 {
		last = int64(a.lastTime.Seconds())
	}
	failing := a.w != nil && a.w.failing.Load()
	b.int("aof_enabled", boolInt(a.status != aofOff))
	b.int("aof_rewrite_in_progress", boolInt(a.job != nil))
	b.int("aof_rewrite_scheduled", boolInt(a.scheduled))
	b.int("aof_last_rewrite_time_sec", last)
	b.int("aof_current_rewrite_time_sec", current)
	b.str("aof_last_bgrewrite_status", okErr(a.lastOK))
	b.int("aof_rewrites", a.rewrites)
	b.int("aof_rewrites_consecutive_failures", a.failures)
	b.str("aof_last_write_status", okErr(!failing))
	b.int("aof_last_cow_size", 0)
	b.int("module_fork_in_progress", 0)
	b.int("module_fork_last_cow_size", 0)
	if a.status != aofOff && a.w != nil {
		b.int("aof_current_size", a.otherSize+a.w.size.Load())
		b.int("aof_base_size", a.baseSize)
		b.int("aof_pending_rewrite", boolInt(a.scheduled))
		a.w.mu.Lock()
		pending := len(a.w.buf)
		a.w.mu.Unlock()
		b.int("aof_buffer_length", int64(pending))
		b.int("aof_pending_bio_fsync", 0)
		b.int("aof_delayed_fsync", a.w.delayed.Load())
	}
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
