package node

import (
	"math/rand/v2"
	"time"

	"github.com/carminedb/carmine/clusterbus"
)

// Replicas and failover in cluster mode, as the Redis Cluster specification describes them.
//
// A replica (CLUSTER REPLICATE, or a primary that lost all its slots to a newer config epoch) follows its
// primary through the ordinary replication link: syncRole applies myself's role to the replication state
// once the cluster's lock is released, so the bus never waits on the link under the lock.
//
// Election: when a replica sees its primary FAIL, it waits 500 ms + 0-500 ms random + rank*1000 ms (rank 0 for
// the replica with the greatest replication offset), bumps the current epoch and broadcasts
// FAILOVER_AUTH_REQUEST. Each primary serving slots votes once per epoch (lastVoteEpoch), at most once per
// twice the node timeout for the replicas of one primary, and only when no slot the request claims has an
// owner with a newer config epoch; it answers FAILOVER_AUTH_ACK. With a majority of the primaries the replica
// promotes itself: it stops its link (as REPLICAOF NO ONE: the PSYNC2 ids stay valid), takes its primary's
// slots with the election's epoch as its config epoch, and broadcasts a PONG. Nodes that see a node claim
// slots with an older epoch answer with UPDATE; a primary (or the primary of a replica) that loses all its
// slots to a node follows it as a replica (updateSlotsWith).
//
// Manual failover (CLUSTER FAILOVER): the replica sends MFSTART; its primary pauses writes and pings it with
// the PAUSED flag and its offset; once the replica reached that offset it runs an election at once, with the
// FORCEACK flag so that primaries vote although its primary is not failing. FORCE skips the offset wait;
// TAKEOVER skips the election (a new config epoch without consensus).

// Timing constants of Redis's cluster.c.
const (
	mfTimeout   = 5 * time.Second // CLUSTER_MF_TIMEOUT: a manual failover's time limit
	mfPauseMult = 2               // CLUSTER_MF_PAUSE_MULT: the primary pauses writes for mfTimeout*mfPauseMult
)

// failoverState is a replica's election and a manual failover, under cluster.mu.
type failoverState struct {
	authTime  time.Time // when the election starts (the delay), or started
	authCount int       // votes received
	authSent  bool      // FAILOVER_AUTH_REQUEST sent for this election
	authRank  int       // the rank the delay was computed with
	authEpoch uint64    // the epoch of the election

	mfEnd          time.Time    // a manual failover runs until then; zero when none
	mfReplica      *clusterNode // a primary: the replica the manual failover is for
	mfCanStart     bool         // a replica: the offset is reached (or FORCE)
	mfMasterOffset int64        // a replica: the primary's offset once it paused, -1 until known
}

// setPrimary makes myself a replica of n (Redis's clusterSetMaster): a primary gives up its importing and
// migrating slots, and the replication link starts once the lock is released.
func (cl *cluster) setPrimary(n *clusterNode) {
	me := cl.myself
	if me.has(clusterbus.FlagMaster) {
		me.flags = me.flags&^(clusterbus.FlagMaster|clusterbus.FlagMigrateTo) | clusterbus.FlagSlave
		for s := range clusterbus.Slots {
			cl.importing[s], cl.migrating[s] = nil, nil
		}
	}
	me.primary = n.name
	cl.roleSync = true
	cl.resetManualFailover()
	cl.changed()
}

// syncRole applies myself's role to the replication state: a replica follows its primary's address, a
// primary stops following. Called without cl.mu; wait says whether a replaced link may be awaited (not from
// a client inside EXEC, which holds keyspace locks).
func (cl *cluster) syncRole(wait bool) {
	cl.roleMu.Lock()
	defer cl.roleMu.Unlock()
	cl.mu.Lock()
	primary, host, port := cl.myself.primary, "", 0
	if p := cl.nodes[primary]; p != nil && p.ip != "" && p.port != 0 {
		host, port = p.ip, p.port
	}
	cl.mu.Unlock()
	switch {
	case primary == "":
		cl.srv.promote(wait)
	case host != "":
		cl.srv.follow(host, port, wait)
	}
}

// settle does what waits for cl.mu to be released: deleting the keys of slots that moved away, applying a
// role change, ending a pause.
func (cl *cluster) settle(wait bool) {
	cl.mu.Lock()
	lost, role, unpause := cl.lost, cl.roleSync, cl.unpause
	cl.lost, cl.roleSync, cl.unpause = nil, false, false
	cl.mu.Unlock()
	if len(lost) > 0 {
		cl.srv.deleteKeysInSlots(lost)
	}
	if role {
		cl.syncRole(wait)
	}
	if unpause {
		cl.srv.unpauseClients(true)
	}
}

// myOffset is the replication offset myself announces: the stream processed, as a primary or a replica.
func (cl *cluster) myOffset() int64 { return cl.srv.repl.offset.Load() }

// replicaRank is myself's rank among the replicas of its primary: how many have a greater offset.
func (cl *cluster) replicaRank() int {
	me := cl.myself
	off := cl.myOffset()
	rank := 0
	for _, n := range cl.nodes {
		if n != me && n.primary == me.primary && n.has(clusterbus.FlagSlave) &&
			!n.has(clusterbus.FlagNoFailover) && n.replOffset > off {
			rank++
		}
	}
	return rank
}

// resetManualFailover ends a manual failover; a primary that paused its clients for it unpauses them.
func (cl *cluster) resetManualFailover() {
	if cl.fo.mfReplica != nil {
		cl.unpause = true
	}
	cl.fo.mfEnd, cl.fo.mfReplica, cl.fo.mfCanStart, cl.fo.mfMasterOffset = time.Time{}, nil, false, -1
}

// handleManualFailover lets a replica's manual failover start once it reached its paused primary's offset.
func (cl *cluster) handleManualFailover(now time.Time) {
	fo := &cl.fo
	if fo.mfEnd.IsZero() || fo.mfCanStart || fo.mfMasterOffset < 0 || !cl.myself.has(clusterbus.FlagSlave) {
		return
	}
	if fo.mfMasterOffset == cl.myOffset() {
		fo.mfCanStart = true
		cl.log.Info("all primary replication stream processed, manual failover can start")
	}
}

// handleReplicaFailover is Redis's clusterHandleSlaveFailover: a replica of a failed primary (or one running
// a manual failover) schedules, runs and wins an election.
func (cl *cluster) handleReplicaFailover(now time.Time) {
	me, fo := cl.myself, &cl.fo
	timeout := cl.nodeTimeout()
	authTimeout := max(2*timeout, 2*time.Second)
	retry := 2 * authTimeout
	manual := !fo.mfEnd.IsZero() && fo.mfCanStart
	p := cl.nodes[me.primary]
	cfg := cl.srv.config() // the failover parameters are mutable, as in Redis
	if !me.has(clusterbus.FlagSlave) || p == nil || (!p.has(clusterbus.FlagFail) && !manual) ||
		(cfg.ClusterReplicaNoFailover && !manual) || p.numSlots == 0 {
		return
	}
	// Matches Redis: a replica whose data is too old does not fail over (unless manually).
	age := cl.srv.primaryDataAge(now)
	if age > timeout {
		age -= timeout
	}
	if f := cfg.ClusterReplicaValidityFactor; f > 0 && !manual &&
		age > time.Duration(cfg.ReplPingPeriod)*time.Second+timeout*time.Duration(f) {
		if cl.ticks%100 == 0 {
			cl.log.Warn("disconnected from the primary for too long, no failover", "age", age)
		}
		return
	}
	if now.Sub(fo.authTime) > retry {
		fo.authTime = now.Add(500*time.Millisecond + time.Duration(rand.IntN(500))*time.Millisecond)
		fo.authCount, fo.authSent = 0, false
		fo.authRank = cl.replicaRank()
		fo.authTime = fo.authTime.Add(time.Duration(fo.authRank) * time.Second)
		if !fo.mfEnd.IsZero() {
			fo.authTime, fo.authRank = now, 0
		}
		cl.log.Info("start of election delayed", "delay", fo.authTime.Sub(now), "rank", fo.authRank,
			"offset", cl.myOffset())
		// Tell the other replicas our offset, so that they rank themselves.
		for _, n := range cl.nodes {
			if n != me && n.primary == me.primary && n.link != nil {
				cl.sendPing(n.link, clusterbus.TypePong)
			}
		}
		return
	}
	if !fo.authSent && fo.mfEnd.IsZero() {
		if rank := cl.replicaRank(); rank > fo.authRank {
			fo.authTime = fo.authTime.Add(time.Duration(rank-fo.authRank) * time.Second)
			fo.authRank = rank
		}
	}
	if now.Before(fo.authTime) || now.Sub(fo.authTime) > authTimeout {
		return
	}
	if !fo.authSent {
		cl.currentEpoch++
		fo.authEpoch = cl.currentEpoch
		cl.log.Info("starting a failover election", "epoch", cl.currentEpoch)
		m := cl.header(clusterbus.TypeFailoverAuthRequest)
		if !fo.mfEnd.IsZero() {
			m.MFlags[0] |= clusterbus.MFlag0ForceAck
		}
		cl.broadcast(&m)
		fo.authSent = true
		cl.changed()
		return
	}
	if fo.authCount >= cl.size()/2+1 {
		cl.log.Info("failover election won", "epoch", fo.authEpoch)
		if me.configEpoch < fo.authEpoch {
			me.configEpoch = fo.authEpoch
		}
		cl.replacePrimary()
	}
}

// replacePrimary promotes myself in place of its primary: it takes the primary's slots and tells everyone.
func (cl *cluster) replacePrimary() {
	me := cl.myself
	old := cl.nodes[me.primary]
	me.flags = me.flags&^clusterbus.FlagSlave | clusterbus.FlagMaster
	me.primary = ""
	cl.roleSync = true
	if old != nil {
		for s := range clusterbus.Slots {
			if cl.owners[s] == old {
				cl.assignSlot(s, me)
			}
		}
	}
	cl.changed()
	cl.updateStateLocked()
	cl.saveIfDirty()
	for _, n := range cl.nodes {
		if n != me && n.link != nil && !n.has(clusterbus.FlagHandshake) {
			cl.sendPing(n.link, clusterbus.TypePong)
		}
	}
	cl.resetManualFailover()
}

// voteIfNeeded is Redis's clusterSendFailoverAuthIfNeeded: a primary's vote for the replica that asks.
func (cl *cluster) voteIfNeeded(n *clusterNode, m *clusterbus.Message) {
	me := cl.myself
	if me.has(clusterbus.FlagSlave) || me.numSlots == 0 {
		return
	}
	if m.CurrentEpoch < cl.currentEpoch || cl.lastVoteEpoch == cl.currentEpoch {
		return
	}
	p := cl.nodes[n.primary]
	force := m.MFlags[0]&clusterbus.MFlag0ForceAck != 0
	if n.has(clusterbus.FlagMaster) || p == nil || (!p.has(clusterbus.FlagFail) && !force) {
		return
	}
	if time.Since(p.votedTime) < 2*cl.nodeTimeout() {
		return
	}
	for s := range clusterbus.Slots {
		if !m.MySlots.Has(s) {
			continue
		}
		if o := cl.owners[s]; o != nil && o.configEpoch > m.ConfigEpoch {
			return // the request's slots are stale: the replica will learn with an UPDATE
		}
	}
	cl.lastVoteEpoch = cl.currentEpoch
	p.votedTime = time.Now()
	cl.dirty = true
	cl.saveIfDirty()
	if n.link != nil {
		ack := cl.header(clusterbus.TypeFailoverAuthAck)
		cl.sendTo(n.link, &ack)
	}
	cl.log.Info("failover auth granted", "to", n.name, "epoch", cl.currentEpoch)
}

// startManualFailover starts CLUSTER FAILOVER on a replica; see cmdClusterFailover.
func (cl *cluster) startManualFailover(force, takeover bool) {
	cl.resetManualFailover()
	cl.fo.mfEnd = time.Now().Add(mfTimeout)
	switch {
	case takeover:
		cl.bumpEpochIfNeeded()
		cl.replacePrimary()
	case force:
		cl.fo.mfCanStart = true
	default:
		p := cl.nodes[cl.myself.primary]
		if p.link != nil {
			m := cl.header(clusterbus.TypeMFStart)
			cl.sendTo(p.link, &m)
		}
	}
}

// mfStart handles MFSTART on a primary: pause writes, and ping the replica with the offset to reach.
func (cl *cluster) mfStart(l *busLink, sender *clusterNode) {
	if sender == nil || sender.primary != cl.myself.name {
		return
	}
	cl.resetManualFailover()
	cl.unpause = false
	cl.fo.mfEnd = time.Now().Add(mfTimeout)
	cl.fo.mfReplica = sender
	cl.srv.pauseClients(mfTimeout*mfPauseMult, pauseWrite)
	cl.log.Info("manual failover requested by replica", "replica", sender.name)
	cl.sendPing(l, clusterbus.TypePing)
}

// failoverCron is the cron's part of failover: timeouts, a primary pinging the replica of its manual
// failover, a replica's manual failover and election.
func (cl *cluster) failoverCron(now time.Time) {
	fo := &cl.fo
	if !fo.mfEnd.IsZero() && now.After(fo.mfEnd) {
		cl.log.Warn("manual failover timed out")
		cl.resetManualFailover()
	}
	me := cl.myself
	if noFailover := cl.srv.config().ClusterReplicaNoFailover; noFailover != me.has(clusterbus.FlagNoFailover) {
		me.flags ^= clusterbus.FlagNoFailover // announced in our headers, shown by CLUSTER NODES
		cl.changed()
	}
	if me.has(clusterbus.FlagMaster) {
		if r := fo.mfReplica; r != nil && r.link != nil {
			cl.sendPing(r.link, clusterbus.TypePing)
		}
		return
	}
	cl.handleManualFailover(now)
	cl.handleReplicaFailover(now)
}
