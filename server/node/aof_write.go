package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// Writing the append-only file. An aofWriter is a sink of the propagation stream (propagate.go): feed copies
// the commands into a buffer and wakes the writer's goroutine, which writes them to the current incr file and,
// by appendfsync, fsyncs after every write (always), once a second (everysec) or never (no).
//
// With appendfsync always a reply is not sent before the writes it depends on are on disk: before a client's
// replies are flushed (once per pipeline batch, and once per event-loop round for all the loop's clients) the
// client waits until everything fed so far is fsynced (aofBarrier). While one fsync runs, the commands of
// other clients gather in the buffer and go to disk with the next, so a burst of writers costs an fsync per
// round, not per command: Redis's group commit before it writes its replies.
//
// A rewrite (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET appendonly yes) needs no fork: under one BeginAll it
// starts a keyspace snapshot and cuts the writer over to a new incr file, so the snapshot plus the new file is
// exactly the data. The snapshot is written as the new base (an RDB file) in the background; then the manifest
// is replaced atomically (temp file, fsync, rename, fsync of the directory) by one naming the new base and the
// new incr file, and the files it no longer lists are deleted.

// aofCut switches the writer to another file once the bytes fed before it are written.
type aofCut struct {
	at   int64 // the fed offset of the switch
	f    aofFileIO
	size int64 // the new file's size
}

// aofFileIO is what the writer needs of its file (an *os.File; tests put in one that fails).
type aofFileIO interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// aofWriter writes the fed stream to the current incr file.
type aofWriter struct {
	s  *Server
	mu sync.Mutex
	// cond is signalled (with mu) when synced moves or the writer stops.
	cond  *sync.Cond
	buf   []byte
	spare []byte
	fed   int64 // bytes fed, ever; under mu
	cuts  []aofCut

	fedA    atomic.Int64 // fed, for the barrier's fast path
	written atomic.Int64 // fed bytes written to files
	synced  atomic.Int64 // fed bytes written and fsynced
	size    atomic.Int64 // bytes in the current incr file
	stopped bool         // under mu: no more waiting
	failing atomic.Bool  // the last write or fsync failed (aof_last_write_status:err)
	delayed atomic.Int64 // aof_delayed_fsync
	fsyncs  atomic.Int64 // fsyncs done, for tests and benchmarks

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	f    aofFileIO // the current file, owned by run
}

func newAOFWriter(s *Server, f aofFileIO, size int64) *aofWriter {
	w := &aofWriter{s: s, f: f, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	w.size.Store(size)
	go w.run()
	return w
}

// feed is the sink: it copies p into the buffer and wakes the writer. It never blocks on I/O.
func (w *aofWriter) feed(p []byte) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	w.fed += int64(len(p))
	w.fedA.Store(w.fed)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// cut switches to f, a new empty incr file, at the current end of the stream. Call it while the sink is
// detached and every shard is locked (see startRewrite).
func (w *aofWriter) cut(f aofFileIO) {
	w.mu.Lock()
	w.cuts = append(w.cuts, aofCut{at: w.fed, f: f})
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// waitSynced waits until the first target bytes fed are on disk, or the writer stopped.
func (w *aofWriter) waitSynced(target int64) {
	if w.synced.Load() >= target {
		return
	}
	w.mu.Lock()
	for w.synced.Load() < target && !w.stopped {
		w.cond.Wait()
	}
	w.mu.Unlock()
}

// close writes out what was fed, fsyncs and closes the file, and stops the goroutine.
func (w *aofWriter) close() {
	close(w.stop)
	<-w.done
}

// run writes the buffer out each time it is woken, and fsyncs by appendfsync, until stopped.
func (w *aofWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		final := false
		select {
		case <-w.wake:
		case <-tick.C:
			if w.policy() == "everysec" && w.written.Load() > w.synced.Load() {
				w.sync(w.written.Load())
			}
			continue
		case <-w.stop:
			final = true
		}
		w.writeOut()
		if final {
			w.sync(w.written.Load())
			if err := w.f.Close(); err != nil {
				w.s.log.Error("closing the AOF file failed", "error", err)
			}
			w.mu.Lock()
			w.stopped = true
			w.cond.Broadcast()
			w.mu.Unlock()
			return
		}
	}
}

func (w *aofWriter) policy() string {
	return w.s.aof.fsync.Load().(string)
}

// writeOut writes everything fed so far, switching files at the cuts, then fsyncs with appendfsync always.
func (w *aofWriter) writeOut() {
	w.mu.Lock()
	buf, end, cuts := w.buf, w.fed, w.cuts
	w.buf, w.cuts = w.spare[:0], nil
	w.mu.Unlock()
	start := end - int64(len(buf))
	rest := buf
	for _, c := range cuts {
		n := c.at - start
		w.write(rest[:n])
		w.sync(c.at) // the old file is complete: make it durable before leaving it
		if err := w.f.Close(); err != nil {
			w.s.log.Error("closing the AOF file failed", "error", err)
		}
		w.f = c.f
		w.size.Store(c.size)
		rest, start = rest[n:], c.at
	}
	w.write(rest)
	w.written.Store(end)
	if w.policy() == "always" {
		w.sync(end)
	}
	w.mu.Lock()
	if cap(buf) <= 1<<20 {
		w.spare = buf[:0]
	}
	w.mu.Unlock()
}

// write writes p to the current file, retrying once a second while the disk refuses (the clients waiting on
// appendfsync always wait too), as Redis retries its AOF writes.
func (w *aofWriter) write(p []byte) {
	for len(p) > 0 {
		n, err := w.f.Write(p)
		w.size.Add(int64(n))
		p = p[n:]
		if err == nil {
			w.recovered()
			continue
		}
		w.failed("error writing to the AOF file", err)
		select {
		case <-time.After(time.Second):
		case <-w.stop:
			return // stopping: what the disk refuses is lost, as when Redis exits on a write error
		}
	}
}

// sync fsyncs the current file and records that the first upTo bytes fed are durable.
func (w *aofWriter) sync(upTo int64) {
	if w.synced.Load() >= upTo {
		return
	}
	if err := w.f.Sync(); err != nil {
		w.failed("fsync of the AOF file failed", err)
		return
	}
	w.fsyncs.Add(1)
	w.mu.Lock()
	w.synced.Store(upTo)
	w.cond.Broadcast()
	w.mu.Unlock()
}

// failed records a write or fsync error: until a write succeeds, write commands are refused (aofDenyWrites).
func (w *aofWriter) failed(msg string, err error) {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	text := err.Error()
	w.s.aof.writeErr.Store(&text)
	if !w.failing.Swap(true) {
		w.s.log.Error(msg, "error", err)
	}
}

// recovered ends a failure once a write succeeded.
func (w *aofWriter) recovered() {
	if w.failing.CompareAndSwap(true, false) {
		w.s.aof.writeErr.Store(nil)
		w.s.log.Warn("AOF write error looks solved, the server can write again")
	}
}

// aofDenyWrites refuses write commands while the AOF cannot be written, as Redis does (MISCONF).
func (s *Server) aofDenyWrites(cmd *command) error {
	p := s.aof.writeErr.Load()
	if p == nil || !cmd.spec.Has(cmdspec.FlagWrite) {
		return nil
	}
	msg := *p
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return &resp.Error{Code: "MISCONF", Msg: "Errors writing to the AOF file: " + msg}
}

// aofBarrier waits, when appendfsync is always and the AOF is on, until everything fed so far is on disk. Call
// it before writing replies.
func (s *Server) aofBarrier() {
	if w := s.aof.always.Load(); w != nil {
		w.waitSynced(w.fedA.Load())
	}
}

// openAppend opens an AOF part for appending, creating it, and returns it with its size.
func openAppend(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("opening the AOF file %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("opening the AOF file %s: %w", path, err)
	}
	return f, st.Size(), nil
}

// syncDir fsyncs a directory, so renames and new files in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// writeManifest replaces the manifest atomically: a temp file, fsynced, renamed over it, and the directory
// fsynced.
func (s *Server) writeManifest(m *aofManifest) error {
	dir := s.aofDir()
	path := filepath.Join(dir, s.manifestName())
	tmp := filepath.Join(dir, "temp-"+s.manifestName())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("writing the AOF manifest: %w", err)
	}
	_, err = f.Write(m.bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the AOF manifest: %w", err)
	}
	return syncDir(dir)
}

// rdbToCommands writes the keys of the RDB file at path as commands, into a temp file next to it whose name it
// returns: the base of a rewrite with aof-use-rdb-preamble no. Each key is one RESTORE ... ABSTTL of its DUMP
// payload (after a SELECT when the database changes), which Redis and Carmine both replay.
func rdbToCommands(path string) (tmp string, err error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(path), "temp-rewriteaof-*.aof")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	bw := bufio.NewWriterSize(out, 64<<10)
	d := rdbfmt.NewDecoder(in)
	db := int64(-1)
	var cmd, payload []byte
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		e, ok := rec.(*rdbfmt.Entry)
		if !ok {
			continue
		}
		if int64(e.DB) != db {
			db = int64(e.DB)
			cmd = appendCommandStrs(cmd[:0], "SELECT", strconv.FormatInt(db, 10))
			bw.Write(cmd)
		}
		payload = rdbfmt.AppendDump(payload[:0], e.Value)
		ttl := []byte("0")
		if e.HasExpire {
			ttl = strconv.AppendInt(nil, e.ExpireAtMs, 10)
		}
		cmd = appendCommand(cmd[:0], []byte("RESTORE"), e.Key, ttl, payload, []byte("ABSTTL"))
		if _, err := bw.Write(cmd); err != nil {
			return "", err
		}
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := out.Sync(); err != nil {
		return "", err
	}
	return out.Name(), out.Close()
}
