package node

import (
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffReplCommands compares the replication commands' replies and errors with real Redis on a primary with
// no replicas: ROLE, WAIT, REPLICAOF/SLAVEOF argument errors and NO ONE, and REPLCONF from a normal client.
func TestDiffReplCommands(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []string{
		"ROLE", "ROLE x", "WAIT 0 0", "WAIT 1 10", "WAIT x 0", "WAIT 0 x", "WAIT 0 -1", "WAIT -1 0", "WAIT 0",
		"REPLICAOF NO ONE", "SLAVEOF NO ONE", "REPLICAOF NO", "REPLICAOF 127.0.0.1 x", "REPLICAOF 127.0.0.1 -1",
		"REPLICAOF 127.0.0.1 99999", "REPLICAOF NO TWO", "REPLCONF", "REPLCONF listening-port 1234",
		"REPLCONF capa eof capa psync2", "REPLCONF nosuch x", "REPLCONF listening-port", "MULTI", "WAIT 0 0", "EXEC",
	} {
		p.Check(strings.Fields(c)...)
	}
}

// clientFields returns the fields of a CLIENT LIST reply's lines that do not depend on the connection or the
// moment (no id, addresses, fd, ages, buffers), one line per client.
func clientFields(v resp.Value) []string {
	keep := []string{"flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir", "resp"}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(v.Str)), "\n") {
		var fs []string
		for _, f := range strings.Fields(line) {
			if k, _, _ := strings.Cut(f, "="); slices.Contains(keep, k) {
				fs = append(fs, f)
			}
		}
		lines = append(lines, strings.Join(fs, " "))
	}
	return lines
}

// TestDiffReplClients compares the replication connections in CLIENT LIST and CLIENT KILL with Redis's: a
// real Redis replica of Carmine and of Redis (flags=S, cmd=replconf), Carmine and Redis as replicas of Redis
// (flags=M, the last command applied, user=(superuser)); CLIENT KILL TYPE replica and TYPE master cut the
// links, which then resume.
func TestDiffReplClients(t *testing.T) {
	redisPrimary := difftest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	_, carminePrimary := startServer(t)
	rp, cp := difftest.Dial(t, redisPrimary.Addr), difftest.Dial(t, carminePrimary)
	host, port, _ := strings.Cut(carminePrimary, ":")
	redisReplica := difftest.Dial(t, difftest.StartRedis(t, "--replicaof", host, port).Addr)
	_, carmineReplicaAddr := startServer(t, replicaOf(redisPrimary.Addr))
	redisOfRedis := difftest.Dial(t, difftest.StartRedis(t, "--replicaof", strings.Replace(redisPrimary.Addr, ":", " ", 1)).Addr)
	carmineReplica := difftest.Dial(t, carmineReplicaAddr)
	caughtUp := func() {
		waitCaughtUp(t, cp, redisReplica)
		waitCaughtUp(t, rp, carmineReplica)
		waitCaughtUp(t, rp, redisOfRedis)
	}
	caughtUp()
	for _, c := range []*difftest.Conn{rp, cp} { // streamed, not in the replicas' full copies
		c.Do("SELECT", "2")
		c.Do("SET", "k", "v")
	}
	caughtUp()
	// Both primaries list their replicas once they acknowledged (cmd=replconf).
	require.Eventually(t, func() bool {
		return strings.Count(string(rp.Do("CLIENT", "LIST", "TYPE", "replica").Str), "cmd=replconf") == 2 &&
			strings.Count(string(cp.Do("CLIENT", "LIST", "TYPE", "replica").Str), "cmd=replconf") == 1
	}, 5*time.Second, 10*time.Millisecond)
	want := clientFields(rp.Do("CLIENT", "LIST", "TYPE", "replica"))
	require.Len(t, want, 2)
	assert.Equal(t, want[:1], clientFields(cp.Do("CLIENT", "LIST", "TYPE", "replica")))
	assert.Equal(t, want[:1], clientFields(cp.Do("CLIENT", "LIST", "TYPE", "slave")))
	all := string(cp.Do("CLIENT", "LIST").Str)
	assert.Contains(t, all, " flags=S ")
	id := strings.TrimPrefix(strings.Fields(string(cp.Do("CLIENT", "LIST", "TYPE", "replica").Str))[0], "id=")
	assert.Equal(t, clientFields(cp.Do("CLIENT", "LIST", "TYPE", "replica")), clientFields(cp.Do("CLIENT", "LIST", "ID", id)))

	// The link to the primary, on a replica.
	assert.Equal(t, clientFields(redisOfRedis.Do("CLIENT", "LIST", "TYPE", "master")), clientFields(carmineReplica.Do("CLIENT", "LIST", "TYPE", "master")))
	assert.Equal(t, []string{"flags=M db=2 sub=0 psub=0 ssub=0 multi=-1 cmd=set user=(superuser) redir=-1 resp=2"},
		clientFields(carmineReplica.Do("CLIENT", "LIST", "TYPE", "master")))

	// CLIENT KILL: the replica's link is cut on either side, and it continues.
	assert.Equal(t, "(integer) 1", difftest.Format(cp.Do("CLIENT", "KILL", "TYPE", "replica")))
	assert.Equal(t, "(integer) 1", difftest.Format(carmineReplica.Do("CLIENT", "KILL", "TYPE", "master")))
	assert.Equal(t, "(integer) 1", difftest.Format(redisOfRedis.Do("CLIENT", "KILL", "TYPE", "master")))
	for _, c := range []*difftest.Conn{rp, cp} {
		c.Do("SET", "k2", "v2")
	}
	caughtUp()
	assert.Equal(t, "1", replInfo(cp, "stats", "sync_partial_ok"))
	assert.Equal(t, "2", replInfo(rp, "stats", "sync_partial_ok"))
	carmineReplica.Do("SELECT", "2")
	assert.Equal(t, `"v2"`, difftest.Format(carmineReplica.Do("GET", "k2")))
}

// TestDiffServeStaleData compares replica-serve-stale-data no with Redis: on a replica whose link is down,
// commands not flagged stale get MASTERDOWN, the others run, EXEC runs only a queue of stale commands, and
// turning the setting back on serves the data again.
func TestDiffServeStaleData(t *testing.T) {
	p := startPair(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nobody listens there: the link stays down
	for _, c := range []string{
		"SET k v", "CONFIG SET replica-serve-stale-data no", "GET k", "REPLICAOF 127.0.0.1 " + port,
		"GET k", "SET k w", "DEL k", "DBSIZE", "KEYS *", "EXISTS k", "TYPE k", "PING", "ECHO hi", "SELECT 1",
		"SELECT 0", "CONFIG GET replica-serve-stale-data", "CLIENT SETNAME x", "CLIENT GETNAME", "SLOWLOG LEN",
		"MULTI", "PING", "ECHO x", "EXEC", "MULTI", "PING", "GET k", "EXEC", "WAIT 0 0", "FLUSHALL",
		"CONFIG SET replica-serve-stale-data yes", "GET k", "SET k w", "REPLICAOF NO ONE", "GET k",
	} {
		p.Check(strings.Fields(c)...)
	}
}

// TestDiffUnblockedOnReplicaOf compares with Redis what clients blocked in BLPOP and in WAIT get when the
// server becomes a replica: the UNBLOCKED error, then their connection closes.
func TestDiffUnblockedOnReplicaOf(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		redis := difftest.StartRedis(t)
		_, addr := startServer(t, mode)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		for _, a := range []string{redis.Addr, addr} {
			blpop, wait, admin := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
			blpop.Send("BLPOP", "l", "0")
			wait.Send("WAIT", "1", "0")
			require.Eventually(t, func() bool { return replInfo(admin, "clients", "blocked_clients") == "2" },
				5*time.Second, 5*time.Millisecond, a)
			assert.Equal(t, "+OK", difftest.Format(admin.Do("REPLICAOF", "127.0.0.1", port)), a)
			for _, c := range []*difftest.Conn{blpop, wait} {
				assert.Equal(t, "(error) UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
					difftest.Format(c.Receive()), a)
				_, err := c.ReceiveErr(5 * time.Second)
				assert.ErrorIs(t, err, io.EOF, a)
			}
			assert.Equal(t, "0", replInfo(admin, "clients", "blocked_clients"), a)
			admin.Do("REPLICAOF", "NO", "ONE")
		}
	})
}

// fakeReplica connects to addr as a replica that takes a full sync and never acknowledges anything.
func fakeReplica(t *testing.T, addr string) {
	c := difftest.Dial(t, addr)
	require.Equal(t, "+OK", difftest.Format(c.Do("REPLCONF", "capa", "eof", "capa", "psync2")))
	c.Send("PSYNC", "?", "-1")
	require.Eventually(t, func() bool {
		return strings.Contains(replInfo(difftest.Dial(t, addr), "replication", "slave0"), "state=online") ||
			strings.Contains(replInfo(difftest.Dial(t, addr), "replication", "slave0"), "state=send_bulk")
	}, 10*time.Second, 10*time.Millisecond)
}

// TestDiffShutdownWaitsForReplicas compares with Redis a SHUTDOWN on a primary whose replica lags: it blocks
// with writes paused and reads served, SHUTDOWN ABORT cancels it (the blocked SHUTDOWN gets an error, the
// paused write runs), and after shutdown-timeout the server stops anyway.
func TestDiffShutdownWaitsForReplicas(t *testing.T) {
	ioModes(t, testDiffShutdownWaitsForReplicas)
}

func testDiffShutdownWaitsForReplicas(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	_, addr := startServer(t, mode)
	for _, a := range []string{redis.Addr, addr} {
		admin, shut, write, read := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		admin.Do("CONFIG", "SET", "shutdown-timeout", "10")
		fakeReplica(t, a)
		admin.Do("SET", "k", "v") // the replica does not acknowledge it
		assert.Equal(t, "(error) ERR No shutdown in progress.", difftest.Format(admin.Do("SHUTDOWN", "ABORT")), a)
		shut.Send("SHUTDOWN", "NOSAVE")
		_, err := shut.ReceiveErr(200 * time.Millisecond)
		require.Error(t, err, a) // blocked
		write.Send("SET", "k", "w")
		_, err = write.ReceiveErr(100 * time.Millisecond)
		require.Error(t, err, a) // paused
		assert.Equal(t, `"v"`, difftest.Format(read.Do("GET", "k")), a)
		assert.Equal(t, "+OK", difftest.Format(admin.Do("SHUTDOWN", "ABORT")), a)
		assert.Equal(t, "(error) ERR Errors trying to SHUTDOWN. Check logs.", difftest.Format(shut.Receive()), a)
		assert.Equal(t, "+OK", difftest.Format(write.Receive()), a)
		assert.Equal(t, "(error) ERR No shutdown in progress.", difftest.Format(admin.Do("SHUTDOWN", "ABORT")), a)

		// Without ABORT, the server stops after shutdown-timeout.
		admin.Do("CONFIG", "SET", "shutdown-timeout", "1")
		start := time.Now()
		shut.Send("SHUTDOWN", "NOSAVE")
		_, err = shut.ReceiveErr(5 * time.Second)
		assert.ErrorIs(t, err, io.EOF, a)
		if a == addr { // Redis 7.0 stops sooner than shutdown-timeout here
			assert.Greater(t, time.Since(start), 800*time.Millisecond)
		}
	}
}

// TestShutdownWaitsForReplica checks that SHUTDOWN on a primary lets its replica catch up first, and that
// SHUTDOWN NOW does not wait.
func TestShutdownWaitsForReplica(t *testing.T) {
	_, addr := startServer(t, func(c *Config) { c.ShutdownTimeout = 30 })
	_, raddr := startServer(t, replicaOf(addr))
	p, r := difftest.Dial(t, addr), difftest.Dial(t, raddr)
	waitCaughtUp(t, p, r)
	for i := range 2000 {
		p.Send("SET", "k"+strconv.Itoa(i), "v")
	}
	p.Send("SHUTDOWN", "NOSAVE")
	for range 2000 {
		p.Receive()
	}
	_, err := p.ReceiveErr(10 * time.Second)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, `"v"`, difftest.Format(r.Do("GET", "k1999")))

	_, addr = startServer(t, func(c *Config) { c.ShutdownTimeout = 30 })
	fakeReplica(t, addr)
	p = difftest.Dial(t, addr)
	p.Do("SET", "k", "v")
	start := time.Now()
	p.Send("SHUTDOWN", "NOW", "NOSAVE")
	_, err = p.ReceiveErr(10 * time.Second)
	assert.ErrorIs(t, err, io.EOF)
	assert.Less(t, time.Since(start), 5*time.Second)
}
