package node

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// client is one connection and its session state, served either by its own goroutine (serve) or by an event
// loop (loop_linux.go). Only the goroutine serving it touches the session fields; what other clients read
// (CLIENT LIST, CLIENT KILL) is in pub, published at the end of each batch, or guarded by mu.
type client struct {
	srv     *Server
	id      int64
	addr    string // the peer's ip:port
	laddr   string // the local ip:port the client connected to
	created time.Time
	rd      *resp.CommandReader
	w       *resp.Writer
	kill    func(*client) // closes the connection; callable from any goroutine
	stats   *statShard    // where this client's commands are counted

	fd       int      // the socket's file descriptor
	conn     net.Conn // goroutine-per-connection mode
	loopConn          // event-loop mode

	// Session state, touched only by the goroutine serving the client.
	oomAtStart bool // maxmemory was exceeded when the running command started (Redis's pre_command_oom_state)
	db         int
	authed     bool
	user       *aclUser // the user logged in (see acl.go)
	closing    bool     // close after the replies already written are flushed (QUIT, protocol errors, CLIENT KILL)
	lower      []byte   // scratch for lower-casing command names
	scratch    [20]byte // scratch for formatting an int-encoded value
	cmd        *command
	argv       [][]byte         // the arguments of the command running
	flags      clientFlags      // session flags shown by CLIENT LIST
	reply      replyMode        // CLIENT REPLY
	sink       *resp.Writer     // takes the replies that CLIENT REPLY OFF/SKIP discards
	parked     [][]byte         // the command a parked client waits in (CLIENT PAUSE, blocking commands); nil when none
	waiter     *waiter          // set while the client is blocked in a blocking command
	serving    bool             // a stand-in running a blocked client's command for it (see block.go)
	replConf   *replicaConf     // what a replica said with REPLCONF before PSYNC (repl_primary.go)
	woff       int64            // the replication offset after the client's last write, for WAIT
	signalled  bool             // the command made keys ready for blocked clients
	multi      *multiState      // the open transaction, between MULTI and EXEC or DISCARD
	exec       *keyspace.Txn    // while EXEC runs: the transaction's Txn, which commands share (see begin)
	txSlot     keyspace.Txn     // the Txn of withStream, kept here: a callback's Txn on the stack escapes to the heap
	txBusy     bool             // txSlot is in use (a nested withStream allocates its own)
	watched    []watchedKey     // WATCH
	subs       clientSubs       // SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE
	cachingSet bool             // CLIENT CACHING ran: it covers the next command
	asking     bool             // ASKING ran: the next command may use an importing slot
	readOnly   bool             // READONLY: reads from replicas in cluster mode
	gated      bool             // holds the migration gate's read lock until the command ends (cmd_migrate.go)
	keyRefs    []cmdspec.KeyRef // scratch for the cluster slot check
	dirty      atomic.Bool      // a watched key changed: EXEC fails (set by other clients)
	prop       propState        // what the running command will propagate (see propagate.go)
	fake       bool             // no connection: replays a stream (newFakeClient)
	applyErr   error            // a fake client's first error reply of the running command (see apply)

	pub published

	mu       sync.Mutex
	name     string
	libName  string
	libVer   string
	wmu      sync.Mutex    // goroutine mode: held while pushed frames are written, never with mu held on entry
	busy     bool          // goroutine mode: running a batch, so pushes wait in pending
	spare    []byte        // goroutine mode: a written pending buffer, for reuse
	pending  []byte        // pushed frames not yet written (goroutine mode), or not yet taken by the loop
	batchOut int           // goroutine mode: reply bytes the current batch has written (replyMeter)
	held     []byte        // goroutine mode: replies flushed early by a command, written at the end of the batch
	flushing bool          // goroutine mode: the batch's replies are being written (replyMeter)
	pushed   chan struct{} // goroutine mode: wakes writePushes
	gone     chan struct{} // goroutine mode: closed when serve returns
	dead     chan struct{} // goroutine mode: closed when the connection is killed
	in       *connSource   // goroutine mode: what the command reader reads

	track        atomic.Pointer[trackMode] // CLIENT TRACKING settings, nil when off (read by writers' goroutines)
	softSince    atomic.Int64              // server clock (Unix ms) since when output is over the soft limit, 0 when not
	outputKilled atomic.Bool               // closed for its output buffer limit (logged once)
}

// clientFlags are the session states that CLIENT LIST shows as letters.
type clientFlags uint32

const (
	flagMonitor  clientFlags = 1 << iota // O
	flagBlocked                          // b: waiting (CLIENT PAUSE, later blocking commands)
	flagClosing                          // c: closing after the reply
	flagNoEvict                          // e: CLIENT NO-EVICT on
	flagNoTouch                          // T: CLIENT NO-TOUCH on
	flagMulti                            // x: in MULTI
	flagPubSub                           // P: subscribed to a channel, pattern or shard channel
	flagTracking                         // t: CLIENT TRACKING on
	flagReplica                          // S: a replica of this server (repl_clients.go)
	flagPrimary                          // M: the link to this replica's primary (repl_clients.go)
	// Shown by CLIENT LIST but kept elsewhere (see listFlags): never set in c.flags.
	flagTrackBroken // R: CLIENT TRACKING's redirect client is gone
	flagTrackBcast  // B: CLIENT TRACKING in BCAST mode
	flagDirtyCAS    // d: a watched key changed, EXEC will fail
)

// replyMode is the CLIENT REPLY setting.
type replyMode uint8

const (
	replyOn replyMode = iota
	replyOff
	replySkipNext // SKIP was the last command: discard the next reply
	replySkipThis // the command running discards its reply, then replies go on
)

// published is the part of a client's state that other goroutines read. The serving goroutine stores it at
// the end of each batch, and only what changed, so the hot path pays a few compares.
type published struct {
	db     atomic.Int32
	cmd    atomic.Pointer[command]
	active atomic.Int64 // server clock (Unix ms) of the last batch
	flags  atomic.Uint32
	qbuf   atomic.Int64 // bytes read but not yet run
	obuf   atomic.Int64 // reply bytes not yet written
	rbs    atomic.Int64 // size of the read buffer
	proto  atomic.Int32
	subs   [3]atomic.Int32 // channels, patterns and shard channels subscribed to
	multi  atomic.Int32    // commands queued in MULTI, -1 outside MULTI
	user   atomic.Pointer[aclUser]
}

// publish stores the session state other clients may read (CLIENT LIST, INFO), the size of the unwritten
// replies included.
func (c *client) publish() {
	c.publishState()
	c.publishOutput()
}

// publishState stores the session state other clients may read, all but the size of the unwritten replies.
// The end of a batch publishes it before writing its replies, so that whoever reads them then sees the
// client's state (its subscriptions) as of those replies, and publishes the output after writing: published
// before, it would still show the replies as pending (events=rw) to a client that has read them.
func (c *client) publishState() {
	p := &c.pub
	if int(p.db.Load()) != c.db {
		p.db.Store(int32(c.db))
	}
	if p.cmd.Load() != c.cmd {
		p.cmd.Store(c.cmd)
	}
	if now := c.srv.clock.Load(); p.active.Load() != now {
		p.active.Store(now)
	}
	f := c.flags
	if c.parked != nil {
		f |= flagBlocked
	}
	if c.closing {
		f |= flagClosing
	}
	if clientFlags(p.flags.Load()) != f {
		p.flags.Store(uint32(f))
	}
	if q := int64(c.rd.Buffered()); p.qbuf.Load() != q {
		p.qbuf.Store(q)
	}
	if n := int64(c.rd.BufferSize()); p.rbs.Load() != n {
		p.rbs.Store(n)
	}
	for k := range c.subs {
		if n := int32(len(c.subs[k])); p.subs[k].Load() != n {
			p.subs[k].Store(n)
		}
	}
	multi := int32(-1)
	if c.multi != nil {
		multi = int32(len(c.multi.queue))
	}
	if p.multi.Load() != multi {
		p.multi.Store(multi)
	}
	if pr := int32(c.w.Protocol()); p.proto.Load() != pr {
		p.proto.Store(pr)
	}
}

// publishOutput publishes the size of the client's unwritten replies (CLIENT LIST's obl, events). The end of
// a batch publishes it after writing them (see publishState).
func (c *client) publishOutput() {
	if o := int64(c.w.Buffered() - c.wpos + len(c.held)); c.pub.obuf.Load() != o {
		c.pub.obuf.Store(o)
	}
}

// newClient registers a new connection, or returns nil when the server is closing.
func (s *Server) newClient(addr, laddr string, fd int, kill func(*client)) *client {
	id := s.nextID.Add(1)
	c := &client{
		srv:     s,
		id:      id,
		addr:    addr,
		laddr:   laddr,
		fd:      fd,
		created: time.Now(),
		kill:    kill,
		stats:   s.stats.shard(id),
		authed:  s.acl.open.Load(),
		user:    s.acl.def,
		lower:   make([]byte, 0, 32),
	}
	c.pub.user.Store(s.acl.def)
	c.pub.active.Store(s.clock.Load())
	c.pub.proto.Store(2)
	c.pub.multi.Store(-1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.clients[c.id] = c
	s.conns.Add(1)
	s.stats.connections.Add(1)
	return c
}

func (s *Server) removeClient(c *client) {
	c.unwatchAll()
	c.unsubscribeAll()
	c.trackingOff()
	s.mu.Lock()
	delete(s.clients, c.id)
	s.connected.Add(-1)
	if c.flags&flagMonitor != 0 {
		s.removeMonitor(c)
	}
	s.mu.Unlock()
	s.conns.Done()
}

// serveConn serves conn on its own goroutine.
func (s *Server) serveConn(conn net.Conn) {
	dead := make(chan struct{})
	var once sync.Once
	c := s.newClient(conn.RemoteAddr().String(), conn.LocalAddr().String(), connFD(conn), func(*client) {
		once.Do(func() { close(dead) })
		conn.Close()
	})
	if c == nil {
		conn.Close()
		return
	}
	c.conn = conn
	c.dead = dead
	c.gone = make(chan struct{})
	c.in = &connSource{conn: conn}
	c.rd = resp.NewCommandReader(c.in)
	c.w = resp.NewWriter(replyMeter{c})
	go c.serve()
}

// replyMeter is the destination of a goroutine-mode client's replies. It counts what a batch of commands
// writes, early flushes of a long reply included, and closes the client instead of writing once that passes
// client-output-buffer-limit: Redis, which writes nothing before the command ends, would hold it all.
//
// Until the end of the batch (flushReplies), what the writer flushes early is held in memory, not written: a
// command may hold keyspace locks while it replies, and a client that does not read must stall only itself,
// never the clients waiting for those locks. Redis, too, holds replies in memory until the command ends.
type replyMeter struct{ c *client }

var errOutputLimit = errors.New("closed for overcoming of output buffer limits")

func (m replyMeter) Write(p []byte) (int, error) {
	c := m.c
	c.batchOut += len(p)
	if c.overOutputLimit(c.batchOut) {
		return 0, errOutputLimit
	}
	if !c.flushing {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	if err := c.writeHeld(); err != nil {
		return 0, err
	}
	return c.conn.Write(p)
}

// flushReplies writes the replies of a goroutine-mode client's batch: those held, then the writer's buffer.
func (c *client) flushReplies() error {
	c.flushing = true
	defer func() { c.flushing = false }()
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.writeHeld()
}

// writeHeld writes the replies held by replyMeter.
func (c *client) writeHeld() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.conn.Write(c.held)
	c.held = c.held[:0]
	if cap(c.held) > 1<<20 {
		c.held = nil // one big reply does not pin memory for the connection's life
	}
	return err
}

// serve reads and runs the client's commands until the connection ends. Replies are flushed once per pipeline
// batch: when no further complete command is already buffered. A panic while serving is logged with its stack
// and closes this connection only.
func (c *client) serve() {
	log := c.srv.log
	defer c.srv.removeClient(c)
	defer close(c.gone)
	defer c.conn.Close()
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic while serving a client, closing its connection",
				"client-id", c.id, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	log.Debug("client connected", "client-id", c.id, "addr", c.addr)
	for !c.closing {
		c.readLimits()
		args, err := c.rd.ReadCommand()
		if err != nil {
			if !c.readFailed(err) {
				return
			}
			break
		}
		c.setBusy(true)
		c.execute(args)
		if c.w.Err() != nil {
			return // over the output limit (replyMeter), or the connection failed: nothing more runs
		}
		if !c.rd.Ready() {
			c.publishState()
			c.srv.aofBarrier() // the replies wait for the AOF writes (appendfsync always: fsyncs) they depend on
			err := c.flushReplies()
			c.batchOut = 0
			if err != nil {
				log.Debug("write failed, closing client", "client-id", c.id, "error", err)
				return
			}
			c.publishOutput()
			if err := c.setBusy(false); err != nil {
				log.Debug("write failed, closing client", "client-id", c.id, "error", err)
				return
			}
		}
	}
	c.publish()
	c.flushReplies()
}

// setBusy marks a goroutine-mode client as running a batch, so pushed frames (MONITOR, pub/sub) wait instead
// of landing inside a reply. Leaving the busy state writes the frames that waited.
func (c *client) setBusy(busy bool) error {
	c.wmu.Lock() // wait out a push being written
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.busy == busy {
		c.mu.Unlock()
		return nil
	}
	c.busy = busy
	if busy {
		c.mu.Unlock()
		return nil
	}
	buf := c.takePending()
	return c.writePending(buf)
}

// takePending returns the pushed frames waiting, leaving an empty buffer. Call with c.mu held; it unlocks it.
func (c *client) takePending() []byte {
	buf := c.pending
	c.pending = c.spare[:0]
	c.spare = nil
	c.mu.Unlock()
	return buf
}

// writePending writes frames taken with takePending, with c.wmu held, and keeps the buffer for reuse.
func (c *client) writePending(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	_, err := c.conn.Write(buf)
	c.mu.Lock()
	if c.spare == nil && cap(buf) <= 1<<20 {
		c.spare = buf[:0]
	}
	c.mu.Unlock()
	return err
}

// push sends complete RESP frames to the client from any goroutine: after the reply it is writing, if any,
// and before the replies of later commands. b must not change afterwards. It never waits for the client to
// read: frames gather in memory, up to client-output-buffer-limit, beyond which the client is closed.
func (c *client) push(b []byte) {
	if c.pushToLoop(b) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, b...)
	if c.overOutputLimit(len(c.pending)) {
		return
	}
	if c.pushed == nil {
		// A writer goroutine, so that a client that does not read stalls only itself, never the pusher.
		c.pushed = make(chan struct{}, 1)
		go c.writePushes()
	}
	select {
	case c.pushed <- struct{}{}:
	default:
	}
}

// writePushes writes a goroutine-mode client's pushed frames while it is between batches, until it is gone.
// c.mu is not held while writing, so pushers never wait for a slow reader.
func (c *client) writePushes() {
	for {
		select {
		case <-c.gone:
			return
		case <-c.pushed:
		}
		c.wmu.Lock()
		c.mu.Lock()
		if c.busy || len(c.pending) == 0 {
			c.mu.Unlock()
			c.wmu.Unlock()
			continue
		}
		if err := c.writePending(c.takePending()); err != nil {
			c.kill(c)
		}
		c.wmu.Unlock()
	}
}

// connFD returns the file descriptor of conn's socket, or -1.
func connFD(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// readLimits sets what the command reader accepts from the live configuration, before each command is read:
// proto-max-bulk-len and client-query-buffer-limit (CONFIG SET applies to connected clients too, as in Redis),
// and Redis's tighter limits for a client that must still authenticate.
func (c *client) readLimits() {
	l := &c.rd.Limits
	l.MaxBulkLen = c.srv.live.protoMaxBulk.Load()
	l.MaxQueryLen = c.srv.live.queryBufLimit.Load()
	l.Unauthenticated = !c.authed && !c.srv.acl.open.Load()
}

// readFailed handles an error from reading the next command. A protocol error gets Redis's reply and marks
// the client for closing once that reply is written (it returns true); any other error means the connection
// is gone (it returns false).
func (c *client) readFailed(err error) bool {
	var pe *resp.ProtocolError
	if errors.As(err, &pe) {
		// Matches Redis: reply with the protocol error, then close the connection.
		c.w.WriteError("ERR " + pe.Error())
		c.closing = true
		c.srv.log.Debug("protocol error, closing client", "client-id", c.id, "error", err)
		return true
	}
	if errors.Is(err, resp.ErrQueryLimit) {
		// Matches Redis: closed without a reply, logged as a warning and counted.
		c.srv.stats.queryKills.Add(1)
		c.srv.log.Warn("closing client that reached max query buffer length", "client-id", c.id, "addr", c.addr,
			"qbuf", c.rd.Buffered())
		return false
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.srv.log.Debug("read failed, closing client", "client-id", c.id, "error", err)
	}
	return false
}

// connSource is what a goroutine-mode client reads commands from: the connection, after any bytes that a
// hang-up watcher read while the client was blocked.
type connSource struct {
	conn  net.Conn
	stash []byte
	err   error // the watcher's read error, reported once the stash is drained
	done  chan struct{}
	hup   chan struct{}
}

func (s *connSource) Read(p []byte) (int, error) {
	if len(s.stash) > 0 {
		n := copy(p, s.stash)
		s.stash = s.stash[n:]
		return n, nil
	}
	if s.err != nil {
		err := s.err
		s.err = nil
		return 0, err
	}
	return s.conn.Read(p)
}

// watch reads the connection in the background while the client is blocked, keeping what arrives for later,
// and returns a channel closed if the peer hangs up (as Redis notices when a blocked client disconnects).
func (s *connSource) watch() <-chan struct{} {
	s.done, s.hup = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := s.conn.Read(buf)
			s.stash = append(s.stash, buf[:n]...)
			if err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					s.err = err
					close(s.hup)
				}
				return
			}
		}
	}()
	return s.hup
}

// unwatch stops the background read started by watch.
func (s *connSource) unwatch() {
	s.conn.SetReadDeadline(time.Unix(1, 0))
	<-s.done
	s.conn.SetReadDeadline(time.Time{})
}
