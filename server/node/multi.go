package node

import (
	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// Transactions (MULTI/EXEC/DISCARD; WATCH is in watch.go). Between MULTI and EXEC the dispatcher queues commands instead of running
// them (see dispatch), and an error while queueing (unknown command, arity, NOAUTH, OOM) dooms the
// transaction. EXEC runs the queue holding every shard lock (keyspace.BeginAll), so nothing else interleaves on
// any core: each command takes its Txn from the transaction's with c.begin instead of locking on its own.
// Blocking commands inside EXEC do not block, and the waiters that the transaction's writes make ready are
// served after EXEC, as in Redis.

var _ = register(map[string]handler{
	"discard": cmdDiscard,
	"exec":    cmdExec,
	"multi":   cmdMulti,
})

var errExecAbort = &resp.Error{Code: "EXECABORT", Msg: "Transaction discarded because of previous errors."}

// multiState is a client's open transaction.
type multiState struct {
	queue    []queued
	doomed   bool // a command was refused while queueing: EXEC aborts
	mayWrite bool // a queued command may write: CLIENT PAUSE WRITE holds EXEC
}

// queued is a command waiting for EXEC, with its own copy of the arguments (the read buffer is reused).
type queued struct {
	cmd  *command
	args [][]byte
}

// begin returns the Txn of one command on keys in the client's database: its own, or inside EXEC a share of
// the transaction's, whose End releases nothing.
func (c *client) begin(keys ...[]byte) keyspace.Txn {
	if c.exec != nil {
		return c.exec.Within(c.db)
	}
	tx := c.srv.ks.Begin(c.db, keys...)
	tx.OnEnd(c)
	if c.cmd != nil && !c.cmd.mayWrite {
		tx.ReadOnly() // a running BGSAVE's pending shards are the writers' to serialise
	}
	if c.fake {
		tx.SeeExpired() // a replica's primary decides when its keys expire
	}
	return tx
}

// beginAll is begin for a command that needs the whole keyspace still (KEYS, FLUSHALL, SWAPDB ...).
func (c *client) beginAll() keyspace.Txn {
	if c.exec != nil {
		return c.exec.Within(c.db)
	}
	tx := c.srv.ks.BeginAll(c.db)
	tx.OnEnd(c)
	if c.fake {
		tx.SeeExpired()
	}
	return tx
}

// beginDB is begin with no keys for database db, for keyspace-wide reads that lock one shard at a time
// (INFO keyspace).
func (c *client) beginDB(db int) keyspace.Txn {
	if c.exec != nil {
		return c.exec.Within(db)
	}
	tx := c.srv.ks.Begin(db)
	tx.OnEnd(c)
	return tx
}

// MULTI: start queueing.
func cmdMulti(c *client, args [][]byte) error {
	if c.multi != nil {
		return errorf("MULTI calls can not be nested")
	}
	c.multi = &multiState{}
	c.flags |= flagMulti
	c.w.WriteSimple("OK")
	return nil
}

// DISCARD: drop the queue.
func cmdDiscard(c *client, args [][]byte) error {
	if c.multi == nil {
		return errorf("DISCARD without MULTI")
	}
	c.endMulti()
	c.unwatchAll()
	c.w.WriteSimple("OK")
	return nil
}

// EXEC: run the queue, nothing interleaved, and reply with an array of the replies; a command's error is its
// element and the others still run. EXECABORT when a command was refused while queueing.
func cmdExec(c *client, args [][]byte) error {
	if c.multi == nil {
		return errorf("EXEC without MULTI")
	}
	m := c.multi
	c.endMulti()
	if m.doomed {
		c.unwatchAll()
		return errExecAbort
	}
	self := c.cmd
	hold, err := c.holdForScripts(m.queue)
	if err != nil {
		c.unwatchAll()
		return err
	}
	if hold != nil {
		defer c.srv.releaseHold(hold)
	}
	tx := c.srv.ks.BeginAll(c.db)
	tx.OnEnd(c) // feeds the block's writes, wrapped in MULTI/EXEC
	if c.fake {
		tx.SeeExpired()
	}
	if c.watchFailed(tx.Now()) { // Now: one time for the whole transaction, as Redis
		tx.End()
		c.unwatchAll()
		c.w.WriteNullArray()
		return nil
	}
	c.unwatchAll()
	c.exec = &tx
	c.w.WriteArrayLen(len(m.queue))
	for _, q := range m.queue {
		c.cmd, c.argv = q.cmd, q.args
		if !c.user.unrestricted.Load() {
			if err := c.checkACLInExec(q.cmd, q.args); err != nil {
				c.writeError(err)
				continue
			}
		}
		if err := c.call(q.cmd, q.args); err != nil {
			c.writeError(err)
		}
	}
	c.exec = nil
	tx.End()
	c.cmd, c.argv = self, args
	return nil
}

// queue adds a command to the open transaction and replies QUEUED.
func (c *client) queue(cmd *command, args [][]byte) {
	c.multi.queue = append(c.multi.queue, queued{cmd, copyArgs(args)})
	c.multi.mayWrite = c.multi.mayWrite || cmd.mayWrite
	c.w.WriteSimple("QUEUED")
}

// endMulti leaves MULTI state.
func (c *client) endMulti() {
	c.multi = nil
	c.flags &^= flagMulti
}

// queuesInMulti reports whether cmd is queued rather than run inside MULTI: everything but the transaction
// commands themselves and QUIT.
func queuesInMulti(cmd *command) bool {
	switch cmd.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	return true
}
