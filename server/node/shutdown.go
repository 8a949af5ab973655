package node

import (
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
)

// ShutdownOnSignal stops the server as Redis does on SIGINT (sigint set) or SIGTERM, with the flags of
// shutdown-on-sigint or shutdown-on-sigterm: by default it saves when there are save points; "save" saves
// anyway, "nosave" never; "force" stops even when the save fails, which otherwise keeps the server running
// (logged, as Redis logs it). Unless "now", it first waits for the replicas as SHUTDOWN does (see
// shutdownAfterReplicas), and returns meanwhile. The save runs holding every key still.
func (s *Server) ShutdownOnSignal(sig syscall.Signal) {
	cfg := s.config()
	name, flags := "SIGTERM", cfg.ShutdownOnSigterm
	if sig == syscall.SIGINT {
		name, flags = "SIGINT", cfg.ShutdownOnSigint
	}
	has := func(f string) bool { return strings.Contains(" "+flags+" ", " "+f+" ") }
	s.log.Info("received signal, scheduling shutdown", "signal", name)
	finish := func() error {
		tx := s.ks.BeginAll(0)
		err := s.saveForShutdown(&tx, has("save"), has("nosave"), has("force"))
		tx.End()
		if err != nil {
			s.log.Error("errors trying to shut down the server, check the logs for more information", "error", err)
			return err
		}
		s.Shutdown()
		return nil
	}
	if s.shutdownWaiting() || s.mustWaitReplicas(has("now")) {
		s.shutdownAfterReplicas(nil, finish)
		return
	}
	finish()
}

// Waiting for replicas before shutting down (Redis 7): SHUTDOWN without NOW, and the signals unless their
// flags say now, first pause writes and wait up to shutdown-timeout seconds for every replica to acknowledge
// the whole replication stream, asking them with REPLCONF GETACK. SHUTDOWN ABORT cancels the wait: the
// clients blocked in SHUTDOWN get Redis's error and writes resume. A SHUTDOWN during the wait blocks too and
// ends with the first. The pause is CLIENT PAUSE WRITE's for shutdown-timeout, so CLIENT UNPAUSE lifts it
// (Redis keeps the two apart).

// shutdownWait is a shutdown waiting for the replicas.
type shutdownWait struct {
	mu      sync.Mutex
	running bool
	abort   chan struct{}
	waiters []*waiter // the clients blocked in SHUTDOWN
}

var errShutdownFailed = errorf("Errors trying to SHUTDOWN. Check logs.")

// replicasCaughtUp reports whether every replica acknowledged the whole replication stream.
func (s *Server) replicasCaughtUp() bool {
	off := s.repl.offset.Load()
	for _, r := range s.replicaList() {
		if r.ackOff.Load() != off {
			return false
		}
	}
	return true
}

// shutdownWaiting reports whether a shutdown waits for the replicas.
func (s *Server) shutdownWaiting() bool {
	s.shutdownWait.mu.Lock()
	defer s.shutdownWait.mu.Unlock()
	return s.shutdownWait.running
}

// mustWaitReplicas reports whether a shutdown must wait for replicas first.
func (s *Server) mustWaitReplicas(now bool) bool {
	return !now && !s.isReplica() && s.config().ShutdownTimeout > 0 && !s.replicasCaughtUp()
}

// shutdownAfterReplicas starts the wait for the replicas, unless one runs, with w (nil for a signal) blocked
// until it ends; then finish runs (the save and the shutdown), unless SHUTDOWN ABORT came first. A failed
// finish or an abort ends the blocked clients with errShutdownFailed.
func (s *Server) shutdownAfterReplicas(w *waiter, finish func() error) {
	sw := &s.shutdownWait
	sw.mu.Lock()
	if w != nil {
		sw.waiters = append(sw.waiters, w)
	}
	if sw.running {
		sw.mu.Unlock()
		return
	}
	sw.running, sw.abort = true, make(chan struct{})
	abort := sw.abort
	sw.mu.Unlock()
	timeout := time.Duration(s.config().ShutdownTimeout) * time.Second
	s.pauseClients(timeout, pauseWrite)
	s.feedControl(replproto.AppendGetAck(nil))
	s.log.Info("waiting for replicas before shutting down")
	go func() {
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		aborted := false
	wait:
		for !s.replicasCaughtUp() {
			select {
			case <-abort:
				aborted = true
				break wait
			case <-deadline.C:
				s.log.Warn("replicas did not catch up before shutdown-timeout, shutting down anyway")
				break wait
			case <-tick.C:
			}
		}
		var err error = errShutdownFailed
		if !aborted {
			err = finish()
		}
		sw.mu.Lock()
		ws := sw.waiters
		sw.running, sw.waiters = false, nil
		sw.mu.Unlock()
		if err == nil {
			return // the server stops: the blocked clients' connections close with the others
		}
		s.unpauseClients(true)
		reply := resp.AppendError(nil, errorReply(err).Error())
		for _, w := range ws {
			if w.state.CompareAndSwap(waiting, serving) {
				s.finish(w, reply)
			}
		}
	}()
}

// abortShutdown cancels a shutdown waiting for replicas (SHUTDOWN ABORT), and reports whether there was one.
func (s *Server) abortShutdown() bool {
	sw := &s.shutdownWait
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !sw.running {
		return false
	}
	select {
	case <-sw.abort:
		return false // already aborted, ending
	default:
		close(sw.abort)
	}
	s.log.Info("shutdown manually aborted")
	return true
}
