package node

import (
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Replication connections in CLIENT LIST and CLIENT KILL, as Redis shows them: a replica of this server is a
// client with flags=S (cmd=psync or sync until its first REPLCONF ACK, then replconf), and on a replica the
// link to its primary is one with flags=M, the command it applied last and user=(superuser). Neither is one of
// the server's clients (PSYNC took the replica's socket over; the link dials out): replClients builds them
// afresh for each listing, and CLIENT KILL closes their connection (a killed link reconnects, as in Redis).

// replClients returns the replication connections as clients to list: every replica, then the link.
func (s *Server) replClients() []*client {
	var list []*client
	for _, r := range s.replicaList() {
		list = append(list, r.asClient())
	}
	s.repl.mu.Lock()
	l := s.repl.link
	s.repl.mu.Unlock()
	if l != nil && l.state.Load() == linkConnected { // as Redis, which makes its master client after the sync
		if lc := l.conn.Load(); lc != nil {
			list = append(list, lc.asClient(l))
		}
	}
	return list
}

// replClient finds the replication connection with the given client id.
func (s *Server) replClient(id int64) *client {
	for _, o := range s.replClients() {
		if o.id == id {
			return o
		}
	}
	return nil
}

// asClient shows the replica as CLIENT LIST does.
func (r *replica) asClient() *client {
	c := &client{srv: r.s, id: r.id, addr: r.addr, laddr: r.laddr, fd: r.fd, created: r.created,
		kill: func(*client) { r.close("killed by CLIENT KILL") }}
	cmd := r.s.cmdTable["psync"]
	if r.legacy {
		cmd = r.s.cmdTable["sync"]
	}
	select {
	case <-r.acked:
		cmd = r.s.cmdTable["replconf"]
	default:
	}
	c.pub.cmd.Store(cmd)
	c.pub.active.Store(r.ackTime.Load())
	c.pub.flags.Store(uint32(flagReplica))
	c.pub.user.Store(r.user)
	c.pub.proto.Store(2)
	c.pub.multi.Store(-1)
	return c
}

// linkConn is one connection of a replica's link to its primary, as CLIENT LIST shows it.
type linkConn struct {
	id      int64
	conn    net.Conn
	fd      int
	created time.Time
	cmd     atomic.Pointer[command] // the command applied last
	db      atomic.Int32            // the database the primary's stream has selected
}

// newLinkConn describes a new connection of the link, with a client id of the server's.
func (s *Server) newLinkConn(nc net.Conn) *linkConn {
	lc := &linkConn{id: s.nextID.Add(1), conn: nc, fd: -1, created: time.Now()}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			lc.fd = rawFD(raw)
		}
	}
	return lc
}

// asClient shows the link as CLIENT LIST does.
func (lc *linkConn) asClient(l *replLink) *client {
	c := &client{srv: l.s, id: lc.id, addr: lc.conn.RemoteAddr().String(), laddr: lc.conn.LocalAddr().String(),
		fd: lc.fd, created: lc.created, db: int(lc.db.Load()),
		kill: func(*client) { lc.conn.Close() }}
	c.pub.cmd.Store(lc.cmd.Load())
	c.pub.active.Store(l.lastIO.Load())
	c.pub.flags.Store(uint32(flagPrimary))
	c.pub.db.Store(lc.db.Load())
	c.pub.user.Store(superuser)
	c.pub.proto.Store(2)
	c.pub.multi.Store(-1)
	return c
}

// rawFD returns the descriptor of a connection, -1 when it has none.
func rawFD(raw syscall.RawConn) int {
	fd := -1
	raw.Control(func(d uintptr) { fd = int(d) })
	return fd
}

// superuser is the user CLIENT LIST shows for the link to the primary, which no user's rules restrict.
var superuser = &aclUser{name: "(superuser)"}
