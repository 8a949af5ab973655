package node

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: tWriter{t}})
}

// startServer starts Carmine in-process on a free loopback port, with cfg changed by the options, and stops
// it when the test ends. It returns the server and its address.
func startServer(t testing.TB, opts ...func(*Config)) (*Server, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Save = nil // as difftest starts Redis: --save ""
	cfg.Dir = t.TempDir()
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := Start(cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv, srv.Addr().String()
}

// startPair starts real Redis (skipping or failing as difftest says when it is missing) and Carmine with the
// same password, and connects to both.
func startPair(t testing.TB, requirepass string, opts ...func(*Config)) *difftest.Pair {
	t.Helper()
	var extra []string
	if requirepass != "" {
		extra = []string{"--requirepass", requirepass}
	}
	redis := difftest.StartRedis(t, extra...)
	_, addr := startServer(t, append(opts, func(c *Config) { c.RequirePass = requirepass })...)
	return difftest.NewPair(t, redis.Addr, addr)
}

// ioModes runs f once per way of serving connections: event loops (the default on Linux) and a goroutine per
// connection.
func ioModes(t *testing.T, f func(t *testing.T, mode func(*Config))) {
	for _, m := range []struct {
		name  string
		loops int
	}{{"loop", 1}, {"goroutine", 0}} {
		t.Run(m.name, func(t *testing.T) { f(t, func(c *Config) { c.EventLoops = m.loops }) })
	}
}

// waitBlocked polls INFO on c until blocked_clients is n, failing after 5 seconds: the blocking commands sent
// on other connections have reached the server and wait (or the waiters that went away are gone). Tests call
// it instead of sleeping, so that the order in which clients block does not depend on the machine's speed.
func waitBlocked(t testing.TB, c *difftest.Conn, n int) {
	t.Helper()
	want := "\r\nblocked_clients:" + strconv.Itoa(n) + "\r\n"
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		info := string(c.Do("INFO", "clients").Str)
		if strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients is not %d after 5s:\n%s", n, info)
		}
	}
}

// waitGone polls c with a command until its reply is empty or zero (an empty CLIENT LIST, PUBSUB NUMPAT 0),
// failing after 5 seconds: the server has let go of clients that were killed or went away.
func waitGone(t testing.TB, c *difftest.Conn, args ...string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		v := c.Do(args...)
		if len(v.Str) == 0 && v.Int == 0 && len(v.Elems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q still replies %s after 5s", args, difftest.Format(v))
		}
	}
}
