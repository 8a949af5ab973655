package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/run"

	"github.com/carminedb/carmine/clusterbus"
	"github.com/carminedb/carmine/keyspace"
)

// RedisVersion is the Redis version Carmine reports to clients (HELLO, INFO), the Redis release whose command
// set it implements.
const RedisVersion = "7.2.4"

// Version is Carmine's own version, reported in INFO as carmine_version.
const Version = "0.1.0"

// Server is one Carmine server: its databases, its clients and its background tasks. Create it with [New],
// then call [Server.Run] (blocking) or use [Start] to serve in the background.
type Server struct {
	cfg     Config     // the startup configuration, never changed: read it for immutable parameters only
	live    liveConfig // the configuration CONFIG SET changes
	log     hclog.Logger
	ks      *keyspace.Keyspace
	started time.Time
	runID   string    // 40 random hex digits, INFO's run_id
	repl    replState // replication: role, ids, offset, the link to a primary (repl.go)

	stats      *stats
	cmdTable   map[string]*command // the dispatch table after rename-command (config_compat.go)
	cmdNames   map[string]bool     // the top-level commands cmdTable serves, by their own names; nil: all of them
	slowlog    slowlog
	latencyMon latencyMonitor // latency-monitor-threshold events (LATENCY LATEST, HISTORY, GRAPH, DOCTOR)
	rdb        rdbState       // snapshots (rdb.go)
	prop       propagator     // the write stream for the AOF and replicas (propagate.go)
	aof        aofState       // the append-only file (aof.go)
	saveWG     sync.WaitGroup // background saves
	// shutdownSaved is set when SHUTDOWN saved (or was told not to), so Run does not save again.
	shutdownSaved atomic.Bool
	shutdownWait  shutdownWait // a shutdown waiting for the replicas (shutdown.go)

	maxMemory atomic.Int64 // maxmemory, read by every command (see memory.go)

	nextID   atomic.Int64
	loops    []*eventLoop
	nextLoop atomic.Uint64
	clock    atomic.Int64 // Unix ms, updated hz times a second (client idle times)
	pause    pauser
	block    blockers
	watch    watchers
	pubsub   pubsub
	tracking trackers
	acl      aclState
	script   scripting // EVAL and FUNCTION (cmd_script.go)

	protectedMode atomic.Bool // protected-mode yes (see protected.go)

	cluster *cluster     // cluster mode state; nil unless cluster-enabled (see cluster.go)
	migrate migrateCache // MIGRATE's connections to its targets (cmd_migrate.go)

	notifyFlags  atomic.Uint32                  // notify-keyspace-events, as notifyClass bits
	outputLimits atomic.Pointer[[3]outputLimit] // client-output-buffer-limit
	monitors     atomic.Pointer[[]*client]      // a copy of monitorList for clients running commands; nil when empty

	mu          sync.Mutex
	lns         []net.Listener
	clients     map[int64]*client
	monitorList []*client
	closed      bool
	conns       sync.WaitGroup // one per client goroutine
	connected   atomic.Int64   // connections accepted and not yet gone, against maxclients

	shutdown     chan struct{} // closed to stop Run (SHUTDOWN, Close)
	shutdownOnce sync.Once
	done         chan struct{} // closed when Run returns
}

// New checks cfg and builds a server that is not yet listening.
func New(cfg Config, log hclog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	cfg.MaxClients = fitMaxClients(cfg.MaxClients, log)
	s := &Server{
		cfg:      cfg,
		log:      log,
		started:  time.Now(),
		runID:    randomHex(40),
		stats:    newStats(len(commandList)),
		cmdTable: renamedCommands(cfg.RenameCommands),
		clients:  make(map[int64]*client),
		shutdown: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.cmdNames = servedNames(s.cmdTable)
	s.live.store(cfg)
	kcfg := keyspace.DefaultConfig()
	kcfg.Databases = cfg.Databases
	// Expiry and eviction are effects like any write: they touch watched keys and raise keyspace events.
	kcfg.OnExpired = func(db int, key []byte) {
		s.stats.expired.Add(1)
		s.propagateKeyless(db, delName(s.config().LazyfreeLazyExpire), key)
		s.touchWatched(db, key)
		s.invalidateKey(nil, key)
		s.notifyKeyspace(nil, db, notifyExpired, "expired", key)
		if s.signalChanged(db, key) {
			s.block.orphans.Store(true)
		}
	}
	kcfg.OnNew = func(db int, key []byte) { s.notifyKeyspace(nil, db, notifyNew, "new", key) }
	kcfg.OnEvicted = func(db int, key []byte) {
		s.propagateKeyless(db, delName(s.config().LazyfreeLazyEviction), key)
		s.touchWatched(db, key)
		s.invalidateKey(nil, key)
		s.notifyKeyspace(nil, db, notifyEvicted, "evicted", key)
		if s.signalChanged(db, key) {
			s.block.orphans.Store(true)
		}
	}
	if cfg.ClusterEnabled {
		kcfg.SlotOf = clusterbus.KeySlot // COUNTKEYSINSLOT, GETKEYSINSLOT
	}
	ks, err := keyspace.New(kcfg)
	if err != nil {
		return nil, fmt.Errorf("keyspace: %w", err)
	}
	s.ks = ks
	s.clock.Store(s.started.UnixMilli())
	s.applyLiveConfig()
	if err := s.initRepl(); err != nil {
		return nil, fmt.Errorf("replication: %w", err)
	}
	if err := s.initACL(); err != nil {
		return nil, err
	}
	s.rdb.lastSave, s.rdb.lastOK, s.rdb.lastTime = s.started, true, -1
	s.aof.lastOK, s.aof.lastTime = true, -1
	s.aof.fsync.Store(cfg.AOF.Fsync)
	if cfg.AOF.Enabled { // Matches Redis: with appendonly yes the AOF is loaded, never the RDB file
		if err := s.startAOF(); err != nil {
			return nil, err
		}
	} else if err := s.loadRDB(); err != nil {
		return nil, err
	}
	if cfg.ClusterEnabled {
		s.cluster = newCluster(s)
		if err := s.cluster.load(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Start builds a server, listens on cfg's addresses and serves in the background until [Server.Close]. It is
// the way Go programs and tests run Carmine in-process (use Port 0 and Bind 127.0.0.1 for a free port).
func Start(cfg Config, log hclog.Logger) (*Server, error) {
	s, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(); err != nil {
		s.stopAOF()
		return nil, err
	}
	go func() {
		if err := s.Run(context.Background()); err != nil && !errors.Is(err, errShutdown) {
			s.log.Error("server stopped", "error", err)
		}
	}()
	return s, nil
}

// Close stops a server started by [Start] or [Server.Run] and waits until every client goroutine is gone.
func (s *Server) Close() error {
	s.Shutdown()
	<-s.done
	return nil
}

// Shutdown asks Run to stop, without waiting.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
	s.killScript(false, true) // a script running on a loop would hold the loop
}

// Addr returns the address of the first listener, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lns) == 0 {
		return nil
	}
	return s.lns[0].Addr()
}

// Listen opens a listener for each bind address. An address written with a leading "-" (as in Redis's
// "bind 127.0.0.1 -::1") is skipped with a warning when it is not available on this machine.
func (s *Server) Listen() error {
	var lns []net.Listener
	for _, b := range s.cfg.Bind {
		optional := strings.HasPrefix(b, "-")
		host := strings.TrimPrefix(b, "-")
		switch host {
		case "*":
			host = "0.0.0.0"
		case "::*":
			host = "::"
		}
		addr := net.JoinHostPort(host, strconv.Itoa(s.cfg.Port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if optional {
				s.log.Warn("skipping optional bind address", "addr", addr, "error", err)
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return errors.New("listen: no bind address available")
	}
	if s.cluster != nil {
		if s.cfg.Port == 0 && s.cfg.ClusterAnnouncePort == 0 { // tests: the port picked for us
			s.cluster.mu.Lock()
			s.cluster.myself.port = lns[0].Addr().(*net.TCPAddr).Port
			s.cluster.mu.Unlock()
		}
		if err := s.cluster.listen(); err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("cluster bus: %w", err)
		}
	}
	s.mu.Lock()
	s.lns = lns
	s.mu.Unlock()
	return nil
}

var errShutdown = errors.New("server shut down")

// Run serves until ctx is done, [Server.Shutdown] is called or a listener fails, then closes every client and
// returns. It listens first if Listen was not called. It returns ctx's error, errShutdown or the failure.
func (s *Server) Run(ctx context.Context) error {
	defer close(s.done)
	s.mu.Lock()
	listening := len(s.lns) > 0
	s.mu.Unlock()
	if !listening {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	for _, ln := range s.lns {
		s.log.Info("ready to accept connections", "addr", ln.Addr().String())
	}

	var g run.Group
	for i := 0; i < s.cfg.EventLoops; i++ {
		l, err := newEventLoop(s)
		if err != nil {
			s.log.Warn("event loops unavailable, serving each connection on its own goroutine", "error", err)
			break
		}
		s.loops = append(s.loops, l)
	}
	for _, l := range s.loops { // Event loops: serve their clients until stopped, then close them.
		g.Add(l.run, func(error) { l.stop() })
	}
	for _, ln := range s.lns { // Listeners: Serve returns once ln is closed.
		g.Add(func() error { return s.Serve(ln) }, func(error) { ln.Close() })
	}
	{ // Expiry sweeper: active expiry, hz cycles a second (hz may change while it runs).
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.sweepExpired(sctx) }, func(error) { cancel() })
	}
	{ // Statistics sampler: instantaneous_ops_per_sec and the memory peak, every 100 ms as in Redis.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.sampleStats(sctx, 100*time.Millisecond) }, func(error) { cancel() })
	}
	{ // Idle clients: closed after timeout seconds (when set), checked once a second.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.closeIdleClients(sctx) }, func(error) { cancel() })
	}
	{ // Save cron: BGSAVE at the save points and when scheduled, 10 times a second.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error {
			return every(sctx, 100*time.Millisecond, func(now time.Time) time.Duration {
				s.saveCron(now)
				s.aofCron()
				return 100 * time.Millisecond
			})
		}, func(error) { cancel() })
	}
	{ // Replication: the link to the primary while a replica (started and stopped by REPLICAOF too), and the
		// replicas' connections.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.runReplication(sctx) }, func(error) { cancel() })
	}
	{ // Replication cron: PINGs to replicas, their timeouts, the good replicas for min-replicas-to-write.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.replCron(sctx) }, func(error) { cancel() })
	}
	if s.cluster != nil { // Cluster bus: the listener, the links and the cron (cluster_bus.go).
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.cluster.run(sctx) }, func(error) { cancel() })
	}
	{ // MIGRATE's cached connections: closed after 10 s idle, and all at stop.
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return s.closeIdleMigrateConns(sctx) }, func(error) { cancel() })
	}
	if s.cfg.ManageMemory { // Memory policy: freed memory goes back to the system while idle (gcpolicy.go).
		sctx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return releaseIdleMemory(sctx, s.footprint, s.ks.Snapshotting) }, func(error) { cancel() })
	}
	{ // Stop requests: the caller's context, SHUTDOWN and Close.
		stop := make(chan struct{})
		g.Add(func() error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.shutdown:
				return errShutdown
			case <-stop:
				return nil
			}
		}, func(error) { close(stop) })
	}
	err := g.Run()
	// Clients: once the listeners are closed, drop every client and wait for their goroutines.
	s.closeClients()
	s.conns.Wait()
	// Matches Redis: the AOF is fsynced and a running rewrite abandoned; a running BGSAVE is abandoned, and with
	// save points the data is saved on the way out.
	s.stopAOF()
	s.abortSave()
	s.saveWG.Wait()
	if len(s.config().Save) > 0 && !s.shutdownSaved.Load() {
		tx := s.ks.BeginAll(0)
		if serr := s.saveLocked(&tx, false); serr != nil && err == nil {
			err = serr
		}
		tx.End()
	}
	s.log.Info("server stopped")
	return err
}

// Serve accepts connections on ln until ln is closed, serving each client on its own goroutine. It always
// returns a non-nil error.
func (s *Server) Serve(ln net.Listener) error {
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if acceptRetryable(err) {
				// Out of file descriptors or similar: back off as net/http does, and go on. Redis too logs
				// and keeps serving the clients it has.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed, retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("listener %s closed: %w", ln.Addr(), err)
			}
			return fmt.Errorf("accept on %s: %w", ln.Addr(), err)
		}
		delay = 0
		if s.connected.Add(1) > s.live.maxClients.Load() {
			s.refuse(conn)
			continue
		}
		if s.deniedByProtectedMode(conn) {
			continue
		}
		setKeepAlive(conn, s.live.keepAlive.Load())
		if !s.attachToLoop(conn) {
			s.serveConn(conn)
		}
	}
}

// refuse turns away a connection beyond maxclients with Redis's error, written without waiting.
func (s *Server) refuse(conn net.Conn) {
	s.connected.Add(-1)
	s.stats.rejected.Add(1)
	conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)) // a new socket takes it at once
	conn.Write([]byte("-ERR max number of clients reached\r\n"))
	conn.Close()
}

// acceptRetryable reports whether an accept error is a passing condition (out of file descriptors or memory, a
// connection aborted before it was taken, a timeout), after which the listener still works.
func acceptRetryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// closeClients closes every client connection; their goroutines then return.
func (s *Server) closeClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, c := range s.clients {
		c.kill(c)
	}
}

// sweepExpired runs the keyspace's active expiry cycle hz times a second until ctx is done, giving each cycle
// a quarter of the interval at most (Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC is 25%). It follows changes
// of hz.
func (s *Server) sweepExpired(ctx context.Context) error {
	interval := func() time.Duration { return time.Second / time.Duration(s.live.hz.Load()) }
	return every(ctx, interval(), func(now time.Time) time.Duration {
		s.clock.Store(now.UnixMilli())
		if s.pause.mode.Load() == pauseOff { // as in Redis, keys do not expire during a pause
			s.ks.ActiveExpireCycle(now.UnixMilli(), interval()/4)
			if s.block.orphans.CompareAndSwap(true, false) {
				s.serveReady()
			}
		}
		return interval()
	})
}

// sampleStats samples the statistics that INFO reports as rates and peaks, every interval until ctx is done.
func (s *Server) sampleStats(ctx context.Context, interval time.Duration) error {
	return every(ctx, interval, func(now time.Time) time.Duration {
		s.stats.sampleOps(now)
		s.notePeak(uint64(s.usedMemory()))
		return interval
	})
}

// every calls f after interval, then again after the interval f returns, and so on until ctx is done. It
// returns nil.
func every(ctx context.Context, interval time.Duration, f func(now time.Time) time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if next := f(now); next != interval {
				interval = next
				t.Reset(interval)
			}
		}
	}
}

// IsShutdown reports whether err is Run's result after [Server.Shutdown] (or SHUTDOWN), a clean stop.
func IsShutdown(err error) bool { return errors.Is(err, errShutdown) }
