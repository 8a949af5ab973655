package node

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) wait for a key to get data without using any
// CPU: the client is parked (see heldByPause for the mechanism) and registered as a waiter on its keys.
//
// A command that adds data to a key others may wait on calls signalReady while it holds the key's lock. Right
// after that command, the client that ran it serves the waiters of the ready keys in the order they blocked
// (first come, first served): for each one it runs the waiter's command again on the waiter's behalf, under
// the keys' locks, and hands the reply to the waiter's own goroutine, which then goes on with its next
// commands. Serving happens on the writer's goroutine so that, as in Redis, the element goes to the waiter
// before any other client's command can take it.
//
// A waiter registers while its command still holds the keys' locks, so a push cannot slip in between its
// finding the keys empty and its registering. A waiter ends exactly once, whichever comes first: served, timed
// out, or its client gone (the state CAS decides).

// Waiter states.
const (
	waiting int32 = iota
	serving
	finished
)

type blockKey struct {
	db  int
	key string
}

// waiter is a client blocked in a command until one of its keys can serve it.
type waiter struct {
	c     *client
	cmd   *command
	args  [][]byte // a copy of the command
	db    int
	proto int
	keys  []blockKey
	state atomic.Int32
	timer *time.Timer
	reply chan []byte // goroutine mode: where the reply arrives
	// timeoutReply, when set, makes the reply of a timeout (WAIT replies its count, not a null).
	timeoutReply func() []byte
	closeAfter   atomic.Bool // the connection closes after the reply (unblockAll)
}

// blockers is the server's registry of waiters.
type blockers struct {
	count    atomic.Int64 // waiters registered: signalReady costs one atomic load when nobody waits
	mu       sync.Mutex
	byKey    map[blockKey][]*waiter
	byClient map[int64]*waiter // for CLIENT UNBLOCK
	ready    []blockKey
	// orphans is set when keys became ready outside any client's command (expiry): the next command, or the
	// expiry sweeper, serves them.
	orphans atomic.Bool
}

// errStillBlocked is what a blocking command returns when it runs for a waiter that it cannot serve yet.
var errStillBlocked = errorf("still blocked")

// parseTimeout reads a blocking command's timeout in seconds (a float, as Redis reads it with strtold) and
// returns it in milliseconds, 0 meaning forever.
func parseTimeout(b []byte) (int64, error) {
	f, inf, ok := parseLongDouble(b)
	if !ok {
		return 0, errorf("timeout is not a float or out of range")
	}
	if inf {
		return 0, errorf("timeout is negative") // Redis's sum of inf with the current time overflows
	}
	if f.Sign() < 0 {
		return 0, errorf("timeout is negative")
	}
	ms, _ := new(big.Float).Mul(f, big.NewFloat(1000)).Float64()
	if ms > math.MaxInt64/2 {
		return 0, errorf("timeout is negative") // Redis's sum with the current time overflows
	}
	return int64(math.Ceil(ms)), nil
}

// block makes the running command wait for keys for timeoutMs (0: forever). The caller must hold the keys'
// locks and write no reply. When the command runs for a waiter being served, it returns errStillBlocked.
func (c *client) block(keys [][]byte, timeoutMs int64) error {
	return c.blockWith(keys, timeoutMs, c.argv)
}

// blockWith is block for a command that runs again as argv when served (XREAD with its '$' ids resolved).
func (c *client) blockWith(keys [][]byte, timeoutMs int64, argv [][]byte) error {
	if c.serving {
		return errStillBlocked
	}
	if c.exec != nil {
		// Matches Redis: inside a transaction a blocking command does not block; it replies as if timed out,
		// except that BLMOVE and BRPOPLPUSH reply a null bulk string there.
		if c.cmd.name == "blmove" || c.cmd.name == "brpoplpush" {
			c.w.WriteNull()
		} else {
			c.w.WriteNullArray()
		}
		return nil
	}
	s := c.srv
	w := &waiter{c: c, cmd: c.cmd, args: copyArgs(argv), db: c.db, proto: c.w.Protocol()}
	for _, k := range keys {
		w.keys = append(w.keys, blockKey{c.db, string(k)})
	}
	if c.conn != nil {
		w.reply = make(chan []byte, 1)
	}
	s.block.mu.Lock()
	if s.block.byKey == nil {
		s.block.byKey = make(map[blockKey][]*waiter)
	}
	for _, k := range w.keys {
		s.block.byKey[k] = append(s.block.byKey[k], w)
	}
	if s.block.byClient == nil {
		s.block.byClient = make(map[int64]*waiter)
	}
	s.block.byClient[c.id] = w
	s.block.count.Add(1)
	if timeoutMs > 0 { // set under mu, where unregister reads it
		w.timer = time.AfterFunc(time.Duration(timeoutMs)*time.Millisecond, func() { s.timeOut(w) })
	}
	s.block.mu.Unlock()
	c.waiter = w
	return nil
}

// signalReady records that key got data that waiters may take. Call it while holding the key's lock. As in
// Redis, every command that creates a key (a push, RENAME, MOVE, COPY, RESTORE) signals it: a waiter whose
// command finds the key of another kind keeps waiting (see runFor).
func (c *client) signalReady(key []byte) { c.signalReadyIn(c.db, key) }

// signalReadyIn is signalReady for a key of another database (MOVE, COPY ... DB).
func (c *client) signalReadyIn(db int, key []byte) {
	s := c.srv
	if s.block.count.Load() == 0 {
		return
	}
	k := blockKey{db, string(key)}
	s.block.mu.Lock()
	if len(s.block.byKey[k]) > 0 {
		s.block.ready = append(s.block.ready, k)
		c.signalled = true
	}
	s.block.mu.Unlock()
}

// signalChanged signals key ready when an XREADGROUP waits on it, after any change to the key: Matches Redis,
// which ends such a wait with an error when the key is deleted or changes type, or its group is destroyed.
func (c *client) signalChanged(db int, key []byte) {
	if c.srv.signalChanged(db, key) {
		c.signalled = true
	}
}

// signalChanged is the client's signalChanged for a change no client made (expiry, eviction); it reports
// whether it signalled, and the next command or expiry cycle then serves the key (see orphans).
func (s *Server) signalChanged(db int, key []byte) bool {
	if s.block.count.Load() == 0 {
		return false
	}
	k := blockKey{db, string(key)}
	s.block.mu.Lock()
	defer s.block.mu.Unlock()
	for _, w := range s.block.byKey[k] {
		if w.cmd.name == "xreadgroup" {
			s.block.ready = append(s.block.ready, k)
			return true
		}
	}
	return false
}

// signalDBsReady signals every key waited on in the databases dbs, after SWAPDB swapped them (those that now
// hold data serve their waiters, the others keep them waiting) or FLUSHDB and FLUSHALL emptied them (which
// ends XREADGROUP waits with Redis's error).
func (c *client) signalDBsReady(dbs ...int) {
	s := c.srv
	if s.block.count.Load() == 0 {
		return
	}
	s.block.mu.Lock()
	for k := range s.block.byKey {
		if slices.Contains(dbs, k.db) {
			s.block.ready = append(s.block.ready, k)
			c.signalled = true
		}
	}
	s.block.mu.Unlock()
}

// serveReady serves the waiters of the keys signalled ready, first come first served, until no ready key is
// left (serving one waiter can make another key ready: BLMOVE).
func (s *Server) serveReady() {
	for {
		s.block.mu.Lock()
		if len(s.block.ready) == 0 {
			s.block.mu.Unlock()
			return
		}
		k := s.block.ready[0]
		s.block.ready = s.block.ready[1:]
		queue := append([]*waiter(nil), s.block.byKey[k]...)
		s.block.mu.Unlock()
		for _, w := range queue {
			if !w.state.CompareAndSwap(waiting, serving) {
				continue
			}
			reply, ok := s.runFor(w)
			if !ok {
				w.state.Store(waiting)
				break // the key has nothing left for the waiters behind this one either
			}
			s.finish(w, reply)
		}
	}
}

// runFor runs a waiter's command again on its behalf, with a client of its own that writes to a fresh
// buffer, and reports the reply and whether the command was served.
func (s *Server) runFor(w *waiter) ([]byte, bool) {
	out := resp.NewWriter(nil)
	out.SetProtocol(w.proto)
	tmp := &client{srv: s, id: w.c.id, addr: w.c.addr, db: w.db, authed: true, serving: true, cmd: w.cmd, argv: w.args, w: out, stats: w.c.stats}
	err := w.cmd.run(tmp, w.args)
	if err == errStillBlocked || err == keyspace.ErrWrongType {
		// Matches Redis: a waiter is served only by a key of the kind it waits for; the key turning into
		// another kind (RENAME, SET) leaves it waiting.
		return nil, false
	}
	if err != nil {
		out.WriteError(errorReply(err).Error())
	}
	if tmp.signalled {
		s.serveReady()
	}
	return out.Bytes(), true
}

// timeOut ends a waiter whose time is up with Redis's null reply.
func (s *Server) timeOut(w *waiter) { s.cancel(w, "") }

// cancel ends a waiter that was not served, with the null reply of a timeout or, when msg is set, that error.
// It reports false when the waiter had already ended (served, timed out, gone).
func (s *Server) cancel(w *waiter, msg string) bool {
	if !w.state.CompareAndSwap(waiting, serving) {
		return false
	}
	out := resp.NewWriter(nil)
	out.SetProtocol(w.proto)
	if msg != "" {
		out.WriteError(msg)
	} else if w.timeoutReply != nil {
		out.WriteRaw(w.timeoutReply())
	} else {
		out.WriteNullArray()
	}
	s.finish(w, out.Bytes())
	return true
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: 1 when the client was blocked on keys and is now unblocked, as if
// its command had timed out or with an UNBLOCKED error; 0 otherwise. A client held by CLIENT PAUSE is not
// blocked in this sense, as in Redis.
func cmdClientUnblock(c *client, args [][]byte) error {
	if len(args) > 4 {
		return subcommandSyntaxError("CLIENT", args[1])
	}
	msg := ""
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout":
		case "error":
			msg = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
		default:
			// Matches Redis 7.0: the reason is checked before the client id.
			return errorf("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		}
	}
	id, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	s := c.srv
	s.block.mu.Lock()
	w := s.block.byClient[id]
	s.block.mu.Unlock()
	c.w.WriteInt(boolInt(w != nil && s.cancel(w, msg)))
	return nil
}

// unblockAll ends every client's blocking command (WAIT too) with the error msg, then closes its connection:
// Redis's disconnectAllBlockedClients, when the server becomes a replica. Clients held by CLIENT PAUSE are not
// blocked in this sense; their commands run (or are refused) once the pause ends.
func (s *Server) unblockAll(msg string) {
	s.block.mu.Lock()
	ws := make([]*waiter, 0, len(s.block.byClient))
	for _, w := range s.block.byClient {
		ws = append(ws, w)
	}
	s.block.mu.Unlock()
	for _, w := range ws {
		w.closeAfter.Store(true)
		s.cancel(w, msg)
	}
}

// finish removes a waiter being served from the registry and hands its reply to its client.
func (s *Server) finish(w *waiter, reply []byte) {
	s.unregister(w)
	if w.reply != nil {
		w.reply <- reply
		return
	}
	w.c.resumeWith(reply, w.closeAfter.Load())
}

func (s *Server) unregister(w *waiter) {
	w.state.Store(finished)
	s.block.mu.Lock()
	defer s.block.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	for _, k := range w.keys {
		q := s.block.byKey[k]
		for i, o := range q {
			if o == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(s.block.byKey, k)
		} else {
			s.block.byKey[k] = q
		}
	}
	if s.block.byClient[w.c.id] == w {
		delete(s.block.byClient, w.c.id)
	}
	s.block.count.Add(-1)
}

// dropKilledWaiter forgets the waiter of a client killed by another, if it has one, before its connection
// closes: as Redis frees the client before CLIENT KILL replies, a push right after the kill must not be served
// to it (the element would be lost with the connection). Its own dropWaiter then finds the waiter finished.
func (s *Server) dropKilledWaiter(c *client) {
	if s.block.count.Load() == 0 {
		return
	}
	s.block.mu.Lock()
	w := s.block.byClient[c.id]
	s.block.mu.Unlock()
	if w != nil && w.state.CompareAndSwap(waiting, finished) {
		s.unregister(w)
	}
}

// dropWaiter forgets a closing client's waiter, if it has one.
func (c *client) dropWaiter() {
	if w := c.waiter; w != nil && w.state.CompareAndSwap(waiting, finished) {
		c.srv.unregister(w)
	}
}

// awaitReply parks a client that blocked: an event-loop client stops reading until resumeWith runs; a
// goroutine-mode client waits here for its reply.
func (c *client) awaitReply() {
	w := c.waiter
	c.parked = w.args // an event loop stops reading; CLIENT LIST shows the client blocked
	if c.conn == nil {
		return
	}
	c.publish()
	hangup := c.in.watch()
	select {
	case r := <-w.reply:
		c.w.WriteRaw(r)
		c.closing = c.closing || w.closeAfter.Load()
	case <-hangup:
		c.dropWaiter()
		c.closing = true
	case <-c.dead:
		c.dropWaiter()
		c.closing = true
	}
	c.in.unwatch()
	c.parked, c.waiter = nil, nil
}

// blockingKeys is how many keys have clients waiting on them (INFO's total_blocking_keys).
func (s *Server) blockingKeys() int {
	s.block.mu.Lock()
	defer s.block.mu.Unlock()
	return len(s.block.byKey)
}
