package node

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/clusterbus"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// slotClient is a minimal cluster-aware client for tests that write from a goroutine: it follows MOVED (and
// remembers the slot's new owner), ASK (with ASKING, once) and retries TRYAGAIN and CLUSTERDOWN.
type slotClient struct {
	conns  map[string]*slotConn
	owners map[int]string
	seed   string
}

type slotConn struct {
	nc net.Conn
	r  *resp.Reader
}

func newSlotClient(seed string) *slotClient {
	return &slotClient{conns: map[string]*slotConn{}, owners: map[int]string{}, seed: seed}
}

func (sc *slotClient) close() {
	for _, c := range sc.conns {
		c.nc.Close()
	}
}

// send sends the commands to addr as one pipeline and reads their replies.
func (sc *slotClient) send(addr string, cmds ...[]string) ([]resp.Value, error) {
	c := sc.conns[addr]
	if c == nil {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		c = &slotConn{nc: nc, r: resp.NewReader(bufio.NewReader(nc))}
		sc.conns[addr] = c
	}
	var b []byte
	for _, cmd := range cmds {
		b = appendCommandStrs(b, cmd...)
	}
	c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		return nil, err
	}
	out := make([]resp.Value, len(cmds))
	for i := range out {
		v, err := c.r.ReadValue()
		if err != nil {
			c.nc.Close()
			delete(sc.conns, addr)
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// do runs a command on the key's slot owner, following redirections, at most 50 tries.
func (sc *slotClient) do(key string, cmd ...string) (resp.Value, error) {
	slot := clusterbus.KeySlot([]byte(key))
	addr := sc.owners[slot]
	if addr == "" {
		addr = sc.seed
	}
	asking := false
	for range 50 {
		cmds := [][]string{cmd}
		if asking {
			cmds = [][]string{{"ASKING"}, cmd}
		}
		vs, err := sc.send(addr, cmds...)
		if err != nil {
			return resp.Value{}, err
		}
		v := vs[len(vs)-1]
		asking = false
		if v.Type != resp.TypeError {
			return v, nil
		}
		msg := string(v.Str)
		switch f := strings.Fields(msg); {
		case f[0] == "MOVED" && len(f) == 3:
			addr = f[2]
			sc.owners[slot] = addr
		case f[0] == "ASK" && len(f) == 3:
			addr, asking = f[2], true
		case f[0] == "TRYAGAIN" || f[0] == "CLUSTERDOWN":
			time.Sleep(10 * time.Millisecond)
			addr = sc.owners[slot]
			if addr == "" {
				addr = sc.seed
			}
		default:
			return v, nil
		}
	}
	return resp.Value{}, fmt.Errorf("%s %q: too many redirections", cmd[0], key)
}

// nodeID returns the CLUSTER MYID of the node at port.
func nodeID(t *testing.T, port int) string {
	return strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(port), "CLUSTER", "MYID"))
}

// writeWhile writes keys key:0 .. key:n-1 over and over through a slotClient until stop is closed, and
// returns the last value acknowledged for each key (after the goroutine ends: wait for done).
func writeWhile(t *testing.T, seed string, n int, stop <-chan struct{}) (acked map[string]string, done func()) {
	acked = make(map[string]string, n)
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := newSlotClient(seed)
		defer sc.close()
		for round := 0; ; round++ {
			for i := range n {
				select {
				case <-stop:
					if round > 0 {
						return
					}
				default:
				}
				k, v := "key:"+strconv.Itoa(i), "r"+strconv.Itoa(round)+"-"+strconv.Itoa(i)
				r, err := sc.do(k, "SET", k, v)
				if err != nil {
					werr = err
					return
				}
				if r.Type == resp.TypeSimple && string(r.Str) == "OK" {
					acked[k] = v
				} else {
					werr = fmt.Errorf("SET %s: %s", k, r.Str)
					return
				}
			}
		}
	}()
	return acked, func() {
		wg.Wait()
		require.NoError(t, werr)
	}
}

// overlapped asserts that the writer was still writing its second round when stopped: the writes overlapped the
// resharding.
func overlapped(t *testing.T, acked map[string]string) {
	assert.False(t, strings.HasPrefix(acked["key:0"], "r0-"), "the writer wrote only one round while resharding")
}

// readAcked reads every key through redis-cli -c and compares with the acknowledged values.
func readAcked(t *testing.T, port int, acked map[string]string) {
	var gets, want strings.Builder
	for i := range len(acked) {
		k := "key:" + strconv.Itoa(i)
		gets.WriteString("GET " + k + "\n")
		want.WriteString(acked[k] + "\n")
	}
	out, _ := withoutRedirects(redisCLI(t, gets.String(), "-c", "-p", strconv.Itoa(port)))
	assert.Equal(t, want.String(), out)
}

// clusterHealthy waits until redis-cli --cluster check finds every node agreeing and every slot covered
// with no open slots.
func clusterHealthy(t *testing.T, port int) {
	require.Eventually(t, func() bool {
		out := redisCLI(t, "", "--cluster", "check", addrs(port)[0])
		return strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
			strings.Contains(out, "[OK] All 16384 slots covered.") && !strings.Contains(out, "[WARNING]")
	}, 30*time.Second, 200*time.Millisecond, "redis-cli --cluster check on %d", port)
}

// reshard moves n slots from one node to another with redis-cli --cluster reshard.
func reshard(t *testing.T, via, from, to, n int) string {
	out := redisCLI(t, "", "--cluster", "reshard", addrs(via)[0], "--cluster-from", nodeID(t, from),
		"--cluster-to", nodeID(t, to), "--cluster-slots", strconv.Itoa(n), "--cluster-yes")
	require.NotContains(t, out, "[ERR]", out)
	return out
}

// reshardWhileWriting moves slots with redis-cli --cluster reshard (each move: from, to, how many slots) while a
// client writes n keys over and over through the first node; afterwards --cluster check is clean on every node,
// every acknowledged write reads back through redis-cli -c, and the nodes hold exactly the keys written. It
// returns redis-cli's output of each move.
func reshardWhileWriting(t *testing.T, ports []int, n int, moves ...[3]int) []string {
	stop := make(chan struct{})
	acked, done := writeWhile(t, addrs(ports[0])[0], n, stop)
	var outs []string
	for _, m := range moves {
		outs = append(outs, reshard(t, m[0], m[0], m[1], m[2]))
	}
	close(stop)
	done()
	overlapped(t, acked)
	for _, p := range ports {
		clusterHealthy(t, p)
	}
	readAcked(t, ports[len(ports)-1], acked)
	// Every key lives on the owner of its slot, and nowhere else.
	total := 0
	for _, p := range ports {
		size, err := strconv.Atoi(strings.TrimSpace(redisCLI(t, "", "-p", strconv.Itoa(p), "DBSIZE")))
		require.NoError(t, err)
		total += size
	}
	assert.Equal(t, len(acked), total)
	return outs
}

// TestClusterReshard moves slots with keys between Carmine primaries with redis-cli --cluster reshard (MIGRATE,
// SETSLOT, GETKEYSINSLOT) while a client keeps writing: afterwards the cluster is healthy and every
// acknowledged write is readable.
func TestClusterReshard(t *testing.T) {
	needRedisCLI(t)
	_, p1 := startClusterNode(t, "", 0)
	_, p2 := startClusterNode(t, "", 0)
	_, p3 := startClusterNode(t, "", 0)
	checkCluster(t, p1, p2, p3)
	outs := reshardWhileWriting(t, []int{p1, p2, p3}, 2000, [3]int{p1, p2, 300}, [3]int{p2, p3, 200})
	assert.Regexp(t, `Moving slot [0-9]+ from [0-9.:]+ to [0-9.:]+: \.`, outs[0], "slots moved with keys")
}

// TestClusterReshardMixed reshards between a Carmine primary and a real Redis primary in both directions, with a
// client writing: MIGRATE from Carmine into Redis and from Redis into Carmine.
func TestClusterReshardMixed(t *testing.T) {
	needRedisCLI(t)
	_, c1 := startClusterNode(t, "", 0)
	r1 := startRedisClusterNode(t)
	_, c2 := startClusterNode(t, "", 0)
	checkCluster(t, c1, r1, c2)
	reshardWhileWriting(t, []int{c1, r1, c2}, 1000, [3]int{c1, r1, 200}, [3]int{r1, c2, 300})
}

// twoNodes forms a cluster of two Carmine primaries, A with slots 0-8191 (config epoch 1) and B with the rest
// (config epoch 2), and waits until both are ok.
func twoNodes(t *testing.T) (srvA *Server, a, b *difftest.Conn, pa, pb int) {
	srvA, pa = startClusterNode(t, "", 0)
	_, pb = startClusterNode(t, "", 0)
	a, b = difftest.Dial(t, addrs(pa)[0]), difftest.Dial(t, addrs(pb)[0])
	require.Equal(t, "OK", string(a.Do("CLUSTER", "ADDSLOTSRANGE", "0", "8191").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "ADDSLOTSRANGE", "8192", "16383").Str))
	require.Equal(t, "OK", string(a.Do("CLUSTER", "SET-CONFIG-EPOCH", "1").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "SET-CONFIG-EPOCH", "2").Str))
	require.Equal(t, "OK", string(b.Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(pa)).Str))
	for _, c := range []*difftest.Conn{a, b} {
		require.Eventually(t, func() bool { return strings.Contains(string(c.Do("CLUSTER", "INFO").Str), "cluster_state:ok") },
			20*time.Second, 50*time.Millisecond)
	}
	return srvA, a, b, pa, pb
}

// TestClusterLostSlotKeys gives a slot with keys to another node behind its owner's back (a newer config epoch):
// the old owner deletes the slot's keys, propagating each DEL, as Redis's delKeysInSlot does.
func TestClusterLostSlotKeys(t *testing.T) {
	srvA, a, b, _, _ := twoNodes(t)
	rec := &recordSink{}
	tx := srvA.ks.BeginAll(0)
	srvA.attachSink(toRepl, rec)
	tx.End()
	slot := strconv.Itoa(clusterbus.KeySlot([]byte("{n}")))
	other := "o"
	for clusterbus.KeySlot([]byte(other)) >= 8192 || strconv.Itoa(clusterbus.KeySlot([]byte(other))) == slot {
		other += "o"
	}
	for _, k := range []string{"{n}a", "{n}b", other} {
		require.Equal(t, "OK", string(a.Do("SET", k, "v").Str))
	}
	assert.Equal(t, int64(2), a.Do("CLUSTER", "COUNTKEYSINSLOT", slot).Int)
	idB := string(b.Do("CLUSTER", "MYID").Str)
	require.Equal(t, "OK", string(b.Do("CLUSTER", "SETSLOT", slot, "NODE", idB).Str))
	b.Do("CLUSTER", "BUMPEPOCH")
	require.Eventually(t, func() bool { return a.Do("CLUSTER", "COUNTKEYSINSLOT", slot).Int == 0 },
		20*time.Second, 50*time.Millisecond)
	assert.Equal(t, int64(1), a.Do("DBSIZE").Int)
	stream := strings.Join(parseStream(t, rec.bytes()), "\n")
	assert.Contains(t, stream, `"DEL" "{n}a"`)
	assert.Contains(t, stream, `"DEL" "{n}b"`)
}

// TestClusterMigrateInMulti moves keys of a migrating slot with MIGRATE inside MULTI/EXEC (which holds every
// shard, so MIGRATE takes no gate) and outside it, and checks the redirections afterwards.
func TestClusterMigrateInMulti(t *testing.T) {
	_, a, b, _, pb := twoNodes(t)
	idA, idB := string(a.Do("CLUSTER", "MYID").Str), string(b.Do("CLUSTER", "MYID").Str)
	slot := strconv.Itoa(clusterbus.KeySlot([]byte("{n}")))
	for _, k := range []string{"{n}a", "{n}b", "{n}c"} {
		require.Equal(t, "OK", string(a.Do("SET", k, "v"+k).Str))
	}
	require.Equal(t, "OK", string(b.Do("CLUSTER", "SETSLOT", slot, "IMPORTING", idA).Str))
	require.Equal(t, "OK", string(a.Do("CLUSTER", "SETSLOT", slot, "MIGRATING", idB).Str))
	pbs := strconv.Itoa(pb)
	a.Do("MULTI")
	a.Do("MIGRATE", "127.0.0.1", pbs, "", "0", "1000", "KEYS", "{n}a", "{n}b")
	a.Do("GET", "{n}c")
	exec := a.Do("EXEC")
	require.Len(t, exec.Elems, 2, difftest.Format(exec))
	assert.Equal(t, "OK", string(exec.Elems[0].Str))
	assert.Equal(t, "v{n}c", string(exec.Elems[1].Str))
	assert.Equal(t, "ASK "+slot+" 127.0.0.1:"+pbs, string(a.Do("GET", "{n}a").Str))
	assert.Equal(t, "OK", string(a.Do("MIGRATE", "127.0.0.1", pbs, "{n}c", "0", "1000").Str))
	assert.Equal(t, int64(3), b.Do("CLUSTER", "COUNTKEYSINSLOT", slot).Int)
	assert.Equal(t, int64(0), a.Do("CLUSTER", "COUNTKEYSINSLOT", slot).Int)
	b.Do("ASKING")
	assert.Equal(t, "v{n}b", string(b.Do("GET", "{n}b").Str))
}

// TestClusterShardID checks that CLUSTER MYSHARDID survives a restart through nodes.conf, written with the aux
// fields as Redis 7.2 writes them, and that a 7.2 nodes.conf line with aux fields loads.
func TestClusterShardID(t *testing.T) {
	dir := t.TempDir()
	srv, port := startClusterNode(t, dir, 0)
	c := difftest.Dial(t, addrs(port)[0])
	id, shard := string(c.Do("CLUSTER", "MYID").Str), string(c.Do("CLUSTER", "MYSHARDID").Str)
	require.Len(t, shard, 40)
	assert.NotEqual(t, id, shard)
	assert.NotContains(t, string(c.Do("CLUSTER", "NODES").Str), "shard-id", "CLUSTER NODES shows no aux fields")
	require.NoError(t, srv.Close())
	conf, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	require.NoError(t, err)
	// Matches Redis: a lone node does not know its own IP yet.
	assert.Regexp(t, `^`+id+` :[0-9]+@[0-9]+,,tls-port=0,shard-id=`+shard+` myself,master - 0 0 0 connected\n`, string(conf))
	_, port = startClusterNode(t, dir, port)
	c = difftest.Dial(t, addrs(port)[0])
	assert.Equal(t, shard, string(c.Do("CLUSTER", "MYSHARDID").Str))

	// A nodes.conf as Redis 7.2 writes it: hostnames or not, aux fields in any order.
	dir = t.TempDir()
	conf = []byte("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001,,tls-port=0,shard-id=aaaabbbbccccddddeeeeffff0000111122223333 myself,master - 0 0 3 connected 0-10\n" +
		"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30002@40002,host-b,shard-id=0123456789012345678901234567890123456789,tls-port=0 master - 0 0 2 disconnected 100-200\n" +
		"vars currentEpoch 5 lastVoteEpoch 4\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nodes.conf"), conf, 0o644))
	srv, port = startClusterNode(t, dir, 0)
	c = difftest.Dial(t, addrs(port)[0])
	assert.Equal(t, "aaaabbbbccccddddeeeeffff0000111122223333", string(c.Do("CLUSTER", "MYSHARDID").Str))
	nodes := string(c.Do("CLUSTER", "NODES").Str)
	assert.Contains(t, nodes, "127.0.0.1:30002@40002,host-b master - ")
	require.NoError(t, srv.Close())
	saved, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	require.NoError(t, err)
	assert.Contains(t, string(saved), "127.0.0.1:30002@40002,host-b,tls-port=0,shard-id=0123456789012345678901234567890123456789 master - ")
	assert.Contains(t, string(saved), ",,tls-port=0,shard-id=aaaabbbbccccddddeeeeffff0000111122223333 myself,master - ")
}
