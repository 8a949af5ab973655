package node

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

// clusterPorts returns a port p such that p and p+10000 (its bus port) are both free on 127.0.0.1, so that
// redis-cli, which assumes the default bus port, can join the node.
func clusterPorts(t testing.TB) int {
	for range 200 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p+10000 > 65535 {
			p = 20000 + p%30000
		}
		free := true
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return p
		}
	}
	t.Fatal("no free pair of ports")
	return 0
}

// startClusterNode starts a cluster-enabled Carmine on loopback, in dir (a new temporary directory if ""),
// at port (a free pair if 0).
func startClusterNode(t testing.TB, dir string, port int, opts ...func(*Config)) (*Server, int) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	fixed := port != 0
	for attempt := 0; ; attempt++ {
		if !fixed {
			port = clusterPorts(t)
		}
		cfg := DefaultConfig()
		cfg.Bind, cfg.Save, cfg.Port, cfg.Dir, cfg.ClusterEnabled, cfg.ClusterNodeTimeout = []string{"127.0.0.1"}, nil, port, dir, true, 3000
		for _, o := range opts {
			o(&cfg)
		}
		srv, err := Start(cfg, testLogger(t))
		if err != nil && !fixed && attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue // another process took one of the ports since clusterPorts looked
		}
		require.NoError(t, err)
		t.Cleanup(func() { srv.Close() })
		return srv, port
	}
}

// needRedisCLI returns redis-cli's path, skipping (or failing under CARMINE_REQUIRE_REDIS) without it.
func needRedisCLI(t testing.TB) string {
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv(difftest.RequireEnv) != "" {
			t.Fatalf("redis-cli is not installed, and %s is set", difftest.RequireEnv)
		}
		t.Skip("redis-cli is not installed: skipping a cluster test that needs redis-cli --cluster")
	}
	return bin
}

// redisCLI runs redis-cli with args (and stdin), at most a minute, and returns its output.
func redisCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, needRedisCLI(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "redis-cli %v:\n%s", args, out)
	return string(out)
}

func addrs(ports ...int) []string {
	var out []string
	for _, p := range ports {
		out = append(out, "127.0.0.1:"+strconv.Itoa(p))
	}
	return out
}

// checkCluster forms a cluster of the nodes at ports with redis-cli --cluster create, checks it with
// redis-cli --cluster check, and writes and reads keys of every node through redis-cli -c.
func checkCluster(t *testing.T, ports ...int) {
	out := redisCLI(t, "", append(append([]string{"--cluster", "create"}, addrs(ports...)...),
		"--cluster-replicas", "0", "--cluster-yes")...)
	require.Contains(t, out, "[OK] All 16384 slots covered", out)
	for _, p := range ports {
		require.Eventually(t, func() bool {
			out := redisCLI(t, "", "--cluster", "check", addrs(p)[0])
			return strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
				strings.Contains(out, "[OK] All 16384 slots covered.")
		}, 30*time.Second, 200*time.Millisecond, "redis-cli --cluster check on %d", p)
		require.Eventually(t, func() bool {
			return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "INFO"), "cluster_state:ok")
		}, 30*time.Second, 100*time.Millisecond)
	}
	// Writes through the first node and reads through the last: every key is redirected at least once.
	var sets, gets, want strings.Builder
	slots := map[int]bool{}
	for i := range 60 {
		k := "key:" + strconv.Itoa(i)
		slots[clusterbus.KeySlot([]byte(k))] = true
		sets.WriteString("SET " + k + " v" + strconv.Itoa(i) + "\n")
		gets.WriteString("GET " + k + "\n")
		want.WriteString("v" + strconv.Itoa(i) + "\n")
	}
	out, moved := withoutRedirects(redisCLI(t, sets.String(), "-c", "-p", strconv.Itoa(ports[0])))
	assert.Equal(t, strings.Repeat("OK\n", 60), out)
	assert.Positive(t, moved)
	out, moved = withoutRedirects(redisCLI(t, gets.String(), "-c", "-p", strconv.Itoa(ports[len(ports)-1])))
	assert.Equal(t, want.String(), out)
	assert.Positive(t, moved)
	// PUBLISH on one node reaches the subscribers of every node; SPUBLISH goes to the channel's slot owner.
	var subs []*difftest.Conn
	for _, p := range ports {
		sub := difftest.Dial(t, addrs(p)[0])
		sub.Do("SUBSCRIBE", "news")
		subs = append(subs, sub)
	}
	for i, from := range ports[:2] {
		pub := difftest.Dial(t, addrs(from)[0])
		pub.Do("PUBLISH", "news", "hello "+strconv.Itoa(i))
		pub.Close()
		for _, sub := range subs {
			v := sub.Receive()
			require.Len(t, v.Elems, 3)
			assert.Equal(t, "hello "+strconv.Itoa(i), string(v.Elems[2].Str))
		}
	}
	for _, sub := range subs {
		sub.Close()
	}
	owned := 0
	for _, p := range ports {
		c := difftest.Dial(t, addrs(p)[0])
		if v := c.Do("SPUBLISH", "news", "x"); v.Type == resp.TypeError {
			assert.Regexp(t, `^MOVED 5161 `, string(v.Str))
		} else {
			owned++
		}
		c.Close()
	}
	assert.Equal(t, 1, owned)
	// Without -c: the owner of each key answers, the others redirect with MOVED to it.
	for _, p := range ports {
		c := difftest.Dial(t, addrs(p)[0])
		v := c.Do("GET", "key:0")
		if v.Type == resp.TypeError {
			assert.Regexp(t, `^MOVED 2592 127\.0\.0\.1:[0-9]+$`, string(v.Str))
		} else {
			assert.Equal(t, "v0", string(v.Str))
		}
		v = c.Do("MSET", "a", "1", "b", "2")
		assert.Equal(t, "CROSSSLOT Keys in request don't hash to the same slot", string(v.Str))
		c.Close()
	}
}

// TestClusterCreate builds a three-primary Carmine cluster with redis-cli --cluster create, checks it, moves
// keys through redis-cli -c, restarts a node from its nodes.conf and sees it rejoin.
func TestClusterCreate(t *testing.T) {
	needRedisCLI(t)
	dir := t.TempDir()
	srv, p1 := startClusterNode(t, dir, 0)
	_, p2 := startClusterNode(t, "", 0)
	_, p3 := startClusterNode(t, "", 0)
	checkCluster(t, p1, p2, p3)

	// Restart the first node: it reloads its identity, epochs and slots, and the cluster heals.
	id := redisCLI(t, "", "-p", strconv.Itoa(p1), "CLUSTER", "MYID")
	require.NoError(t, srv.Close())
	conf, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	require.NoError(t, err)
	assert.Contains(t, string(conf), strings.TrimSpace(id)+" 127.0.0.1:"+strconv.Itoa(p1)+"@"+strconv.Itoa(p1+10000)+",,tls-port=0,shard-id=")
	assert.Contains(t, string(conf), " myself,master - 0 0 ")
	assert.Contains(t, string(conf), "vars currentEpoch 3 lastVoteEpoch 0\n")
	startClusterNode(t, dir, p1)
	assert.Equal(t, id, redisCLI(t, "", "-p", strconv.Itoa(p1), "CLUSTER", "MYID"))
	require.Eventually(t, func() bool {
		return strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(p2), "CLUSTER", "INFO"), "cluster_state:ok") &&
			strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(p1), "CLUSTER", "INFO"), "cluster_known_nodes:3")
	}, 30*time.Second, 100*time.Millisecond)
	out, _ := withoutRedirects(redisCLI(t, "GET key:7\n", "-c", "-p", strconv.Itoa(p2)))
	assert.Equal(t, "v7\n", out)
}

// withoutRedirects drops the "-> Redirected to slot ..." lines of redis-cli -c, and counts them.
func withoutRedirects(out string) (string, int) {
	var b strings.Builder
	n := 0
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(l, "-> Redirected to slot") {
			n++
			continue
		}
		b.WriteString(l)
	}
	return b.String(), n
}

// startRedisClusterNode starts a real redis-server in cluster mode at a free pair of ports.
func startRedisClusterNode(t *testing.T) int {
	p, _ := startRedisCluster(t, 3000)
	return p
}

// startRedisCluster starts a real redis-server in cluster mode at a free pair of ports, with the given
// cluster-node-timeout (ms); the test may kill the process it returns.
func startRedisCluster(t *testing.T, timeoutMs int) (int, *exec.Cmd) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(difftest.RequireEnv) != "" {
			t.Fatalf("redis-server is not installed, and %s is set", difftest.RequireEnv)
		}
		t.Skip("redis-server is not installed: skipping a mixed cluster test")
	}
	p := clusterPorts(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--repl-diskless-sync-delay", "0", "--cluster-enabled", "yes",
		"--cluster-node-timeout", strconv.Itoa(timeoutMs),
		"--logfile", filepath.Join(dir, "redis.log"))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Logf("redis-server at %d:\n%s", p, log)
		}
	})
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addrs(p)[0])
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return p, cmd
}

// TestClusterMixed forms a cluster of real redis-server 7.0 nodes and Carmine nodes: the bus formats and the
// protocol agree, so redis-cli sees one healthy cluster.
func TestClusterMixed(t *testing.T) {
	needRedisCLI(t)
	r1 := startRedisClusterNode(t)
	_, c1 := startClusterNode(t, "", 0)
	r2 := startRedisClusterNode(t)
	srv2, c2 := startClusterNode(t, "", 0)
	checkCluster(t, c1, r1, c2, r2)
	// A Carmine node and a Redis node describe the same cluster.
	p := difftest.NewPair(t, addrs(r1)[0], addrs(c1)[0])
	for _, proto := range []string{"2", "3"} {
		p.Carmine.Do("HELLO", proto)
		p.Redis.Do("HELLO", proto)
		p.Check("CLUSTER", "SLOTS")
		p.CheckUnordered("CLUSTER", "SHARDS")
	}
	assert.Equal(t, nodesView(t, r1), nodesView(t, c1))
	for _, port := range []int{r1, c1} {
		info := redisCLI(t, "", "-p", strconv.Itoa(port), "INFO")
		assert.Contains(t, info, "cluster_connections:6\r\n")
		assert.Contains(t, info, "# Cluster\r\ncluster_enabled:1\r\n")
	}
	// Failure detection across implementations: a Carmine primary stops, the Redis nodes and the other
	// Carmine node agree it failed (PFAIL reports in gossip, then a FAIL message), and the cluster goes down.
	id2 := strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(c2), "CLUSTER", "MYID"))
	require.NoError(t, srv2.Close())
	for _, p := range []int{r1, r2, c1} {
		require.Eventually(t, func() bool {
			nodes := redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "NODES")
			return strings.Contains(nodes, id2+" 127.0.0.1:"+strconv.Itoa(c2)+"@"+strconv.Itoa(c2+10000)+" master,fail ") &&
				strings.Contains(redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "INFO"), "cluster_state:fail")
		}, 30*time.Second, 100*time.Millisecond, "node %d never saw the stopped node fail", p)
	}
}

// nodesView is a node's CLUSTER NODES without what differs from node to node (myself, ping and pong times),
// sorted.
func nodesView(t *testing.T, port int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "NODES")), "\n") {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 8, l)
		f[2] = strings.TrimPrefix(f[2], "myself,")
		f[4], f[5] = "", ""
		out = append(out, strings.Join(f, " "))
	}
	slices.Sort(out)
	return out
}

// TestClusterConfigRoundTrip writes nodes.conf and reads it back.
func TestClusterConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	conf := "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001,host-a myself,master - 0 0 3 connected 0-10 12 [13->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [14-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n" +
		"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30002@40002,host-b master,fail - 0 0 2 disconnected 100-16383\n" +
		"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30003@40003 slave 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 0 2 disconnected\n" +
		"vars currentEpoch 5 lastVoteEpoch 4\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nodes.conf"), []byte(conf), 0o644))
	srv, _ := startServer(t, func(c *Config) { c.Dir, c.ClusterEnabled, c.ClusterPort = dir, true, 0 })
	cl := srv.cluster
	cl.mu.Lock()
	got := ""
	for _, n := range cl.sortedNodes() {
		got += string(cl.appendNodeLine(nil, n, true))
	}
	cl.mu.Unlock()
	assert.Contains(t, got, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:")
	assert.Contains(t, got, " myself,master - 0 0 3 connected 0-10 12 [13->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [14-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n")
	assert.Contains(t, got, "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30002@40002,host-b master,fail - 0 0 2 disconnected 100-16383\n")
	assert.Contains(t, got, "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30003@40003 slave 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 0 2 disconnected\n")
	c := difftest.Dial(t, srv.Addr().String())
	info := string(c.Do("CLUSTER", "INFO").Str)
	assert.Contains(t, info, "cluster_current_epoch:5\r\n")
	assert.Contains(t, info, "cluster_my_epoch:3\r\n")
	assert.Equal(t, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca", string(c.Do("CLUSTER", "MYID").Str))
	// Slot 11 is nobody's, slot 100 is a failing node's.
	assert.Equal(t, "CLUSTERDOWN Hash slot not served", string(c.Do("GET", "{"+slotKey(11)+"}").Str))
	assert.Equal(t, "CLUSTERDOWN The cluster is down", string(c.Do("GET", slotKey(100)).Str))
	require.NoError(t, srv.Close())
	saved, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	require.NoError(t, err)
	assert.Contains(t, string(saved), "vars currentEpoch 5 lastVoteEpoch 4\n")
	assert.NotContains(t, string(saved), "tmp")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), "temporary file left: %s", e.Name())
	}
}

// slotKey returns a key that hashes to slot s.
func slotKey(s int) string {
	for i := 0; ; i++ {
		k := "k" + strconv.Itoa(i)
		if clusterbus.KeySlot([]byte(k)) == s {
			return k
		}
	}
}

// TestDiffCluster compares the CLUSTER commands of a lone node, and routing once it serves every slot, with
// a real redis-server in cluster mode.
func TestDiffCluster(t *testing.T) {
	redis := difftest.StartRedis(t, "--cluster-enabled", "yes")
	_, addr := startServer(t, func(c *Config) { c.ClusterEnabled = true })
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, k := range []string{"123456789", "foo", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "", "a{b"} {
		p.Check("CLUSTER", "KEYSLOT", k)
	}
	for _, c := range [][]string{
		{"CLUSTER", "ADDSLOTS", "1", "2", "3"},
		{"CLUSTER", "ADDSLOTS", "3"},
		{"CLUSTER", "ADDSLOTS", "5", "5"},
		{"CLUSTER", "ADDSLOTS", "16384"},
		{"CLUSTER", "ADDSLOTS", "abc"},
		{"CLUSTER", "ADDSLOTSRANGE", "10", "20"},
		{"CLUSTER", "ADDSLOTSRANGE", "30", "25"},
		{"CLUSTER", "ADDSLOTSRANGE", "30"},
		{"CLUSTER", "DELSLOTS", "1"},
		{"CLUSTER", "DELSLOTS", "1"},
		{"CLUSTER", "DELSLOTSRANGE", "10", "12"},
		{"CLUSTER", "DELSLOTSRANGE", "10", "12"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16384"},
		{"CLUSTER", "COUNTKEYSINSLOT", "abc"},
		{"CLUSTER", "COUNTKEYSINSLOT", "7"},
		{"CLUSTER", "GETKEYSINSLOT", "7", "-1"},
		{"CLUSTER", "GETKEYSINSLOT", "7", "10"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "-1"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "5"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "6"},
		{"CLUSTER", "BUMPEPOCH"},
		{"CLUSTER", "SETSLOT", "1", "node", "abc"},
		{"CLUSTER", "SETSLOT", "1", "foo"},
		{"CLUSTER", "SETSLOT", "16384", "stable"},
		{"CLUSTER", "SETSLOT", "2", "migrating", "abc"},
		{"CLUSTER", "SETSLOT", "2", "stable"},
		{"CLUSTER", "COUNT-FAILURE-REPORTS", "abc"},
		{"CLUSTER", "FORGET", "abc"},
		{"CLUSTER", "MEET", "1.2.3", "1"},
		{"CLUSTER", "MEET", "127.0.0.1", "abc"},
		{"CLUSTER", "LINKS"},
		{"ASKING"},
		{"READONLY"},
		{"READWRITE"},
		{"SELECT", "1"},
		{"SELECT", "0"},
		{"GET", "foo"},
	} {
		p.Check(c...)
	}
	p.Check("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	p.Check("CLUSTER", "FLUSHSLOTS")
	p.Check("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	// Real Redis turns ok a little after start-up (its writable delay).
	for _, a := range []string{redis.Addr, addr} {
		c := difftest.Dial(t, a)
		require.Eventually(t, func() bool {
			return strings.Contains(string(c.Do("CLUSTER", "INFO").Str), "cluster_state:ok")
		}, 10*time.Second, 50*time.Millisecond, "%s: %s", a, c.Do("CLUSTER", "INFO").Str)
		c.Close()
	}
	for _, c := range [][]string{
		{"SET", "foo", "bar"},
		{"MSET", "a", "1", "b", "2"},
		{"MSET", "{a}1", "1", "{a}2", "2"},
		{"CLUSTER", "COUNTKEYSINSLOT", "15495"},
	} {
		p.Check(c...)
	}
	p.CheckUnordered("CLUSTER", "GETKEYSINSLOT", "15495", "10")
	for _, c := range [][]string{
		{"MULTI"},
		{"GET", "a"},
		{"GET", "b"},
		{"EXEC"},
		{"MULTI"},
		{"SET", "{a}1", "x"},
		{"GET", "{a}2"},
		{"EXEC"},
		{"MULTI"},
		{"CLUSTER", "COUNTKEYSINSLOT", "15495"},
		{"CLUSTER", "GETKEYSINSLOT", "15495", "0"},
		{"CLUSTER", "KEYSLOT", "x"},
		{"CLUSTER", "SETSLOT", "15495", "STABLE"},
		{"PUBLISH", "x", "y"},
		{"EXEC"},
		{"CLUSTER", "RESET"},
		{"WATCH", "foo"},
		{"MULTI"},
		{"GET", "a"},
		{"EXEC"},
		{"EXEC"},
		{"DEL", "{a}1", "{a}2", "foo"},
		{"CLUSTER", "SETSLOT", "12182", "importing", "abc"},
	} {
		p.Check(c...)
	}
}

// TestClusterDisabled: the cluster commands explain that cluster mode is off, as in Redis.
func TestClusterDisabled(t *testing.T) {
	p := startPair(t, "")
	for _, c := range [][]string{{"CLUSTER", "INFO"}, {"CLUSTER", "KEYSLOT", "x"}, {"ASKING"}, {"READONLY"},
		{"READWRITE"}, {"CLUSTER", "NODES"}, {"SELECT", "1"}} {
		p.Check(c...)
	}
}

// TestClusterFailureDetection stops a primary: the others mark it PFAIL, then FAIL by majority, and the
// cluster goes down (its slots are not served); when it comes back from its nodes.conf the FAIL clears and the
// cluster is ok again.
func TestClusterFailureDetection(t *testing.T) {
	needRedisCLI(t)
	fast := func(c *Config) { c.ClusterNodeTimeout = 1500 }
	_, p1 := startClusterNode(t, "", 0, fast)
	_, p2 := startClusterNode(t, "", 0, fast)
	dir := t.TempDir()
	srv3, p3 := startClusterNode(t, dir, 0, fast)
	out := redisCLI(t, "", append(append([]string{"--cluster", "create"}, addrs(p1, p2, p3)...),
		"--cluster-replicas", "0", "--cluster-yes")...)
	require.Contains(t, out, "[OK] All 16384 slots covered", out)
	state := func(p int) string { return redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "INFO") }
	for _, p := range []int{p1, p2, p3} {
		require.Eventually(t, func() bool { return strings.Contains(state(p), "cluster_state:ok") },
			30*time.Second, 100*time.Millisecond)
	}
	id3 := strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(p3), "CLUSTER", "MYID"))
	require.NoError(t, srv3.Close())
	for _, p := range []int{p1, p2} {
		require.Eventually(t, func() bool {
			nodes := redisCLI(t, "", "-p", strconv.Itoa(p), "CLUSTER", "NODES")
			return strings.Contains(nodes, id3+" 127.0.0.1:"+strconv.Itoa(p3)+"@"+strconv.Itoa(p3+10000)+" master,fail ") &&
				strings.Contains(state(p), "cluster_state:fail")
		}, 30*time.Second, 100*time.Millisecond, "node %d never saw the stopped node fail", p)
	}
	c := difftest.Dial(t, addrs(p1)[0])
	assert.Equal(t, "CLUSTERDOWN The cluster is down", string(c.Do("GET", "x").Str))
	c.Close()
	startClusterNode(t, dir, p3, fast)
	for _, p := range []int{p1, p2, p3} {
		require.Eventually(t, func() bool { return strings.Contains(state(p), "cluster_state:ok") },
			30*time.Second, 100*time.Millisecond, "node %d did not return to ok", p)
	}
}

// TestClusterMigrateSlot moves a slot between two Carmine nodes the way redis-cli --cluster reshard does, with
// DUMP and RESTORE standing in for MIGRATE: IMPORTING and MIGRATING, ASK, ASKING, TRYAGAIN, then SETSLOT NODE
// on both sides and the new owner's bumped epoch spreading.
func TestClusterMigrateSlot(t *testing.T) {
	_, pa := startClusterNode(t, "", 0)
	_, pb := startClusterNode(t, "", 0)
	a, b := difftest.Dial(t, addrs(pa)[0]), difftest.Dial(t, addrs(pb)[0])
	require.Equal(t, "OK", string(a.Do("CLUSTER", "ADDSLOTSRANGE", "0", "8191").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "ADDSLOTSRANGE", "8192", "16383").Str))
	require.Equal(t, "OK", string(a.Do("CLUSTER", "SET-CONFIG-EPOCH", "2").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "SET-CONFIG-EPOCH", "1").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(pa)).Str))
	for _, c := range []*difftest.Conn{a, b} {
		require.Eventually(t, func() bool { return strings.Contains(string(c.Do("CLUSTER", "INFO").Str), "cluster_state:ok") },
			20*time.Second, 50*time.Millisecond)
	}
	idA, idB := string(a.Do("CLUSTER", "MYID").Str), string(b.Do("CLUSTER", "MYID").Str)
	slot := clusterbus.KeySlot([]byte("{n}"))
	s := strconv.Itoa(slot)
	require.Less(t, slot, 8192)
	require.Contains(t, string(b.Do("CLUSTER", "INFO").Str), "cluster_my_epoch:1\r\n")

	a.Do("SET", "{n}a", "1")
	a.Do("SET", "{n}b", "2")
	assert.Equal(t, "OK", string(b.Do("CLUSTER", "SETSLOT", s, "IMPORTING", idA).Str))
	assert.Equal(t, "OK", string(a.Do("CLUSTER", "SETSLOT", s, "MIGRATING", idB).Str))
	assert.Contains(t, string(a.Do("CLUSTER", "NODES").Str), " ["+s+"->-"+idB+"]")
	assert.Contains(t, string(b.Do("CLUSTER", "NODES").Str), " ["+s+"-<-"+idA+"]")

	ask := "ASK " + s + " 127.0.0.1:" + strconv.Itoa(pb)
	assert.Equal(t, "1", string(a.Do("GET", "{n}a").Str))
	assert.Equal(t, ask, string(a.Do("GET", "{n}c").Str))
	assert.Equal(t, ask, string(a.Do("MGET", "{n}a", "{n}c").Str))
	assert.Equal(t, "MOVED "+s+" 127.0.0.1:"+strconv.Itoa(pa), string(b.Do("GET", "{n}c").Str))
	assert.Equal(t, "OK", string(b.Do("ASKING").Str))
	assert.Equal(t, "(nil bulk)", difftest.Format(b.Do("GET", "{n}c")))
	assert.Equal(t, "MOVED "+s+" 127.0.0.1:"+strconv.Itoa(pa), string(b.Do("GET", "{n}c").Str), "ASKING covers one command")
	b.Do("ASKING")
	assert.Equal(t, "TRYAGAIN Multiple keys request during rehashing of slot", string(b.Do("MGET", "{n}a", "{n}c").Str))

	// Move the keys, then hand the slot over on both nodes.
	for _, k := range []string{"{n}a", "{n}b"} {
		dump := a.Do("DUMP", k)
		require.Equal(t, resp.TypeBulk, dump.Type)
		b.Do("ASKING")
		require.Equal(t, "OK", string(b.Do("RESTORE", k, "0", string(dump.Str)).Str))
		require.Equal(t, int64(1), a.Do("DEL", k).Int)
	}
	assert.Equal(t, int64(2), b.Do("CLUSTER", "COUNTKEYSINSLOT", s).Int)
	assert.Equal(t, "OK", string(b.Do("CLUSTER", "SETSLOT", s, "NODE", idB).Str))
	assert.Equal(t, "OK", string(a.Do("CLUSTER", "SETSLOT", s, "NODE", idB).Str))
	assert.Contains(t, string(b.Do("CLUSTER", "INFO").Str), "cluster_my_epoch:3\r\n", "the importing node bumps its epoch")
	require.Eventually(t, func() bool {
		return strings.Contains(string(a.Do("CLUSTER", "NODES").Str), idB+" 127.0.0.1:"+strconv.Itoa(pb)+"@"+strconv.Itoa(pb+10000)+" master - ") &&
			string(a.Do("GET", "{n}a").Str) == "MOVED "+s+" 127.0.0.1:"+strconv.Itoa(pb)
	}, 20*time.Second, 50*time.Millisecond)
	assert.Equal(t, "1", string(b.Do("GET", "{n}a").Str))
	assert.NotContains(t, string(a.Do("CLUSTER", "NODES").Str), "->-")
	assert.NotContains(t, string(b.Do("CLUSTER", "NODES").Str), "-<-")
}
