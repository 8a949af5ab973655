package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
)

// The primary side of replication: PSYNC/SYNC, REPLCONF, the backlog, the replicas' output, WAIT and
// min-replicas-to-write.
//
// The replication stream is the propagator's replication class (propagate.go). Its one sink, replSink, is
// attached when the first replica connects (or a replica first syncs, so that it can serve PSYNC once
// promoted) and stays attached: it counts master_repl_offset, appends to the backlog and to each replica's
// output buffer, all under the propagator's mutex, which therefore also guards the backlog and the replica
// list. A replica's own goroutine writes its buffer to the socket, and another reads its ACKs.
//
// A replica's connection starts as a client; PSYNC takes the socket over (a duplicate of its descriptor, so
// the event loop or the client goroutine closes its own copy as for any client) and hands it to the replica's
// goroutines. Full sync: under a BeginAll Txn (nothing in flight) a keyspace snapshot starts and the replica
// joins the sink at the offset reached, so the snapshot plus what the sink buffers meanwhile is exact; the
// payload is streamed diskless ("$EOF:<mark>") to replicas that announced capa eof, and sized otherwise; after
// a diskless payload nothing is sent until the replica's first ACK, as Redis 7 does. Partial resync: under the
// propagator's mutex, the backlog from the requested offset is copied into the replica's buffer and the
// replica joins the sink.
//
// On a replica the sink takes the primary's stream as the link applied it (feedApplied) and ignores the
// replica's own writes: Redis replicas pass their primary's stream on verbatim, which keeps chained replicas'
// offsets and ids equal to the top primary's.

// Replica states, as INFO names them.
const (
	replicaWaitBgsave int32 = iota // waiting for the snapshot to start
	replicaSendBulk                // receiving the payload
	replicaOnline                  // receiving the stream
)

var replicaStateNames = [...]string{"wait_bgsave", "send_bulk", "online"}

// replicaConf is what a replica said about itself with REPLCONF before PSYNC.
type replicaConf struct {
	port       int
	ip         string
	capaEOF    bool
	capaPSYNC2 bool
}

// replSink is the replication class's consumer: master_repl_offset, the backlog and the replicas. Its fields
// are guarded by the propagator's mutex (s.prop.mu).
type replSink struct {
	s        *Server
	backlog  *replproto.Backlog
	replicas []*replica
}

// feed takes the stream of the server's own writes. A replica ignores them: it passes its primary's on.
func (k *replSink) feed(p []byte) {
	if k.s.isReplica() {
		return
	}
	k.append(p)
}

// append adds p to the stream: the offset, the backlog, every replica's buffer. The replicas' writers are
// woken at once, unless an event loop's client is feeding (the propagator's deferWrite): that loop writes the
// buffers itself when its round ends (flushReplicas), one write per replica for the whole round, as Redis
// writes its replicas' output before it sleeps.
func (k *replSink) append(p []byte) {
	k.s.repl.offset.Add(int64(len(p)))
	k.backlog.Append(p)
	if len(k.replicas) == 0 {
		return
	}
	deferred := k.s.prop.deferWrite
	for _, r := range k.replicas {
		r.send(p, !deferred)
	}
	if deferred {
		k.s.repl.unflushed.Store(true)
	}
}

// setReplicas replaces the list of replicas fed; s.prop.mu is held.
func (k *replSink) setReplicas(rs []*replica) {
	k.replicas = rs
	k.s.repl.replicas.Store(&rs)
}

// replica is one replica connected to this server.
type replica struct {
	s       *Server
	id      int64 // the client id of the connection that sent PSYNC
	conn    net.Conn
	fd      int
	addr    string // ip:port of the connection
	laddr   string
	created time.Time
	user    *aclUser // the user the connection logged in as
	legacy  bool     // it sent SYNC, not PSYNC
	conf    replicaConf
	state   atomic.Int32

	ackOff  atomic.Int64 // the offset the replica acknowledged
	ackTime atomic.Int64 // Unix ms of its last ACK
	acked   chan struct{}
	ackOnce sync.Once

	raw syscall.RawConn // conn's descriptor, for the event loops' non-blocking writes (writeNow)

	mu        sync.Mutex
	out       []byte // stream bytes not yet written
	spare     []byte
	streaming bool  // out may be written: the payload is done (and acknowledged)
	writing   bool  // a write of earlier bytes runs (writeLoop or writeNow): nobody else writes meanwhile
	softSince int64 // Unix ms since when out is above the soft limit, 0 when not
	wake      chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

// send appends stream bytes to the replica's buffer and, when wake is set, wakes its writer; a replica over
// its output buffer limit is disconnected. Called under the propagator's mutex.
func (r *replica) send(p []byte, wake bool) {
	r.mu.Lock()
	r.out = append(r.out, p...)
	over := r.overLimit(int64(len(r.out)))
	r.mu.Unlock()
	if over {
		r.close("output buffer limit reached")
		return
	}
	if wake {
		r.wakeWriter()
	}
}

func (r *replica) wakeWriter() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// flushReplicas writes what the replicas' buffers hold without blocking, on the calling event loop's
// goroutine at the end of its round; a replica whose socket takes only part of it is left to its writer.
func (s *Server) flushReplicas() {
	if !s.repl.unflushed.CompareAndSwap(true, false) {
		return
	}
	if rs := s.repl.replicas.Load(); rs != nil {
		for _, r := range *rs {
			r.writeNow()
		}
	}
}

// writeNow writes the replica's buffer with one non-blocking write, unless a write already runs; what the
// socket does not take goes back to the front of the buffer for writeLoop.
func (r *replica) writeNow() {
	r.mu.Lock()
	if r.writing || !r.streaming || len(r.out) == 0 {
		r.mu.Unlock()
		return
	}
	buf := r.out
	r.out, r.spare = r.spare[:0], nil
	r.writing = true
	r.mu.Unlock()
	n, err := 0, error(nil)
	if rerr := r.raw.Write(func(fd uintptr) bool {
		n, err = syscall.Write(int(fd), buf)
		return true
	}); rerr != nil {
		err = rerr
	}
	n = max(n, 0)
	r.mu.Lock()
	r.writing = false
	if n < len(buf) {
		r.out = append(buf[n:], r.out...)
	} else if cap(buf) <= 1<<20 {
		r.spare = buf[:0]
	}
	left := len(r.out) > 0
	r.mu.Unlock()
	if err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR) {
		r.close("write error: " + err.Error())
		return
	}
	if left {
		r.wakeWriter()
	}
}

// overLimit checks n buffered bytes against client-output-buffer-limit's replica class; r.mu is held.
func (r *replica) overLimit(n int64) bool {
	l := r.s.outputLimits.Load()[classReplica]
	if l.Hard > 0 && n >= l.Hard {
		return true
	}
	if l.Soft > 0 && n >= l.Soft {
		now := time.Now().UnixMilli()
		if r.softSince == 0 {
			r.softSince = now
		}
		return now-r.softSince >= l.SoftSeconds*1000
	}
	r.softSince = 0
	return false
}

// close disconnects the replica; its goroutines then leave the sink.
func (r *replica) close(why string) {
	r.closeOnce.Do(func() {
		r.s.log.Named("repl").Info("replica disconnected", "addr", r.addr, "reason", why)
		close(r.done)
		r.conn.Close()
	})
}

// ensureBacklog creates the backlog and attaches the sink, if not done yet. Matches Redis: a primary that
// creates its backlog takes a new replication id, as its history before it is not covered.
func (s *Server) ensureBacklog(newID bool) {
	s.prop.mu.Lock()
	if s.repl.sink != nil {
		s.prop.mu.Unlock()
		return
	}
	if newID {
		s.repl.mu.Lock()
		if id, err := replproto.NewID(nil); err == nil {
			s.repl.ids.ID = id
			s.repl.ids.ClearID2()
		}
		s.repl.mu.Unlock()
	}
	k := &replSink{s: s, backlog: replproto.NewBacklog(int(s.config().ReplBacklogSize), s.repl.offset.Load())}
	s.repl.sink = k
	s.prop.mu.Unlock()
	s.attachSink(toRepl, k)
}

// resizeBacklog applies repl-backlog-size to the backlog, if there is one.
func (s *Server) resizeBacklog(size int64) {
	s.prop.mu.Lock()
	if k := s.repl.sink; k != nil && int64(k.backlog.Size()) != size {
		k.backlog.Resize(int(size))
	}
	s.prop.mu.Unlock()
}

// dropReplicas disconnects every replica, so that they resync with this server's new history.
func (s *Server) dropReplicas(why string) {
	s.prop.mu.Lock()
	var rs []*replica
	if s.repl.sink != nil {
		rs = append(rs, s.repl.sink.replicas...)
	}
	s.prop.mu.Unlock()
	for _, r := range rs {
		r.close(why)
	}
}

// feedApplied passes on, on a replica, bytes of the primary's stream that the link applied: to the backlog
// and the replica's own replicas. db is the database the stream has selected after them.
func (s *Server) feedApplied(db int, p []byte) {
	s.prop.mu.Lock()
	if k := s.repl.sink; k != nil {
		k.append(p)
	} else {
		s.repl.offset.Add(int64(len(p)))
	}
	s.prop.db[classIndex(toRepl)] = db
	s.prop.mu.Unlock()
}

// resetStream sets the replication stream's offset after a replica loaded a full copy: an empty backlog at
// offset, no replicas (they must resync), and a SELECT before the next command.
func (s *Server) resetStream(offset int64) {
	s.prop.mu.Lock()
	var rs []*replica
	s.repl.offset.Store(offset)
	if k := s.repl.sink; k != nil {
		k.backlog.Reset(offset)
		rs = append(rs, k.replicas...)
	}
	s.prop.db[classIndex(toRepl)] = -1
	s.prop.mu.Unlock()
	for _, r := range rs {
		r.close("the primary's history changed")
	}
}

// feedControl appends a command that no client ran (PING, REPLCONF GETACK) to the stream, when replicas exist.
func (s *Server) feedControl(cmd []byte) {
	s.prop.mu.Lock()
	if k := s.repl.sink; k != nil && len(k.replicas) > 0 && !s.isReplica() {
		k.append(cmd)
	}
	s.prop.mu.Unlock()
}

// REPLCONF option value [option value ...]
func cmdReplconf(c *client, args [][]byte) error {
	rc, err := replproto.ParseReplconf(args)
	if errors.Is(err, replproto.ErrUnknownOption) {
		return errorf(fmt.Sprintf("Unrecognized REPLCONF option: %s", args[1]))
	}
	if err != nil {
		return errSyntax
	}
	if rc.Ack || rc.GetAck {
		return nil // Matches Redis: no reply (ACKs from a replica are read by its own goroutine)
	}
	if c.replConf == nil {
		c.replConf = &replicaConf{}
	}
	if rc.ListeningPort != 0 {
		c.replConf.port = rc.ListeningPort
	}
	if rc.IPAddress != "" {
		c.replConf.ip = rc.IPAddress
	}
	c.replConf.capaEOF = c.replConf.capaEOF || rc.CapaEOF
	c.replConf.capaPSYNC2 = c.replConf.capaPSYNC2 || rc.CapaPSYNC2
	c.w.WriteSimple("OK")
	return nil
}

var (
	errNoMasterLink = &resp.Error{Code: "NOMASTERLINK", Msg: "Can't SYNC while not connected with my master"}
	errSyncInMulti  = errorf("Replica can't sync in MULTI")
)

// PSYNC replid offset, and SYNC: the connection becomes a replica's.
func cmdPSync(c *client, args [][]byte) error {
	s := c.srv
	replid, next := "?", int64(-1)
	legacy := eqFold(args[0], "sync")
	if !legacy {
		var err error
		if replid, next, err = replproto.ParsePSYNC(args); err != nil {
			return errSyntax
		}
	}
	if c.exec != nil || c.fake {
		return errSyncInMulti
	}
	if s.isReplica() && !s.linkUp() {
		return errNoMasterLink
	}
	conn, pending, err := c.takeConn()
	if err != nil {
		return err
	}
	conf := replicaConf{}
	if c.replConf != nil {
		conf = *c.replConf
	}
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		conn.Close()
		return errorf("cannot take the connection over: " + err.Error())
	}
	r := &replica{s: s, id: c.id, conn: conn, raw: raw, fd: rawFD(raw), addr: c.addr, laddr: c.laddr,
		created: c.created, user: c.pub.user.Load(), legacy: legacy, conf: conf, acked: make(chan struct{}),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.ackTime.Store(time.Now().UnixMilli())
	s.repl.mu.Lock()
	if s.repl.stopped {
		s.repl.mu.Unlock()
		conn.Close()
		return nil
	}
	s.repl.wg.Add(1)
	s.repl.mu.Unlock()
	go func() {
		defer s.repl.wg.Done()
		s.serveReplica(r, pending, replid, next, legacy)
	}()
	return nil
}

// takeConn takes the client's socket over for a replica: a new net.Conn on a duplicate of its descriptor,
// with the replies not yet written to it. The client closes its own descriptor once this command ends.
func (c *client) takeConn() (net.Conn, []byte, error) {
	if c.fd < 0 {
		return nil, nil, errorf("connection cannot become a replica's")
	}
	fd, err := syscall.Dup(c.fd)
	if err != nil {
		return nil, nil, errorf("cannot take the connection over: " + err.Error())
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "replica")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, nil, errorf("cannot take the connection over: " + err.Error())
	}
	pending := append([]byte(nil), c.w.Bytes()[c.wpos:]...)
	c.w.Discard()
	c.wpos = 0
	c.closing = true
	return conn, pending, nil
}

// serveReplica serves one replica until it disconnects: the resync, then the stream.
func (s *Server) serveReplica(r *replica, pending []byte, replid string, next int64, legacy bool) {
	log := s.log.Named("repl")
	defer r.close("connection ended")
	defer s.removeReplica(r)
	go r.readAcks()
	if len(pending) > 0 {
		if _, err := r.conn.Write(pending); err != nil {
			return
		}
	}
	if !legacy && s.tryContinue(r, replid, next) {
		log.Info("partial resynchronisation accepted", "addr", r.addr, "offset", next)
		r.writeLoop()
		return
	}
	if err := s.fullSync(r, legacy); err != nil {
		log.Warn("full sync of a replica failed", "addr", r.addr, "error", err)
		return
	}
	log.Info("replica synchronised", "addr", r.addr)
	r.writeLoop()
}

// tryContinue serves a partial resynchronisation when the backlog covers it: +CONTINUE, the backlog from next
// on, then the stream. It reports false when a full one is needed.
func (s *Server) tryContinue(r *replica, replid string, next int64) bool {
	s.prop.mu.Lock()
	defer s.prop.mu.Unlock()
	k := s.repl.sink
	s.repl.mu.Lock()
	ids := s.repl.ids
	s.repl.mu.Unlock()
	var b *replproto.Backlog
	if k != nil {
		b = k.backlog
	}
	d := replproto.Decide(ids, b, replid, next)
	if !d.Continue {
		if d.Reason != "" {
			s.repl.syncPartialErr.Add(1)
			s.log.Named("repl").Info("partial resynchronisation not possible", "addr", r.addr, "reason", d.Reason)
		}
		return false
	}
	s.repl.syncPartialOK.Add(1)
	id := ids.ID
	if !r.conf.capaPSYNC2 {
		id = replproto.ID{}
	}
	out := replproto.AppendContinue(nil, id)
	out, err := b.AppendFrom(out, next)
	if err != nil {
		return false
	}
	r.mu.Lock()
	r.out, r.streaming = out, true
	r.mu.Unlock()
	r.state.Store(replicaOnline)
	k.setReplicas(append(k.replicas, r))
	return true
}

// fullSync sends the replica a full copy: +FULLRESYNC, the payload of a snapshot taken at a cut of the stream,
// and, once acknowledged, what the stream buffered meanwhile.
func (s *Server) fullSync(r *replica, legacy bool) error {
	s.repl.syncFull.Add(1)
	s.ensureBacklog(true)
	timeout := time.Duration(s.config().ReplTimeout) * time.Second
	cfg := s.rdbConfig()
	var keys atomic.Int64
	stash := newValueStash(s.ks)
	defer stash.close() // after the snapshot's Close, deferred below
	var sn *keyspace.Snapshot
	var offset int64
	var id replproto.ID
	streamDB := 0
	for deadline := time.Now().Add(timeout); ; {
		// On a replica, the link applies a command and then passes it on: the cut must not fall in between,
		// or the command would be in the snapshot and in the stream too.
		s.repl.applyMu.Lock()
		tx := s.ks.BeginAll(0)
		snap, err := tx.StartSnapshot(s.serialiser(cfg, &keys, stash))
		if err == nil {
			s.prop.mu.Lock()
			offset = s.repl.offset.Load()
			s.repl.sink.setReplicas(append(s.repl.sink.replicas, r))
			if s.isReplica() {
				// A replica passes its primary's stream on as it is, with no SELECT of its own: the payload
				// tells the database that stream has selected (repl-stream-db), as Redis's does.
				streamDB = max(s.prop.db[classIndex(toRepl)], 0)
			} else {
				s.prop.db[classIndex(toRepl)] = -1 // the replica's stream starts with a SELECT
			}
			s.prop.mu.Unlock()
			s.repl.mu.Lock()
			id = s.repl.ids.ID
			s.repl.mu.Unlock()
		}
		tx.End()
		s.repl.applyMu.Unlock()
		if err == nil {
			sn = snap
			defer snap.Close()
			break
		}
		// Another snapshot (BGSAVE, another replica's sync) runs: wait for it, as Redis waits for its child.
		if time.Now().After(deadline) {
			return fmt.Errorf("no snapshot could start: %w", err)
		}
		select {
		case <-r.done:
			return errors.New("replica gone while waiting for a snapshot")
		case <-time.After(50 * time.Millisecond):
		}
	}
	aux := [][2]string{{"repl-stream-db", strconv.Itoa(streamDB)}, {"repl-id", id.String()},
		{"repl-offset", strconv.FormatInt(offset, 10)}}
	r.state.Store(replicaSendBulk)
	w := bufio.NewWriterSize(&deadlineWriter{conn: r.conn, timeout: timeout}, 64<<10)
	if !legacy {
		w.Write(replproto.AppendFullResync(nil, id, offset))
	}
	parts := snapshotParts(sn)
	if r.conf.capaEOF && !legacy {
		mark, err := replproto.NewEOFMark(nil)
		if err != nil {
			return err
		}
		w.Write(replproto.AppendPreamble(nil, replproto.Preamble{Size: -1, Mark: mark}))
		if err := s.encodeRDB(w, cfg, false, aux, stash, parts); err != nil {
			return err
		}
		w.Write(mark[:])
		if err := w.Flush(); err != nil {
			return err
		}
		// After a diskless payload nothing more is sent until the replica's first ACK (see replproto.Payload).
		select {
		case <-r.acked:
		case <-r.done:
			return errors.New("replica gone before its first ACK")
		case <-time.After(timeout):
			return errors.New("no ACK after the payload")
		}
	} else {
		var buf bytes.Buffer
		if err := s.encodeRDB(&buf, cfg, false, aux, stash, parts); err != nil {
			return err
		}
		w.Write(replproto.AppendPreamble(nil, replproto.Preamble{Size: int64(buf.Len())}))
		w.Write(buf.Bytes())
		if err := w.Flush(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.streaming = true
	r.mu.Unlock()
	r.state.Store(replicaOnline)
	return nil
}

// deadlineWriter writes to a connection with a deadline for each write.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.conn.Write(p)
}

// writeLoop writes the replica's buffered stream as it comes, until the replica is closed.
func (r *replica) writeLoop() {
	w := &deadlineWriter{conn: r.conn, timeout: time.Duration(r.s.config().ReplTimeout) * time.Second}
	for {
		r.mu.Lock()
		buf := r.out
		if len(buf) > 0 && r.streaming && !r.writing {
			r.out, r.spare = r.spare[:0], nil
			r.writing = true
		} else {
			buf = nil // nothing to write, or writeNow writes and wakes this loop if it leaves some
		}
		r.mu.Unlock()
		if len(buf) > 0 {
			_, err := w.Write(buf)
			r.mu.Lock()
			r.writing = false
			if cap(buf) <= 1<<20 {
				r.spare = buf[:0]
			}
			r.mu.Unlock()
			if err != nil {
				return
			}
			continue
		}
		select {
		case <-r.wake:
		case <-r.done:
			return
		}
	}
}

// readAcks reads what the replica sends (REPLCONF ACK), until the connection ends.
func (r *replica) readAcks() {
	defer r.close("connection ended")
	rd := resp.NewCommandReader(r.conn)
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			return
		}
		if !eqFold(args[0], "replconf") {
			continue
		}
		rc, err := replproto.ParseReplconf(args)
		if err != nil || !rc.Ack {
			continue
		}
		if rc.AckOffset > r.ackOff.Load() {
			r.ackOff.Store(rc.AckOffset)
		}
		r.ackTime.Store(time.Now().UnixMilli())
		r.ackOnce.Do(func() { close(r.acked) })
		r.s.acked()
	}
}

// removeReplica takes a gone replica out of the sink.
func (s *Server) removeReplica(r *replica) {
	s.prop.mu.Lock()
	if k := s.repl.sink; k != nil {
		for i, o := range k.replicas {
			if o == r {
				k.setReplicas(append(k.replicas[:i:i], k.replicas[i+1:]...))
				break
			}
		}
	}
	s.prop.mu.Unlock()
	s.acked() // WAIT counts one fewer
}

// replicaList returns the connected replicas.
func (s *Server) replicaList() []*replica {
	s.prop.mu.Lock()
	defer s.prop.mu.Unlock()
	if s.repl.sink == nil {
		return nil
	}
	return append([]*replica(nil), s.repl.sink.replicas...)
}

// backlogInfo returns the backlog's size, first byte offset and length, and whether it exists.
func (s *Server) backlogInfo() (first int64, histlen int, active bool) {
	s.prop.mu.Lock()
	defer s.prop.mu.Unlock()
	if k := s.repl.sink; k != nil {
		return k.backlog.FirstByteOffset(), k.backlog.Len(), true
	}
	return 0, 0, false
}

// replCron runs once a second: PINGs to the replicas every repl-ping-replica-period, replicas silent for
// repl-timeout dropped, the count of good replicas for min-replicas-to-write.
func (s *Server) replCron(ctx context.Context) error {
	ticks := 0
	return every(ctx, time.Second, func(now time.Time) time.Duration {
		ticks++
		cfg := s.config()
		s.flushReplicas() // in case a loop's client fed them off its loop's round (none is known to)
		if ticks%max(cfg.ReplPingPeriod, 1) == 0 {
			s.feedControl(bytesPING)
		}
		good := 0
		for _, r := range s.replicaList() {
			since := now.UnixMilli() - r.ackTime.Load()
			if r.state.Load() == replicaOnline && since > int64(cfg.ReplTimeout)*1000 {
				r.close("timeout")
				continue
			}
			if r.state.Load() == replicaOnline && since <= int64(cfg.MinReplicasLag)*1000 {
				good++
			}
		}
		s.repl.good.Store(int64(good))
		return time.Second
	})
}

var bytesPING = appendCommandStrs(nil, "PING")

var errNoReplicas = &resp.Error{Code: "NOREPLICAS", Msg: "Not enough good replicas to write."}

// enoughReplicas reports whether a write may run under min-replicas-to-write.
func (s *Server) enoughReplicas() bool {
	n := s.repl.minReplicas.Load()
	return n == 0 || s.isReplica() || s.repl.good.Load() >= n
}

var _ = register(map[string]handler{
	"replconf": cmdReplconf,
	"psync":    cmdPSync,
	"sync":     cmdPSync,
	"wait":     cmdWait,
})

// waitState is the clients blocked in WAIT.
type waitState struct {
	mu      sync.Mutex
	waiters []*waitWaiter
}

type waitWaiter struct {
	w      *waiter
	offset int64
	n      int64
}

// countAcks returns how many replicas acknowledged offset.
func (s *Server) countAcks(offset int64) int64 {
	n := int64(0)
	for _, r := range s.replicaList() {
		if r.state.Load() == replicaOnline && r.ackOff.Load() >= offset {
			n++
		}
	}
	return n
}

// WAIT numreplicas timeout: blocks until numreplicas replicas acknowledged the client's writes, or timeout
// milliseconds (0: forever) pass, and replies how many did.
func cmdWait(c *client, args [][]byte) error {
	s := c.srv
	if s.isReplica() {
		return errorf("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
	}
	n, err := strconv.ParseInt(string(args[1]), 10, 64)
	if err != nil {
		return errNotInteger
	}
	timeout, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		return errorf("timeout is not an integer or out of range")
	}
	if timeout < 0 {
		return errorf("timeout is negative")
	}
	acks := s.countAcks(c.woff)
	if acks >= n || c.exec != nil {
		c.w.WriteInt(acks)
		return nil
	}
	w := &waiter{c: c, cmd: c.cmd, args: copyArgs(args), db: c.db, proto: c.w.Protocol()}
	if c.conn != nil {
		w.reply = make(chan []byte, 1)
	}
	off := c.woff
	w.timeoutReply = func() []byte { return resp.AppendInt(nil, s.countAcks(off)) }
	s.block.mu.Lock()
	if s.block.byClient == nil {
		s.block.byClient = make(map[int64]*waiter)
	}
	s.block.byClient[c.id] = w // CLIENT UNBLOCK
	s.block.count.Add(1)
	if timeout > 0 {
		w.timer = time.AfterFunc(time.Duration(timeout)*time.Millisecond, func() { s.timeOut(w) })
	}
	s.block.mu.Unlock()
	s.repl.waits.mu.Lock()
	s.repl.waits.waiters = append(s.repl.waits.waiters, &waitWaiter{w: w, offset: off, n: n})
	s.repl.waits.mu.Unlock()
	c.waiter = w
	s.feedControl(replproto.AppendGetAck(nil)) // ask for ACKs now
	return nil
}

// acked serves the WAIT waiters that the replicas' acknowledgements now satisfy, and forgets ended ones.
func (s *Server) acked() {
	ws := &s.repl.waits
	ws.mu.Lock()
	if len(ws.waiters) == 0 {
		ws.mu.Unlock()
		return
	}
	keep := ws.waiters[:0]
	var ready []*waitWaiter
	for _, x := range ws.waiters {
		switch {
		case x.w.state.Load() != waiting:
		case s.countAcks(x.offset) >= x.n:
			ready = append(ready, x)
		default:
			keep = append(keep, x)
		}
	}
	clear(ws.waiters[len(keep):])
	ws.waiters = keep
	ws.mu.Unlock()
	for _, x := range ready {
		if x.w.state.CompareAndSwap(waiting, serving) {
			s.finish(x.w, resp.AppendInt(nil, s.countAcks(x.offset)))
		}
	}
}
