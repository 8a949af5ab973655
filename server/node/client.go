package node

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/carminedb/carmine/resp"
)

// client is one connection and its session state, served either by its own goroutine (serve) or by an event
// loop (loop_linux.go). Only the goroutine serving it touches the session fields; fields other clients read
// (CLIENT LIST, CLIENT KILL) are guarded by mu.
type client struct {
	srv     *Server
	id      int64
	addr    string
	created time.Time
	rd      *resp.CommandReader
	w       *resp.Writer
	kill    func(*client) // closes the connection; callable from any goroutine
	stats   *statShard    // where this client's commands are counted

	conn     net.Conn // goroutine-per-connection mode
	loopConn          // event-loop mode

	db      int
	authed  bool
	closing bool   // close after the replies already written are flushed (QUIT, protocol errors)
	lower   []byte // scratch for lower-casing command names

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
}

// newClient registers a new connection, or returns nil when the server is closing.
func (s *Server) newClient(addr string, kill func(*client)) *client {
	id := s.nextID.Add(1)
	c := &client{
		srv:     s,
		id:      id,
		addr:    addr,
		created: time.Now(),
		kill:    kill,
		stats:   s.stats.shard(id),
		authed:  s.config().RequirePass == "",
		lower:   make([]byte, 0, 32),
	}
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
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	s.conns.Done()
}

// serveConn serves conn on its own goroutine.
func (s *Server) serveConn(conn net.Conn) {
	c := s.newClient(conn.RemoteAddr().String(), func(*client) { conn.Close() })
	if c == nil {
		conn.Close()
		return
	}
	c.conn = conn
	c.rd = resp.NewCommandReader(conn)
	c.rd.Limits.MaxBulkLen = s.cfg.ProtoMaxBulkLen
	c.w = resp.NewWriter(conn)
	go c.serve()
}

// serve reads and runs the client's commands until the connection ends. Replies are flushed once per pipeline
// batch: when no further complete command is already buffered. A panic while serving is logged with its stack
// and closes this connection only.
func (c *client) serve() {
	log := c.srv.log
	defer c.srv.removeClient(c)
	defer c.conn.Close()
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic while serving a client, closing its connection",
				"client-id", c.id, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	log.Debug("client connected", "client-id", c.id, "addr", c.addr)
	for !c.closing {
		args, err := c.rd.ReadCommand()
		if err != nil {
			if !c.readFailed(err) {
				return
			}
			break
		}
		c.execute(args)
		if !c.rd.Ready() {
			if err := c.w.Flush(); err != nil {
				log.Debug("write failed, closing client", "client-id", c.id, "error", err)
				return
			}
		}
	}
	c.w.Flush()
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
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.srv.log.Debug("read failed, closing client", "client-id", c.id, "error", err)
	}
	return false
}
