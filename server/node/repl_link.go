package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/replproto"
)

// The replica's link to its primary: one goroutine per link (an actor owned by replState, stopped by stop and
// awaited on done), which connects, runs the handshake, loads a full copy when the primary sends one, then
// applies the primary's stream through a fake client, as Redis's master client does. It reconnects with a
// backoff after any failure, asking for a partial resynchronisation from the offset it reached.
//
// Matches Redis (replication.c):
//   - The full copy is written to a temp file in dir, renamed over dbfilename and loaded (repl-diskless-load
//     disabled, Redis's default), every database emptied first, with every key locked meanwhile.
//   - The processed offset moves only at the end of a command outside MULTI, so that a link cut inside a
//     transaction resumes at its MULTI; the fake client's unfinished transaction is discarded on reconnect.
//   - The replica sends REPLCONF ACK <offset> right after the sync and then every second, and answers
//     REPLCONF GETACK with the offset before the GETACK.
//   - The link is dropped after repl-timeout seconds without a byte from the primary.

// Link states, as ROLE names them.
const (
	linkConnect    int32 = iota // waiting to connect (after a failure, the backoff)
	linkConnecting              // dialling
	linkHandshake               // PING, AUTH, REPLCONF, PSYNC
	linkSync                    // receiving the full copy
	linkConnected               // applying the stream
)

var linkStateNames = [...]string{"connect", "connecting", "handshake", "sync", "connected"}

// Reconnection backoff: the first retry after linkRetryMin, doubling up to linkRetryMax (Redis retries every
// second from its cron).
const (
	linkRetryMin = 100 * time.Millisecond
	linkRetryMax = 2 * time.Second
)

// replLink is one running link to a primary.
type replLink struct {
	s      *Server
	addr   string
	log    hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	state      atomic.Int32
	lastIO     atomic.Int64 // Unix ms of the last byte from the primary, 0 before any
	downSince  atomic.Int64 // Unix ms since when the link is down, 0 when it never was up
	readOffset atomic.Int64 // offset of the stream read (slave_read_repl_offset)
	syncTotal  atomic.Int64 // size of the full copy being received, -1 when diskless
	syncRead   atomic.Int64 // bytes of it received

	master *client                  // the fake client applying the stream; kept across reconnects for its database
	conn   atomic.Pointer[linkConn] // the connection to the primary, for CLIENT LIST (repl_clients.go)

	wmu sync.Mutex // serialises writes to the primary (the ACK ticker and GETACK)
}

// startLink starts a link to host:port; s.repl.mu is held.
func (s *Server) startLink(host string, port int) *replLink {
	ctx, cancel := context.WithCancel(context.Background())
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l := &replLink{s: s, addr: addr, log: s.log.Named("repl"), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.run()
	}()
	return l
}

// stop makes the link return; wait on done.
func (l *replLink) stop() { l.cancel() }

// run connects and syncs until the link is stopped, retrying with a backoff.
func (l *replLink) run() {
	delay := linkRetryMin
	for l.ctx.Err() == nil {
		synced, err := l.session()
		if l.ctx.Err() != nil {
			return
		}
		l.state.Store(linkConnect)
		if l.downSince.Load() == 0 && synced {
			l.downSince.Store(time.Now().UnixMilli())
		}
		if synced {
			delay = linkRetryMin
		}
		l.log.Warn("link to primary lost, reconnecting", "addr", l.addr, "error", err, "delay", delay)
		select {
		case <-l.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, linkRetryMax)
	}
}

// session runs one connection: handshake, sync, stream. It reports whether the sync succeeded, and why the
// connection ended.
func (l *replLink) session() (synced bool, err error) {
	s := l.s
	cfg := s.config()
	timeout := time.Duration(cfg.ReplTimeout) * time.Second
	l.state.Store(linkConnecting)
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(l.ctx, "tcp", l.addr)
	if err != nil {
		return false, fmt.Errorf("connecting: %w", err)
	}
	defer nc.Close()
	lc := s.newLinkConn(nc)
	l.conn.Store(lc)
	defer l.conn.Store(nil)
	stopClose := context.AfterFunc(l.ctx, func() { nc.Close() })
	defer stopClose()
	conn := &ioConn{Conn: nc, timeout: timeout, lastIO: &l.lastIO}
	rc := replproto.NewConn(conn)

	l.state.Store(linkHandshake)
	s.repl.mu.Lock()
	ids := s.repl.ids
	s.repl.mu.Unlock()
	offset := s.repl.offset.Load()
	hs := replproto.HandshakeConfig{ReplID: ids.ID.String(), Next: offset + 1, User: cfg.MasterUser, Password: cfg.MasterAuth}
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		hs.ListeningPort = a.Port
	}
	if l.master != nil {
		l.master.discardMulti()
	}
	reply, err := rc.Handshake(hs)
	if err != nil {
		return false, err
	}
	switch reply.Kind {
	case replproto.ReplyContinue:
		changed := false
		if !l.locked(func() { changed = s.repl.ids.Continue(reply.ID, offset) }) {
			return false, l.ctx.Err()
		}
		if changed {
			l.log.Info("primary continues under a new replication id", "repl-id", reply.ID.String())
			s.dropReplicas("the primary's replication id changed") // they resync and learn it
		}
		s.ensureBacklog(false)
		l.log.Info("partial resynchronisation accepted", "addr", l.addr, "offset", offset)
	case replproto.ReplyFullResync, replproto.ReplyNotSupported:
		l.log.Info("full resynchronisation", "addr", l.addr, "reply", reply.Line)
		l.state.Store(linkSync)
		streamDB, err := l.fullSync(rc)
		if err != nil {
			return false, err
		}
		offset = reply.Offset
		if reply.Kind == replproto.ReplyNotSupported {
			offset = 0
		}
		if !l.locked(func() { s.repl.ids.FullResync(reply.ID) }) {
			return false, l.ctx.Err()
		}
		s.ensureBacklog(false)
		s.resetStream(offset)
		if l.master == nil {
			l.master = s.newFakeClient()
			l.master.prop.mute = toRepl // the AOF logs the primary's stream; replicas get it verbatim (feedApplied)
		}
		l.master.db = streamDB
	default:
		return false, fmt.Errorf("primary answered PSYNC with %q", reply.Line)
	}
	if l.master == nil {
		l.master = s.newFakeClient()
		l.master.prop.mute = toRepl // the AOF logs the primary's stream; replicas get it verbatim (feedApplied)
	}
	l.readOffset.Store(offset)
	lc.db.Store(int32(l.master.db))
	l.state.Store(linkConnected)
	l.downSince.Store(0)
	l.log.Info("primary link up", "addr", l.addr, "offset", offset)

	// ACKs: now (a primary sends nothing after a diskless payload until the first one), then every second.
	if err := l.ack(rc, offset); err != nil {
		return true, err
	}
	tick := time.NewTicker(time.Second)
	stopAcks := make(chan struct{})
	var acks sync.WaitGroup
	acks.Add(1)
	go func() {
		defer acks.Done()
		defer tick.Stop()
		for {
			select {
			case <-stopAcks:
				return
			case <-tick.C:
				if l.ack(rc, s.repl.offset.Load()) != nil {
					nc.Close()
					return
				}
			}
		}
	}()
	defer func() {
		close(stopAcks)
		acks.Wait()
	}()
	return true, l.apply(rc, offset, lc)
}

// locked runs f with s.repl.mu held unless the link was stopped, and reports whether it ran.
func (l *replLink) locked(f func()) bool {
	l.s.repl.mu.Lock()
	defer l.s.repl.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	f()
	return true
}

// ack sends REPLCONF ACK offset.
func (l *replLink) ack(rc *replproto.Conn, offset int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return rc.WriteAck(offset)
}

// apply applies the primary's stream, from the byte after offset, until the connection ends; lc shows the
// command applied last.
//
// The commands already buffered are applied as one batch, with s.repl.applyMu held from the first until they are
// passed on together (see passOn); it is let go before a read that may wait for the primary, and at a REPLCONF.
func (l *replLink) apply(rc *replproto.Conn, offset int64, lc *linkConn) error {
	s := l.s
	st := replproto.NewStream(rc.Reader(), offset)
	cr := st.Commands()
	cr.Limits.MaxBulkLen = max(s.cfg.ProtoMaxBulkLen, 512<<20)
	c := l.master
	var applied []byte // the stream applied but not yet passed on (this batch, or a transaction in progress)
	locked := false    // s.repl.applyMu is held
	unlock := func() {
		if locked {
			l.passOn(&applied, st.Offset())
			s.repl.applyMu.Unlock()
			locked = false
		}
	}
	defer unlock()
	ahead := 0 // commands left before the next prefetch
	for {
		if ahead--; ahead <= 0 {
			ahead = prefetchArgs(s.ks, c.db, cr)
		}
		if !cr.Ready() {
			unlock()
		}
		args, err := st.ReadCommand()
		if err != nil {
			return err
		}
		l.readOffset.Store(st.Offset())
		before := len(applied)
		if raw := cr.Last(); raw != nil {
			applied = append(applied, raw...)
		} else {
			applied = appendCommand(applied, args...) // an inline command: what its arguments say
		}
		if eqFold(args[0], "replconf") {
			unlock()
			if len(args) >= 2 && eqFold(args[1], "getack") {
				if err := l.ack(rc, st.CommandOffset()); err != nil {
					return err
				}
			}
			l.passOn(&applied, st.Offset()) // the REPLCONF itself, which applies nothing
			continue
		}
		if !locked {
			s.repl.applyMu.Lock()
			locked = true
		}
		if l.ctx.Err() != nil {
			applied = applied[:before] // not applied: pass on only what was
			l.passOn(&applied, st.CommandOffset())
			return l.ctx.Err()
		}
		if err := c.apply(args); err != nil {
			l.log.Warn("command from the primary failed", "command", string(args[0]), "error", err)
		}
		if lc.cmd.Load() != c.cmd {
			lc.cmd.Store(c.cmd)
		}
		if int(lc.db.Load()) != c.db {
			lc.db.Store(int32(c.db))
		}
		if len(applied) >= 64<<10 {
			l.passOn(&applied, st.Offset())
		}
	}
}

// passOn passes the applied part of the stream, which ends at the stream's offset end, on to the backlog and
// this server's replicas, exactly as received, unless a transaction is in progress (it goes on as a whole).
// s.repl.applyMu is held, or the commands were REPLCONFs, which apply nothing.
func (l *replLink) passOn(applied *[]byte, end int64) {
	s, c := l.s, l.master
	if c.multi != nil || len(*applied) == 0 {
		return
	}
	s.feedApplied(c.db, *applied)
	if s.repl.offset.Load() != end {
		l.log.Warn("stream offset mismatch, taking the primary's", "offset", end, "passed-on", s.repl.offset.Load())
		s.repl.offset.Store(end)
	}
	*applied = (*applied)[:0]
	if cap(*applied) > 1<<20 {
		*applied = nil
	}
}

// fullSync receives the primary's full copy and loads it in place of every database, as repl-diskless-load
// says: disabled, into a temp file renamed over dbfilename, then loaded; on-empty-db, straight from the
// socket when every database is empty (else as disabled); swapdb, into memory, the old data served meanwhile
// and kept when the transfer fails (Redis keeps it in memory too, loading from the socket beside it). It
// returns the database the primary's stream has selected (repl-stream-db).
func (l *replLink) fullSync(rc *replproto.Conn) (int, error) {
	s := l.s
	p, err := rc.ReadPayload()
	if err != nil {
		return 0, fmt.Errorf("reading the payload's preamble: %w", err)
	}
	l.syncTotal.Store(p.Preamble().Size)
	l.syncRead.Store(0)
	switch mode := s.config().ReplDisklessLoad; {
	case mode == "swapdb":
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, &countingPayload{p, &l.syncRead}); err != nil {
			return 0, fmt.Errorf("reading the payload: %w", err)
		}
		l.log.Info("payload received into memory", "bytes", p.N())
		return s.loadPrimaryCopy(bytes.NewReader(buf.Bytes()), "the primary's payload")
	case mode == "on-empty-db" && s.empty():
		l.log.Info("loading the payload from the socket")
		db, err := s.loadPrimaryCopy(&countingPayload{p, &l.syncRead}, "the primary's payload")
		if err == nil {
			_, err = io.Copy(io.Discard, p) // the end mark
		}
		return db, err
	}
	f, err := os.CreateTemp(s.cfg.Dir, "temp-*.rdb")
	if err != nil {
		return 0, fmt.Errorf("creating a temp file for the payload: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	buf := make([]byte, 64<<10)
	for {
		n, rerr := p.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return 0, fmt.Errorf("writing the payload: %w", err)
			}
			l.syncRead.Add(int64(n))
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			f.Close()
			return 0, fmt.Errorf("reading the payload: %w", rerr)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("fsync of the payload: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	l.log.Info("payload received", "bytes", p.N())
	if l.ctx.Err() != nil {
		return 0, l.ctx.Err()
	}
	s.rdb.mu.Lock()
	path := filepath.Join(s.cfg.Dir, s.config().DBFilename)
	err = commitRDB(tmp, path)
	s.rdb.mu.Unlock()
	if err != nil {
		return 0, err
	}
	f, err = os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return s.loadPrimaryCopy(f, path)
}

// countingPayload reads a payload, counting the bytes read (master_sync_read_bytes).
type countingPayload struct {
	p *replproto.Payload
	n *atomic.Int64
}

func (c *countingPayload) Read(b []byte) (int, error) {
	n, err := c.p.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// empty reports whether every database is empty.
func (s *Server) empty() bool {
	tx := s.ks.BeginAll(0)
	defer tx.End()
	for db := range s.ks.Databases() {
		if w := tx.Within(db); w.Len() > 0 {
			return false
		}
	}
	return true
}

// loadPrimaryCopy empties every database and loads the primary's full copy from r (name in errors), holding
// every key meanwhile, as a replica loads it. Watched keys are touched and tracked keys invalidated, as by
// FLUSHALL. It returns the database the primary's stream has selected (its repl-stream-db aux field, 0 when
// absent).
func (s *Server) loadPrimaryCopy(r io.Reader, name string) (int, error) {
	c := s.newFakeClient()
	tx := s.ks.BeginAll(0)
	dbs := make([]int, s.ks.Databases())
	for i := range dbs {
		dbs[i] = i
	}
	s.touchWatchedIn(existsIn(&tx), dbs...)
	s.invalidateAll()
	s.abortSave()
	tx.FlushAll()
	start := time.Now()
	head := &prefix{max: 64 << 10} // the aux fields come first
	d := rdbfmt.NewDecoder(io.TeeReader(r, head))
	loaded, expired, err := s.loadRDBFrom(d, name, func(db int, _ []byte) keyspace.Txn { return tx.Within(db) })
	c.signalDBsReady(dbs...)
	tx.End()
	if c.signalled {
		s.serveReady()
	}
	if err != nil {
		return 0, fmt.Errorf("loading the primary's copy: %w", err)
	}
	s.rdb.mu.Lock()
	s.rdb.loaded, s.rdb.expired = loaded, expired
	s.rdb.mu.Unlock()
	s.log.Info("primary's copy loaded", "keys", loaded, "seconds", time.Since(start).Seconds())
	s.rewriteAOFAfterSync()
	return streamDBIn(head.b), nil
}

// prefix keeps the first max bytes written to it.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if n := min(len(b), p.max-len(p.b)); n > 0 {
		p.b = append(p.b, b[:n]...)
	}
	return len(b), nil
}

// streamDBIn reads the repl-stream-db aux field from the start of an RDB payload: the database a primary's
// stream has selected when its payload was taken (0 when absent).
func streamDBIn(head []byte) int {
	d := rdbfmt.NewDecoder(bytes.NewReader(head))
	for {
		rec, err := d.Next()
		aux, ok := rec.(*rdbfmt.Aux)
		if err != nil || !ok {
			return 0
		}
		if string(aux.Key) == "repl-stream-db" {
			db, _ := strconv.Atoi(string(aux.Value))
			return db
		}
	}
}

// rewriteAOFAfterSync rewrites the append-only file after a full copy replaced the data, as Redis restarts its
// AOF then: the files hold the data from before, and the load is not in them. Called before the link applies
// the stream, so the rewrite's cut falls right after the load. A rewrite already running (its snapshot from
// before the load) is followed by another.
func (s *Server) rewriteAOFAfterSync() {
	s.aof.mu.Lock()
	on := s.aof.status != aofOff
	s.aof.mu.Unlock()
	if !on {
		return
	}
	switch err := s.startRewrite(); {
	case errors.Is(err, errAOFRewriting):
		s.aof.mu.Lock()
		s.aof.scheduled = true // aofCron starts it once the running one ends
		s.aof.mu.Unlock()
	case err != nil && !errors.Is(err, errAOFRewriteBusy): // busy: scheduled already
		s.log.Error("background AOF rewrite after a full sync failed to start", "error", err)
	}
}

// ioConn is the replica's connection to its primary: reads fail after a timeout without data, and each read
// records the time of the last byte.
type ioConn struct {
	net.Conn
	timeout time.Duration
	lastIO  *atomic.Int64
	set     time.Time // when the read deadline was last moved
}

func (c *ioConn) Read(p []byte) (int, error) {
	now := time.Now()
	if now.Sub(c.set) > c.timeout/8 {
		c.Conn.SetReadDeadline(now.Add(c.timeout))
		c.set = now
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.lastIO.Store(time.Now().UnixMilli())
	}
	return n, err
}

// discardMulti drops the fake client's unfinished transaction, as Redis does when it caches its primary.
func (c *client) discardMulti() {
	if c.multi != nil {
		c.endMulti()
	}
}
