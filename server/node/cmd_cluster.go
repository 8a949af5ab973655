package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/clusterbus"
)

// The CLUSTER commands, ASKING, READONLY and READWRITE.

var _ = register(map[string]handler{
	"asking":                        cmdAsking,
	"readonly":                      cmdReadOnly,
	"readwrite":                     cmdReadWrite,
	"cluster|help":                  cmdClusterHelp,
	"cluster|info":                  clusterCmd(cmdClusterInfo),
	"cluster|myid":                  clusterCmd(cmdClusterMyID),
	"cluster|myshardid":             clusterCmd(cmdClusterMyShardID),
	"cluster|nodes":                 clusterCmd(cmdClusterNodes),
	"cluster|slots":                 clusterCmd(cmdClusterSlots),
	"cluster|shards":                clusterCmd(cmdClusterShards),
	"cluster|meet":                  clusterCmd(cmdClusterMeet),
	"cluster|addslots":              clusterCmd(cmdClusterAddSlots),
	"cluster|addslotsrange":         clusterCmd(cmdClusterAddSlots),
	"cluster|delslots":              clusterCmd(cmdClusterAddSlots),
	"cluster|delslotsrange":         clusterCmd(cmdClusterAddSlots),
	"cluster|flushslots":            clusterOnly(cmdClusterFlushSlots),
	"cluster|keyslot":               clusterCmd(cmdClusterKeySlot),
	"cluster|countkeysinslot":       clusterOnly(cmdClusterCountKeysInSlot),
	"cluster|getkeysinslot":         clusterOnly(cmdClusterGetKeysInSlot),
	"cluster|setslot":               clusterOnly(cmdClusterSetSlot),
	"cluster|reset":                 clusterOnly(cmdClusterReset),
	"cluster|saveconfig":            clusterCmd(cmdClusterSaveConfig),
	"cluster|bumpepoch":             clusterCmd(cmdClusterBumpEpoch),
	"cluster|set-config-epoch":      clusterCmd(cmdClusterSetConfigEpoch),
	"cluster|forget":                clusterCmd(cmdClusterForget),
	"cluster|count-failure-reports": clusterCmd(cmdClusterCountFailureReports),
	"cluster|links":                 clusterCmd(cmdClusterLinks),
	"cluster|replicate":             clusterOnly(cmdClusterReplicate),
	"cluster|replicas":              clusterCmd(cmdClusterReplicas),
	"cluster|slaves":                clusterCmd(cmdClusterReplicas),
	"cluster|failover":              clusterCmd(cmdClusterFailover),
})

// clusterCmd wraps a CLUSTER subcommand: an error when cluster mode is off, else the handler holding the
// cluster's lock, saving nodes.conf afterwards if the command changed the configuration.
func clusterCmd(h func(c *client, cl *cluster, args [][]byte) error) handler {
	return clusterOnly(func(c *client, cl *cluster, args [][]byte) error {
		defer cl.lockCluster(c)()
		return h(c, cl, args)
	})
}

// clusterOnly wraps a CLUSTER subcommand that reads the keyspace: the handler looks at its keys first and
// takes the cluster's lock after (with lockCluster), never the other way round, because a command inside EXEC
// holds the keyspace when it takes the cluster's lock.
func clusterOnly(h func(c *client, cl *cluster, args [][]byte) error) handler {
	return func(c *client, args [][]byte) error {
		cl := c.srv.cluster
		if cl == nil {
			return errClusterDisabled
		}
		return h(c, cl, args)
	}
}

// lockCluster takes the cluster's lock; the returned function saves what changed, releases it, and applies
// what waits for the release (see settle).
func (cl *cluster) lockCluster(c *client) func() {
	cl.mu.Lock()
	return func() {
		cl.flush()
		cl.mu.Unlock()
		cl.settle(c.exec == nil)
	}
}

// ASKING: the next command may use a slot this node is importing.
func cmdAsking(c *client, args [][]byte) error { return setClusterFlag(c, &c.asking, true) }

// READONLY and READWRITE: a READONLY client reads the primary's slots on its replica (see clusterRedirect).
func cmdReadOnly(c *client, args [][]byte) error  { return setClusterFlag(c, &c.readOnly, true) }
func cmdReadWrite(c *client, args [][]byte) error { return setClusterFlag(c, &c.readOnly, false) }

// setClusterFlag sets a client's cluster flag and replies OK; an error when cluster mode is off.
func setClusterFlag(c *client, flag *bool, v bool) error {
	if c.srv.cluster == nil {
		return errClusterDisabled
	}
	*flag = v
	c.w.WriteSimple("OK")
	return nil
}

func cmdClusterHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "CLUSTER", []string{
		"ADDSLOTS <slot> [<slot> ...]", "    Assign slots to current node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Assign slots which are between <start-slot> and <end-slot> to current node.",
		"BUMPEPOCH", "    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>", "    Return number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]", "    Delete slots information from current node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
		"FAILOVER [FORCE|TAKEOVER]", "    Promote current replica node to being a master.",
		"FLUSHSLOTS", "    Delete current node own slots information.",
		"FORGET <node-id>", "    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>", "    Return key names stored by current node in a slot.",
		"INFO", "    Return information about the cluster.",
		"KEYSLOT <key>", "    Return the hash slot for <key>.",
		"LINKS", "    Return information about all network links between this node and its peers.",
		"    Output format is an array where each array element is a map containing attributes of a link",
		"MEET <ip> <port> [<bus-port>]", "    Connect nodes into a working cluster.",
		"MYID", "    Return the node id.",
		"MYSHARDID", "    Return the node's shard id.",
		"NODES", "    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"REPLICATE <node-id>", "    Configure current node as replica to <node-id>.",
		"RESET [HARD|SOFT]", "    Reset current node (default: soft).",
		"SET-CONFIG-EPOCH <epoch>", "    Set config epoch of current node.",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)", "    Set slot state.",
		"REPLICAS <node-id>", "    Return <node-id> replicas.",
		"SAVECONFIG", "    Force saving cluster configuration on disk.",
		"SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
		"SLOTS", "    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
	})
	return nil
}

// CLUSTER INFO
func cmdClusterInfo(c *client, cl *cluster, args [][]byte) error {
	var b strings.Builder
	state := "fail"
	if cl.stateOK {
		state = "ok"
	}
	assigned, pfail, fail := 0, 0, 0
	for _, n := range cl.owners {
		if n == nil {
			continue
		}
		assigned++
		switch {
		case n.has(clusterbus.FlagFail):
			fail++
		case n.has(clusterbus.FlagPFail):
			pfail++
		}
	}
	fmt.Fprintf(&b, "cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\ncluster_slots_pfail:%d\r\n"+
		"cluster_slots_fail:%d\r\ncluster_known_nodes:%d\r\ncluster_size:%d\r\ncluster_current_epoch:%d\r\n"+
		"cluster_my_epoch:%d\r\n", state, assigned, assigned-pfail-fail, pfail, fail, len(cl.nodes), cl.size(),
		cl.currentEpoch, cl.masterOf(cl.myself).configEpoch)
	stats := func(counts []int64, dir string) {
		var total int64
		for t, n := range counts {
			if n > 0 {
				fmt.Fprintf(&b, "cluster_stats_messages_%s_%s:%d\r\n", clusterbus.Type(t), dir, n)
				total += n
			}
		}
		fmt.Fprintf(&b, "cluster_stats_messages_%s:%d\r\n", dir, total)
	}
	stats(cl.sent[:], "sent")
	stats(cl.recv[:], "received")
	b.WriteString("total_cluster_links_buffer_limit_exceeded:0\r\n")
	c.w.WriteVerbatim("txt", b.String())
	return nil
}

func cmdClusterMyID(c *client, cl *cluster, args [][]byte) error {
	c.w.WriteBulkString(cl.myself.name)
	return nil
}

func cmdClusterMyShardID(c *client, cl *cluster, args [][]byte) error {
	c.w.WriteBulkString(cl.shardID(cl.myself))
	return nil
}

// shardID is the shard id of n, its primary's for a replica when known: persisted in nodes.conf, "" when unknown
// (a node whose shard id the bus has not told), except for myself, which always has one.
func (cl *cluster) shardID(n *clusterNode) string {
	if id := cl.masterOf(n).shardID; id != "" {
		return id
	}
	return n.shardID
}

func cmdClusterNodes(c *client, cl *cluster, args [][]byte) error {
	var b []byte
	for _, n := range cl.sortedNodes() {
		b = cl.appendNodeLine(b, n, false)
	}
	c.w.WriteVerbatim("txt", string(b))
	return nil
}

// slotRanges returns n's slots as [start, end] pairs.
func slotRanges(bm *clusterbus.SlotBitmap) [][2]int {
	var out [][2]int
	for s := 0; s < clusterbus.Slots; s++ {
		if !bm.Has(s) {
			continue
		}
		e := s
		for e+1 < clusterbus.Slots && bm.Has(e+1) {
			e++
		}
		out = append(out, [2]int{s, e})
		s = e
	}
	return out
}

// replicasOf returns the replicas of primary p, by name.
func (cl *cluster) replicasOf(p *clusterNode) []*clusterNode {
	var out []*clusterNode
	for _, n := range cl.sortedNodes() {
		if n.primary == p.name {
			out = append(out, n)
		}
	}
	return out
}

// CLUSTER SLOTS: [start, end, [ip, port, id, {metadata}], replicas...] for each range, by slot.
func cmdClusterSlots(c *client, cl *cluster, args [][]byte) error {
	type rng struct {
		lo, hi int
		n      *clusterNode
	}
	var rs []rng
	for _, n := range cl.sortedNodes() {
		if !n.has(clusterbus.FlagMaster) || n.numSlots == 0 {
			continue
		}
		for _, r := range slotRanges(&n.slots) {
			rs = append(rs, rng{r[0], r[1], n})
		}
	}
	slices.SortFunc(rs, func(a, b rng) int { return a.lo - b.lo })
	c.w.WriteArrayLen(len(rs))
	for _, r := range rs {
		var nodes []*clusterNode
		nodes = append(nodes, r.n)
		for _, rep := range cl.replicasOf(r.n) {
			if !rep.has(clusterbus.FlagFail) {
				nodes = append(nodes, rep)
			}
		}
		c.w.WriteArrayLen(2 + len(nodes))
		c.w.WriteInt(int64(r.lo))
		c.w.WriteInt(int64(r.hi))
		for _, n := range nodes {
			c.w.WriteArrayLen(4)
			c.w.WriteBulkString(n.ip)
			c.w.WriteInt(int64(n.port))
			c.w.WriteBulkString(n.name)
			if n.hostname != "" {
				c.w.WriteMapLen(1)
				c.w.WriteBulkString("hostname")
				c.w.WriteBulkString(n.hostname)
			} else {
				c.w.WriteMapLen(0)
			}
		}
	}
	return nil
}

// CLUSTER SHARDS: each primary with its slot ranges and nodes.
func cmdClusterShards(c *client, cl *cluster, args [][]byte) error {
	var prims []*clusterNode
	for _, n := range cl.sortedNodes() {
		if n.has(clusterbus.FlagMaster) {
			prims = append(prims, n)
		}
	}
	c.w.WriteArrayLen(len(prims))
	for _, p := range prims {
		c.w.WriteMapLen(2)
		c.w.WriteBulkString("slots")
		rs := slotRanges(&p.slots)
		c.w.WriteArrayLen(2 * len(rs))
		for _, r := range rs {
			c.w.WriteInt(int64(r[0]))
			c.w.WriteInt(int64(r[1]))
		}
		c.w.WriteBulkString("nodes")
		nodes := append([]*clusterNode{p}, cl.replicasOf(p)...)
		c.w.WriteArrayLen(len(nodes))
		for _, n := range nodes {
			fields := 7
			if n.hostname != "" {
				fields++
			}
			c.w.WriteMapLen(fields)
			c.w.WriteBulkString("id")
			c.w.WriteBulkString(n.name)
			c.w.WriteBulkString("port")
			c.w.WriteInt(int64(n.port))
			c.w.WriteBulkString("ip")
			c.w.WriteBulkString(n.ip)
			c.w.WriteBulkString("endpoint")
			c.w.WriteBulkString(n.ip)
			if n.hostname != "" {
				c.w.WriteBulkString("hostname")
				c.w.WriteBulkString(n.hostname)
			}
			c.w.WriteBulkString("role")
			if n.has(clusterbus.FlagSlave) {
				c.w.WriteBulkString("replica")
			} else {
				c.w.WriteBulkString("master")
			}
			off := n.replOffset
			if n == cl.myself {
				off = cl.myOffset()
			}
			c.w.WriteBulkString("replication-offset")
			c.w.WriteInt(off)
			c.w.WriteBulkString("health")
			switch {
			case n.has(clusterbus.FlagFail):
				c.w.WriteBulkString("fail")
			case n.has(clusterbus.FlagSlave) && off == 0:
				c.w.WriteBulkString("loading")
			default:
				c.w.WriteBulkString("online")
			}
		}
	}
	return nil
}

// CLUSTER MEET ip port [cport]
func cmdClusterMeet(c *client, cl *cluster, args [][]byte) error {
	if len(args) > 5 {
		return arityError("cluster|meet")
	}
	port, err := strconv.Atoi(string(args[3]))
	if err != nil || port < 0 || port > 65535 {
		return errorf(fmt.Sprintf("Invalid TCP base port specified: %s", args[3]))
	}
	cport := port + 10000
	if len(args) == 5 {
		cport, err = strconv.Atoi(string(args[4]))
		if err != nil || cport < 0 || cport > 65535 {
			return errorf(fmt.Sprintf("Invalid TCP bus port specified: %s", args[4]))
		}
	}
	if !cl.startHandshake(string(args[2]), port, cport) {
		return errorf(fmt.Sprintf("Invalid node address specified: %s:%s", args[2], args[3]))
	}
	c.w.WriteSimple("OK")
	return nil
}

// parseSlot parses a slot number, with Redis's error.
func parseSlot(b []byte) (int, error) {
	s, err := strconv.Atoi(string(b))
	if err != nil || !validSlot(s) {
		return 0, errorf("Invalid or out of range slot")
	}
	return s, nil
}

// CLUSTER ADDSLOTS slot..., ADDSLOTSRANGE lo hi..., DELSLOTS slot..., DELSLOTSRANGE lo hi...: all checked
// before any changes, as in Redis.
func cmdClusterAddSlots(c *client, cl *cluster, args [][]byte) error {
	sub := strings.ToLower(string(args[1]))
	add := strings.HasPrefix(sub, "add")
	var slots []int
	if strings.HasSuffix(sub, "range") {
		if len(args)%2 != 0 {
			return arityError("cluster|" + sub)
		}
		for i := 2; i < len(args); i += 2 {
			lo, err := parseSlot(args[i])
			if err != nil {
				return err
			}
			hi, err := parseSlot(args[i+1])
			if err != nil {
				return err
			}
			if lo > hi {
				return errorf(fmt.Sprintf("start slot number %d is greater than end slot number %d", lo, hi))
			}
			for s := lo; s <= hi; s++ {
				slots = append(slots, s)
			}
		}
	} else {
		for _, a := range args[2:] {
			s, err := parseSlot(a)
			if err != nil {
				return err
			}
			slots = append(slots, s)
		}
	}
	seen := make(map[int]bool, len(slots))
	for _, s := range slots {
		if add && cl.owners[s] != nil {
			return errorf(fmt.Sprintf("Slot %d is already busy", s))
		}
		if !add && cl.owners[s] == nil {
			return errorf(fmt.Sprintf("Slot %d is already unassigned", s))
		}
		if seen[s] {
			return errorf(fmt.Sprintf("Slot %d specified multiple times", s))
		}
		seen[s] = true
	}
	for _, s := range slots {
		if add {
			cl.importing[s] = nil // Matches Redis: a slot assigned here is no longer importing
			cl.assignSlot(s, cl.myself)
		} else {
			cl.assignSlot(s, nil)
		}
	}
	cl.changed()
	c.w.WriteSimple("OK")
	return nil
}

// CLUSTER FLUSHSLOTS: only on a node without keys.
func cmdClusterFlushSlots(c *client, cl *cluster, args [][]byte) error {
	if c.dbSize() != 0 {
		return errorf("DB must be empty to perform CLUSTER FLUSHSLOTS.")
	}
	defer cl.lockCluster(c)()
	for s := range clusterbus.Slots {
		if cl.owners[s] == cl.myself {
			cl.assignSlot(s, nil)
		}
	}
	cl.changed()
	c.w.WriteSimple("OK")
	return nil
}

func cmdClusterKeySlot(c *client, cl *cluster, args [][]byte) error {
	c.w.WriteInt(int64(clusterbus.KeySlot(args[2])))
	return nil
}

func cmdClusterCountKeysInSlot(c *client, cl *cluster, args [][]byte) error {
	s, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		return errNotInteger
	}
	if s < 0 || s >= clusterbus.Slots {
		return errorf("Invalid slot")
	}
	c.w.WriteInt(int64(c.countKeysInSlot(int(s))))
	return nil
}

func cmdClusterGetKeysInSlot(c *client, cl *cluster, args [][]byte) error {
	s, err1 := strconv.ParseInt(string(args[2]), 10, 64)
	n, err2 := strconv.ParseInt(string(args[3]), 10, 64)
	if err1 != nil || err2 != nil {
		return errNotInteger
	}
	if s < 0 || s >= clusterbus.Slots || n < 0 {
		return errorf("Invalid slot or number of keys")
	}
	keys := c.keysInSlot(int(s), int(min(n, 1<<31)))
	c.w.WriteArrayLen(len(keys))
	for _, k := range keys {
		c.w.WriteBulk(k)
	}
	return nil
}

// CLUSTER SETSLOT slot IMPORTING node | MIGRATING node | STABLE | NODE node
func cmdClusterSetSlot(c *client, cl *cluster, args [][]byte) error {
	if len(args) < 4 {
		return errorf("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	s, err := parseSlot(args[2])
	if err != nil {
		return err
	}
	action := strings.ToLower(string(args[3]))
	hasKeys := len(c.keysInSlot(s, 1)) > 0
	defer cl.lockCluster(c)()
	var n *clusterNode
	if action != "stable" {
		if len(args) != 5 {
			return errorf("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
		}
		n = cl.nodes[string(args[4])]
	} else if len(args) != 4 {
		return errorf("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	switch action {
	case "migrating":
		if cl.owners[s] != cl.myself {
			return errorf(fmt.Sprintf("I'm not the owner of hash slot %d", s))
		}
		if n == nil {
			return errorf(fmt.Sprintf("I don't know about node %s", args[4]))
		}
		if !n.has(clusterbus.FlagMaster) {
			return errorf("Target node is not a master")
		}
		cl.migrating[s] = n
	case "importing":
		if cl.owners[s] == cl.myself {
			return errorf(fmt.Sprintf("I'm already the owner of hash slot %d", s))
		}
		if n == nil {
			return errorf(fmt.Sprintf("I don't know about node %s", args[4]))
		}
		if !n.has(clusterbus.FlagMaster) {
			return errorf("Target node is not a master")
		}
		cl.importing[s] = n
	case "stable":
		cl.importing[s], cl.migrating[s] = nil, nil
	case "node":
		if n == nil {
			return errorf(fmt.Sprintf("Unknown node %s", args[4]))
		}
		if !n.has(clusterbus.FlagMaster) {
			return errorf("Target node is not a master")
		}
		if cl.owners[s] == cl.myself && n != cl.myself && hasKeys {
			return errorf(fmt.Sprintf("Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", s))
		}
		// Matches Redis: a migrating slot with no keys left is stable once it moves.
		if !hasKeys && cl.migrating[s] != nil {
			cl.migrating[s] = nil
		}
		// Importing done: take the slot with a new config epoch so that the cluster learns the change.
		if n == cl.myself && cl.importing[s] != nil {
			cl.importing[s] = nil
			cl.assignSlot(s, n)
			cl.bumpEpochIfNeeded()
		} else {
			cl.assignSlot(s, n)
		}
	default:
		return errorf("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	cl.changed()
	c.w.WriteSimple("OK")
	return nil
}

// maxEpoch is the greatest config epoch of any node.
func (cl *cluster) maxEpoch() uint64 {
	m := cl.currentEpoch
	for _, n := range cl.nodes {
		m = max(m, n.configEpoch)
	}
	return m
}

// bumpEpochIfNeeded gives myself a new config epoch unless it already has the greatest: Redis's
// clusterBumpConfigEpochWithoutConsensus. It reports whether it bumped.
func (cl *cluster) bumpEpochIfNeeded() bool {
	me := cl.myself
	if me.configEpoch != 0 && me.configEpoch == cl.maxEpoch() {
		return false
	}
	cl.currentEpoch++
	me.configEpoch = cl.currentEpoch
	cl.changed()
	return true
}

// CLUSTER RESET [HARD|SOFT]
func cmdClusterReset(c *client, cl *cluster, args [][]byte) error {
	hard := false
	if len(args) == 3 {
		switch strings.ToLower(string(args[2])) {
		case "hard":
			hard = true
		case "soft":
		default:
			return errSyntax
		}
	} else if len(args) > 3 {
		return errSyntax
	}
	empty := c.dbSize() == 0
	wasReplica, err := cl.reset(c, hard, empty)
	if err != nil {
		return err
	}
	if wasReplica {
		c.srv.emptyData() // Matches Redis: a replica becomes an empty primary
	}
	c.w.WriteSimple("OK")
	return nil
}

// reset is CLUSTER RESET under the cluster's lock; it reports whether this node was a replica.
func (cl *cluster) reset(c *client, hard, empty bool) (wasReplica bool, err error) {
	defer cl.lockCluster(c)()
	if cl.myself.has(clusterbus.FlagMaster) && !empty {
		return false, errorf("CLUSTER RESET can't be called with master nodes containing keys")
	}
	if me := cl.myself; me.has(clusterbus.FlagSlave) { // Matches Redis: a replica turns primary
		me.flags = me.flags&^clusterbus.FlagSlave | clusterbus.FlagMaster
		me.primary = ""
		cl.roleSync = true
		wasReplica = true
	}
	cl.resetManualFailover()
	for s := range clusterbus.Slots {
		cl.importing[s], cl.migrating[s] = nil, nil
		cl.assignSlot(s, nil)
	}
	for _, n := range cl.nodeList() {
		if n != cl.myself {
			cl.delNode(n)
		}
	}
	if hard {
		cl.currentEpoch, cl.lastVoteEpoch, cl.myself.configEpoch = 0, 0, 0
		delete(cl.nodes, cl.myself.name)
		cl.myself.name, cl.myself.shardID = nodeName(), nodeName()
		cl.nodes[cl.myself.name] = cl.myself
		cl.log.Info("node hard reset, now I'm " + cl.myself.name)
	}
	cl.changed()
	return wasReplica, nil
}

func cmdClusterSaveConfig(c *client, cl *cluster, args [][]byte) error {
	if err := cl.saveLocked(); err != nil {
		return errorf("error saving the cluster node config: " + err.Error())
	}
	c.w.WriteSimple("OK")
	return nil
}

func cmdClusterBumpEpoch(c *client, cl *cluster, args [][]byte) error {
	word := "STILL"
	if cl.bumpEpochIfNeeded() {
		word = "BUMPED"
	}
	c.w.WriteSimple(fmt.Sprintf("%s %d", word, cl.myself.configEpoch))
	return nil
}

func cmdClusterSetConfigEpoch(c *client, cl *cluster, args [][]byte) error {
	ep, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		return errNotInteger
	}
	switch {
	case ep < 0:
		return errorf(fmt.Sprintf("Invalid config epoch specified: %d", ep))
	case len(cl.nodes) > 1:
		return errorf("The user can assign a config epoch only when the node does not know any other node.")
	case cl.myself.configEpoch != 0:
		return errorf("Node config epoch is already non-zero")
	}
	cl.myself.configEpoch = uint64(ep)
	cl.currentEpoch = max(cl.currentEpoch, uint64(ep))
	cl.changed()
	c.w.WriteSimple("OK")
	return nil
}

// forgetTTL is how long a forgotten node is not re-added from gossip (Redis's CLUSTER_BLACKLIST_TTL).
const forgetTTL = 60 * time.Second

func cmdClusterForget(c *client, cl *cluster, args [][]byte) error {
	n := cl.nodes[string(args[2])]
	switch {
	case n == nil:
		return errorf(fmt.Sprintf("Unknown node %s", args[2]))
	case n == cl.myself:
		return errorf("I tried hard but I can't forget myself...")
	case cl.myself.primary == n.name:
		return errorf("Can't forget my master!")
	}
	cl.blacklist[n.name] = time.Now().Add(forgetTTL)
	cl.delNode(n)
	c.w.WriteSimple("OK")
	return nil
}

func cmdClusterCountFailureReports(c *client, cl *cluster, args [][]byte) error {
	n := cl.nodes[string(args[2])]
	if n == nil {
		return errorf(fmt.Sprintf("Unknown node %s", args[2]))
	}
	valid := 0
	for _, at := range n.reports {
		if time.Since(at) <= 2*cl.nodeTimeout() {
			valid++
		}
	}
	c.w.WriteInt(int64(valid))
	return nil
}

// CLUSTER LINKS: each link with its direction, node, creation time and buffers.
func cmdClusterLinks(c *client, cl *cluster, args [][]byte) error {
	type link struct {
		dir string
		n   *clusterNode
		l   *busLink
	}
	var ls []link
	for _, n := range cl.sortedNodes() {
		if n.link != nil {
			ls = append(ls, link{"to", n, n.link})
		}
		if n.inbound != nil {
			ls = append(ls, link{"from", n, n.inbound})
		}
	}
	c.w.WriteArrayLen(len(ls))
	for _, l := range ls {
		c.w.WriteMapLen(6)
		c.w.WriteBulkString("direction")
		c.w.WriteBulkString(l.dir)
		c.w.WriteBulkString("node")
		c.w.WriteBulkString(l.n.name)
		c.w.WriteBulkString("create-time")
		c.w.WriteInt(l.l.created.UnixMilli())
		c.w.WriteBulkString("events")
		c.w.WriteBulkString("r")
		c.w.WriteBulkString("send-buffer-allocated")
		c.w.WriteInt(0)
		c.w.WriteBulkString("send-buffer-used")
		c.w.WriteInt(int64(len(l.l.out)))
	}
	return nil
}

// CLUSTER REPLICATE node: myself becomes a replica of the primary node; a primary only when it has neither
// slots nor keys.
func cmdClusterReplicate(c *client, cl *cluster, args [][]byte) error {
	empty := c.dbSize() == 0
	defer cl.lockCluster(c)()
	n := cl.nodes[string(args[2])]
	me := cl.myself
	switch {
	case n == nil:
		return errorf(fmt.Sprintf("Unknown node %s", args[2]))
	case n == me:
		return errorf("Can't replicate myself")
	case n.has(clusterbus.FlagSlave):
		return errorf("I can only replicate a master, not a replica.")
	case me.has(clusterbus.FlagMaster) && (me.numSlots != 0 || !empty):
		return errorf("To set a master the node must be empty and without assigned slots.")
	}
	cl.setPrimary(n)
	c.w.WriteSimple("OK")
	return nil
}

// CLUSTER REPLICAS node (and CLUSTER SLAVES): the CLUSTER NODES lines of a primary's replicas.
func cmdClusterReplicas(c *client, cl *cluster, args [][]byte) error {
	n := cl.nodes[string(args[2])]
	switch {
	case n == nil:
		return errorf(fmt.Sprintf("Unknown node %s", args[2]))
	case n.has(clusterbus.FlagSlave):
		return errorf("The specified node is not a master")
	}
	rs := cl.replicasOf(n)
	c.w.WriteArrayLen(len(rs))
	for _, r := range rs {
		line := cl.appendNodeLine(nil, r, false)
		c.w.WriteBulk(line[:len(line)-1])
	}
	return nil
}

// CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica: see cluster_failover.go.
func cmdClusterFailover(c *client, cl *cluster, args [][]byte) error {
	force, takeover := false, false
	if len(args) == 3 {
		switch strings.ToLower(string(args[2])) {
		case "force":
			force = true
		case "takeover":
			force, takeover = true, true
		default:
			return errSyntax
		}
	} else if len(args) > 3 {
		return subcommandSyntaxError("CLUSTER", args[1])
	}
	me := cl.myself
	p := cl.nodes[me.primary]
	switch {
	case me.has(clusterbus.FlagMaster):
		return errorf("You should send CLUSTER FAILOVER to a replica")
	case p == nil:
		return errorf("I'm a replica but my master is unknown to me")
	case !force && (p.has(clusterbus.FlagFail) || p.link == nil):
		return errorf("Master is down or failed, please use CLUSTER FAILOVER FORCE")
	}
	cl.startManualFailover(force, takeover)
	c.w.WriteSimple("OK")
	return nil
}

// emptyData empties every database without propagating it, as Redis's emptyData: watched keys are touched,
// tracked keys invalidated, a running BGSAVE abandoned, and blocked clients told their keys are gone.
func (s *Server) emptyData() {
	c := s.newFakeClient()
	tx := s.ks.BeginAll(0)
	dbs := make([]int, s.ks.Databases())
	for i := range dbs {
		dbs[i] = i
	}
	s.touchWatchedIn(existsIn(&tx), dbs...)
	s.invalidateAll()
	s.abortSave()
	tx.FlushAll()
	c.signalDBsReady(dbs...)
	tx.End()
	if c.signalled {
		s.serveReady()
	}
}
