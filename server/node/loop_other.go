//go:build !linux

package node

import (
	"errors"
	"net"
)

// Event loops need epoll; elsewhere every connection gets its own goroutine.

type loopConn struct {
	wpos int
}

func (c *client) pushToLoop([]byte) bool { return false }

func (c *client) unparkOnLoop() bool { return false }

func (c *client) resumeWith([]byte) {}

type eventLoop struct{}

func newEventLoop(*Server) (*eventLoop, error) { return nil, errors.New("event loops need Linux") }

func (l *eventLoop) run() error { return nil }

func (l *eventLoop) stop() {}

func (s *Server) attachToLoop(net.Conn) bool { return false }
