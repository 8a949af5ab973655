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

// client is one connection and its session state. Only the client's own goroutine touches the session fields;
// fields other clients read (CLIENT LIST, CLIENT KILL) are guarded by mu.
type client struct {
	srv     *Server
	id      int64
	conn    net.Conn
	rd      *resp.CommandReader
	w       *resp.Writer
	created time.Time

	db      int
	authed  bool
	closing bool   // close after the replies already written are flushed (QUIT, protocol errors)
	lower   []byte // scratch for lower-casing command names

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
}

func newClient(s *Server, conn net.Conn) *client {
	c := &client{
		srv:     s,
		id:      s.nextID.Add(1),
		conn:    conn,
		rd:      resp.NewCommandReader(conn),
		w:       resp.NewWriter(conn),
		created: time.Now(),
		authed:  s.cfg.RequirePass == "",
		lower:   make([]byte, 0, 32),
	}
	c.rd.Limits.MaxBulkLen = s.cfg.ProtoMaxBulkLen
	return c
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
	log.Debug("client connected", "client-id", c.id, "addr", c.conn.RemoteAddr().String())
	for {
		args, err := c.rd.ReadCommand()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				// Matches Redis: reply with the protocol error, then close the connection.
				c.w.WriteError("ERR " + pe.Error())
				c.w.Flush()
				log.Debug("protocol error, closing client", "client-id", c.id, "error", err)
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				log.Debug("read failed, closing client", "client-id", c.id, "error", err)
			}
			return
		}
		c.execute(args)
		if c.closing {
			c.w.Flush()
			return
		}
		if !c.rd.Ready() {
			if err := c.w.Flush(); err != nil {
				log.Debug("write failed, closing client", "client-id", c.id, "error", err)
				return
			}
		}
	}
}
