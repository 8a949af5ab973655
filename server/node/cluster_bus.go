package node

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/carminedb/carmine/clusterbus"
)

// The cluster bus: a listener on the bus port, one outbound link to every known node (dialled by the cron)
// and the inbound links other nodes dialled. Each link has a reader goroutine, which processes messages under
// cluster.mu, and a writer goroutine fed by a queue; a link whose queue overflows or whose peer goes quiet is
// closed and dialled again. The cron (ten times a second, as Redis's clusterCron) pings, detects failures
// (PFAIL after cluster-node-timeout without a PONG, FAIL once a majority of primaries report it) and saves
// nodes.conf when the configuration changed.

// busLink is one bus connection.
type busLink struct {
	cl       *cluster
	conn     net.Conn
	node     *clusterNode // outbound: the node dialled; inbound: nil
	outbound bool
	created  time.Time
	out      chan []byte
	done     chan struct{}
	once     sync.Once
}

// busQueueLen is how many messages a link queues before it is dropped as too slow.
const busQueueLen = 1024

func (cl *cluster) newLink(conn net.Conn, n *clusterNode) *busLink {
	l := &busLink{cl: cl, conn: conn, node: n, outbound: n != nil, created: time.Now(),
		out: make(chan []byte, busQueueLen), done: make(chan struct{})}
	cl.all[l] = struct{}{}
	cl.links.Add(2)
	go l.readLoop()
	go l.writeLoop()
	return l
}

// close closes the connection; the goroutines then return. Callable more than once, from any goroutine.
func (l *busLink) close() {
	l.once.Do(func() {
		close(l.done)
		l.conn.Close()
	})
}

// send queues a message; a link too slow to take it is closed.
func (l *busLink) send(b []byte) {
	select {
	case l.out <- b:
	default:
		l.cl.log.Warn("cluster link send queue full, closing it", "peer", l.conn.RemoteAddr().String())
		l.close()
	}
}

func (l *busLink) writeLoop() {
	defer l.cl.links.Done()
	for {
		select {
		case <-l.done:
			return
		case b := <-l.out:
			l.conn.SetWriteDeadline(time.Now().Add(l.cl.nodeTimeout()))
			if _, err := l.conn.Write(b); err != nil {
				l.close()
				return
			}
		}
	}
}

func (l *busLink) readLoop() {
	defer l.cl.links.Done()
	defer l.dropped()
	r := clusterbus.NewReader(l.conn)
	for {
		b, err := r.ReadFrame()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.cl.log.Debug("cluster link closed", "peer", l.conn.RemoteAddr().String(), "error", err)
			}
			return
		}
		m, err := clusterbus.Decode(b)
		if err != nil {
			if errors.Is(err, clusterbus.ErrVersion) {
				continue // Matches Redis: other versions are ignored
			}
			l.cl.log.Warn("bad cluster bus message, closing the link", "peer", l.conn.RemoteAddr().String(), "error", err)
			return
		}
		if !l.cl.process(l, m) {
			return
		}
	}
}

// dropped forgets the link in its node once it is closed.
func (l *busLink) dropped() {
	l.close()
	cl := l.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	delete(cl.all, l)
	for _, n := range cl.nodes {
		if n.link == l {
			n.link = nil
		}
		if n.inbound == l {
			n.inbound = nil
		}
	}
}

// closeLinks closes n's links.
func (cl *cluster) closeLinks(n *clusterNode) {
	if n.link != nil {
		n.link.close()
		n.link = nil
	}
	if n.inbound != nil {
		n.inbound.close()
		n.inbound = nil
	}
}

func (cl *cluster) nodeTimeout() time.Duration {
	return time.Duration(cl.srv.cfg.ClusterNodeTimeout) * time.Millisecond
}

// listen opens the bus listener: the bind addresses, at the bus port.
func (cl *cluster) listen() error {
	host := "127.0.0.1"
	for _, b := range cl.srv.cfg.Bind {
		if h := b; h != "" && h[0] != '-' {
			host = h
			break
		}
	}
	switch host {
	case "*":
		host = "0.0.0.0"
	case "::*":
		host = "::"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cl.busPort())))
	if err != nil {
		return err
	}
	cl.mu.Lock()
	cl.ln = ln
	cl.busAddr = ln.Addr()
	if cl.srv.cfg.ClusterAnnounceBusPort == 0 {
		cl.myself.cport = cl.busAddr.(*net.TCPAddr).Port
	}
	cl.changed()
	cl.flush()
	cl.mu.Unlock()
	return nil
}

// serve accepts bus connections until the listener closes.
func (cl *cluster) serve() error {
	for {
		conn, err := cl.ln.Accept()
		if err != nil {
			return err
		}
		cl.mu.Lock()
		select {
		case <-cl.stop:
			conn.Close()
		default:
			cl.newLink(conn, nil)
		}
		cl.mu.Unlock()
	}
}

// run is the cluster's actor: the bus listener and the cron, until ctx is done; then every link is closed.
func (cl *cluster) run(ctx context.Context) error {
	cl.syncRole(true) // a replica in nodes.conf follows its primary
	errc := make(chan error, 1)
	go func() { errc <- cl.serve() }()
	err := every(ctx, 100*time.Millisecond, func(now time.Time) time.Duration {
		cl.cron(now)
		return 100 * time.Millisecond
	})
	cl.mu.Lock()
	close(cl.stop)
	cl.stopDials()
	cl.ln.Close()
	for _, n := range cl.nodes {
		cl.closeLinks(n)
	}
	for l := range cl.all {
		l.close()
	}
	cl.flush()
	cl.mu.Unlock()
	<-errc
	cl.links.Wait()
	return err
}

// connect dials n's bus port in the background, then greets it with a MEET or a PING.
func (cl *cluster) connect(n *clusterNode) {
	n.connecting = true
	addr := net.JoinHostPort(n.ip, strconv.Itoa(n.cport))
	timeout := cl.nodeTimeout()
	cl.links.Add(1)
	go func() {
		defer cl.links.Done()
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(cl.dialCtx, "tcp", addr)
		cl.mu.Lock()
		defer cl.mu.Unlock()
		n.connecting = false
		if err != nil {
			cl.log.Debug("connecting to a cluster node failed", "addr", addr, "error", err)
			if n.pingSent.IsZero() {
				n.pingSent = time.Now() // Matches Redis: a node we cannot reach counts as not answering
			}
			return
		}
		select {
		case <-cl.stop:
			conn.Close()
			return
		default:
		}
		if cl.nodes[n.name] != n || n.link != nil {
			conn.Close()
			return
		}
		l := cl.newLink(conn, n)
		n.link = l
		old := n.pingSent
		typ := clusterbus.TypePing
		if n.has(clusterbus.FlagMeet) {
			typ = clusterbus.TypeMeet
		}
		cl.sendPing(l, typ)
		if !old.IsZero() {
			n.pingSent = old // Matches Redis: keep the time of the PING still unanswered
		}
		n.flags &^= clusterbus.FlagMeet
	}()
}

// header builds the header of a message from myself.
func (cl *cluster) header(typ clusterbus.Type) clusterbus.Message {
	me := cl.myself
	master := cl.masterOf(me)
	m := clusterbus.Message{Header: clusterbus.Header{Type: typ, Port: uint16(me.port), CPort: uint16(me.cport),
		PPort: uint16(me.pport), CurrentEpoch: cl.currentEpoch, ConfigEpoch: master.configEpoch,
		Offset: uint64(cl.myOffset()), Sender: me.name, MySlots: master.slots, SlaveOf: me.primary,
		MyIP: cl.srv.cfg.ClusterAnnounceIP, Flags: me.flags}}
	if !cl.stateOK {
		m.State = clusterbus.StateFail
	}
	if me.has(clusterbus.FlagMaster) && !cl.fo.mfEnd.IsZero() {
		m.MFlags[0] |= clusterbus.MFlag0Paused // a manual failover: our writes are paused
	}
	return m
}

// sendPing sends a PING, PONG or MEET with gossip about some random nodes and every node we think failing.
func (cl *cluster) sendPing(l *busLink, typ clusterbus.Type) {
	m := cl.header(typ)
	wanted := min(max(3, len(cl.nodes)/10), len(cl.nodes)-2)
	var cands, pfail []*clusterNode
	for _, n := range cl.nodes {
		switch {
		case n == cl.myself || n.has(clusterbus.FlagHandshake|clusterbus.FlagNoAddr):
		case n.has(clusterbus.FlagPFail):
			pfail = append(pfail, n)
		case n.link == nil && n.numSlots == 0:
		default:
			cands = append(cands, n)
		}
	}
	secs := func(t time.Time) uint32 {
		if t.IsZero() {
			return 0
		}
		return uint32(t.Unix())
	}
	for _, n := range append(randomNodes(cands, max(wanted, 0)), pfail...) {
		m.Gossip = append(m.Gossip, clusterbus.Gossip{Name: n.name, PingSent: secs(n.pingSent),
			PongReceived: secs(n.pongRecv), IP: n.ip, Port: uint16(n.port), CPort: uint16(n.cport),
			PPort: uint16(n.pport), Flags: n.flags})
	}
	m.MFlags[0] |= clusterbus.MFlag0ExtData
	if h := cl.myself.hostname; h != "" {
		m.Exts = append(m.Exts, clusterbus.Ext{Type: clusterbus.ExtHostname, Name: h})
	}
	if l.node != nil && typ == clusterbus.TypePing {
		l.node.pingSent = time.Now()
	}
	cl.sendTo(l, &m)
}

// sendTo encodes m and queues it on l.
func (cl *cluster) sendTo(l *busLink, m *clusterbus.Message) {
	if int(m.Type) < len(cl.sent) {
		cl.sent[m.Type]++
	}
	l.send(m.Append(nil))
}

// broadcast sends m to every node we have a link to, handshakes excluded.
func (cl *cluster) broadcast(m *clusterbus.Message) {
	b := m.Append(nil)
	for _, n := range cl.nodes {
		if n.link == nil || n == cl.myself || n.has(clusterbus.FlagHandshake) {
			continue
		}
		if int(m.Type) < len(cl.sent) {
			cl.sent[m.Type]++
		}
		n.link.send(b)
	}
}

// propagatePublish sends a PUBLISH to every node, or a PUBLISHSHARD (SPUBLISH) to the other nodes of our
// shard: our primary and its replicas, as Redis does.
func (cl *cluster) propagatePublish(shard bool, channel, message []byte) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	typ := clusterbus.TypePublish
	if shard {
		typ = clusterbus.TypePublishShard
	}
	m := cl.header(typ)
	m.Channel, m.Payload = channel, message
	if !shard {
		cl.broadcast(&m)
		return
	}
	p := cl.masterOf(cl.myself)
	for _, n := range append(cl.replicasOf(p), p) {
		if n != cl.myself && n.link != nil {
			cl.sendTo(n.link, &m)
		}
	}
}

// cron is Redis's clusterCron: connect, ping, detect failures, update the state, save the configuration.
func (cl *cluster) cron(now time.Time) {
	cl.cronLocked(now)
	cl.settle(true)
}

func (cl *cluster) cronLocked(now time.Time) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.ticks++
	timeout := cl.nodeTimeout()
	hsTimeout := max(timeout, time.Second)
	for _, n := range cl.nodes {
		if n == cl.myself || n.has(clusterbus.FlagNoAddr) {
			continue
		}
		if n.has(clusterbus.FlagHandshake) && now.Sub(n.created) > hsTimeout {
			cl.delNode(n)
			continue
		}
		if n.link == nil && !n.connecting {
			cl.connect(n)
		}
	}
	for name, until := range cl.blacklist {
		if now.After(until) {
			delete(cl.blacklist, name)
		}
	}
	// Once a second, PING the one of five random nodes we heard from the longest ago.
	if cl.ticks%10 == 0 {
		var oldest *clusterNode
		for _, n := range randomNodes(cl.nodeList(), 5) {
			if n == cl.myself || n.link == nil || !n.pingSent.IsZero() || n.has(clusterbus.FlagHandshake) {
				continue
			}
			if oldest == nil || n.pongRecv.Before(oldest.pongRecv) {
				oldest = n
			}
		}
		if oldest != nil {
			cl.sendPing(oldest.link, clusterbus.TypePing)
		}
	}
	changed := false
	for _, n := range cl.nodes {
		if n == cl.myself || n.has(clusterbus.FlagNoAddr|clusterbus.FlagHandshake) {
			continue
		}
		// A link whose PING waits longer than half the timeout, with nothing else heard, is dialled again.
		if n.link != nil && now.Sub(n.link.created) > timeout && !n.pingSent.IsZero() &&
			now.Sub(n.pingSent) > timeout/2 && now.Sub(n.dataRecv) > timeout/2 {
			n.link.close()
			n.link = nil
		}
		if n.link != nil && n.pingSent.IsZero() && now.Sub(n.pongRecv) > timeout/2 {
			cl.sendPing(n.link, clusterbus.TypePing)
			continue
		}
		if n.pingSent.IsZero() {
			continue
		}
		delay := now.Sub(n.pingSent)
		if !n.dataRecv.IsZero() {
			delay = min(delay, now.Sub(n.dataRecv))
		}
		if delay > timeout && !n.has(clusterbus.FlagPFail|clusterbus.FlagFail) {
			cl.log.Debug("node possibly failing", "node", n.name)
			n.flags |= clusterbus.FlagPFail
			changed = true
		}
		if n.has(clusterbus.FlagPFail) {
			cl.markFailing(n)
		}
	}
	cl.failoverCron(now)
	if changed || cl.ticks%10 == 0 { // Matches Redis: the state is recomputed periodically too
		cl.stale = true
	}
	cl.flush()
}

func (cl *cluster) nodeList() []*clusterNode {
	ns := make([]*clusterNode, 0, len(cl.nodes))
	for _, n := range cl.nodes {
		ns = append(ns, n)
	}
	return ns
}

// size is the number of primaries serving slots: the quorum of failure detection is a majority of them.
func (cl *cluster) size() int {
	size := 0
	for _, n := range cl.nodes {
		if n.has(clusterbus.FlagMaster) && n.numSlots > 0 {
			size++
		}
	}
	return size
}

// markFailing turns a PFAIL node into FAIL when a majority of the primaries report it (myself included, when
// a primary), and broadcasts the FAIL.
func (cl *cluster) markFailing(n *clusterNode) {
	if !n.has(clusterbus.FlagPFail) || n.has(clusterbus.FlagFail) {
		return
	}
	window := 2 * cl.nodeTimeout()
	failures := 0
	for name, at := range n.reports {
		if time.Since(at) > window {
			delete(n.reports, name)
			continue
		}
		failures++
	}
	if cl.myself.has(clusterbus.FlagMaster) {
		failures++
	}
	if failures < cl.size()/2+1 {
		return
	}
	cl.log.Info("marking node as failing (quorum reached)", "node", n.name)
	n.flags = n.flags&^clusterbus.FlagPFail | clusterbus.FlagFail
	n.failTime = time.Now()
	m := cl.header(clusterbus.TypeFail)
	m.Node = n.name
	cl.broadcast(&m)
	cl.changed()
}

// clearFailure clears FAIL when the node is reachable again: at once for a replica or a primary without
// slots, after twice the node timeout for a primary with slots (Redis's CLUSTER_FAIL_UNDO_TIME_MULT).
func (cl *cluster) clearFailure(n *clusterNode) {
	if !n.has(clusterbus.FlagFail) {
		return
	}
	if n.has(clusterbus.FlagSlave) || n.numSlots == 0 || time.Since(n.failTime) > 2*cl.nodeTimeout() {
		cl.log.Info("clear FAIL state for node", "node", n.name)
		n.flags &^= clusterbus.FlagFail
		cl.changed()
	}
}

// process handles one message from link l; false closes the link. What waits for the cluster's lock to be
// released (see settle) follows.
func (cl *cluster) process(l *busLink, m *clusterbus.Message) bool {
	keep := cl.processLocked(l, m)
	cl.settle(true)
	return keep
}

func (cl *cluster) processLocked(l *busLink, m *clusterbus.Message) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	select {
	case <-cl.stop:
		return false
	default:
	}
	if int(m.Type) < len(cl.recv) {
		cl.recv[m.Type]++
	}
	now := time.Now()
	sender := cl.nodes[m.Sender]
	if sender != nil && sender.has(clusterbus.FlagHandshake) {
		sender = nil
	}
	if sender != nil {
		if !l.outbound && sender.inbound != l {
			if sender.inbound != nil {
				sender.inbound.close()
			}
			sender.inbound = l
		}
		if m.CurrentEpoch > cl.currentEpoch {
			cl.currentEpoch = m.CurrentEpoch
			cl.dirty = true
		}
		if m.ConfigEpoch > sender.configEpoch {
			sender.configEpoch = m.ConfigEpoch
			cl.dirty = true
		}
		sender.dataRecv = now
		sender.replOffset = int64(m.Offset)
		// A manual failover: our primary paused its writes at this offset.
		if fo := &cl.fo; !fo.mfEnd.IsZero() && cl.myself.primary == sender.name &&
			m.MFlags[0]&clusterbus.MFlag0Paused != 0 && fo.mfMasterOffset < 0 {
			fo.mfMasterOffset = sender.replOffset
			cl.log.Info("received replication offset for paused primary manual failover", "offset", fo.mfMasterOffset)
		}
	}
	defer cl.flush()
	switch m.Type {
	case clusterbus.TypePing, clusterbus.TypePong, clusterbus.TypeMeet:
		return cl.processPing(l, m, sender, now)
	case clusterbus.TypeFail:
		if sender == nil {
			return true
		}
		if f := cl.nodes[m.Node]; f != nil && !f.has(clusterbus.FlagFail|clusterbus.FlagMyself) {
			cl.log.Info("FAIL message received", "from", sender.name, "about", f.name)
			f.flags = f.flags&^clusterbus.FlagPFail | clusterbus.FlagFail
			f.failTime = now
			cl.changed()
		}
	case clusterbus.TypePublish, clusterbus.TypePublishShard:
		if sender == nil {
			return true
		}
		k := subChannel
		if m.Type == clusterbus.TypePublishShard {
			k = subShard
		}
		cl.srv.publish(nil, k, m.Channel, m.Payload)
	case clusterbus.TypeFailoverAuthRequest:
		if sender != nil {
			cl.voteIfNeeded(sender, m)
		}
	case clusterbus.TypeFailoverAuthAck:
		// Matches Redis: a vote counts when it comes from a primary serving slots, for this election's epoch.
		if sender != nil && sender.has(clusterbus.FlagMaster) && sender.numSlots > 0 && m.CurrentEpoch >= cl.fo.authEpoch {
			cl.fo.authCount++
			cl.handleReplicaFailover(now)
		}
	case clusterbus.TypeMFStart:
		cl.mfStart(l, sender)
	case clusterbus.TypeUpdate:
		if sender == nil {
			return true
		}
		n := cl.nodes[m.Node]
		if n == nil || n.configEpoch >= m.UpdateEpoch {
			return true
		}
		if n.has(clusterbus.FlagSlave) {
			n.flags = n.flags&^clusterbus.FlagSlave | clusterbus.FlagMaster
			n.primary = ""
		}
		n.configEpoch = m.UpdateEpoch
		cl.updateSlotsWith(n, m.UpdateEpoch, &m.UpdateSlots)
		cl.changed()
	}
	return true
}

// processPing handles PING, PONG and MEET.
func (cl *cluster) processPing(l *busLink, m *clusterbus.Message, sender *clusterNode, now time.Time) bool {
	me := cl.myself
	if m.Type != clusterbus.TypePong {
		// Matches Redis: MEET (and any PING while our IP is unknown) tells us our own address.
		if (m.Type == clusterbus.TypeMeet || me.ip == "") && cl.srv.cfg.ClusterAnnounceIP == "" {
			if ip := hostOf(l.conn.LocalAddr()); ip != "" && ip != me.ip {
				me.ip = ip
				cl.changed()
			}
		}
		if sender == nil && m.Type == clusterbus.TypeMeet {
			ip := m.MyIP
			if ip == "" {
				ip = hostOf(l.conn.RemoteAddr())
			}
			n := &clusterNode{name: nodeName(), ip: ip, port: int(m.Port), cport: int(m.CPort), pport: int(m.PPort),
				flags: clusterbus.FlagHandshake, created: now}
			cl.addNode(n)
			cl.processGossip(m, nil)
		}
		cl.sendPing(l, clusterbus.TypePong)
	}
	if l.outbound {
		n := l.node
		if n.has(clusterbus.FlagHandshake) {
			if sender != nil {
				// We already know this node: update its address and drop the handshake.
				cl.updateAddr(sender, l, m)
				cl.delNode(n)
				return false
			}
			cl.renameNode(n, m.Sender)
			n.flags &^= clusterbus.FlagHandshake
			n.flags |= m.Flags & (clusterbus.FlagMaster | clusterbus.FlagSlave)
			cl.changed()
		} else if n.name != m.Sender {
			// The node at this address changed its ID: its address is no longer known.
			cl.log.Debug("node at address changed its id", "node", n.name, "new", m.Sender)
			n.flags |= clusterbus.FlagNoAddr
			n.ip, n.port, n.cport = "", 0, 0
			cl.closeLinks(n)
			cl.changed()
			return false
		}
	}
	if sender != nil && m.Type == clusterbus.TypePing && !l.outbound {
		cl.updateAddr(sender, l, m)
	}
	if l.outbound && m.Type == clusterbus.TypePong {
		n := l.node
		n.pongRecv = now
		n.pingSent = time.Time{}
		if n.has(clusterbus.FlagPFail) {
			n.flags &^= clusterbus.FlagPFail
			cl.changed()
		} else if n.has(clusterbus.FlagFail) {
			cl.clearFailure(n)
		}
	}
	if sender == nil {
		return true
	}
	if sender.hostname != hostnameExt(m) {
		sender.hostname = hostnameExt(m)
		cl.changed()
	}
	// Role: a primary turned replica loses its slots, as in Redis.
	if m.SlaveOf == "" {
		if sender.has(clusterbus.FlagSlave) || !sender.has(clusterbus.FlagMaster) || sender.primary != "" {
			sender.flags = sender.flags&^clusterbus.FlagSlave | clusterbus.FlagMaster
			sender.primary = ""
			cl.changed()
		}
	} else if sender.primary != m.SlaveOf || !sender.has(clusterbus.FlagSlave) {
		if sender.has(clusterbus.FlagMaster) {
			for s := range clusterbus.Slots {
				if cl.owners[s] == sender {
					cl.assignSlot(s, nil)
				}
			}
		}
		sender.flags = sender.flags&^(clusterbus.FlagMaster|clusterbus.FlagMigrateTo) | clusterbus.FlagSlave
		sender.primary = m.SlaveOf
		cl.changed()
	}
	senderPrimary := sender
	if m.SlaveOf != "" {
		senderPrimary = cl.nodes[m.SlaveOf]
	}
	if senderPrimary != nil && senderPrimary.slots != m.MySlots {
		if m.SlaveOf == "" {
			cl.updateSlotsWith(sender, m.ConfigEpoch, &m.MySlots)
		}
		// The sender claims slots we know a newer owner of: tell it with an UPDATE.
		for s := range clusterbus.Slots {
			if !m.MySlots.Has(s) {
				continue
			}
			o := cl.owners[s]
			if o == nil || o == sender || o.configEpoch <= m.ConfigEpoch {
				continue
			}
			u := cl.header(clusterbus.TypeUpdate)
			u.Node, u.UpdateEpoch, u.UpdateSlots = o.name, o.configEpoch, o.slots
			cl.sendTo(l, &u)
			break
		}
	}
	if m.SlaveOf == "" {
		// Matches Redis: of two primaries with the same config epoch, the one with the greater name moves on.
		if me.has(clusterbus.FlagMaster) && sender.configEpoch == me.configEpoch && m.Sender < me.name {
			cl.currentEpoch++
			me.configEpoch = cl.currentEpoch
			cl.log.Info("config epoch collision resolved", "epoch", me.configEpoch, "with", sender.name)
			cl.changed()
		}
	}
	cl.processGossip(m, sender)
	return true
}

// hostnameExt returns the hostname extension of m, "" when it has none.
func hostnameExt(m *clusterbus.Message) string {
	for _, e := range m.Exts {
		if e.Type == clusterbus.ExtHostname {
			return e.Name
		}
	}
	return ""
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		if v4 := t.IP.To4(); v4 != nil {
			return v4.String()
		}
		return t.IP.String()
	}
	return ""
}

// updateAddr moves a node to the address a message from it shows, dropping its outbound link.
func (cl *cluster) updateAddr(n *clusterNode, l *busLink, m *clusterbus.Message) {
	if l == n.link {
		return
	}
	ip := m.MyIP
	if ip == "" {
		ip = hostOf(l.conn.RemoteAddr())
	}
	if ip == n.ip && int(m.Port) == n.port && int(m.CPort) == n.cport {
		return
	}
	cl.log.Info("address updated for node", "node", n.name, "ip", ip, "port", m.Port)
	n.ip, n.port, n.cport, n.pport = ip, int(m.Port), int(m.CPort), int(m.PPort)
	n.flags &^= clusterbus.FlagNoAddr
	if n.link != nil {
		n.link.close()
		n.link = nil
	}
	if cl.myself.primary == n.name {
		cl.roleSync = true // follow our primary at its new address
	}
	cl.changed()
}

// updateSlotsWith gives n the slots it claims with config epoch epoch wherever our owner is older, as
// Redis's clusterUpdateSlotsConfigWith. Keys of slots this node loses are deleted.
func (cl *cluster) updateSlotsWith(n *clusterNode, epoch uint64, slots *clusterbus.SlotBitmap) {
	if n == cl.myself {
		return
	}
	cur := cl.masterOf(cl.myself)
	var lost []int
	claimed, ours := 0, 0
	for s := range clusterbus.Slots {
		if !slots.Has(s) {
			continue
		}
		claimed++
		o := cl.owners[s]
		if o == n || cl.importing[s] != nil {
			continue
		}
		if o == nil || o.configEpoch < epoch {
			if o == cl.myself {
				lost = append(lost, s)
			}
			if o == cur {
				ours++
			}
			cl.assignSlot(s, n)
			cl.changed()
		}
	}
	// Matches Redis: when our primary (or myself) lost its last slot to n, we follow n as its replica
	// (a failover took our place); the keys stay, the sync with n replaces them.
	if ours > 0 && cur.numSlots == 0 && (cl.srv.config().ClusterAllowReplicaMigration || claimed == ours) {
		cl.log.Info("configuration change detected, reconfiguring myself as a replica", "primary", n.name)
		cl.setPrimary(n)
		return
	}
	if len(lost) > 0 {
		cl.log.Warn("slots moved to a node with a newer config epoch", "node", n.name, "slots", len(lost))
		cl.lost = append(cl.lost, lost...)
	}
}

// processGossip applies the gossip sections of m from sender (nil for a MEET from an unknown node).
func (cl *cluster) processGossip(m *clusterbus.Message, sender *clusterNode) {
	senderMaster := sender != nil && sender.has(clusterbus.FlagMaster)
	for _, g := range m.Gossip {
		n := cl.nodes[g.Name]
		if n != nil {
			if senderMaster && n != cl.myself {
				if g.Flags&(clusterbus.FlagFail|clusterbus.FlagPFail) != 0 {
					if n.reports == nil {
						n.reports = make(map[string]time.Time)
					}
					n.reports[sender.name] = time.Now()
					cl.markFailing(n)
				} else {
					delete(n.reports, sender.name)
				}
			}
			// Matches Redis: a node others hear from recently is not failing because our link is slow.
			if g.Flags&(clusterbus.FlagFail|clusterbus.FlagPFail) == 0 && n.pingSent.IsZero() && len(n.reports) == 0 {
				if pr := time.Unix(int64(g.PongReceived), 0); pr.After(n.pongRecv) && pr.Before(time.Now().Add(500*time.Millisecond)) {
					n.pongRecv = pr
				}
			}
			continue
		}
		if sender == nil || g.Flags&clusterbus.FlagNoAddr != 0 || g.IP == "" || g.Port == 0 {
			continue
		}
		if _, ok := cl.blacklist[g.Name]; ok || len(g.Name) != clusterbus.NameLen {
			continue
		}
		cl.addNode(&clusterNode{name: g.Name, ip: g.IP, port: int(g.Port), cport: int(g.CPort), pport: int(g.PPort),
			flags: g.Flags & (clusterbus.FlagMaster | clusterbus.FlagSlave), created: time.Now()})
		cl.changed()
	}
}
