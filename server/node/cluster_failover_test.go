package node

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/clusterbus"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// haNode is one node of a test cluster with replicas.
type haNode struct {
	srv  *Server
	port int
	dir  string
	id   string
}

// nodeLine is one line of CLUSTER NODES.
type nodeLine struct {
	id, addr, flags, primary string
	port                     int
}

func clusterNodes(t *testing.T, port int) []nodeLine {
	var out []nodeLine
	for _, l := range strings.Split(strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "NODES")), "\n") {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 8, l)
		hp, _, _ := strings.Cut(f[1], "@")
		p, _ := strconv.Atoi(hp[strings.LastIndexByte(hp, ':')+1:])
		out = append(out, nodeLine{id: f[0], addr: f[1], flags: f[2], primary: f[3], port: p})
	}
	return out
}

func clusterState(t *testing.T, port int) string {
	return redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "INFO")
}

// startHACluster starts six Carmine nodes with a short node timeout and forms a cluster of three primaries
// with one replica each through redis-cli --cluster create --cluster-replicas 1; it returns the nodes and,
// for each primary's port, its replica's port.
func startHACluster(t *testing.T) ([]*haNode, map[int]int) {
	needRedisCLI(t)
	fast := func(c *Config) { c.ClusterNodeTimeout = 1000 }
	var nodes []*haNode
	for range 6 {
		dir := t.TempDir()
		srv, port := startClusterNode(t, dir, 0, fast)
		nodes = append(nodes, &haNode{srv: srv, port: port, dir: dir})
	}
	var ports []int
	for _, n := range nodes {
		ports = append(ports, n.port)
		n.id = strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(n.port), "CLUSTER", "MYID"))
	}
	out := redisCLI(t, "", append(append([]string{"--cluster", "create"}, addrs(ports...)...),
		"--cluster-replicas", "1", "--cluster-yes")...)
	require.Contains(t, out, "[OK] All 16384 slots covered", out)
	require.Eventually(t, func() bool {
		out := redisCLI(t, "", "--cluster", "check", addrs(ports[0])[0])
		return strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
			strings.Contains(out, "[OK] All 16384 slots covered.") && strings.Count(out, "1 additional replica(s)") == 3
	}, 30*time.Second, 200*time.Millisecond, "redis-cli --cluster check")
	byID := map[string]int{}
	for _, n := range nodes {
		byID[n.id] = n.port
	}
	// Every node sees the three replicas.
	var pairs map[int]int
	for _, port := range ports {
		require.Eventually(t, func() bool {
			pairs = map[int]int{}
			for _, l := range clusterNodes(t, port) {
				if strings.Contains(l.flags, "slave") {
					pairs[byID[l.primary]] = l.port
				}
			}
			return len(pairs) == 3
		}, 20*time.Second, 100*time.Millisecond, "node %d: %s", port, redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "NODES"))
	}
	for _, p := range ports {
		require.Eventually(t, func() bool { return strings.Contains(clusterState(t, p), "cluster_state:ok") },
			30*time.Second, 100*time.Millisecond, "node %d", p)
	}
	// Every replica's link is up.
	for _, r := range pairs {
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(r), "INFO", "replication"), "master_link_status:up")
		}, 30*time.Second, 100*time.Millisecond, "replica %d", r)
	}
	return nodes, pairs
}

// writeAcked writes n keys through redis-cli -c, then waits on every primary for its replica to acknowledge
// them (WAIT 1).
func writeAcked(t *testing.T, prefix string, n int, pairs map[int]int, via int) {
	var sets strings.Builder
	for i := range n {
		sets.WriteString("SET " + prefix + strconv.Itoa(i) + " v" + strconv.Itoa(i) + "\n")
	}
	out, _ := withoutRedirects(redisCLI(t, sets.String(), "-c", "-p", strconv.Itoa(via)))
	require.Equal(t, strings.Repeat("OK\n", n), out)
	for p := range pairs {
		c := difftest.Dial(t, addrs(p)[0])
		assert.Equal(t, int64(1), c.Do("WAIT", "1", "5000").Int, "WAIT 1 on %d", p)
		c.Close()
	}
}

// readAll reads the keys back through redis-cli -c.
func readAll(t *testing.T, prefix string, n int, via int) {
	var gets, want strings.Builder
	for i := range n {
		gets.WriteString("GET " + prefix + strconv.Itoa(i) + "\n")
		want.WriteString("v" + strconv.Itoa(i) + "\n")
	}
	out, _ := withoutRedirects(redisCLI(t, gets.String(), "-c", "-p", strconv.Itoa(via)))
	assert.Equal(t, want.String(), out)
}

// TestClusterReplicas builds three primaries with a replica each, checks what the nodes show of the replicas,
// and reads from a replica with READONLY.
func TestClusterReplicas(t *testing.T) {
	nodes, pairs := startHACluster(t)
	writeAcked(t, "key:", 50, pairs, nodes[0].port)
	byPort := map[int]*haNode{}
	for _, n := range nodes {
		byPort[n.port] = n
	}
	// key:0 is in slot 2592: find its primary and replica.
	var prim, rep int
	for p, r := range pairs {
		c := difftest.Dial(t, addrs(p)[0])
		if v := c.Do("GET", "key:0"); v.Type != resp.TypeError {
			prim, rep = p, r
		}
		c.Close()
	}
	require.NotZero(t, prim)
	c := difftest.Dial(t, addrs(rep)[0])
	assert.Equal(t, "MOVED 2592 127.0.0.1:"+strconv.Itoa(prim), string(c.Do("GET", "key:0").Str))
	assert.Equal(t, "OK", string(c.Do("READONLY").Str))
	assert.Equal(t, "v0", string(c.Do("GET", "key:0").Str))
	assert.Equal(t, "MOVED 2592 127.0.0.1:"+strconv.Itoa(prim), string(c.Do("SET", "key:0", "x").Str), "writes still go to the primary")
	other := slotKey(clusterbus.KeySlot([]byte("key:0")) + 6000)
	assert.Regexp(t, `^MOVED `, string(c.Do("GET", other).Str), "slots of other primaries")
	assert.Equal(t, "OK", string(c.Do("READWRITE").Str))
	assert.Regexp(t, `^MOVED 2592 `, string(c.Do("GET", "key:0").Str))
	// CLUSTER REPLICAS, SHARDS and SLOTS list the replica.
	v := c.Do("CLUSTER", "REPLICAS", byPort[prim].id)
	require.Len(t, v.Elems, 1)
	assert.Contains(t, string(v.Elems[0].Str), byPort[rep].id+" 127.0.0.1:"+strconv.Itoa(rep)+"@"+strconv.Itoa(rep+10000)+" myself,slave "+byPort[prim].id+" ")
	assert.Equal(t, "ERR The specified node is not a master", string(c.Do("CLUSTER", "REPLICAS", byPort[rep].id).Str))
	assert.Equal(t, "ERR You should send CLUSTER FAILOVER to a replica", string(difftest.Dial(t, addrs(prim)[0]).Do("CLUSTER", "FAILOVER").Str))
	slots := c.Do("CLUSTER", "SLOTS")
	require.Len(t, slots.Elems, 3)
	for _, r := range slots.Elems {
		assert.Len(t, r.Elems, 4, "start, end, primary, replica")
	}
	assert.Contains(t, string(c.Do("ROLE").Elems[0].Str), "slave")

	// CLUSTER FAILOVER TAKEOVER: the replica takes the slots without an election, and the primary follows it.
	// Then FORCE (an election without waiting for the primary's offset) swaps them back.
	for _, opt := range []string{"TAKEOVER", "FORCE"} {
		c := difftest.Dial(t, addrs(rep)[0])
		require.Equal(t, "OK", string(c.Do("CLUSTER", "FAILOVER", opt).Str))
		for _, n := range nodes {
			require.Eventually(t, func() bool {
				if !promoted(t, n.port, byPort[rep].id) {
					return false
				}
				for _, l := range clusterNodes(t, n.port) {
					if l.id == byPort[prim].id {
						return strings.Contains(l.flags, "slave") && l.primary == byPort[rep].id
					}
				}
				return false
			}, 20*time.Second, 100*time.Millisecond, "node %d: %s", n.port, opt)
		}
		assert.Equal(t, "v0", string(c.Do("GET", "key:0").Str))
		assert.Equal(t, "OK", string(c.Do("SET", "key:0", "v0").Str))
		c.Close()
		prim, rep = rep, prim
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(rep), "INFO", "replication"), "master_link_status:up")
		}, 20*time.Second, 100*time.Millisecond)
	}

	// Sharded pub/sub: SSUBSCRIBE works on the replica without READONLY, and SPUBLISH on either node of the
	// shard reaches the subscribers of both.
	subRep, subPrim := difftest.Dial(t, addrs(rep)[0]), difftest.Dial(t, addrs(prim)[0])
	for _, sub := range []*difftest.Conn{subRep, subPrim} {
		v := sub.Do("SSUBSCRIBE", "key:0")
		require.Len(t, v.Elems, 3, difftest.Format(v))
	}
	for i, from := range []int{prim, rep} {
		pub := difftest.Dial(t, addrs(from)[0])
		assert.Equal(t, int64(1), pub.Do("SPUBLISH", "key:0", "m"+strconv.Itoa(i)).Int)
		pub.Close()
		for _, sub := range []*difftest.Conn{subRep, subPrim} {
			v := sub.Receive()
			require.Len(t, v.Elems, 3)
			assert.Equal(t, "m"+strconv.Itoa(i), string(v.Elems[2].Str))
		}
	}

	// CLUSTER RESET on a replica holding keys: an empty primary, as in Redis.
	r := difftest.Dial(t, addrs(rep)[0])
	require.NotZero(t, r.Do("DBSIZE").Int)
	assert.Equal(t, "OK", string(r.Do("CLUSTER", "RESET").Str))
	assert.Equal(t, int64(0), r.Do("DBSIZE").Int)
	assert.Equal(t, "master", string(r.Do("ROLE").Elems[0].Str))
}

// TestClusterFailover stops a primary: its replica wins the election within a few node timeouts, the cluster
// returns to ok with every acknowledged write readable, and the old primary, restarted from its nodes.conf,
// rejoins as a replica of the new one. Then CLUSTER FAILOVER swaps the roles back with no write lost.
func TestClusterFailover(t *testing.T) {
	nodes, pairs := startHACluster(t)
	writeAcked(t, "key:", 200, pairs, nodes[0].port)
	var victim *haNode
	for _, n := range nodes {
		if _, ok := pairs[n.port]; ok && n != nodes[0] {
			victim = n
			break
		}
	}
	require.NotNil(t, victim)
	replica := pairs[victim.port]
	var replicaID string
	for _, n := range nodes {
		if n.port == replica {
			replicaID = n.id
		}
	}
	require.NoError(t, victim.srv.Close())
	start := time.Now()
	var survivors []int
	for _, n := range nodes {
		if n != victim {
			survivors = append(survivors, n.port)
		}
	}
	for _, p := range survivors {
		require.Eventually(t, func() bool {
			return strings.Contains(clusterState(t, p), "cluster_state:ok") && promoted(t, p, replicaID)
		},
			20*time.Second, 100*time.Millisecond, "node %d never saw the replica promoted", p)
	}
	t.Logf("failover took %v (node timeout 1s)", time.Since(start))
	assert.Less(t, time.Since(start), 10*time.Second, "promoted within a few node timeouts")
	readAll(t, "key:", 200, survivors[0])

	// The old primary comes back from its nodes.conf: it learns of the newer owner of its slots and follows it.
	startClusterNode(t, victim.dir, victim.port, func(c *Config) { c.ClusterNodeTimeout = 1000 })
	require.Eventually(t, func() bool {
		for _, l := range clusterNodes(t, victim.port) {
			if l.id == victim.id {
				return l.flags == "myself,slave" && l.primary == replicaID
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the old primary did not become a replica")
	require.Eventually(t, func() bool {
		return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(victim.port), "INFO", "replication"), "master_link_status:up")
	}, 20*time.Second, 100*time.Millisecond)
	for _, p := range survivors {
		require.Eventually(t, func() bool {
			for _, l := range clusterNodes(t, p) {
				if l.id == victim.id {
					return strings.Contains(l.flags, "slave") && !strings.Contains(l.flags, "fail") && l.primary == replicaID
				}
			}
			return false
		}, 20*time.Second, 100*time.Millisecond, "node %d does not see the old primary as a replica", p)
	}

	// Manual failover: the old primary takes its place back, while a client keeps writing.
	delete(pairs, victim.port)
	pairs[replica] = victim.port
	stop := make(chan struct{})
	written := make(chan int)
	go func() {
		n := 0
		defer func() { written <- n }()
		c, err := clusterClient(addrs(replica)[0])
		if err != nil {
			return
		}
		defer c.close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c.set("w:"+strconv.Itoa(n), "v"+strconv.Itoa(n)) != nil {
				return
			}
			n++
		}
	}()
	time.Sleep(200 * time.Millisecond)
	c := difftest.Dial(t, addrs(victim.port)[0])
	require.Equal(t, "OK", string(c.Do("CLUSTER", "FAILOVER").Str))
	require.Eventually(t, func() bool { return promoted(t, replica, victim.id) && promoted(t, victim.port, victim.id) },
		20*time.Second, 100*time.Millisecond, "manual failover did not happen")
	require.Eventually(t, func() bool {
		for _, l := range clusterNodes(t, replica) {
			if l.id == replicaID {
				return l.flags == "myself,slave" && l.primary == victim.id
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the promoted replica did not step down")
	time.Sleep(300 * time.Millisecond)
	close(stop)
	n := <-written
	require.Positive(t, n)
	t.Logf("%d writes during the manual failover", n)
	readAll(t, "w:", n, survivors[0])
	readAll(t, "key:", 200, victim.port)

	// A replica restarted from its nodes.conf follows its primary again.
	for _, nd := range nodes {
		if nd.port != replica {
			continue
		}
		require.NoError(t, nd.srv.Close())
		startClusterNode(t, nd.dir, nd.port, func(c *Config) { c.ClusterNodeTimeout = 1000 })
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(replica), "INFO", "replication"), "master_link_status:up")
		}, 20*time.Second, 100*time.Millisecond)
		rc, pc := difftest.Dial(t, addrs(replica)[0]), difftest.Dial(t, addrs(victim.port)[0])
		rc.Do("READONLY")
		served := 0
		for i := range 200 {
			k := "key:" + strconv.Itoa(i)
			if v := pc.Do("GET", k); v.Type != resp.TypeError {
				assert.Equal(t, "v"+strconv.Itoa(i), string(rc.Do("GET", k).Str))
				served++
			}
		}
		assert.Positive(t, served)
	}
}

// promoted reports whether the node at port sees id as a primary with slots.
func promoted(t *testing.T, port int, id string) bool {
	for _, l := range strings.Split(redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "NODES"), "\n") {
		f := strings.Fields(l)
		if len(f) > 8 && f[0] == id && strings.Contains(f[2], "master") && !strings.Contains(f[2], "fail") {
			return true
		}
	}
	return false
}

// redirClient is a minimal cluster client for a writer goroutine: it follows MOVED and retries while the
// cluster is down or a node is unreachable, for at most ten seconds per command.
type redirClient struct {
	addr string
	conn net.Conn
	r    *resp.Reader
	w    *resp.Writer
}

func clusterClient(addr string) (*redirClient, error) {
	c := &redirClient{addr: addr}
	return c, c.dial()
}

func (c *redirClient) dial() error {
	if c.conn != nil {
		c.conn.Close()
	}
	nc, err := net.DialTimeout("tcp", c.addr, time.Second)
	if err != nil {
		c.conn = nil
		return err
	}
	c.conn, c.r, c.w = nc, resp.NewReader(nc), resp.NewWriter(nc)
	return nil
}

func (c *redirClient) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

// set runs SET k v until it is acknowledged with OK.
func (c *redirClient) set(k, v string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c.conn == nil {
			if c.dial() != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		c.conn.SetDeadline(time.Now().Add(5 * time.Second))
		c.w.WriteArrayLen(3)
		c.w.WriteBulkString("SET")
		c.w.WriteBulkString(k)
		c.w.WriteBulkString(v)
		err := c.w.Flush()
		var rep resp.Value
		if err == nil {
			rep, err = c.r.ReadValue()
		}
		if err != nil {
			c.close()
			c.conn = nil
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if rep.Type != resp.TypeError {
			if string(rep.Str) != "OK" {
				return fmt.Errorf("SET %s: %q", k, rep.Str)
			}
			return nil
		}
		if msg := string(rep.Str); strings.HasPrefix(msg, "MOVED ") {
			f := strings.Fields(msg)
			c.addr = f[2]
			c.close()
			c.conn = nil
			continue
		}
		time.Sleep(50 * time.Millisecond) // CLUSTERDOWN, TRYAGAIN, READONLY: the cluster is changing
	}
	return fmt.Errorf("SET %s: gave up", k)
}

// TestClusterMixedFailover: in a cluster of real redis-server 7.0 and Carmine nodes, replicas follow
// primaries of the other implementation (and of their own), and three primaries die in turn: a Carmine
// replica of a Carmine primary wins with a real Redis primary's vote, a Carmine replica replaces a real Redis
// primary, and a real Redis replica replaces a Carmine primary with Carmine votes.
func TestClusterMixedFailover(t *testing.T) {
	needRedisCLI(t)
	fast := func(c *Config) { c.ClusterNodeTimeout = 1000 }
	r1, r1cmd := startRedisCluster(t, 1000)
	c1srv, c1 := startClusterNode(t, "", 0, fast)
	c2srv, c2 := startClusterNode(t, "", 0, fast)
	out := redisCLI(t, "", append(append([]string{"--cluster", "create"}, addrs(r1, c1, c2)...),
		"--cluster-replicas", "0", "--cluster-yes")...)
	require.Contains(t, out, "[OK] All 16384 slots covered", out)
	for _, p := range []int{r1, c1, c2} {
		require.Eventually(t, func() bool { return strings.Contains(clusterState(t, p), "cluster_state:ok") },
			30*time.Second, 100*time.Millisecond, "node %d", p)
	}
	id := func(p int) string {
		return strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "MYID"))
	}
	rr, _ := startRedisCluster(t, 1000)
	_, cr := startClusterNode(t, "", 0, fast)
	_, cr2 := startClusterNode(t, "", 0, fast)
	pairs := map[int]int{r1: cr, c1: rr, c2: cr2}
	for prim, rep := range pairs {
		redisCLI(t, "", "--cluster", "add-node", addrs(rep)[0], addrs(c1)[0], "--cluster-slave",
			"--cluster-master-id", id(prim))
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(rep), "INFO", "replication"), "master_link_status:up")
		}, 30*time.Second, 100*time.Millisecond, "replica %d of %d", rep, prim)
	}
	require.Eventually(t, func() bool {
		out := redisCLI(t, "", "--cluster", "check", addrs(c1)[0])
		return strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
			strings.Contains(out, "[OK] All 16384 slots covered.") && strings.Count(out, "1 additional replica(s)") == 3
	}, 30*time.Second, 200*time.Millisecond, "redis-cli --cluster check")
	// Redis and Carmine describe the same cluster, replicas included.
	require.Eventually(t, func() bool { return slices.Equal(nodesView(t, r1), nodesView(t, c1)) },
		20*time.Second, 100*time.Millisecond, "%v\n%v", nodesView(t, r1), nodesView(t, c1))
	p := difftest.NewPair(t, addrs(r1)[0], addrs(c1)[0])
	// Real Redis caches its CLUSTER SLOTS reply for a while.
	var want, got string
	if !assert.Eventually(t, func() bool {
		want, got = difftest.Format(p.Redis.Do("CLUSTER", "SLOTS")), difftest.Format(p.Carmine.Do("CLUSTER", "SLOTS"))
		return want == got
	}, 10*time.Second, 100*time.Millisecond) {
		t.Fatalf("CLUSTER SLOTS:\nredis:   %s\ncarmine: %s", want, got)
	}
	for _, n := range []int{r1, c1, cr} {
		p.CheckWith(withoutPingTimes, "CLUSTER", "REPLICAS", id(n))
	}
	p.Check("CLUSTER", "FAILOVER")
	p.Check("CLUSTER", "FAILOVER", "nonsense")
	for _, proto := range []string{"2", "3"} {
		p.Redis.Do("HELLO", proto)
		p.Carmine.Do("HELLO", proto)
		p.CheckWith(difftest.Chain(withoutOffsets, difftest.SortElems), "CLUSTER", "SHARDS")
	}
	p.Redis.Do("HELLO", "2")
	p.Carmine.Do("HELLO", "2")

	writeAcked(t, "key:", 100, pairs, c1)
	// The Redis replica serves reads of the Carmine primary's slots.
	red := difftest.Dial(t, addrs(rr)[0])
	red.Do("READONLY")
	served := 0
	for i := range 100 {
		if v := red.Do("GET", "key:"+strconv.Itoa(i)); v.Type != resp.TypeError {
			assert.Equal(t, "v"+strconv.Itoa(i), string(v.Str))
			served++
		}
	}
	assert.Positive(t, served)

	// Manual failovers across implementations: the Redis replica takes over from its Carmine primary (MFSTART
	// to Carmine, which pauses and reports its offset), then the Carmine node takes its place back (MFSTART to
	// Redis).
	all := []int{r1, c1, c2, rr, cr, cr2}
	for _, sw := range [][2]int{{rr, c1}, {c1, rr}} {
		newID, oldID := id(sw[0]), id(sw[1])
		c := difftest.Dial(t, addrs(sw[0])[0])
		require.Equal(t, "OK", string(c.Do("CLUSTER", "FAILOVER").Str))
		c.Close()
		for _, p := range all {
			require.Eventually(t, func() bool {
				if !promoted(t, p, newID) {
					return false
				}
				for _, l := range clusterNodes(t, p) {
					if l.id == oldID {
						return strings.Contains(l.flags, "slave") && l.primary == newID
					}
				}
				return false
			}, 20*time.Second, 100*time.Millisecond, "node %d: manual failover of %d", p, sw[0])
		}
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(sw[1]), "INFO", "replication"), "master_link_status:up")
		}, 20*time.Second, 100*time.Millisecond)
		readAll(t, "key:", 100, c2)
	}

	alive := map[int]bool{r1: true, c1: true, c2: true, rr: true, cr: true, cr2: true}
	kill := func(port int, stop func() error, replica int) {
		t.Helper()
		repID := id(replica)
		require.NoError(t, stop())
		delete(alive, port)
		start := time.Now()
		for p := range alive {
			require.Eventually(t, func() bool { return strings.Contains(clusterState(t, p), "cluster_state:ok") && promoted(t, p, repID) },
				30*time.Second, 100*time.Millisecond, "node %d never saw %d promoted", p, replica)
		}
		t.Logf("replica %d promoted in %v", replica, time.Since(start))
		for p := range alive {
			readAll(t, "key:", 100, p)
			break
		}
	}
	kill(c2, c2srv.Close, cr2)       // votes: r1 (Redis) and c1
	kill(r1, r1cmd.Process.Kill, cr) // votes: c1 and cr2
	kill(c1, c1srv.Close, rr)        // a Redis replica; votes: cr and cr2
}

// withoutPingTimes blanks the ping and pong times of CLUSTER REPLICAS lines.
func withoutPingTimes(v resp.Value) resp.Value {
	elems := append([]resp.Value(nil), v.Elems...)
	for i, e := range elems {
		f := strings.Fields(string(e.Str))
		if len(f) > 5 {
			f[4], f[5] = "", ""
		}
		e.Str = []byte(strings.Join(f, " "))
		elems[i] = e
	}
	v.Elems = elems
	return v
}

// TestDiffClusterReplicaCommands compares the replies and errors of REPLICATE, REPLICAS, SLAVES and FAILOVER
// on a lone primary with a real redis-server in cluster mode.
func TestDiffClusterReplicaCommands(t *testing.T) {
	redis := difftest.StartRedis(t, "--cluster-enabled", "yes")
	_, addr := startServer(t, func(c *Config) { c.ClusterEnabled = true })
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"CLUSTER", "REPLICATE", "abc"},
		{"CLUSTER", "REPLICAS", "abc"},
		{"CLUSTER", "SLAVES", "abc"},
		{"CLUSTER", "REPLICATE"},
		{"CLUSTER", "FAILOVER"},
		{"CLUSTER", "FAILOVER", "force"},
		{"CLUSTER", "FAILOVER", "TAKEOVER"},
		{"CLUSTER", "FAILOVER", "x"},
		{"CLUSTER", "FAILOVER", "force", "x"},
		{"REPLICAOF", "127.0.0.1", "1"},
		{"SLAVEOF", "no", "one"},
	} {
		p.Check(c...)
	}
	ids := [2]string{string(p.Redis.Do("CLUSTER", "MYID").Str), string(p.Carmine.Do("CLUSTER", "MYID").Str)}
	for i, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		assert.Equal(t, "ERR Can't replicate myself", string(c.Do("CLUSTER", "REPLICATE", ids[i]).Str))
		assert.Equal(t, "[]", difftest.Format(c.Do("CLUSTER", "REPLICAS", ids[i])))
	}
}

// withoutOffsets replaces the replication-offset fields of CLUSTER SHARDS (each node's view of the others'
// offsets comes from their last bus message) by 0, and a health of "loading" by "online".
func withoutOffsets(v resp.Value) resp.Value {
	elems := append([]resp.Value(nil), v.Elems...)
	for i := range elems {
		switch {
		case i > 0 && string(elems[i-1].Str) == "replication-offset":
			elems[i] = resp.Value{Type: resp.TypeInt}
		case i > 0 && string(elems[i-1].Str) == "health" && string(elems[i].Str) == "loading":
			elems[i].Str = []byte("online")
		default:
			elems[i] = withoutOffsets(elems[i])
		}
	}
	v.Elems = elems
	return v
}

// TestClusterReplicaValidity: a replica whose primary failed schedules an election only when its data is
// recent enough (cluster-replica-validity-factor; 0 disables the check), and never with
// cluster-replica-no-failover. This replica never reached its primary, so its data is of unknown age.
func TestClusterReplicaValidity(t *testing.T) {
	for _, tt := range []struct {
		name       string
		factor     int
		noFailover bool
		elects     bool
	}{
		{"too old", 10, false, false},
		{"no check", 0, false, true},
		{"no failover", 0, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startServer(t, func(c *Config) {
				c.ClusterEnabled, c.ClusterReplicaValidityFactor, c.ClusterReplicaNoFailover = true, tt.factor, tt.noFailover
			})
			cl := srv.cluster
			cl.mu.Lock()
			defer cl.mu.Unlock()
			p := &clusterNode{name: nodeName(), flags: clusterbus.FlagMaster | clusterbus.FlagFail, created: time.Now()}
			cl.addNode(p)
			for s := range 100 {
				cl.assignSlot(s, p)
			}
			me := cl.myself
			me.flags = me.flags&^clusterbus.FlagMaster | clusterbus.FlagSlave
			me.primary = p.name
			cl.handleReplicaFailover(time.Now())
			assert.Equal(t, tt.elects, !cl.fo.authTime.IsZero())
		})
	}
}
