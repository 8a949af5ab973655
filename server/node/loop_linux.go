//go:build linux

package node

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/carminedb/carmine/resp"
)

// eventLoop serves many clients from one goroutine with epoll, as Redis does: wait for readable sockets, read
// what each has (one read per wake-up), run the complete commands, write the replies. Unlike a goroutine per
// connection, a request costs no goroutine park and wake-up and no read that only finds the socket empty,
// which is most of the cost of a small command.
//
// Everything about a loop's clients happens on the loop's goroutine; other goroutines hand it work with post.
// Sockets are registered level-triggered, so a client with more bytes than one read takes is simply reported
// again by the next epoll_wait, after the other ready clients had their turn.
type eventLoop struct {
	srv    *Server
	epfd   int
	wakefd int // an eventfd that wakes epoll_wait when work is posted

	mu      sync.Mutex
	tasks   []func()
	conns   []func() // attaching new connections: run by the loop, or by serveBusy while a script holds the loop
	stopped bool

	clients map[int]*client // by socket fd; loop goroutine only
	inBatch atomic.Bool     // serving a wake-up, not waiting for a script (see cmd_script.go)
	ended   []*client       // clients whose replies are written when the round ends (writeRound); loop only
	done    chan struct{}   // closed when run returns
}

const wakeKey = -1 // the epoll user data of the eventfd

// errWouldBlock is what a client's fdReader returns when the socket has nothing more for this wake-up.
var errWouldBlock = errors.New("would block")

func newEventLoop(s *Server) (*eventLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, errno
	}
	l := &eventLoop{srv: s, epfd: epfd, wakefd: int(r), clients: make(map[int]*client), done: make(chan struct{})}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: wakeKey}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wakefd, &ev); err != nil {
		l.closeFDs()
		return nil, err
	}
	return l, nil
}

func (l *eventLoop) closeFDs() {
	syscall.Close(l.wakefd)
	syscall.Close(l.epfd)
}

// post runs f on the loop's goroutine soon. It reports false when the loop has stopped (f will not run).
func (l *eventLoop) post(f func()) bool { return l.postTo(&l.tasks, f) }

func (l *eventLoop) postTo(queue *[]func(), f func()) bool {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return false
	}
	*queue = append(*queue, f)
	first := len(*queue) == 1 // else a wake-up is pending for this queue (each drain consumes one)
	l.mu.Unlock()
	if first {
		l.wake()
	}
	return true
}

// wake makes the loop's epoll_wait report the eventfd.
func (l *eventLoop) wake() {
	var one = [8]byte{1}
	syscall.Write(l.wakefd, one[:])
}

// stop makes run close every client and return. Safe to call more than once, from any goroutine.
func (l *eventLoop) stop() {
	l.post(func() {
		l.mu.Lock()
		l.stopped = true
		l.mu.Unlock()
	})
}

// run serves the loop's clients until stop. It always returns nil.
func (l *eventLoop) run() error {
	defer close(l.done)
	defer l.leaveBatch()
	defer l.closeFDs()
	events := make([]syscall.EpollEvent, 256)
	for {
		// Under load events are usually ready: poll for them without the scheduler's bookkeeping first, and block
		// (telling the scheduler, so the goroutine's P serves others and GC is not held up) only when none are.
		n, err := rawEpollPoll(l.epfd, events)
		if n == 0 && err == nil {
			// Blocking in epoll_wait, not parking in Go's netpoller on the epoll fd: a parked loop is woken only
			// when the scheduler polls the network, which it skips while other goroutines are runnable, so a
			// busy background goroutine (a BGSAVE's writer) delayed replies by up to the monitor's 10 ms poll
			// (tools/bench's BGSAVE row: p99 21 ms parked, 0.4 ms blocking).
			n, err = syscall.EpollWait(l.epfd, events, -1)
		}
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			l.srv.log.Error("epoll_wait failed, closing the loop's clients", "error", err)
			l.closeAll()
			return nil
		}
		l.enterBatch()
		for i := 0; i < n; i++ {
			ev := &events[i]
			if ev.Fd == wakeKey {
				if l.runTasks() {
					l.closeAll()
					return nil
				}
				continue
			}
			if c := l.clients[int(ev.Fd)]; c != nil {
				l.serveEvent(c, ev.Events)
			}
		}
		if len(l.ended) > 0 {
			l.writeRound(nil)
		}
		if l.srv.repl.unflushed.Load() {
			l.srv.flushReplicas()
		}
		l.leaveBatch()
	}
}

// enterBatch and leaveBatch mark the loop as serving; a script about to lock waits for the other loops to be
// unmarked or to see it (see cmd_script.go).
func (l *eventLoop) enterBatch() { l.inBatch.Store(true) }
func (l *eventLoop) leaveBatch() { l.inBatch.Store(false) }

// serveBusy serves the loop's clients other than self while self's script runs past busy-reply-threshold on
// the loop's goroutine: their commands get BUSY from dispatch (or run, when allowed while busy: SCRIPT KILL).
// It stops watching self's socket meanwhile (self belongs to the loop goroutine) and attaches the connections
// handed to the loop, which get BUSY as in Redis, but leaves the other posted tasks to the loop goroutine: it
// wakes the loop for them when stop is closed. It closes handed when the loop is the loop goroutine's again.
func (l *eventLoop) serveBusy(self *client, stop <-chan struct{}, handed chan<- struct{}) {
	defer close(handed)
	selfOff := syscall.EpollEvent{Events: 0, Fd: int32(self.fd)}
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, self.fd, &selfOff)
	defer func() {
		selfOn := syscall.EpollEvent{Events: self.watching, Fd: int32(self.fd)}
		syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, self.fd, &selfOn)
		l.wake() // for the tasks posted meanwhile, whose wake-up this goroutine consumed
	}()
	events := make([]syscall.EpollEvent, 64)
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, err := syscall.EpollWait(l.epfd, events, 10)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return
		}
		for i := 0; i < n; i++ {
			ev := &events[i]
			if ev.Fd == wakeKey {
				l.attachPosted()
				continue
			}
			if int(ev.Fd) == self.fd {
				continue
			}
			if c := l.clients[int(ev.Fd)]; c != nil {
				l.serveEvent(c, ev.Events)
			}
		}
		if len(l.ended) > 0 {
			l.writeRound(self)
		}
	}
}

// writeRound writes the replies of the clients served this round, as Redis does before it sleeps, rather than
// each as soon as it is ready: the reads and commands of a round run back to back, and a client gets its
// replies together and handles them in one wake-up. Measured against writing each at once: redis-benchmark
// slept and was woken a third as often, and pipelined SET/GET/INCR (P=16) went 8-17% faster. With the AOF on,
// the replies wait until the AOF has everything they depend on: one write (and fsync) for the whole round (see
// aofBarrier).
// serveBusy passes the client whose script is running as keep, which stays in the list for the loop goroutine.
func (l *eventLoop) writeRound(keep *client) {
	l.srv.aofBarrier()
	kept := l.ended[:0]
	for i, c := range l.ended {
		l.ended[i] = nil
		if c == keep {
			kept = append(kept, c)
		} else if l.clients[c.fd] == c {
			func() {
				defer l.recoverClient(c)
				l.finish(c)
			}()
		}
	}
	l.ended = kept
}

// runTasks runs the posted tasks and reports whether the loop was stopped.
func (l *eventLoop) runTasks() bool {
	l.attachPosted()
	l.runQueue(&l.tasks)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopped
}

// attachPosted consumes the eventfd's wake-up and attaches the connections handed to the loop.
func (l *eventLoop) attachPosted() {
	var buf [8]byte
	syscall.Read(l.wakefd, buf[:])
	l.runQueue(&l.conns)
}

// runQueue takes what was posted to queue and runs it.
func (l *eventLoop) runQueue(queue *[]func()) {
	l.mu.Lock()
	fs := *queue
	*queue = nil
	l.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

func (l *eventLoop) closeAll() {
	for _, c := range l.clients {
		l.closeClient(c)
	}
}

// attach starts serving a connected, non-blocking socket. It runs on the loop's goroutine.
func (l *eventLoop) attach(fd int, remote, local string) {
	c := l.srv.newClient(remote, local, fd, func(c *client) {
		l.post(func() {
			if l.clients[fd] == c {
				l.closeClient(c)
			}
		})
	})
	if c == nil {
		syscall.Close(fd)
		return
	}
	c.loop = l
	c.src = fdReader{fd: fd}
	c.rd = resp.NewCommandReader(&c.src)
	c.w = resp.NewWriter(nil)
	c.watching = syscall.EPOLLIN | syscall.EPOLLRDHUP
	ev := syscall.EpollEvent{Events: c.watching, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.srv.log.Warn("cannot watch a new connection, closing it", "error", err)
		syscall.Close(fd)
		l.srv.removeClient(c)
		return
	}
	l.clients[fd] = c
	l.srv.log.Debug("client connected", "client-id", c.id, "addr", remote)
}

// serveEvent reads and runs what a client sent and writes the replies. A panic is logged with its stack and
// closes this client only.
func (l *eventLoop) serveEvent(c *client, events uint32) {
	defer l.recoverClient(c)
	if events&syscall.EPOLLOUT != 0 {
		if !l.flush(c) {
			return
		}
	}
	if events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 && !c.closing {
		if c.parked != nil {
			// A parked client is not read (its socket is watched for hang-ups only): it went away.
			l.closeClient(c)
			return
		}
		c.src.armed = true
		if !l.runBuffered(c) {
			return
		}
	}
	l.end(c)
}

// end finishes the client's batch when the round ends (writeRound).
func (l *eventLoop) end(c *client) {
	l.ended = append(l.ended, c)
}

func (l *eventLoop) recoverClient(c *client) {
	if r := recover(); r != nil {
		l.srv.log.Error("panic while serving a client, closing its connection",
			"client-id", c.id, "panic", r, "stack", string(debug.Stack()))
		l.closeClient(c)
	}
}

// runBuffered runs the client's complete commands, reading the socket once if it is armed, until none is left
// or the client is parked or closing. It reports false when the client was closed.
func (l *eventLoop) runBuffered(c *client) bool {
	ahead := 0 // commands left before the next prefetch
	for !c.closing && c.parked == nil {
		c.readLimits()
		if ahead--; ahead <= 0 {
			ahead = prefetchArgs(c.srv.ks, c.db, c.rd)
		}
		args, err := c.rd.ReadCommand()
		if err != nil {
			if errors.Is(err, errWouldBlock) {
				break
			}
			if !c.readFailed(err) {
				l.closeClient(c)
				return false
			}
			break
		}
		c.execute(args)
		// Matches Redis: a client over its output limit runs nothing more (so a pipeline of big replies that
		// nobody reads stops at the limit instead of filling memory first).
		if out := c.w.Buffered() - c.wpos; out > replyBufferBytes && c.overOutputLimit(out) {
			l.closeClient(c)
			return false
		}
	}
	return true
}

// finish ends a batch: it publishes the client's state, writes its replies and closes it if it is closing.
func (l *eventLoop) finish(c *client) {
	if c.overOutputLimit(c.w.Buffered() - c.wpos) {
		l.closeClient(c) // as Redis, nothing more is written to a client closed for its output
		return
	}
	c.publishState()
	if !l.flush(c) {
		return
	}
	c.publishOutput()
	if c.closing && c.w.Buffered() == 0 {
		l.closeClient(c)
	}
}

// flush writes as much of the client's pending replies as the socket takes, watching for writability while
// some remain. It reports false when the client was closed.
func (l *eventLoop) flush(c *client) bool {
	buf := c.w.Bytes()[c.wpos:]
	for len(buf) > 0 {
		n, errno := rawWrite(c.fd, buf)
		if errno == syscall.EAGAIN {
			break
		}
		if errno != 0 {
			l.srv.log.Debug("write failed, closing client", "client-id", c.id, "error", errno)
			l.closeClient(c)
			return false
		}
		c.wpos += n
		buf = buf[n:]
	}
	c.wantWrite = len(buf) > 0
	if len(buf) == 0 {
		c.w.Discard()
		c.wpos = 0
	}
	return l.watch(c)
}

// watch updates the events epoll reports for the client: readability unless it is parked, writability while
// replies wait for the socket. It reports false when the client was closed.
func (l *eventLoop) watch(c *client) bool {
	events := uint32(syscall.EPOLLRDHUP)
	if c.parked == nil {
		events |= syscall.EPOLLIN
	}
	if c.wantWrite {
		events |= syscall.EPOLLOUT
	}
	if events == c.watching {
		return true
	}
	ev := syscall.EpollEvent{Events: events, Fd: int32(c.fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		l.closeClient(c)
		return false
	}
	c.watching = events
	return true
}

func (l *eventLoop) closeClient(c *client) {
	if l.clients[c.fd] != c {
		return
	}
	delete(l.clients, c.fd)
	c.dropWaiter()
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	syscall.Close(c.fd)
	l.srv.removeClient(c)
	l.srv.log.Debug("client disconnected", "client-id", c.id)
}

// loopConn is the part of a client that an event loop serves.
type loopConn struct {
	loop      *eventLoop
	src       fdReader
	wpos      int    // bytes of c.w.Bytes() already written
	wantWrite bool   // replies are waiting for the socket
	watching  uint32 // the epoll events registered
}

// onLoop runs f on the client's event loop soon, unless the client is gone by then; a panic in f closes the
// client only. It reports false for a client that no loop serves.
func (c *client) onLoop(f func(l *eventLoop)) bool {
	l := c.loop
	if l == nil {
		return false
	}
	l.post(func() {
		if l.clients[c.fd] != c {
			return
		}
		defer l.recoverClient(c)
		f(l)
	})
	return true
}

// goOn runs the commands buffered behind one that waited, then ends the batch.
func (l *eventLoop) goOn(c *client) {
	if l.runBuffered(c) {
		l.end(c)
	}
}

// pushToLoop hands b to the client's event loop, which writes it after the reply it is writing; it reports
// false for a client that no loop serves. Pushes gather in c.pending until the loop takes them, so a burst of
// messages to one client (PUBLISH, MONITOR) costs one task and one write, not one each.
func (c *client) pushToLoop(b []byte) bool {
	if c.loop == nil {
		return false
	}
	c.mu.Lock()
	first := len(c.pending) == 0
	c.pending = append(c.pending, b...)
	c.mu.Unlock()
	if first {
		c.onLoop(func(l *eventLoop) {
			c.mu.Lock()
			c.w.WriteRaw(c.pending)
			c.pending = c.pending[:0]
			c.mu.Unlock()
			if l.flush(c) && c.overOutputLimit(c.w.Buffered()-c.wpos) {
				l.closeClient(c)
			}
		})
	}
	return true
}

// resumeWith hands a blocked client its reply on its event loop and lets it go on with its next commands.
func (c *client) resumeWith(reply []byte, closing bool) {
	c.onLoop(func(l *eventLoop) {
		c.w.WriteRaw(reply)
		c.parked, c.waiter = nil, nil
		c.closing = c.closing || closing
		l.goOn(c)
	})
}

// unparkOnLoop asks the client's event loop to run its parked command again, then the commands behind it; it
// reports false for a client that no loop serves.
func (c *client) unparkOnLoop() bool {
	return c.onLoop(func(l *eventLoop) {
		if c.parked == nil {
			return
		}
		args := c.parked
		c.parked = nil
		c.execute(args)
		l.goOn(c)
	})
}

// attachToLoop hands conn to one of the server's event loops (round robin) and reports whether it did. The
// loop serves a duplicate of the socket; conn itself is closed, which takes it out of Go's poller.
func (s *Server) attachToLoop(conn net.Conn) bool {
	if len(s.loops) == 0 {
		return false
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd, err = syscall.Dup(int(f)) }); err != nil || fd < 0 {
		return false
	}
	// The duplicate shares the socket's O_NONBLOCK and TCP_NODELAY, which Go already set.
	syscall.CloseOnExec(fd)
	remote, local := conn.RemoteAddr().String(), conn.LocalAddr().String()
	conn.Close()
	l := s.loops[s.nextLoop.Add(1)%uint64(len(s.loops))]
	if !l.postTo(&l.conns, func() { l.attach(fd, remote, local) }) {
		syscall.Close(fd)
	}
	return true
}

// fdReader reads a non-blocking socket at most once per arming: the event loop arms it when epoll reports the
// socket readable, so a command split across reads costs no extra read that would only find the socket empty.
type fdReader struct {
	fd    int
	armed bool
}

func (r *fdReader) Read(p []byte) (int, error) {
	if !r.armed || len(p) == 0 {
		return 0, errWouldBlock
	}
	r.armed = false
	n, errno := rawRead(r.fd, p)
	switch {
	case errno == syscall.EAGAIN:
		return 0, errWouldBlock
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// rawRead and rawWrite call read(2) and write(2) without telling the Go scheduler: the sockets are
// non-blocking, so the calls never block, and skipping the scheduler's bookkeeping halves their cost.
func rawRead(fd int, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(n), errno
}

// rawEpollPoll is epoll_wait with a zero timeout: it never blocks.
func rawEpollPoll(epfd int, events []syscall.EpollEvent) (int, error) {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(n), errno
}
