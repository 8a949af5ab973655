package replproto_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
)

// requireRedisEnv makes a missing redis-server a failure instead of a skip (CI sets it).
const requireRedisEnv = "CARMINE_REQUIRE_REDIS"

// startRedis starts a real redis-server on a free 127.0.0.1 port with its own directory and no persistence,
// with extra arguments appended, and returns its address. It is killed when the test ends.
func startRedis(t *testing.T, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireRedisEnv) != "" {
			t.Fatalf("redis-server is not installed, and %s is set: tests against real Redis must run", requireRedisEnv)
		}
		t.Skipf("redis-server is not installed: skipping the handshake against real Redis (install redis-server, or set %s to make this a failure)", requireRedisEnv)
	}
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", t.TempDir(), "--daemonize", "no", "--logfile", ""}, extra...)
		cmd := exec.Command(bin, args...)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() { _ = cmd.Process.Kill(); <-exited }
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-exited:
				t.Logf("redis-server on %s exited: %s", addr, log.String())
				deadline = time.Time{}
				continue
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				_ = c.Close()
				t.Cleanup(stop)
				return addr
			}
		}
		stop()
	}
	t.Fatal("redis-server did not start")
	return ""
}

// do sends one command on c and returns the reply.
func do(t *testing.T, c net.Conn, args ...string) resp.Value {
	t.Helper()
	var buf []byte
	buf = resp.AppendArrayLen(buf, len(args))
	for _, a := range args {
		buf = resp.AppendBulkString(buf, a)
	}
	_, err := c.Write(buf)
	require.NoError(t, err)
	v, err := resp.NewReader(c).ReadValue()
	require.NoError(t, err)
	return v
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRealRedisSync runs the replica handshake against a real redis-server up to +FULLRESYNC, reads the RDB
// payload in the disk and diskless forms, follows the stream, and then reconnects with a partial resync.
func TestRealRedisSync(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		password string
	}{
		{"disk", []string{"--repl-diskless-sync", "no"}, ""},
		{"diskless", []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}, ""},
		{"auth", []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--requirepass", "s3cret"}, "s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No periodic PING in the stream during the test, so that offsets compare exactly.
			addr := startRedis(t, append(tc.args, "--repl-ping-replica-period", "3600")...)
			client := dial(t, addr)
			if tc.password != "" {
				require.Equal(t, "OK", string(do(t, client, "AUTH", tc.password).Str))
			}
			require.Equal(t, "OK", string(do(t, client, "SET", "before", "sync").Str))

			nc := dial(t, addr)
			c := replproto.NewConn(nc)
			cfg := replproto.HandshakeConfig{ListeningPort: 16379, Password: tc.password}
			r, err := c.Handshake(cfg)
			require.NoError(t, err)
			require.Equal(t, replproto.ReplyFullResync, r.Kind, r.Line)
			require.False(t, r.ID.IsZero())

			p, err := c.ReadPayload()
			require.NoError(t, err)
			assert.Equal(t, tc.name != "disk", p.Preamble().Diskless())
			rdb, err := io.ReadAll(p)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(rdb, []byte("REDIS")), "payload starts %q", rdb[:min(len(rdb), 16)])
			assert.Contains(t, string(rdb), "before")
			if !p.Preamble().Diskless() {
				assert.Equal(t, p.Preamble().Size, int64(len(rdb)))
			}

			// Redis 7 starts the stream of a diskless replica on its first ACK after the transfer is done, when
			// INFO shows the replica online.
			require.Eventually(t, func() bool {
				return bytes.Contains(do(t, client, "INFO", "replication").Str, []byte("state=online"))
			}, 10*time.Second, 10*time.Millisecond)
			require.NoError(t, c.WriteAck(r.Offset))
			require.Equal(t, "OK", string(do(t, client, "SET", "after", "sync").Str))
			stream := replproto.NewStream(c.Reader(), r.Offset)
			var got []string
			for len(got) < 2 {
				args, err := stream.ReadCommand()
				require.NoError(t, err)
				if string(args[0]) == "PING" { // the primary's periodic ping
					continue
				}
				got = append(got, string(bytes.Join(args, []byte(" "))))
			}
			assert.Equal(t, []string{"SELECT 0", "SET after sync"}, got)
			info := string(do(t, client, "INFO", "replication").Str)
			assert.Contains(t, info, "connected_slaves:1")

			// WAIT makes the primary send REPLCONF GETACK; the ACK of the stream's offset satisfies it.
			var wait []byte
			for _, a := range []string{"*3", "$4", "WAIT", "$1", "1", "$4", "5000"} {
				wait = append(append(wait, a...), "\r\n"...)
			}
			_, err = client.Write(wait)
			require.NoError(t, err)
			for {
				args, err := stream.ReadCommand()
				require.NoError(t, err)
				if rc, err := replproto.ParseReplconf(args); err == nil && rc.GetAck {
					require.NoError(t, c.WriteAck(stream.CommandOffset()))
					break
				}
			}
			v, err := resp.NewReader(client).ReadValue()
			require.NoError(t, err)
			assert.Equal(t, int64(1), v.Int, "WAIT's answer")

			// Count what the stream has carried, and continue from there on a new connection.
			v = do(t, client, "INFO", "replication")
			require.Contains(t, string(v.Str), "master_replid:"+r.ID.String())
			require.NoError(t, nc.Close())
			masterOffset := parseInfoInt(t, string(v.Str), "master_repl_offset")
			assert.Equal(t, masterOffset, stream.Offset(), "the stream's offset is the primary's")
			nc2 := dial(t, addr)
			c2 := replproto.NewConn(nc2)
			cfg.ReplID, cfg.Next = r.ID.String(), masterOffset+1
			r2, err := c2.Handshake(cfg)
			require.NoError(t, err)
			assert.Equal(t, replproto.ReplyContinue, r2.Kind, r2.Line)
			assert.Equal(t, r.ID, r2.ID)

			// An id the primary never had gets a full resync.
			nc3 := dial(t, addr)
			cfg.ReplID = idA
			r3, err := replproto.NewConn(nc3).Handshake(cfg)
			require.NoError(t, err)
			assert.Equal(t, replproto.ReplyFullResync, r3.Kind, r3.Line)
		})
	}
}

func parseInfoInt(t *testing.T, info, field string) int64 {
	t.Helper()
	for _, line := range bytes.Split([]byte(info), []byte("\r\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(k) == field {
			n, err := strconv.ParseInt(string(v), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}
