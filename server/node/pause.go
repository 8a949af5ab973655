package node

import (
	"sync"
	"sync/atomic"
	"time"
)

// Pause modes of CLIENT PAUSE, from least to most restrictive.
const (
	pauseOff   int32 = iota
	pauseWrite       // commands that may write (flags write or may_replicate) wait
	pauseAll         // every command waits
)

// pauser is the state of CLIENT PAUSE. Clients check mode, one atomic load, before each command; everything
// else is under mu.
type pauser struct {
	mode atomic.Int32

	mu     sync.Mutex
	end    time.Time
	timer  *time.Timer
	parked []*client     // event-loop clients whose command waits for the end of the pause
	ended  chan struct{} // closed when the pause ends: goroutine-mode clients wait on it
}

// holds reports whether the current pause holds back cmd. Call with mu held.
func (p *pauser) holds(cmd *command, m *multiState) bool {
	switch p.mode.Load() {
	case pauseAll:
		return true
	case pauseWrite:
		return cmd.mayWrite || cmd.name == "exec" && m != nil && m.mayWrite
	}
	return false
}

// pauseClients pauses clients for d in mode, or extends a pause: as in Redis, a pause never gets shorter or
// less restrictive by a later CLIENT PAUSE.
func (s *Server) pauseClients(d time.Duration, mode int32) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	end := time.Now().Add(d)
	if p.mode.Load() == pauseOff {
		p.ended = make(chan struct{})
		p.end = end
	} else if end.After(p.end) {
		p.end = end
	}
	if mode > p.mode.Load() {
		p.mode.Store(mode)
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timer = time.AfterFunc(time.Until(p.end), func() { s.unpauseClients(false) })
}

// unpauseClients ends the pause (only once its time is up, unless now is set) and runs the commands it held.
func (s *Server) unpauseClients(now bool) {
	p := &s.pause
	p.mu.Lock()
	if p.mode.Load() == pauseOff || (!now && time.Now().Before(p.end)) {
		p.mu.Unlock()
		return
	}
	p.mode.Store(pauseOff)
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	close(p.ended)
	parked := p.parked
	p.parked = nil
	p.mu.Unlock()
	for _, c := range parked {
		c.unparkOnLoop()
	}
}

// heldByPause reports whether a pause holds back cmd. An event-loop client is then parked with a copy of its
// arguments, to run again when the pause ends, and heldByPause returns true; a goroutine-mode client waits
// here until the pause ends, then gets false and runs the command.
func (c *client) heldByPause(cmd *command, args [][]byte) bool {
	p := &c.srv.pause
	for {
		p.mu.Lock()
		if !p.holds(cmd, c.multi) {
			p.mu.Unlock()
			return false
		}
		if c.conn == nil {
			c.parked = copyArgs(args)
			p.parked = append(p.parked, c)
			p.mu.Unlock()
			return true
		}
		ended := p.ended
		p.mu.Unlock()
		c.parked = args // shows as blocked in CLIENT LIST while it waits
		c.publish()
		select {
		case <-ended:
		case <-c.dead:
			c.parked = nil
			c.closing = true
			return true
		}
		c.parked = nil
	}
}

func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a):]
	}
	return out
}
