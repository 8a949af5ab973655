package node

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// replicaOf is a startServer option that makes the server a replica of addr.
func replicaOf(addr string) func(*Config) {
	host, port, _ := strings.Cut(addr, ":")
	return func(c *Config) { c.ReplicaOf = host + " " + port }
}

// TestChainedReplicasPSYNC2 runs a chain of Carmine servers, P <- R1 <- R2: the chain stays in sync through
// mixed writes; a cut link resyncs partially; R1 promoted keeps R2 (partially, under R1's new id), and P made
// a replica of R1 continues partially too, as PSYNC2 allows.
func TestChainedReplicasPSYNC2(t *testing.T) {
	p, pAddr := startServer(t)
	_, r1Addr := startServer(t, replicaOf(pAddr))
	_, r2Addr := startServer(t, replicaOf(r1Addr))
	pc, r1c, r2c := difftest.Dial(t, pAddr), difftest.Dial(t, r1Addr), difftest.Dial(t, r2Addr)
	stat := func(c *difftest.Conn, f string) string { return replInfo(c, "stats", f) }

	fillAllTypes(t, pc)
	rng := rand.New(rand.NewPCG(5, 6))
	writeMix(t, pc, rng, 1000)
	waitCaughtUp(t, pc, r1c)
	waitCaughtUp(t, pc, r2c) // the chain passes the stream on byte for byte: the same offsets
	sameData(t, pc, r1c)
	sameData(t, pc, r2c)
	assert.Equal(t, "1", stat(pc, "sync_full"))
	assert.Equal(t, "1", stat(r1c, "sync_full"))

	// A cut link: R1 continues from its offset.
	rs := p.replicaList()
	require.Len(t, rs, 1)
	rs[0].close("cut by the test")
	writeMix(t, pc, rng, 300)
	waitCaughtUp(t, pc, r1c)
	waitCaughtUp(t, pc, r2c)
	sameData(t, pc, r2c)
	assert.Equal(t, "1", stat(pc, "sync_full"))
	assert.Equal(t, "1", stat(pc, "sync_partial_ok"))

	// R1 promoted: R2 continues from it under its new id.
	require.Equal(t, "+OK", difftest.Format(r1c.Do("REPLICAOF", "NO", "ONE")))
	assert.Equal(t, "master", replInfo(r1c, "replication", "role"))
	assert.Equal(t, replInfo(pc, "replication", "master_replid"), replInfo(r1c, "replication", "master_replid2"))
	writeMix(t, r1c, rng, 300)
	waitCaughtUp(t, r1c, r2c)
	sameData(t, r1c, r2c)
	assert.Equal(t, replInfo(r1c, "replication", "master_replid"), replInfo(r2c, "replication", "master_replid"))

	// P, with nothing written since, follows R1 and continues too.
	host, port, _ := strings.Cut(r1Addr, ":")
	require.Equal(t, "+OK", difftest.Format(pc.Do("REPLICAOF", host, port)))
	waitCaughtUp(t, r1c, pc)
	sameData(t, r1c, pc)
	assert.Equal(t, "1", stat(r1c, "sync_full")) // R2's first sync only
	assert.Equal(t, "2", stat(r1c, "sync_partial_ok"))
	assert.Equal(t, "(error) READONLY You can't write against a read only replica.", difftest.Format(pc.Do("SET", "k", "v")))
	assert.Equal(t, `+OK Already connected to specified master`, difftest.Format(pc.Do("REPLICAOF", host, port)))
	assert.Equal(t, `"`+host+` `+port+`"`, difftest.Format(pc.Do("CONFIG", "GET", "replicaof").Elems[1]))
}

// TestWaitReplicaDown checks WAIT: it answers at once when enough replicas acknowledged, blocks until its
// timeout when a replica is down and answers how many acknowledged, and min-replicas-to-write refuses writes
// without enough good replicas.
func TestWaitReplicaDown(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, pAddr := startServer(t, mode)
		r, rAddr := startServer(t, replicaOf(pAddr))
		pc, rc := difftest.Dial(t, pAddr), difftest.Dial(t, rAddr)
		pc.Do("SET", "a", "1")
		waitCaughtUp(t, pc, rc)
		assert.Equal(t, "(integer) 1", difftest.Format(pc.Do("WAIT", "1", "0")))
		assert.Equal(t, "(integer) 1", difftest.Format(pc.Do("WAIT", "2", "100")), "one replica of two, after 100 ms")

		// Parallel WAITs are all answered by the ACKs.
		others := make([]*difftest.Conn, 3)
		for i := range others {
			others[i] = difftest.Dial(t, pAddr)
			others[i].Do("SET", "k"+strconv.Itoa(i), "v")
			others[i].Send("WAIT", "1", "5000")
		}
		for _, o := range others {
			assert.Equal(t, "(integer) 1", difftest.Format(o.Receive()))
		}

		r.Close()
		require.Eventually(t, func() bool { return replInfo(pc, "replication", "connected_slaves") == "0" },
			5*time.Second, 10*time.Millisecond)
		pc.Do("SET", "b", "2")
		start := time.Now()
		assert.Equal(t, "(integer) 0", difftest.Format(pc.Do("WAIT", "1", "200")))
		assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)

		assert.Equal(t, "+OK", difftest.Format(pc.Do("CONFIG", "SET", "min-replicas-to-write", "1")))
		assert.Equal(t, "(error) NOREPLICAS Not enough good replicas to write.", difftest.Format(pc.Do("SET", "c", "3")))
		assert.Equal(t, `"2"`, difftest.Format(pc.Do("GET", "b")))
	})
}

// TestReplicaNeverReads checks that a replica that never reads its stream is disconnected once its buffer
// passes the replica class of client-output-buffer-limit.
func TestReplicaNeverReads(t *testing.T) {
	_, pAddr := startServer(t, func(c *Config) { c.OutputLimits[classReplica] = outputLimit{Hard: 1 << 20} })
	pc := difftest.Dial(t, pAddr)
	nc, err := net.Dial("tcp", pAddr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	_, err = nc.Write([]byte("*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return replInfo(pc, "replication", "connected_slaves") == "1" },
		5*time.Second, 10*time.Millisecond)
	val := strings.Repeat("x", 64<<10)
	for i := 0; i < 200 && replInfo(pc, "replication", "connected_slaves") == "1"; i++ {
		pc.Do("SET", "k"+strconv.Itoa(i), val)
	}
	assert.Equal(t, "0", replInfo(pc, "replication", "connected_slaves"))
}

// TestLinkCutMidPayload checks that a replica whose primary goes away in the middle of the payload keeps its
// data and retries: a fake primary answers the handshake, sends half a payload and hangs up.
func TestLinkCutMidPayload(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	attempts := make(chan string, 8)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				rd := resp.NewCommandReader(nc)
				for {
					args, err := rd.ReadCommand()
					if err != nil {
						return
					}
					switch strings.ToUpper(string(args[0])) {
					case "PING":
						nc.Write([]byte("+PONG\r\n"))
					case "REPLCONF":
						nc.Write([]byte("+OK\r\n"))
					case "PSYNC":
						attempts <- string(args[1]) + " " + string(args[2])
						nc.Write([]byte("+FULLRESYNC " + strings.Repeat("a", 40) + " 100\r\n$1000\r\nREDIS0011"))
						return // cut in the middle of the payload
					}
				}
			}()
		}
	}()
	srv, addr := startServer(t)
	c := difftest.Dial(t, addr)
	c.Do("SET", "mine", "kept")
	host, port, _ := strings.Cut(ln.Addr().String(), ":")
	require.Equal(t, "+OK", difftest.Format(c.Do("REPLICAOF", host, port)))
	first := <-attempts
	assert.True(t, strings.HasSuffix(first, " 1"), "PSYNC from its own id and offset+1: %s", first)
	<-attempts // it retried
	assert.Equal(t, `"kept"`, difftest.Format(c.Do("GET", "mine")), "nothing loaded from a cut payload")
	assert.Equal(t, "down", replInfo(c, "replication", "master_link_status"))
	assert.Equal(t, "+OK", difftest.Format(c.Do("REPLICAOF", "NO", "ONE")))
	assert.False(t, srv.isReplica())
	assert.Equal(t, "+OK", difftest.Format(c.Do("SET", "mine", "writable again")))
}

// TestPrimaryRestartFullResync restarts Carmine under a real Redis replica: the new server has a new history,
// so Redis resyncs fully and ends with the new data set.
func TestPrimaryRestartFullResync(t *testing.T) {
	srv, addr := startServer(t)
	primary := difftest.Dial(t, addr)
	primary.Do("SET", "old", "1")
	host, port, _ := strings.Cut(addr, ":")
	redis := difftest.StartRedis(t, "--replicaof", host, port)
	replica := difftest.Dial(t, redis.Addr)
	waitCaughtUp(t, primary, replica)
	require.Equal(t, `"1"`, difftest.Format(replica.Do("GET", "old")))

	srv.Close()
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	_, addr2 := startServer(t, func(c *Config) { c.Port = n })
	primary2 := difftest.Dial(t, addr2)
	primary2.Do("SET", "new", "2")
	// The replica may not have seen the old primary go yet, with an offset equal to the new one's (SET old 1 and
	// SET new 2 are as long): wait for it to follow the new history first.
	require.Eventually(t, func() bool {
		return replInfo(replica, "replication", "master_replid") == replInfo(primary2, "replication", "master_replid")
	}, 20*time.Second, 20*time.Millisecond, "the replica never synced with the restarted primary")
	waitCaughtUp(t, primary2, replica)
	sameData(t, primary2, replica)
	assert.Equal(t, "1", replInfo(primary2, "stats", "sync_full"))
	assert.Equal(t, "(nil bulk)", difftest.Format(replica.Do("GET", "old")))
}

// TestSubReplicaSyncUnderLoad starts a replica of a replica while the top primary takes writes: the middle
// replica's snapshot and the stream it passes on meet exactly (no command lost or applied twice).
func TestSubReplicaSyncUnderLoad(t *testing.T) {
	_, pAddr := startServer(t)
	_, r1Addr := startServer(t, replicaOf(pAddr))
	pc, r1c := difftest.Dial(t, pAddr), difftest.Dial(t, r1Addr)
	pc.Do("SET", "warm", "1")
	waitCaughtUp(t, pc, r1c)
	send := func(n int) {
		for i := range n {
			pc.Send("INCR", "n")
			pc.Send("RPUSH", "l", strconv.Itoa(i))
		}
	}
	send(3000)
	_, r2Addr := startServer(t, replicaOf(r1Addr))
	send(3000)
	for range 2 * 6000 {
		pc.Receive()
	}
	r2c := difftest.Dial(t, r2Addr)
	waitCaughtUp(t, pc, r2c)
	sameData(t, pc, r2c)
	assert.Equal(t, `"6000"`, difftest.Format(r2c.Do("GET", "n")))
}

// TestReplicaAOFAfterFullSync checks that a replica with appendonly yes rewrites its AOF after a full sync:
// restarted from its files, it holds the primary's copy and the stream after it.
func TestReplicaAOFAfterFullSync(t *testing.T) {
	_, pAddr := startServer(t)
	p := difftest.Dial(t, pAddr)
	for i := range 100 {
		p.Do("SET", "k"+strconv.Itoa(i), "v"+strconv.Itoa(i)) // in the full copy
	}
	dir := t.TempDir()
	aof := func(c *Config) { c.Dir, c.AOF.Enabled = dir, true }
	r, rAddr := startServer(t, replicaOf(pAddr), aof)
	rc := difftest.Dial(t, rAddr)
	waitCaughtUp(t, p, rc)
	require.Eventually(t, func() bool {
		return replInfo(rc, "persistence", "aof_rewrite_in_progress") == "0" && replInfo(rc, "persistence", "aof_rewrites") != "0"
	}, 10*time.Second, 10*time.Millisecond)
	for i := 100; i < 150; i++ {
		p.Do("SET", "k"+strconv.Itoa(i), "v"+strconv.Itoa(i)) // streamed
	}
	waitCaughtUp(t, p, rc)
	r.Close()

	_, addr := startServer(t, aof)
	c := difftest.Dial(t, addr)
	assert.Equal(t, "(integer) 150", difftest.Format(c.Do("DBSIZE")))
	for i := range 150 {
		assert.Equal(t, `"v`+strconv.Itoa(i)+`"`, difftest.Format(c.Do("GET", "k"+strconv.Itoa(i))))
	}
}

// TestDisklessLoad runs replicas with each repl-diskless-load of Carmine and of Redis (diskless and sized
// payloads): every one gets the primary's data and stream; only disabled, and on-empty-db on a replica with
// keys, write the payload to dbfilename.
func TestDisklessLoad(t *testing.T) {
	redis := difftest.StartRedis(t, "--repl-diskless-sync", "no")
	_, carmine := startServer(t)
	for _, primary := range []struct{ name, addr string }{{"redis", redis.Addr}, {"carmine", carmine}} {
		pc := difftest.Dial(t, primary.addr)
		fillAllTypes(t, pc)
		for _, tc := range []struct {
			mode     string
			keys     bool // the replica has keys of its own before the sync
			wantFile bool
		}{{"disabled", false, true}, {"on-empty-db", false, false}, {"on-empty-db", true, true}, {"swapdb", true, false}} {
			t.Run(fmt.Sprintf("%s/%s/keys=%t", primary.name, tc.mode, tc.keys), func(t *testing.T) {
				dir := t.TempDir()
				_, addr := startServer(t, func(c *Config) { c.Dir, c.ReplDisklessLoad = dir, tc.mode })
				rc := difftest.Dial(t, addr)
				if tc.keys {
					rc.Do("SET", "own", "x")
				}
				host, port, _ := strings.Cut(primary.addr, ":")
				require.Equal(t, "+OK", difftest.Format(rc.Do("REPLICAOF", host, port)))
				syncThenMix(t, pc, rc, rand.New(rand.NewPCG(9, 10)))
				_, err := os.Stat(filepath.Join(dir, "dump.rdb"))
				assert.Equal(t, tc.wantFile, err == nil, "dump.rdb written")
			})
		}
	}
}
