package node

import (
	"bytes"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffProtocolLimits compares the protocol errors of requests beyond Redis's limits, before and after
// authentication, each on a fresh connection since the error closes it.
func TestDiffProtocolLimits(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		redis := difftest.StartRedis(t, "--requirepass", "pw")
		_, addr := startServer(t, mode, func(c *Config) { c.RequirePass = "pw" })
		auth := "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"
		for _, raw := range []string{
			"*10\r\n", "*11\r\n", "*3000000000\r\n", "*-1\r\nPING\r\n",
			"*1\r\n$16384\r\n", "*1\r\n$16385\r\n", "*1\r\n$-1\r\n", "*1\r\n$600000000\r\n",
			"*1\r\nfoo\r\n", strings.Repeat("x", 70000), "PING\r\n*12\r\n",
			auth + "*11\r\n", auth + "*1\r\n$16385\r\n", "AUTH pw\r\n*1\r\n$16385\r\n", auth + "*1\r\n$600000000\r\n",
			"AUTH nope\r\n*11\r\n", "AUTH default pw\r\n*11\r\n",
		} {
			p := difftest.NewPair(t, redis.Addr, addr)
			p.CheckRaw([]byte(raw), 200*time.Millisecond)
		}
		p := difftest.NewPair(t, redis.Addr, addr)
		p.Check("AUTH", "pw")
		for _, c := range [][]string{
			{"CONFIG", "SET", "proto-max-bulk-len", "1000"}, {"CONFIG", "SET", "proto-max-bulk-len", "abc"},
			{"CONFIG", "SET", "proto-max-bulk-len", "-5"}, {"CONFIG", "SET", "client-query-buffer-limit", "1k"},
			{"CONFIG", "SET", "client-query-buffer-limit", "x"}, {"CONFIG", "SET", "timeout", "-1"},
			{"CONFIG", "SET", "tcp-keepalive", "-1"}, {"CONFIG", "SET", "timeout", "x"},
			{"CONFIG", "SET", "proto-max-bulk-len", "2mb", "client-query-buffer-limit", "1024kb", "timeout", "100", "tcp-keepalive", "60"},
			{"CONFIG", "GET", "proto-max-bulk-len"}, {"CONFIG", "GET", "client-query-buffer-limit"},
			{"CONFIG", "GET", "timeout"}, {"CONFIG", "GET", "tcp-keepalive"},
		} {
			p.CheckWith(sortPairs, c...)
		}
		// proto-max-bulk-len applies at once, to connected clients too.
		p.CheckRaw([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n"), 200*time.Millisecond)
	})
}

// TestQueryBufferLimit sends a command bigger than client-query-buffer-limit: the client is closed without a
// reply, the close is counted in INFO, and others are served.
func TestQueryBufferLimit(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		admin := difftest.Dial(t, addr)
		require.Equal(t, "+OK", difftest.Format(admin.Do("CONFIG", "SET", "client-query-buffer-limit", "1mb")))
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n"))
		require.NoError(t, err)
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 40 && err == nil; i++ { // more than the limit; the server hangs up before all is sent
			_, err = c.Write(chunk)
		}
		n, err := c.Read(make([]byte, 64))
		assert.Zero(t, n, "no reply")
		require.Error(t, err)
		assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the connection is left open")
		assert.Contains(t, string(admin.Do("INFO", "stats").Str), "client_query_buffer_limit_disconnections:1\r\n")
		// Under the limit, the same command runs.
		require.Equal(t, "+OK", difftest.Format(admin.Do("CONFIG", "SET", "client-query-buffer-limit", "4mb")))
		assert.Equal(t, "+OK", difftest.Format(admin.Do("SET", "k", strings.Repeat("x", 3000000))))
	})
}
