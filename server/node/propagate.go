package node

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/carminedb/carmine/resp"
)

// Propagation: ARCHITECTURE.md's Propagate, the one stream of every write as it should be replayed, in the
// order the keyspace applied it. The append-only file and the replication backlog are its consumers (sinks);
// neither derives it again.
//
// Order. Commands on different shards run in parallel, so "the order applied" is made where the locks are: a
// command's writes are fed when its Txn ends, before the Txn releases its shard locks (keyspace.Txn.OnEnd).
// Two commands on the same key are therefore fed in the order they ran; commands on unrelated keys may be fed
// in either order, which replays to the same data. Expired and evicted keys are fed as DEL from the keyspace
// hooks, which also run with the key's shard locked. Attaching a sink while holding every shard lock
// (BeginAll) gives a cut: a snapshot started under the same Txn plus everything fed afterwards is exact.
//
// What a command feeds. A command that changed something (it called c.wrote or c.changes) feeds its own
// arguments; c.propagate replaces them (SET EX as SET PXAT, SPOP as SREM ...) and c.alsoPropagate adds more.
// Commands of a MULTI/EXEC block or a script gather on the client and are fed together when the block's Txn
// ends, wrapped in MULTI/EXEC when there is more than one, as Redis 7 does.
//
// Cost. With no sink attached (no AOF, no replica) commands still count their writes but encode nothing.

// propClass selects the consumers of a command: Redis's PROPAGATE_AOF and PROPAGATE_REPL.
type propClass uint8

const (
	toAOF  propClass = 1 << iota // the append-only file
	toRepl                       // the replication stream (backlog, replicas)
	toAll  = toAOF | toRepl
)

const propClasses = 2

// sink consumes the write stream: whole commands as RESP arrays of bulk strings, SELECT inserted when the
// database changes, in apply order. feed is called with the propagator's mutex held, and often with shard
// locks: it must not block, do I/O or touch the keyspace. p is only valid during the call.
type sink interface{ feed(p []byte) }

// propagator fans the write stream out to the sinks of each class.
type propagator struct {
	on    atomic.Uint32 // the classes with a sink attached (propClass bits): what commands encode for
	mu    sync.Mutex
	sinks [propClasses][]sink
	db    [propClasses]int // the database the class's stream has selected, -1 for none yet
	buf   []byte           // scratch for SELECT and keyless commands

	// deferWrite is set while an event loop's client feeds: the loop writes the replicas' buffers at the end
	// of its round (see replSink.append).
	deferWrite bool
}

func classIndex(c propClass) int {
	if c == toAOF {
		return 0
	}
	return 1
}

// attachSink adds k to the consumers of class (toAOF or toRepl). Its first command will be preceded by a
// SELECT. Attach while holding every shard lock (BeginAll) to start k at a cut of the keyspace.
func (s *Server) attachSink(class propClass, k sink) {
	p := &s.prop
	p.mu.Lock()
	i := classIndex(class)
	p.sinks[i] = append(p.sinks[i], k)
	p.db[i] = -1
	p.on.Store(p.on.Load() | uint32(class))
	p.mu.Unlock()
}

// detachSink removes k from the consumers of class.
func (s *Server) detachSink(class propClass, k sink) {
	p := &s.prop
	p.mu.Lock()
	defer p.mu.Unlock()
	i := classIndex(class)
	for j, x := range p.sinks[i] {
		if x == k {
			p.sinks[i] = append(p.sinks[i][:j:j], p.sinks[i][j+1:]...)
			break
		}
	}
	if len(p.sinks[i]) == 0 {
		p.on.Store(p.on.Load() &^ uint32(class))
	}
}

// feedLocked feeds one encoded command of database db to the sinks of the classes in to. p.mu is held.
func (p *propagator) feedLocked(db int, to propClass, cmd []byte) {
	for i := range propClasses {
		if to&(1<<i) == 0 || len(p.sinks[i]) == 0 {
			continue
		}
		if p.db[i] != db && db >= 0 {
			p.buf = appendCommandStrs(p.buf[:0], "SELECT", strconv.Itoa(db))
			for _, k := range p.sinks[i] {
				k.feed(p.buf)
			}
			p.db[i] = db
		}
		for _, k := range p.sinks[i] {
			k.feed(cmd)
		}
	}
}

// propagateKeyless feeds one command that no client ran (an expired or evicted key's DEL) at once. Call it with
// the command's keys locked, as the keyspace hooks are.
func (s *Server) propagateKeyless(db int, argv ...[]byte) {
	p := &s.prop
	if p.on.Load() == 0 {
		return
	}
	p.mu.Lock()
	p.buf = appendCommand(p.buf[:0], argv...)
	cmd := append([]byte(nil), p.buf...) // feedLocked reuses p.buf for SELECT
	p.feedLocked(db, toAll, cmd)
	p.mu.Unlock()
}

// propState is what a client's running command (or MULTI/EXEC block, or script) will propagate.
type propState struct {
	dirty int       // changes made by the running command (c.wrote, c.changes)
	taken bool      // the command said what it propagates (propagate, or noPropagate): not its own arguments
	buf   []byte    // the encoded commands waiting to be fed
	ops   []propOp  // where each lies in buf
	mute  propClass // classes this client's commands do not go to (a replica's primary, loading a file)
}

type propOp struct {
	db         int
	to         propClass
	start, end int
}

// propagate records argv as (part of) what the running command propagates, instead of its own arguments.
func (c *client) propagate(argv ...[]byte) {
	c.prop.taken = true
	c.alsoPropagate(argv...)
}

// alsoPropagate records argv to propagate before the running command's own arguments (Redis's alsoPropagate).
func (c *client) alsoPropagate(argv ...[]byte) {
	if !c.propagating() {
		return
	}
	st := &c.prop
	start := len(st.buf)
	st.buf = appendCommand(st.buf, argv...)
	st.ops = append(st.ops, propOp{db: c.db, to: c.propTo(), start: start, end: len(st.buf)})
}

// forcePropagation makes the running command propagate its arguments although it changed nothing (FLUSHDB of
// an empty database): Redis's forceCommandPropagation.
func (c *client) forcePropagation() { c.prop.dirty++ }

// noPropagate keeps the running command's own arguments out of the stream even though it changed something.
func (c *client) noPropagate() { c.prop.taken = true }

func (c *client) propTo() propClass { return toAll &^ c.prop.mute }

// propCommandDone ends the running command's part: its own arguments join the waiting commands when it changed
// something and did not say otherwise.
func (c *client) propCommandDone() {
	st := &c.prop
	if st.dirty > 0 && !st.taken && c.cmd != nil {
		c.alsoPropagate(c.argv...)
	}
	st.dirty, st.taken = 0, false
}

// TxnEnding is the keyspace.EndHook of every Txn a client begins: the end of a command, or of the MULTI/EXEC
// block or script whose Txn the commands shared. It feeds what they propagate while the locks are still held.
func (c *client) TxnEnding() {
	c.propCommandDone()
	c.propFlush()
}

// propFlush feeds the client's waiting commands, wrapped in MULTI/EXEC when there is more than one.
func (c *client) propFlush() {
	st := &c.prop
	if len(st.ops) == 0 {
		return
	}
	p := &c.srv.prop
	p.mu.Lock()
	if p.on.Load() != 0 {
		p.deferWrite = c.loop != nil
		wrap := len(st.ops) > 1
		var to propClass
		for _, op := range st.ops {
			to |= op.to
		}
		if wrap {
			p.feedLocked(st.ops[0].db, to, bytesMULTI)
		}
		last := st.ops[0].db
		for _, op := range st.ops {
			p.feedLocked(op.db, op.to, st.buf[op.start:op.end])
			last = op.db
		}
		if wrap {
			p.feedLocked(last, to, bytesEXEC)
		}
		p.deferWrite = false
	}
	p.mu.Unlock()
	c.woff = c.srv.repl.offset.Load() // what WAIT waits for
	st.buf, st.ops = st.buf[:0], st.ops[:0]
	if cap(st.buf) > 64<<10 {
		st.buf = nil // a huge command once should not pin its buffer
	}
}

// propagating reports whether the client's commands propagate anywhere (a class they go to has a sink):
// handlers that rewrite what they propagate build the rewritten arguments only then. A replica's primary, muted
// for the replication stream that the replica passes on verbatim, propagates only with the AOF on.
func (c *client) propagating() bool { return c.srv.prop.on.Load()&uint32(c.propTo()) != 0 }

// propagateWithout propagates the running command's arguments without those from index from on that equal
// word, ignoring case.
func (c *client) propagateWithout(word string, from int) {
	argv := append([][]byte(nil), c.argv[:from]...)
	for _, a := range c.argv[from:] {
		if !eqFold(a, word) {
			argv = append(argv, a)
		}
	}
	c.propagate(argv...)
}

// delName is what a key's removal propagates as: UNLINK when the lazyfree setting for its cause is on, else
// DEL, as Redis does.
func delName(lazy bool) []byte {
	if lazy {
		return bytesUNLINK
	}
	return bytesDEL
}

func itob(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// Command names and arguments of rewritten commands, as Redis spells them.
var (
	bytesDEL       = []byte("DEL")
	bytesUNLINK    = []byte("UNLINK")
	bytesSET       = []byte("SET")
	bytesPXAT      = []byte("PXAT")
	bytesKEEPTTL   = []byte("KEEPTTL")
	bytesPEXPIREAT = []byte("PEXPIREAT")
	bytesPERSIST   = []byte("PERSIST")
	bytesHSET      = []byte("HSET")
	bytesLPOP      = []byte("LPOP")
	bytesRPOP      = []byte("RPOP")
	bytesZPOPMIN   = []byte("ZPOPMIN")
	bytesZPOPMAX   = []byte("ZPOPMAX")
	bytesSREM      = []byte("SREM")
	bytesMULTI     = appendCommandStrs(nil, "MULTI")
	bytesEXEC      = appendCommandStrs(nil, "EXEC")
)

// appendCommand appends argv as a RESP array of bulk strings.
func appendCommand(dst []byte, argv ...[]byte) []byte { return appendArgs(dst, argv) }

// appendCommandStrs is appendCommand with string arguments.
func appendCommandStrs(dst []byte, argv ...string) []byte { return appendArgs(dst, argv) }

func appendArgs[T []byte | string](dst []byte, argv []T) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(argv)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range argv {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// newFakeClient returns a client with no connection, for replaying a stream of commands (an append-only file
// being loaded, a replica's link to its primary): Redis's fake client. It is logged in as an unrestricted user,
// its replies are discarded, and its commands propagate to no class until its prop.mute says otherwise.
func (s *Server) newFakeClient() *client {
	u := &aclUser{name: "default"}
	u.store(newDefaultUser())
	c := &client{
		srv:    s,
		id:     -1,
		authed: true,
		user:   u,
		lower:  make([]byte, 0, 32),
		stats:  s.stats.shard(0),
		w:      resp.NewWriter(nil),
		fake:   true,
	}
	c.prop.mute = toAll
	return c
}

// apply runs one command of a replayed stream on a fake client: MULTI queues as usual, and EXEC runs the queue.
// It returns the command's error reply, or for EXEC the first error among the queued commands' replies.
func (c *client) apply(args [][]byte) error {
	defer c.w.Discard()
	c.applyErr = nil
	cmd, err := c.lookup(args)
	if err != nil {
		return errorReply(err)
	}
	c.cmd, c.argv = cmd, args
	if c.multi != nil && queuesInMulti(cmd) {
		c.queue(cmd, args)
		return nil
	}
	if err := c.call(cmd, args); err != nil {
		return errorReply(err)
	}
	if c.applyErr != nil {
		return c.applyErr
	}
	return nil
}
