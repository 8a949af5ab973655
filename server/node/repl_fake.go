package node

import (
	"time"

	"github.com/carminedb/carmine/resp"
)

// A stand-in for the fake client of PROPAGATE.md until the lead's propagate.go lands on main (then this file
// goes, and the link uses that one): a client with no connection that runs commands through the normal
// path without ACL checks and discards its replies, as Redis's master client does.

// newFakeClient returns a client with no connection, logged in as a user with every permission, whose
// replies are discarded.
func (s *Server) newFakeClient() *client {
	c := &client{
		srv:     s,
		id:      s.nextID.Add(1),
		addr:    "",
		created: time.Now(),
		kill:    func(*client) {},
		stats:   s.stats.shard(0),
		authed:  true,
		user:    s.acl.def,
		lower:   make([]byte, 0, 32),
		fd:      -1,
		w:       resp.NewWriter(nil),
	}
	c.pub.multi.Store(-1)
	return c
}

// apply runs one command as the dispatcher does, queueing it inside MULTI, without the checks of a client's
// command (authentication, ACL, memory, pause, read-only replica). It returns the command's error, if any.
func (c *client) apply(args [][]byte) error {
	defer c.w.Discard()
	cmd, err := c.lookup(args)
	if err != nil {
		return err
	}
	c.cmd, c.argv = cmd, args
	if c.multi != nil && queuesInMulti(cmd) {
		c.queue(cmd, args)
		return nil
	}
	return c.call(cmd, args)
}

// discardMulti drops an unfinished transaction.
func (c *client) discardMulti() {
	if c.multi != nil {
		c.endMulti()
	}
}
