package node

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// Replication: the server's role (primary or replica), its replication ids and offset, REPLICAOF (SLAVEOF),
// ROLE and INFO replication. The replica's link to its primary is in repl_link.go.
//
// A server starts as a primary with a fresh replication id, or as a replica when replicaof is configured.
// REPLICAOF host port makes it a replica at run time: it keeps its data and its ids, and its link asks the
// primary for a partial resynchronisation from its own id and offset (PSYNC2: a former primary can continue
// from the replica promoted in its place), falling back to a full copy. REPLICAOF NO ONE stops the link and
// promotes the server: its id becomes its second id, valid up to its offset, so that its own replicas and
// the other replicas of the old primary continue from it partially.

// replState is the server's replication state.
type replState struct {
	// cmdMu serialises role changes (REPLICAOF, SLAVEOF, start-up and shutdown); it is held while an old link
	// stops, so the link itself never takes it.
	cmdMu sync.Mutex

	mu      sync.Mutex
	ids     replproto.IDs
	host    string    // the primary's host when a replica, "" when a primary
	port    int       // the primary's port
	link    *replLink // the running link when a replica
	stopped bool      // the server is shutting down: no new link starts

	replica    atomic.Bool  // the server is a replica (host != "")
	readOnly   atomic.Bool  // a replica that refuses clients' writes (replica-read-only)
	serveStale atomic.Bool  // a replica whose link is down still serves (replica-serve-stale-data)
	offset     atomic.Int64 // master_repl_offset: the bytes of the replication stream (see replSink)

	sink        *replSink                  // the backlog and the replicas, once created; guarded by s.prop.mu
	replicas    atomic.Pointer[[]*replica] // the sink's replicas, read without s.prop.mu (flushReplicas)
	unflushed   atomic.Bool                // a loop client fed the replicas: an event loop writes them at its round's end
	applyMu     sync.Mutex                 // a replica's link holds it from applying a command to passing it on (see fullSync)
	wg          sync.WaitGroup             // the replicas' goroutines
	good        atomic.Int64               // replicas online with a recent ACK (min-replicas-max-lag)
	minReplicas atomic.Int64               // min-replicas-to-write
	waits       waitState                  // clients in WAIT

	syncFull, syncPartialOK, syncPartialErr atomic.Int64 // INFO stats: the resyncs served to replicas
}

// initRepl sets up the replication state at start-up: a fresh id, and the link when replicaof is configured
// (started by Run's replication actor).
func (s *Server) initRepl() error {
	ids, err := replproto.NewIDs()
	if err != nil {
		return err
	}
	s.repl.ids = ids
	if s.cfg.ReplicaOf != "" {
		host, port, _ := strings.Cut(s.cfg.ReplicaOf, " ")
		s.repl.host = host
		s.repl.port, _ = strconv.Atoi(port)
		s.repl.replica.Store(true)
		s.ks.SetKeepExpired(true)
	}
	return nil
}

// runReplication is Run's replication actor: it starts the link when the server is a replica and stops
// whatever link runs when ctx is done. It returns nil.
func (s *Server) runReplication(ctx context.Context) error {
	s.repl.cmdMu.Lock()
	s.repl.mu.Lock()
	if s.repl.host != "" && s.repl.link == nil && !s.repl.stopped {
		s.repl.link = s.startLink(s.repl.host, s.repl.port)
	}
	s.repl.mu.Unlock()
	s.repl.cmdMu.Unlock()
	<-ctx.Done()
	s.repl.cmdMu.Lock()
	defer s.repl.cmdMu.Unlock()
	s.repl.mu.Lock()
	s.repl.stopped = true
	l := s.repl.link
	s.repl.link = nil
	s.repl.mu.Unlock()
	if l != nil {
		l.stop()
		<-l.done
	}
	s.dropReplicas("server shutting down")
	s.repl.wg.Wait()
	return nil
}

// linkUp reports whether a replica's link is connected and streaming.
func (s *Server) linkUp() bool {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.link != nil && s.repl.link.state.Load() == linkConnected
}

// primaryDataAge is how long ago a replica last heard from its primary: a replica that never did has data of
// unknown age (a very large one), as in Redis, which then refuses to fail over in cluster mode.
func (s *Server) primaryDataAge(now time.Time) time.Duration {
	s.repl.mu.Lock()
	l := s.repl.link
	s.repl.mu.Unlock()
	if l == nil || l.lastIO.Load() == 0 {
		return 1 << 62
	}
	return now.Sub(time.UnixMilli(l.lastIO.Load()))
}

// isReplica reports whether the server follows a primary.
func (s *Server) isReplica() bool { return s.repl.replica.Load() }

// replIDs returns the server's replication ids.
func (s *Server) replIDs() replproto.IDs {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.ids
}

// setLiveReplicaOf records the primary in the live configuration, for CONFIG GET replicaof.
func (s *Server) setLiveReplicaOf(v string) {
	s.live.mu.Lock()
	s.live.cfg.ReplicaOf = v
	s.live.mu.Unlock()
}

// alreadyExpired reports whether an expiry time at (Unix ms) set by the running command has passed, so that the
// command deletes the key instead. Matches Redis (checkAlreadyExpired): never on a replica, which keeps the key
// until its primary deletes it, and never while applying a fake client's commands.
func (c *client) alreadyExpired(tx *keyspace.Txn, at int64) bool {
	return at <= tx.Now() && !c.fake && !c.srv.isReplica()
}

var (
	errInvalidMasterPort = errorf("Invalid master port")
	errReplicaOfCluster  = errorf("REPLICAOF not allowed in cluster mode.")
)

// errUnblockedReplica ends the blocked clients' commands when the server becomes a replica, as Redis does.
const errUnblockedReplica = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"

var errMasterDown = &resp.Error{Code: "MASTERDOWN", Msg: "Link with MASTER is down and replica-serve-stale-data is set to 'no'."}

// staleRefused reports whether cmd is refused because the server is a replica whose link is down and
// replica-serve-stale-data is no. Matches Redis: commands flagged stale (INFO, REPLICAOF, CONFIG ...) still
// run, and EXEC only when every command it queued is one.
func (c *client) staleRefused(cmd *command) bool {
	if !c.srv.servingStale() {
		return false
	}
	if cmd.name == "exec" && c.multi != nil {
		for _, q := range c.multi.queue {
			if !q.cmd.spec.Has(cmdspec.FlagStale) {
				return true
			}
		}
		return false
	}
	return !cmd.spec.Has(cmdspec.FlagStale)
}

// REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF, its old name).
func cmdReplicaOf(c *client, args [][]byte) error {
	s := c.srv
	if s.cluster != nil {
		return errReplicaOfCluster // Matches Redis: CLUSTER REPLICATE sets a replica's primary
	}
	if eqFold(args[1], "no") && eqFold(args[2], "one") {
		s.promote(c.exec == nil)
		c.w.WriteSimple("OK")
		return nil
	}
	port, err := strconv.Atoi(string(args[2]))
	if err != nil || port < 0 || port > 65535 {
		return errInvalidMasterPort
	}
	host := string(args[1])
	if !s.follow(host, port, c.exec == nil) {
		c.w.WriteSimple("OK Already connected to specified master")
		return nil
	}
	c.w.WriteSimple("OK")
	return nil
}

// follow makes the server a replica of host:port. It returns false when it already is one. wait says whether
// to wait for a previous link to stop (not when the caller holds keyspace locks, which the link may need).
func (s *Server) follow(host string, port int, wait bool) bool {
	s.repl.cmdMu.Lock()
	defer s.repl.cmdMu.Unlock()
	s.repl.mu.Lock()
	if s.repl.host == host && s.repl.port == port {
		s.repl.mu.Unlock()
		return false
	}
	old := s.repl.link
	s.repl.host, s.repl.port, s.repl.link = host, port, nil
	s.repl.replica.Store(true)
	s.ks.SetKeepExpired(true) // the primary deletes expired keys
	s.repl.mu.Unlock()
	if old != nil {
		old.stop()
		if wait {
			<-old.done
		}
	}
	s.dropReplicas("the server became a replica") // they resync, from this server's primary's history
	s.unblockAll(errUnblockedReplica)
	s.setLiveReplicaOf(host + " " + strconv.Itoa(port))
	s.log.Info("replica of a primary", "addr", net.JoinHostPort(host, strconv.Itoa(port)))
	s.repl.mu.Lock()
	if !s.repl.stopped && s.repl.host == host && s.repl.port == port {
		s.repl.link = s.startLink(host, port)
	}
	s.repl.mu.Unlock()
	return true
}

// promote makes a replica a primary (REPLICAOF NO ONE): the link stops and the replication history moves to
// a new id, the old one staying valid up to the offset reached. A primary stays as it is.
func (s *Server) promote(wait bool) {
	s.repl.cmdMu.Lock()
	defer s.repl.cmdMu.Unlock()
	s.repl.mu.Lock()
	if s.repl.host == "" {
		s.repl.mu.Unlock()
		return
	}
	old := s.repl.link
	s.repl.host, s.repl.port, s.repl.link = "", 0, nil
	s.repl.replica.Store(false)
	s.ks.SetKeepExpired(false)
	s.repl.mu.Unlock()
	if old != nil {
		old.stop()
		if wait {
			<-old.done
		}
	}
	s.repl.mu.Lock()
	off := s.repl.offset.Load()
	if err := s.repl.ids.Shift(off); err != nil {
		s.log.Error("new replication id failed", "error", err)
	}
	id := s.repl.ids.ID
	s.repl.mu.Unlock()
	s.prop.mu.Lock()
	s.prop.db[classIndex(toRepl)] = -1 // this server's own writes follow, with a SELECT first
	s.prop.mu.Unlock()
	s.dropReplicas("the server was promoted") // they learn the new id when they continue
	s.setLiveReplicaOf("")
	s.log.Info("primary mode enabled", "repl-id", id.String(), "offset", off)
}

// ROLE: the server's role and replication state, as Redis replies it.
func cmdRole(c *client, args [][]byte) error {
	s := c.srv
	s.repl.mu.Lock()
	host, port, l := s.repl.host, s.repl.port, s.repl.link
	s.repl.mu.Unlock()
	w := c.w
	if host == "" {
		rs := s.replicaList()
		w.WriteArrayLen(3)
		w.WriteBulkString("master")
		w.WriteInt(s.repl.offset.Load())
		n := 0
		for _, r := range rs {
			if r.state.Load() == replicaOnline {
				n++
			}
		}
		w.WriteArrayLen(n)
		for _, r := range rs {
			if r.state.Load() != replicaOnline {
				continue
			}
			ip, _, _ := net.SplitHostPort(r.addr)
			if r.conf.ip != "" {
				ip = r.conf.ip
			}
			w.WriteArrayLen(3)
			w.WriteBulkString(ip)
			w.WriteBulkString(strconv.Itoa(r.conf.port))
			w.WriteBulkString(strconv.FormatInt(r.ackOff.Load(), 10))
		}
		return nil
	}
	state, off := linkConnect, int64(-1)
	if l != nil {
		state = l.state.Load()
	}
	if state == linkConnected {
		off = s.repl.offset.Load()
	}
	w.WriteArrayLen(5)
	w.WriteBulkString("slave")
	w.WriteBulkString(host)
	w.WriteInt(int64(port))
	w.WriteBulkString(linkStateNames[state])
	w.WriteInt(off)
	return nil
}

var _ = register(map[string]handler{
	"replicaof": cmdReplicaOf,
	"slaveof":   cmdReplicaOf,
	"role":      cmdRole,
})

// infoReplication is INFO's replication section, with Redis 7's fields.
func (s *Server) infoReplication(b *infoBuf) {
	s.repl.mu.Lock()
	host, port, l, ids := s.repl.host, s.repl.port, s.repl.link, s.repl.ids
	s.repl.mu.Unlock()
	off := s.repl.offset.Load()
	if host == "" {
		b.str("role", "master")
	} else {
		b.str("role", "slave")
		b.str("master_host", host)
		b.int("master_port", int64(port))
		state, lastIO, downSince, readOff := linkConnect, int64(-1), int64(-1), off
		now := time.Now().UnixMilli()
		if l != nil {
			state = l.state.Load()
			if t := l.lastIO.Load(); t != 0 {
				lastIO = (now - t) / 1000
			}
			if t := l.downSince.Load(); t != 0 {
				downSince = (now - t) / 1000
			}
			if r := l.readOffset.Load(); r > readOff {
				readOff = r
			}
		}
		if state == linkConnected {
			b.str("master_link_status", "up")
		} else {
			b.str("master_link_status", "down")
		}
		b.int("master_last_io_seconds_ago", lastIO)
		b.int("master_sync_in_progress", boolInt(state == linkSync))
		b.int("slave_read_repl_offset", readOff)
		b.int("slave_repl_offset", off)
		if state == linkSync && l != nil {
			b.int("master_sync_total_bytes", l.syncTotal.Load())
			b.int("master_sync_read_bytes", l.syncRead.Load())
			b.int("master_sync_left_bytes", max(l.syncTotal.Load()-l.syncRead.Load(), -1))
			b.int("master_sync_perc", 0)
			b.int("master_sync_last_io_seconds_ago", lastIO)
		}
		if state != linkConnected {
			b.int("master_link_down_since_seconds", downSince)
		}
		b.int("slave_priority", 100)
		b.int("slave_read_only", boolInt(s.repl.readOnly.Load()))
		b.int("replica_announced", 1)
	}
	rs := s.replicaList()
	b.int("connected_slaves", int64(len(rs)))
	if host == "" && s.repl.minReplicas.Load() > 0 {
		b.int("min_slaves_good_slaves", s.repl.good.Load())
	}
	now := time.Now().UnixMilli()
	for i, r := range rs {
		ip, _, _ := net.SplitHostPort(r.addr)
		if r.conf.ip != "" {
			ip = r.conf.ip
		}
		b.str("slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d", ip, r.conf.port,
			replicaStateNames[r.state.Load()], r.ackOff.Load(), (now-r.ackTime.Load())/1000))
	}
	b.str("master_failover_state", "no-failover")
	b.str("master_replid", ids.ID.String())
	b.str("master_replid2", ids.ID2.String())
	b.int("master_repl_offset", off)
	b.int("second_repl_offset", ids.SecondOffset)
	first, histlen, active := s.backlogInfo()
	b.int("repl_backlog_active", boolInt(active))
	b.int("repl_backlog_size", s.config().ReplBacklogSize)
	b.int("repl_backlog_first_byte_offset", first)
	b.int("repl_backlog_histlen", int64(histlen))
}
