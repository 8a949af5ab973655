package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/clusterbus"
)

// Cluster mode: the node's view of the cluster (nodes, slots, epochs), its nodes.conf file, and the routing
// table the dispatcher reads to redirect clients. The bus (cluster_bus.go) changes the view through the same
// methods as the CLUSTER commands (cmd_cluster.go), always holding cluster.mu.
//
// Replicas and failover are in cluster_failover.go.

// clusterNode is one node of the cluster as this node sees it.
type clusterNode struct {
	name        string
	ip          string
	hostname    string
	port, cport int
	pport       int
	flags       clusterbus.NodeFlags
	primary     string // the primary's name for a replica, "" for a primary
	shardID     string // Redis 7.2's shard id (40 hex digits), "" while unknown; see cluster.shardID
	configEpoch uint64
	slots       clusterbus.SlotBitmap
	numSlots    int
	created     time.Time
	pingSent    time.Time // zero when no PING is waiting for its PONG
	pongRecv    time.Time
	dataRecv    time.Time
	failTime    time.Time
	reports     map[string]time.Time // failure reports: the primary that reported it, and when
	link        *busLink             // outbound link, nil when not connected
	connecting  bool                 // a dial is under way
	inbound     *busLink
	replOffset  int64     // the replication offset of its last message's header
	votedTime   time.Time // a primary: when we last voted for one of its replicas
}

func (n *clusterNode) has(f clusterbus.NodeFlags) bool { return n.flags&f != 0 }

// endpoint is the node's address for clients as MOVED and ASK show it: ip:port (no brackets for IPv6).
func (n *clusterNode) endpoint() string { return n.ip + ":" + strconv.Itoa(n.port) }

// cluster is the cluster state of a server started with cluster-enabled yes.
type cluster struct {
	srv  *Server
	log  hclog.Logger
	path string // nodes.conf, absolute

	mu            sync.Mutex
	myself        *clusterNode
	nodes         map[string]*clusterNode
	currentEpoch  uint64
	lastVoteEpoch uint64
	owners        [clusterbus.Slots]*clusterNode
	importing     [clusterbus.Slots]*clusterNode
	migrating     [clusterbus.Slots]*clusterNode
	blacklist     map[string]time.Time // forgotten nodes, not re-added from gossip until then
	stateOK       bool
	dirty         bool // the configuration changed: save nodes.conf
	stale         bool // the configuration changed: rebuild the routing table
	sent, recv    [11]int64
	lost          []int // slots that moved away: their keys are deleted after the lock is released
	busAddr       net.Addr

	ticks int64
	all   map[*busLink]struct{} // every open link

	route atomic.Pointer[clusterRoute] // what the dispatcher reads, rebuilt after each change
	links sync.WaitGroup               // link and dial goroutines
	ln    net.Listener
	stop  chan struct{}

	dialCtx   context.Context // cancelled at shutdown: dials in flight return at once
	stopDials context.CancelFunc

	fo       failoverState // a replica's election and a manual failover (cluster_failover.go)
	roleMu   sync.Mutex    // serialises syncRole, which applies myself's role to the replication state
	roleSync bool          // myself's role or primary changed: syncRole runs once the lock is released
	unpause  bool          // a manual failover ended: unpause the clients once the lock is released
}

// clusterRoute is an immutable snapshot of the slot table for the dispatcher.
type clusterRoute struct {
	ok          bool
	myself      *clusterNode
	myPrimary   *routeNode // myself's primary when a replica: READONLY clients read its slots here
	owners      [clusterbus.Slots]*routeNode
	importing   [clusterbus.Slots]bool
	migratingTo [clusterbus.Slots]*routeNode
}

// routeNode is what a redirection needs of a node.
type routeNode struct {
	self     bool
	endpoint string
}

// nodeName returns a new random node name: 40 hex digits.
func nodeName() string { return randomHex(clusterbus.NameLen) }

func newCluster(s *Server) *cluster {
	cl := &cluster{
		srv:       s,
		log:       s.log.Named("cluster"),
		path:      filepath.Join(s.cfg.Dir, s.cfg.ClusterConfigFile),
		nodes:     make(map[string]*clusterNode),
		blacklist: make(map[string]time.Time),
		all:       make(map[*busLink]struct{}),
		stop:      make(chan struct{}),
	}
	cl.dialCtx, cl.stopDials = context.WithCancel(context.Background())
	cl.fo.mfMasterOffset = -1
	return cl
}

// load reads nodes.conf, or creates a new identity (and file) when there is none, as Redis does at start-up.
func (cl *cluster) load() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	data, err := os.ReadFile(cl.path)
	switch {
	case errors.Is(err, os.ErrNotExist) || err == nil && len(bytes.TrimSpace(data)) == 0:
		me := &clusterNode{name: nodeName(), shardID: nodeName(), flags: clusterbus.FlagMyself | clusterbus.FlagMaster, created: time.Now()}
		cl.myself = me
		cl.nodes[me.name] = me
		cl.log.Info("no cluster configuration found, I'm " + me.name)
		cl.dirty = true
	case err != nil:
		return fmt.Errorf("cluster config %s: %w", cl.path, err)
	default:
		if err := cl.parseConfig(data); err != nil {
			return fmt.Errorf("cluster config %s: %w", cl.path, err)
		}
		if cl.myself.shardID == "" {
			cl.myself.shardID = nodeName() // Matches Redis 7.2: a nodes.conf of an older version has none
			cl.dirty = true
		}
		cl.log.Info("node configuration loaded, I'm " + cl.myself.name)
	}
	cl.applyMyAddr()
	cl.updateStateLocked()
	return cl.saveLocked()
}

// applyMyAddr sets myself's ports and announced address from the configuration.
func (cl *cluster) applyMyAddr() {
	me, cfg := cl.myself, cl.srv.cfg
	me.port = cfg.Port
	if cfg.ClusterAnnouncePort != 0 {
		me.port = cfg.ClusterAnnouncePort
	}
	me.cport = cl.busPort()
	if cfg.ClusterAnnounceBusPort != 0 {
		me.cport = cfg.ClusterAnnounceBusPort
	}
	if cfg.ClusterAnnounceIP != "" {
		me.ip = cfg.ClusterAnnounceIP
	}
	me.hostname = cfg.ClusterAnnounceHostname
}

// busPort is the port the bus listens on: cluster-port, or the client port + 10000.
func (cl *cluster) busPort() int {
	if cl.busAddr != nil {
		return cl.busAddr.(*net.TCPAddr).Port
	}
	if cl.srv.cfg.ClusterPort != 0 {
		return cl.srv.cfg.ClusterPort
	}
	if cl.srv.cfg.Port == 0 {
		return 0
	}
	return cl.srv.cfg.Port + 10000
}

// parseConfig loads the lines of a nodes.conf file.
func (cl *cluster) parseConfig(data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "vars" {
			for j := 1; j+1 < len(f); j += 2 {
				v, err := strconv.ParseUint(f[j+1], 10, 64)
				if err != nil {
					return fmt.Errorf("line %d: %s: %w", i+1, f[j], err)
				}
				switch f[j] {
				case "currentEpoch":
					cl.currentEpoch = v
				case "lastVoteEpoch":
					cl.lastVoteEpoch = v
				}
			}
			continue
		}
		if len(f) < 8 {
			return fmt.Errorf("line %d: unrecoverable error: corrupted cluster config file", i+1)
		}
		n := cl.nodes[f[0]]
		if n == nil {
			n = &clusterNode{name: f[0], created: time.Now()}
			cl.nodes[n.name] = n
		}
		if err := parseNodeAddr(n, f[1]); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		for _, fl := range strings.Split(f[2], ",") {
			for _, nf := range nodeFlagNames {
				if nf.name == fl {
					n.flags |= nf.f
				}
			}
		}
		if n.has(clusterbus.FlagMyself) {
			cl.myself = n
		}
		if n.has(clusterbus.FlagFail) {
			n.failTime = time.Now()
		}
		if f[3] != "-" {
			n.primary = f[3]
		}
		ep, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: config epoch: %w", i+1, err)
		}
		n.configEpoch = ep
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				// [slot->-name] migrating, [slot-<-name] importing.
				body := strings.Trim(r, "[]")
				if a, b, ok := strings.Cut(body, "->-"); ok {
					if s, err := strconv.Atoi(a); err == nil && validSlot(s) {
						cl.migrating[s] = cl.nodeOrStub(b)
					}
				} else if a, b, ok := strings.Cut(body, "-<-"); ok {
					if s, err := strconv.Atoi(a); err == nil && validSlot(s) {
						cl.importing[s] = cl.nodeOrStub(b)
					}
				}
				continue
			}
			lo, hi, err := parseSlotRange(r)
			if err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
			for s := lo; s <= hi; s++ {
				cl.assignSlot(s, n)
			}
		}
	}
	if cl.myself == nil {
		return errors.New("no myself node")
	}
	return nil
}

// nodeOrStub returns the node called name, adding an empty one that a later line fills in.
func (cl *cluster) nodeOrStub(name string) *clusterNode {
	n := cl.nodes[name]
	if n == nil {
		n = &clusterNode{name: name, created: time.Now()}
		cl.nodes[name] = n
	}
	return n
}

func validSlot(s int) bool { return s >= 0 && s < clusterbus.Slots }

func parseSlotRange(r string) (int, int, error) {
	a, b, isRange := strings.Cut(r, "-")
	lo, err := strconv.Atoi(a)
	hi := lo
	if err == nil && isRange {
		hi, err = strconv.Atoi(b)
	}
	if err != nil || !validSlot(lo) || !validSlot(hi) || lo > hi {
		return 0, 0, fmt.Errorf("bad slot range %q", r)
	}
	return lo, hi, nil
}

// parseNodeAddr parses ip:port@cport[,hostname[,aux=value]...], keeping the shard-id aux field of Redis 7.2
// (the others, tls-port, tcp-port and nodename, say nothing Carmine uses).
func parseNodeAddr(n *clusterNode, s string) error {
	fields := strings.Split(s, ",")
	addr := fields[0]
	n.hostname = ""
	if len(fields) > 1 && !strings.Contains(fields[1], "=") {
		n.hostname = fields[1]
	}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok && k == "shard-id" {
			if len(v) != clusterbus.NameLen {
				return fmt.Errorf("bad shard id in %q", s)
			}
			n.shardID = v
		}
	}
	hostport, cport, ok := strings.Cut(addr, "@")
	i := strings.LastIndexByte(hostport, ':')
	if !ok || i < 0 {
		return fmt.Errorf("bad address %q", s)
	}
	port, err1 := strconv.Atoi(hostport[i+1:])
	cp, err2 := strconv.Atoi(cport)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad address %q", s)
	}
	n.ip, n.port, n.cport = hostport[:i], port, cp
	return nil
}

// assignSlot makes n the owner of slot s.
func (cl *cluster) assignSlot(s int, n *clusterNode) {
	if old := cl.owners[s]; old != nil {
		old.slots.Clear(s)
		old.numSlots--
	}
	cl.owners[s] = n
	if n != nil {
		n.slots.Set(s)
		n.numSlots++
	}
}

// saveLocked writes nodes.conf atomically: a temporary file, fsynced, renamed over the old one.
func (cl *cluster) saveLocked() error {
	var b []byte
	for _, n := range cl.sortedNodes() {
		b = cl.appendNodeLine(b, n, true)
	}
	b = fmt.Appendf(b, "vars currentEpoch %d lastVoteEpoch %d\n", cl.currentEpoch, cl.lastVoteEpoch)
	tmp := fmt.Sprintf("%s.tmp-%d", cl.path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cluster config: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, cl.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cluster config: %w", err)
	}
	cl.dirty = false
	return nil
}

// saveIfDirty saves nodes.conf when the configuration changed since the last save.
func (cl *cluster) saveIfDirty() {
	if !cl.dirty {
		return
	}
	if err := cl.saveLocked(); err != nil {
		cl.log.Error("saving the cluster configuration failed", "error", err)
	}
}

func (cl *cluster) sortedNodes() []*clusterNode {
	ns := make([]*clusterNode, 0, len(cl.nodes))
	for _, n := range cl.nodes {
		ns = append(ns, n)
	}
	slices.SortFunc(ns, func(a, b *clusterNode) int { return strings.Compare(a.name, b.name) })
	return ns
}

// nodeFlagNames are the node flags as CLUSTER NODES and nodes.conf write them, in Redis's order.
var nodeFlagNames = []struct {
	f    clusterbus.NodeFlags
	name string
}{{clusterbus.FlagMyself, "myself"}, {clusterbus.FlagMaster, "master"}, {clusterbus.FlagSlave, "slave"},
	{clusterbus.FlagPFail, "fail?"}, {clusterbus.FlagFail, "fail"}, {clusterbus.FlagHandshake, "handshake"},
	{clusterbus.FlagNoAddr, "noaddr"}, {clusterbus.FlagNoFailover, "nofailover"}}

// appendNodeLine appends n's line of CLUSTER NODES (and nodes.conf when file is set) to b.
func (cl *cluster) appendNodeLine(b []byte, n *clusterNode, file bool) []byte {
	b = append(b, n.name...)
	b = fmt.Appendf(b, " %s:%d@%d", n.ip, n.port, n.cport)
	if n.hostname != "" {
		b = append(b, ',')
		b = append(b, n.hostname...)
	}
	if id := cl.shardID(n); file && id != "" {
		// Matches Redis 7.2: nodes.conf (not CLUSTER NODES) carries the aux fields after the hostname, empty
		// or not; tls-port is 0 without TLS.
		if n.hostname == "" {
			b = append(b, ',')
		}
		b = append(b, ",tls-port=0,shard-id="...)
		b = append(b, id...)
	}
	b = append(b, ' ')
	start := len(b)
	for _, f := range nodeFlagNames {
		if n.has(f.f) {
			if len(b) > start {
				b = append(b, ',')
			}
			b = append(b, f.name...)
		}
	}
	if len(b) == start {
		b = append(b, "noflags"...)
	}
	if n.primary != "" {
		b = append(b, ' ')
		b = append(b, n.primary...)
	} else {
		b = append(b, " -"...)
	}
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	pong := ms(n.pongRecv)
	if n == cl.myself {
		pong = 0
		if !file {
			pong = time.Now().Truncate(time.Second).UnixMilli() // Matches Redis: myself shows the current second
		}
	}
	link := "disconnected"
	if n.link != nil || n == cl.myself {
		link = "connected"
	}
	b = fmt.Appendf(b, " %d %d %d %s", ms(n.pingSent), pong, n.configEpoch, link)
	for s := 0; s < clusterbus.Slots; s++ {
		if !n.slots.Has(s) {
			continue
		}
		e := s
		for e+1 < clusterbus.Slots && n.slots.Has(e+1) {
			e++
		}
		if e == s {
			b = fmt.Appendf(b, " %d", s)
		} else {
			b = fmt.Appendf(b, " %d-%d", s, e)
		}
		s = e
	}
	if n == cl.myself {
		for s := 0; s < clusterbus.Slots; s++ {
			if m := cl.migrating[s]; m != nil {
				b = fmt.Appendf(b, " [%d->-%s]", s, m.name)
			}
			if m := cl.importing[s]; m != nil {
				b = fmt.Appendf(b, " [%d-<-%s]", s, m.name)
			}
		}
	}
	return append(b, '\n')
}

// changed records a change of the configuration: [cluster.flush] saves nodes.conf and rebuilds the routing
// table once the message, command or cron tick that made the change is done.
func (cl *cluster) changed() {
	cl.dirty = true
	cl.stale = true
}

// flush rebuilds the routing table if the configuration changed, and saves nodes.conf.
func (cl *cluster) flush() {
	if cl.stale {
		cl.updateStateLocked()
	}
	cl.saveIfDirty()
}

// updateStateLocked recomputes the cluster state (ok or fail) and publishes a new routing table.
func (cl *cluster) updateStateLocked() {
	ok := true
	if cl.srv.cfg.ClusterRequireFullCoverage {
		for _, n := range cl.owners {
			if n == nil || n.has(clusterbus.FlagFail) {
				ok = false
				break
			}
		}
	}
	// Matches Redis: a primary that cannot reach a majority of the primaries serving slots is in a minority
	// partition, and refuses queries.
	size, reachable := 0, 0
	for _, n := range cl.nodes {
		if n.has(clusterbus.FlagMaster) && n.numSlots > 0 {
			size++
			if !n.has(clusterbus.FlagFail | clusterbus.FlagPFail) {
				reachable++
			}
		}
	}
	if size == 0 || reachable < size/2+1 {
		ok = false
	}
	if ok != cl.stateOK {
		cl.log.Info("cluster state changed", "ok", ok)
	}
	cl.stateOK = ok
	cl.stale = false
	r := &clusterRoute{ok: ok, myself: cl.myself}
	rn := make(map[*clusterNode]*routeNode)
	get := func(n *clusterNode) *routeNode {
		if n == nil {
			return nil
		}
		if x := rn[n]; x != nil {
			return x
		}
		x := &routeNode{self: n == cl.myself, endpoint: n.endpoint()}
		rn[n] = x
		return x
	}
	if p := cl.myself.primary; p != "" {
		r.myPrimary = get(cl.nodes[p])
	}
	for s := range clusterbus.Slots {
		r.owners[s] = get(cl.owners[s])
		r.importing[s] = cl.importing[s] != nil
		r.migratingTo[s] = get(cl.migrating[s])
	}
	cl.route.Store(r)
}

// addNode adds n to the table.
func (cl *cluster) addNode(n *clusterNode) {
	cl.nodes[n.name] = n
	cl.dirty = true
}

// delNode removes n: its slots become unassigned, its links close, and its failure reports go.
func (cl *cluster) delNode(n *clusterNode) {
	for s := range clusterbus.Slots {
		if cl.importing[s] == n {
			cl.importing[s] = nil
		}
		if cl.migrating[s] == n {
			cl.migrating[s] = nil
		}
		if cl.owners[s] == n {
			cl.assignSlot(s, nil)
		}
	}
	for _, o := range cl.nodes {
		delete(o.reports, n.name)
	}
	cl.closeLinks(n)
	delete(cl.nodes, n.name)
	cl.changed()
}

// renameNode gives a node met in a handshake its real name.
func (cl *cluster) renameNode(n *clusterNode, name string) {
	cl.log.Debug("renaming node", "from", n.name, "to", name)
	delete(cl.nodes, n.name)
	n.name = name
	cl.nodes[name] = n
	cl.dirty = true
}

// startHandshake adds a node in handshake at ip:port (bus port cport) unless one is already in handshake
// there. It reports false for an invalid address.
func (cl *cluster) startHandshake(ip string, port, cport int) bool {
	addr, err := netipParse(ip)
	if err != nil || port <= 0 || port > 65535 || cport <= 0 || cport > 65535 {
		return false
	}
	ip = addr
	for _, n := range cl.nodes {
		if n.has(clusterbus.FlagHandshake) && n.ip == ip && n.port == port && n.cport == cport {
			return true
		}
	}
	cl.addNode(&clusterNode{name: nodeName(), ip: ip, port: port, cport: cport,
		flags: clusterbus.FlagHandshake | clusterbus.FlagMeet, created: time.Now()})
	return true
}

// netipParse normalizes an IP address.
func netipParse(s string) (string, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return "", fmt.Errorf("invalid IP %q", s)
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String(), nil
	}
	return ip.String(), nil
}

// masterOf returns the primary a node's slots come from: itself, or its primary when it is a replica.
func (cl *cluster) masterOf(n *clusterNode) *clusterNode {
	if n.primary != "" {
		if p := cl.nodes[n.primary]; p != nil {
			return p
		}
	}
	return n
}

// randomNodes returns up to k random nodes of ns.
func randomNodes(ns []*clusterNode, k int) []*clusterNode {
	rand.Shuffle(len(ns), func(i, j int) { ns[i], ns[j] = ns[j], ns[i] })
	return ns[:min(k, len(ns))]
}
