package clustercheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireEnv turns a missing redis-cli from a skip into a failure, as in the server's tests.
const requireEnv = "CARMINE_REQUIRE_REDIS"

// needRedisCLI returns redis-cli's path, or skips (fails under CARMINE_REQUIRE_REDIS) without it.
func needRedisCLI(t *testing.T) string {
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("redis-cli is not installed, and %s is set", requireEnv)
		}
		t.Skip("redis-cli is not installed: skipping the go-redis cluster test")
	}
	return bin
}

// buildServer builds Carmine's server from this repository into dir.
func buildServer(t *testing.T, dir string) string {
	bin := filepath.Join(dir, "carmine-server")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "server")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the server:\n%s", out)
	return bin
}

// freePair returns a port p such that p and p+10000 (its cluster bus port, which redis-cli assumes) are free.
func freePair(t *testing.T) int {
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

// startNode starts a cluster-enabled Carmine at a free port pair and stops it when the test ends.
func startNode(t *testing.T, bin string) int {
	port := freePair(t)
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--cluster-enabled", "yes", "--cluster-node-timeout", "3000", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("node %d said:\n%s", port, out.String())
		}
	})
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "node %d did not start", port)
	return port
}

// redisCLI runs redis-cli with args, at most a minute, and returns its output.
func redisCLI(t *testing.T, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, needRedisCLI(t), args...).CombinedOutput()
	require.NoError(t, err, "redis-cli %v:\n%s", args, out)
	return string(out)
}

// TestGoRedisClusterClient forms a three-primary Carmine cluster and uses go-redis's ClusterClient on it: writes
// and reads of keys in every node's slots, a pipeline spanning slots, hash-tagged multi-key commands, and a
// client that starts with a wrong slot map and learns the right one from MOVED.
func TestGoRedisClusterClient(t *testing.T) {
	needRedisCLI(t)
	bin := buildServer(t, t.TempDir())
	var nodes []string
	for range 3 {
		nodes = append(nodes, "127.0.0.1:"+strconv.Itoa(startNode(t, bin)))
	}
	out := redisCLI(t, append(append([]string{"--cluster", "create"}, nodes...), "--cluster-replicas", "0", "--cluster-yes")...)
	require.Contains(t, out, "[OK] All 16384 slots covered", out)
	for _, n := range nodes {
		require.Eventually(t, func() bool {
			out := redisCLI(t, "--cluster", "check", n)
			return strings.Contains(out, "[OK] All nodes agree about slots configuration.") &&
				strings.Contains(redisCLI(t, "-h", "127.0.0.1", "-p", strings.Split(n, ":")[1], "CLUSTER", "INFO"), "cluster_state:ok")
		}, 30*time.Second, 200*time.Millisecond, "node %s", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: nodes[:1], MaxRedirects: 8})
	defer cc.Close()
	const n = 500
	for i := range n {
		require.NoError(t, cc.Set(ctx, "key:"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0).Err())
	}
	for i := range n {
		v, err := cc.Get(ctx, "key:"+strconv.Itoa(i)).Result()
		require.NoError(t, err)
		assert.Equal(t, "v"+strconv.Itoa(i), v)
	}
	// Every primary holds some of the keys: the client spread them by slot. (ForEachMaster runs in parallel.)
	var total atomic.Int64
	require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		size, err := c.DBSize(ctx).Result()
		if err == nil && size == 0 {
			err = fmt.Errorf("%s holds no keys", c.Options().Addr)
		}
		total.Add(size)
		return err
	}))
	assert.Equal(t, int64(n), total.Load())

	// A pipeline across slots, and multi-key commands within one hash tag.
	cmds, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 100 {
			p.Incr(ctx, "counter:"+strconv.Itoa(i))
		}
		return nil
	})
	require.NoError(t, err)
	for _, c := range cmds {
		assert.Equal(t, int64(1), c.(*redis.IntCmd).Val())
	}
	require.NoError(t, cc.MSet(ctx, "{user:1}:name", "ada", "{user:1}:lang", "go").Err())
	vals, err := cc.MGet(ctx, "{user:1}:name", "{user:1}:lang").Result()
	require.NoError(t, err)
	assert.Equal(t, []any{"ada", "go"}, vals)
	require.NoError(t, cc.HSet(ctx, "hash", "f", "v").Err())
	assert.Equal(t, "v", cc.HGet(ctx, "hash", "f").Val())

	// A client whose slot map says one node serves everything: MOVED replies send each command to its owner.
	wrong := redis.NewClusterClient(&redis.ClusterOptions{
		MaxRedirects: 8,
		ClusterSlots: func(ctx context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: nodes[0]}}}}, nil
		},
	})
	defer wrong.Close()
	for i := range 50 {
		v, err := wrong.Get(ctx, "key:"+strconv.Itoa(i)).Result()
		require.NoError(t, err)
		assert.Equal(t, "v"+strconv.Itoa(i), v)
	}
	// Without redirections, the other nodes answer MOVED to the owner, as go-redis expects to parse it.
	direct := redis.NewClient(&redis.Options{Addr: nodes[0]})
	defer direct.Close()
	moved := 0
	for i := range 50 {
		if err := direct.Get(ctx, "key:"+strconv.Itoa(i)).Err(); err != nil && strings.HasPrefix(err.Error(), "MOVED ") {
			moved++
		}
	}
	assert.Positive(t, moved)
}
