package node

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// The hostile-client suite (issue 9): clients that do not authenticate, send a byte at a time, never read
// their replies, connect by the thousand or send garbage. In each test the server stays up, keeps serving a
// well-behaved client meanwhile, and its memory stays bounded. Every test is TestHostile*, bounded in time
// (the suite takes well under a minute, also under -race).

// prober is a well-behaved client that runs PING in a loop on its own goroutine and records the slowest
// round trip, for checking that the server serves others while hostile clients work on it.
type prober struct {
	stop    chan struct{}
	done    chan struct{}
	n       int
	slowest time.Duration
	err     error
}

// startProber connects to addr (authenticating with pass, if any) and pings until stopped.
func startProber(t *testing.T, addr, pass string) *prober {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	rd := bufio.NewReader(conn)
	roundTrip := func(req, want string) error {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, req); err != nil {
			return err
		}
		line, err := rd.ReadString('\n')
		if err != nil {
			return err
		}
		if line != want {
			return fmt.Errorf("%q: got %q", req, line)
		}
		return nil
	}
	if pass != "" {
		require.NoError(t, roundTrip("AUTH "+pass+"\r\n", "+OK\r\n"))
	}
	require.NoError(t, roundTrip("PING\r\n", "+PONG\r\n")) // connected (CLIENT LIST, INFO) from now on
	p := &prober{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			start := time.Now()
			if p.err = roundTrip("PING\r\n", "+PONG\r\n"); p.err != nil {
				return
			}
			p.n++
			p.slowest = max(p.slowest, time.Since(start))
		}
	}()
	t.Cleanup(p.finish)
	return p
}

// finish stops the prober and waits for it; safe to call more than once.
func (p *prober) finish() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// check stops the prober and asserts it was served all along, no round trip slower than limit.
func (p *prober) check(t *testing.T, limit time.Duration) {
	t.Helper()
	p.finish()
	require.NoError(t, p.err, "the well-behaved client")
	assert.Positive(t, p.n, "the well-behaved client was served")
	assert.Less(t, p.slowest, limit, "slowest PING of the well-behaved client (%d pings)", p.n)
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// infoField returns a field of INFO as a number.
func infoField(t *testing.T, c *difftest.Conn, field string) int64 {
	t.Helper()
	info := string(c.Do("INFO", "everything").Str)
	i := strings.Index(info, "\r\n"+field+":")
	require.GreaterOrEqual(t, i, 0, "INFO has no %s", field)
	v := info[i+len(field)+3:]
	n, err := strconv.ParseInt(v[:strings.Index(v, "\r\n")], 10, 64)
	require.NoError(t, err)
	return n
}

// TestHostileUnauthenticated runs every command of the command table (every subcommand of containers) with
// the right number of arguments on a connection that has not authenticated, against Carmine and real Redis:
// the replies match (NOAUTH, or what Redis answers for AUTH, HELLO, QUIT, RESET ...), and for the commands
// Redis 7.0 does not know Carmine gives NOAUTH too. An authenticated client is served meanwhile.
func TestHostileUnauthenticated(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		redis := difftest.StartRedis(t, "--requirepass", "pw")
		_, addr := startServer(t, mode, func(c *Config) { c.RequirePass = "pw" })
		probe := startProber(t, addr, "pw")

		admin := difftest.Dial(t, redis.Addr)
		require.Equal(t, "+OK", difftest.Format(admin.Do("AUTH", "pw")))
		known := make(map[string]bool)
		for _, e := range admin.Do("COMMAND", "LIST").Elems {
			known[string(e.Str)] = true
		}

		var specs []*cmdspec.Spec
		for _, s := range cmdspec.All() {
			if s.IsContainer() {
				specs = append(specs, s.Subcommands...)
			} else {
				specs = append(specs, s)
			}
		}
		p := difftest.NewPair(t, redis.Addr, addr)
		checked, noauth := 0, 0
		for _, s := range specs {
			switch {
			case s.Name == "quit":
				continue // closes the connection; below
			case s.Has(cmdspec.FlagNoAuth) && commands[s.Name] == nil:
				continue // not implemented: unknown to any client
			}
			args := strings.Split(strings.ToUpper(s.Name), "|")
			for len(args) < max(s.Arity, -s.Arity) {
				args = append(args, "x")
			}
			if known[s.Name] {
				p.Check(args...)
				checked++
				continue
			}
			// Redis 7.2's commands that 7.0 lacks.
			assert.Equal(t, "(error) NOAUTH Authentication required.", difftest.Format(p.Carmine.Do(args...)), "%q", args)
			noauth++
		}
		t.Logf("%d commands compared with Redis, %d more checked for NOAUTH", checked, noauth)
		p.Check("PING") // the connection still works, still unauthenticated
		p.CheckRaw([]byte("QUIT\r\n"), 200*time.Millisecond)
		probe.check(t, 2*time.Second)
	})
}

// TestHostileSlowloris has many clients send their commands one byte every 100 ms: they hold connections
// open but do not slow down a client that sends whole commands, and their commands run once complete.
func TestHostileSlowloris(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		probe := startProber(t, addr, "")
		const clients = 200
		req := []byte("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$1\r\n1\r\n") // 33 bytes: 3.3 s a client
		conns := make([]net.Conn, clients)
		for i := range conns {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			conns[i] = c
		}
		for _, b := range req {
			for _, c := range conns {
				_, err := c.Write([]byte{b})
				require.NoError(t, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 5)
			_, err := io.ReadFull(c, buf)
			require.NoError(t, err)
			assert.Equal(t, "+OK\r\n", string(buf))
		}
		probe.check(t, 500*time.Millisecond)
	})
}

// TestHostileNonReader has a client pipeline GETs of a 1 MB value without ever reading the replies, and a
// subscriber never read while others publish large messages: both are disconnected by
// client-output-buffer-limit (normal 8 MB here, pub/sub 32 MB by default), the server's heap stays bounded,
// and a well-behaved client is served meanwhile.
func TestHostileNonReader(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode, func(c *Config) { c.OutputLimits[classNormal] = outputLimit{Hard: 8 << 20} })
		admin := difftest.Dial(t, addr)
		big := strings.Repeat("v", 1<<20)
		require.Equal(t, "+OK", difftest.Format(admin.Do("SET", "big", big)))
		base := heapInUse()
		probe := startProber(t, addr, "")

		// A client that never reads: 200 MB of replies asked for.
		reader, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer reader.Close()
		req := bytes.Repeat([]byte("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"), 200)
		reader.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err = reader.Write(req) // may fail once the server hangs up
		require.Eventually(t, func() bool { return infoField(t, admin, "client_output_buffer_limit_disconnections") == 1 },
			10*time.Second, 20*time.Millisecond)

		// A subscriber that never reads, while another client publishes 1 MB messages.
		sub, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer sub.Close()
		_, err = sub.Write([]byte("SUBSCRIBE ch\r\n"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return subscribers(t, admin) == 1 },
			5*time.Second, 10*time.Millisecond)
		pub := difftest.Dial(t, addr)
		for i := 0; i < 200; i++ {
			n := pub.Do("PUBLISH", "ch", big)
			if n.Int == 0 {
				break // the subscriber was disconnected
			}
		}
		require.Eventually(t, func() bool { return infoField(t, admin, "client_output_buffer_limit_disconnections") == 2 },
			10*time.Second, 20*time.Millisecond)
		assert.Equal(t, "(integer) 0", difftest.Format(pub.Do("PUBLISH", "ch", "x")), "the subscriber is gone")

		probe.check(t, 2*time.Second)
		grown := heapInUse() - base
		assert.Less(t, grown, int64(64<<20), "heap grew by %d bytes for 400 MB of replies nobody read", grown)
	})
}

// TestHostileNonReaderHoldsNoLocks has a client ask for a 20 MB list and never read the reply: a client
// writing to that list is served meanwhile. (A command replying while it holds its keys' locks must never
// wait for its client to read.)
func TestHostileNonReaderHoldsNoLocks(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		admin := difftest.Dial(t, addr)
		v := strings.Repeat("x", 1000)
		args := []string{"RPUSH", "big"}
		for j := 0; j < 1000; j++ {
			args = append(args, v)
		}
		for i := 0; i < 20; i++ {
			admin.Do(args...)
		}
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("LRANGE big 0 -1\r\n"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return strings.Contains(string(admin.Do("CLIENT", "LIST").Str), "cmd=lrange") },
			5*time.Second, 10*time.Millisecond, "LRANGE ran")
		other := difftest.Dial(t, addr)
		other.Send("RPUSH", "big", "y")
		v2, err := other.ReceiveErr(5 * time.Second)
		require.NoError(t, err, "RPUSH on the list a client that does not read is reading")
		assert.Equal(t, "(integer) 20001", difftest.Format(v2))
	})
}

// subscribers returns how many clients subscribe to ch.
func subscribers(t *testing.T, c *difftest.Conn) int64 {
	v := c.Do("PUBSUB", "NUMSUB", "ch")
	require.Len(t, v.Elems, 2)
	return v.Elems[1].Int
}

// TestHostileManyConnections opens 10,000 connections to a child server (a process of its own, with room for
// them under its limit of open files, and carmine-server's memory policy), has each run a command, closes them
// all, and checks that the server still serves and its client count returns to what it was; three times. Its
// memory stays bounded while they are open, and returns to about what it was once they are gone (nothing of
// them is kept).
func TestHostileManyConnections(t *testing.T) {
	const n = 10000
	if err := raiseFileLimit(n + 200); err != nil {
		t.Skipf("this process may not hold %d connections: %v", n, err)
	}
	addr := startChildServer(t, 1, childManageMemoryEnv+"=1")
	admin := difftest.Dial(t, addr)
	require.GreaterOrEqual(t, infoField(t, admin, "maxclients"), int64(n+10), "the child's limit of open files fits 10,000 clients")
	before := infoField(t, admin, "connected_clients")
	base := infoField(t, admin, "used_memory_rss")
	var rss []int64
	for round := 0; round < 3; round++ {
		conns := make([]net.Conn, 0, n)
		for len(conns) < n {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err == nil {
				_, err = c.Write([]byte("PING\r\n"))
			}
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				require.NoError(t, err, "connection %d", len(conns))
			}
			conns = append(conns, c)
		}
		buf := make([]byte, 7)
		for i, c := range conns {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Errorf("connection %d: %v", i, err)
				break
			}
		}
		assert.Equal(t, before+n, infoField(t, admin, "connected_clients"))
		rss = append(rss, infoField(t, admin, "used_memory_rss"))
		for _, c := range conns {
			c.Close()
		}
		require.Eventually(t, func() bool { return infoField(t, admin, "connected_clients") == before },
			20*time.Second, 50*time.Millisecond, "the client count returns to normal")
		assert.Equal(t, "+PONG", difftest.Format(admin.Do("PING")))
	}
	t.Logf("child RSS: %d MB at start, with %d connections %d, %d, %d MB", base>>20, n, rss[0]>>20, rss[1]>>20, rss[2]>>20)
	if raceEnabled {
		return // the race detector's own memory (several times the program's) is not the server's
	}
	for _, r := range rss {
		assert.Less(t, r, int64(1<<30), "RSS with 10,000 connections")
	}
	var after int64
	if !assert.Eventually(t, func() bool {
		after = infoField(t, admin, "used_memory_rss")
		return after < base+64<<20
	}, 15*time.Second, 100*time.Millisecond, "memory goes back once the connections are gone") {
		t.Logf("RSS %d MB", after>>20)
	}
}

// TestHostileFrames sends malformed and hostile frames: random bytes, random RESP-looking headers with bad or
// huge lengths, nested garbage, and truncated frames from connections that then hang up. Every connection ends
// with protocol errors (or Redis's replies to whatever random inline commands the bytes spell) and a close,
// or waits for more input until it hangs up; the server never crashes or hangs, its heap stays bounded, and
// its client count returns to normal.
func TestHostileFrames(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		admin := difftest.Dial(t, addr)
		base := heapInUse()
		probe := startProber(t, addr, "")
		clients := infoField(t, admin, "connected_clients")
		rng := rand.New(rand.NewPCG(9, 9))
		pieces := []string{"*", "$", "\r\n", "\r", "\n", "-1", "0", "1", "3", "2147483647", "2147483648",
			"536870912", "99999999999999999999", "-5", "PING", "SET", "x", "\x00", "\"", "'", "\\x", " ", "*1\r\n",
			"$1\r\n", "*3\r\n$3\r\nSET\r\n", "$536870911\r\n", strings.Repeat("*9\r\n", 50)}
		frame := func() []byte {
			var b []byte
			if rng.IntN(4) == 0 { // plain random bytes
				b = make([]byte, rng.IntN(4096))
				for i := range b {
					b[i] = byte(rng.IntN(256))
				}
				return b
			}
			for k := rng.IntN(40); k >= 0; k-- {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			}
			return b
		}
		const conns = 300
		var wg sync.WaitGroup
		results := make([]string, conns)
		for i := 0; i < conns; i++ {
			data := frame()
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = sendHostile(addr, data)
			}(i)
		}
		wg.Wait()
		counts := make(map[string]int)
		for _, r := range results {
			counts[r]++
		}
		t.Logf("outcomes: %v", counts)
		assert.Zero(t, counts["dial failed"], "the server accepted every connection")
		probe.check(t, 2*time.Second)
		if !assert.Eventually(t, func() bool { return infoField(t, admin, "connected_clients") == clients },
			10*time.Second, 20*time.Millisecond, "every hostile connection is gone") {
			t.Logf("%d clients: %s", infoField(t, admin, "connected_clients"), admin.Do("CLIENT", "LIST").Str)
		}
		grown := heapInUse() - base
		assert.Less(t, grown, int64(64<<20), "heap grew by %d bytes", grown)
	})
}

// sendHostile sends data on a new connection, reads for a while, hangs up, and reports what happened:
// "closed" (the server closed the connection), "waiting" (it waited for more input) or a failure.
func sendHostile(addr string, data []byte) string {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "dial failed"
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Write(data); err != nil {
		return "closed" // the server hung up on an earlier part of the data
	}
	_, err = io.Copy(io.Discard, c)
	if err == nil {
		return "closed"
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return "waiting"
	}
	return "closed" // reset
}
