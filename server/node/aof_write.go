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

// aofWriter writes the fed stream to the current incr file. Writing is done by whoever holds it busy: the
// writer's goroutine, or a client about to send replies (aofBarrier), which then writes (and with appendfsync
// always fsyncs) everything fed so far itself, as Redis writes its AOF buffer before its replies, without
// waiting for a goroutine to wake.
type aofWriter struct {
	s  *Server
	mu sync.Mutex
	// cond is broadcast (with mu) when written or synced move, busy clears, or the writer stops.
	cond    *sync.Cond
	buf     []byte   // fed, not yet taken; under mu
	fed     int64    // bytes fed, ever; under mu
	cuts    []aofCut // under mu
	stamped int64    // under mu: the unix time of the last "#TS:" annotation
	busy    bool     // under mu: someone is writing and owns the fields below
	stopped bool     // under mu: no more waiting

	out     []byte    // the batch being written: taken from buf, not yet all written
	outAll  []byte    // the whole batch, whose buffer is reused
	outBuf  []byte    // a buffer for buf to grow in
	outEnd  int64     // the fed offset of out's end
	outCuts []aofCut  // the batch's cuts not yet made
	f       aofFileIO // the current file

	fedA    atomic.Int64 // fed, for the barrier's fast path
	written atomic.Int64 // fed bytes written to files
	synced  atomic.Int64 // fed bytes written and fsynced
	size    atomic.Int64 // bytes in the current incr file
	failing atomic.Bool  // the last write or fsync failed (aof_last_write_status:err)
	delayed atomic.Int64 // aof_delayed_fsync
	fsyncs  atomic.Int64 // fsyncs done, for tests and benchmarks

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newAOFWriter(s *Server, f aofFileIO, size int64) *aofWriter {
	w := &aofWriter{s: s, f: f, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	w.size.Store(size)
	go w.run()
	return w
}

// feed is the sink: it copies p into the buffer and wakes the writer. It never blocks on I/O. With
// aof-timestamp-enabled, the first command of each second gets a "#TS:<unix time>" line before it, as Redis
// writes them (point-in-time recovery tools cut the file there; loading skips them).
func (w *aofWriter) feed(p []byte) {
	w.mu.Lock()
	n := len(w.buf)
	if w.s.live.aofTimestamps.Load() {
		if now := time.Now().Unix(); now > w.stamped {
			w.stamped = now
			w.buf = append(strconv.AppendInt(append(w.buf, "#TS:"...), now, 10), "\r\n"...)
		}
	}
	w.buf = append(w.buf, p...)
	w.fed += int64(len(w.buf) - n)
	w.fedA.Store(w.fed)
	w.mu.Unlock()
	w.poke()
}

func (w *aofWriter) poke() {
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
	w.poke()
}

// tryAcquire makes the caller the writer unless someone else is.
func (w *aofWriter) tryAcquire() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy {
		return false
	}
	w.busy = true
	return true
}

// acquire waits until the caller is the writer.
func (w *aofWriter) acquire() {
	w.mu.Lock()
	for w.busy {
		w.cond.Wait()
	}
	w.busy = true
	w.mu.Unlock()
}

// release ends the caller's turn, waking the goroutine when more was fed meanwhile or a failed write is left.
func (w *aofWriter) release() {
	w.mu.Lock()
	w.busy = false
	more := len(w.buf) > 0 || len(w.cuts) > 0 || len(w.out) > 0 || len(w.outCuts) > 0
	w.cond.Broadcast()
	w.mu.Unlock()
	if more {
		w.poke()
	}
}

// reached reports whether the first target bytes fed are written (durable: and fsynced).
func (w *aofWriter) reached(target int64, durable bool) bool {
	if durable {
		return w.synced.Load() >= target
	}
	return w.written.Load() >= target
}

// barrier returns once everything fed before it was called is written, or with durable (appendfsync always)
// fsynced, writing it itself when no one else is. Without durable it also returns when writing failed: the
// replies go out, as in Redis, and MISCONF refuses the next writes.
func (w *aofWriter) barrier(durable bool) {
	target := w.fedA.Load()
	for !w.reached(target, durable) {
		if w.tryAcquire() {
			err := w.flush(durable)
			w.release()
			if err == nil {
				continue
			}
			if !durable {
				return
			}
		}
		w.mu.Lock()
		for !w.reached(target, durable) && (w.busy || durable && w.failing.Load()) && !w.stopped {
			w.cond.Wait()
		}
		stopped := w.stopped
		w.mu.Unlock()
		if stopped || !durable && w.failing.Load() {
			return
		}
	}
}

// close writes out what was fed, fsyncs and closes the file, and stops the goroutine.
func (w *aofWriter) close() {
	close(w.stop)
	<-w.done
}

// run writes what is fed when woken (when no client is writing it), fsyncs once a second with appendfsync
// everysec, and retries once a second after a failed write, until stopped.
func (w *aofWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var retry <-chan time.Time
	for {
		select {
		case <-w.wake:
			if retry != nil {
				continue // after a failure the goroutine retries once a second (clients still try each round)
			}
		case <-retry:
		case <-tick.C:
			w.syncEverysec()
			continue
		case <-w.stop:
			w.acquire()
			if err := w.flush(true); err != nil {
				w.s.log.Error("the last writes to the AOF are lost", "error", err)
			}
			if err := w.f.Close(); err != nil {
				w.s.log.Error("closing the AOF file failed", "error", err)
			}
			w.mu.Lock()
			w.stopped = true
			w.cond.Broadcast()
			w.mu.Unlock()
			return
		}
		if !w.tryAcquire() {
			continue // a client is writing; release pokes again if more is waiting
		}
		err := w.flush(w.policy() == "always")
		w.release()
		retry = nil
		if err != nil {
			retry = time.After(time.Second)
		}
	}
}

// syncEverysec fsyncs what is written, with appendfsync everysec. The fsync runs outside the writer's turn, so
// clients go on writing meanwhile; a cut closing the file first has fsynced it itself.
func (w *aofWriter) syncEverysec() {
	if w.policy() != "everysec" || w.written.Load() <= w.synced.Load() || !w.tryAcquire() {
		return
	}
	f, upTo := w.f, w.written.Load()
	w.release()
	if err := f.Sync(); err != nil {
		if !errors.Is(err, os.ErrClosed) {
			w.failed("fsync of the AOF file failed", err)
		}
		return
	}
	w.markSynced(upTo)
}

func (w *aofWriter) policy() string {
	return w.s.aof.fsync.Load().(string)
}

// flush writes everything fed so far, switching files at the cuts, and with durable fsyncs it. The caller
// holds the writer's turn. On an error the unwritten rest stays for the next turn.
func (w *aofWriter) flush(durable bool) error {
	if len(w.out) == 0 && len(w.outCuts) == 0 {
		w.mu.Lock()
		if len(w.buf) == 0 && len(w.cuts) == 0 {
			end := w.fed
			w.mu.Unlock()
			if durable && w.synced.Load() < end {
				return w.syncFile(end)
			}
			return nil
		}
		w.out, w.outEnd, w.outCuts = w.buf, w.fed, w.cuts
		w.outAll = w.out
		w.buf, w.cuts = w.outBuf[:0], nil
		w.mu.Unlock()
		w.outBuf = nil
	}
	for len(w.outCuts) > 0 {
		c := w.outCuts[0]
		start := w.outEnd - int64(len(w.out))
		if err := w.writeOut(c.at - start); err != nil {
			return err
		}
		if err := w.syncFile(c.at); err != nil { // the old file is complete: durable before it is left
			return err
		}
		if err := w.f.Close(); err != nil {
			w.s.log.Error("closing the AOF file failed", "error", err)
		}
		w.f = c.f
		w.size.Store(c.size)
		w.outCuts = w.outCuts[1:]
	}
	if err := w.writeOut(int64(len(w.out))); err != nil {
		return err
	}
	if cap(w.outAll) <= 1<<20 {
		w.outBuf = w.outAll[:0]
	}
	w.out, w.outAll = nil, nil
	w.mu.Lock()
	w.written.Store(w.outEnd)
	w.cond.Broadcast()
	w.mu.Unlock()
	if durable {
		return w.syncFile(w.outEnd)
	}
	return nil
}

// writeOut writes the first n bytes of out to the current file.
func (w *aofWriter) writeOut(n int64) error {
	for n > 0 {
		k, err := w.f.Write(w.out[:n])
		w.size.Add(int64(k))
		w.out, n = w.out[k:], n-int64(k)
		if err != nil {
			w.failed("error writing to the AOF file", err)
			return err
		}
	}
	w.recovered()
	return nil
}

// syncFile fsyncs the current file and records that the first upTo bytes fed are durable.
func (w *aofWriter) syncFile(upTo int64) error {
	if w.synced.Load() >= upTo {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		w.failed("fsync of the AOF file failed", err)
		return err
	}
	w.markSynced(upTo)
	return nil
}

func (w *aofWriter) markSynced(upTo int64) {
	w.fsyncs.Add(1)
	w.mu.Lock()
	if upTo > w.synced.Load() {
		w.synced.Store(upTo)
	}
	w.cond.Broadcast()
	w.mu.Unlock()
}

// failed records a write or fsync error: until a write succeeds, write commands are refused (checkDiskError).
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

// aofMisconf is the MISCONF error that refuses writes while the AOF cannot be written (checkDiskError).
func aofMisconf(msg string) error {
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return &resp.Error{Code: "MISCONF", Msg: "Errors writing to the AOF file: " + msg}
}

// aofBarrier returns once everything fed so far is written to the AOF (appendfsync always: and fsynced), as
// Redis writes its AOF buffer before it writes replies. Call it before writing replies.
func (s *Server) aofBarrier() {
	w := s.aof.barrier.Load()
	if w == nil {
		return
	}
	if durable := s.aof.durable.Load(); !w.reached(w.fedA.Load(), durable) {
		w.barrier(durable)
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
