//go:build !linux

package node

import (
	"errors"
	"net"
	"sync/atomic"
)

// Event loops need epoll; elsewhere every connection gets its own goroutine.

type loopConn struct {
	wpos int
	loop *eventLoop // always nil here
}

func (c *client) pushToLoop([]byte) bool { return false }

func (c *client) unparkOnLoop() bool { return false }

func (c *client) resumeWith([]byte, bool) {}

type eventLoop struct{ inBatch atomic.Bool }

func (l *eventLoop) enterBatch() {}
func (l *eventLoop) leaveBatch() {}

func (l *eventLoop) serveBusy(self *client, stop <-chan struct{}, handed chan<- struct{}) {
	close(handed)
}

func newEventLoop(*Server) (*eventLoop, error) { return nil, errors.New("event loops need Linux") }

func (l *eventLoop) run() error { return nil }

func (l *eventLoop) stop() {}

func (s *Server) attachToLoop(net.Conn) bool { return false }
