package replproto_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
)

// testPrimary is a primary made of this package's pieces, for a real redis-server to replicate from.
type testPrimary struct {
	t        *testing.T
	ln       *net.TCPListener
	ids      replproto.IDs
	backlog  *replproto.Backlog
	diskless bool
	rdb      []byte
}

// A minimal RDB (version 10, which Redis 7.0 loads) holding the string a=b, with checksum 0 (not checked).
const testRDB = "REDIS0010\xfe\x00\x00\x01a\x01b\xff\x00\x00\x00\x00\x00\x00\x00\x00"

// serve accepts the replica's connection and answers its handshake; it returns the connection, its command
// reader, the replica's announced port and whether it was a partial resynchronisation.
func (p *testPrimary) serve() (net.Conn, *resp.CommandReader, int, bool) {
	t := p.t
	require.NoError(t, p.ln.SetDeadline(time.Now().Add(15*time.Second)))
	conn, err := p.ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(15*time.Second)))
	cr := resp.NewCommandReader(conn)
	port := 0
	for {
		args, err := cr.ReadCommand()
		require.NoError(t, err)
		var out []byte
		switch strings.ToUpper(string(args[0])) {
		case "PING":
			out = resp.AppendSimple(out, "PONG")
		case "REPLCONF":
			rc, err := replproto.ParseReplconf(args)
			require.NoError(t, err)
			if rc.ListeningPort != 0 {
				port = rc.ListeningPort
			}
			if rc.Ack {
				continue
			}
			out = resp.AppendSimple(out, "OK")
		case "PSYNC":
			replid, next, err := replproto.ParsePSYNC(args)
			require.NoError(t, err)
			res := replproto.Decide(p.ids, p.backlog, replid, next)
			if res.Continue {
				out = replproto.AppendContinue(out, p.ids.ID)
				out, err = p.backlog.AppendFrom(out, next)
				require.NoError(t, err)
				_, err = conn.Write(out)
				require.NoError(t, err)
				return conn, cr, port, true
			}
			t.Logf("full resync (%s)", res.Reason)
			out = replproto.AppendFullResync(out, p.ids.ID, p.backlog.Offset())
			out = append(out, '\n') // a keepalive newline, as Redis sends while it prepares the payload
			if p.diskless {
				mark, err := replproto.NewEOFMark(nil)
				require.NoError(t, err)
				out = replproto.AppendPreamble(out, replproto.Preamble{Size: -1, Mark: mark})
				out = append(append(out, p.rdb...), mark[:]...)
			} else {
				out = replproto.AppendPreamble(out, replproto.Preamble{Size: int64(len(p.rdb))})
				out = append(out, p.rdb...)
			}
			_, err = conn.Write(out)
			require.NoError(t, err)
			return conn, cr, port, false
		default:
			t.Fatalf("unexpected command from the replica: %q", args)
		}
		_, err = conn.Write(out)
		require.NoError(t, err)
	}
}

// propagate appends a command to the stream, and sends it to conn.
func (p *testPrimary) propagate(conn net.Conn, args ...string) {
	var cmd []byte
	cmd = resp.AppendArrayLen(cmd, len(args))
	for _, a := range args {
		cmd = resp.AppendBulkString(cmd, a)
	}
	p.backlog.Append(cmd)
	_, err := conn.Write(cmd)
	require.NoError(p.t, err)
}

// waitAck reads the replica's commands until it acknowledges the primary's whole stream.
func (p *testPrimary) waitAck(cr *resp.CommandReader) {
	for {
		args, err := cr.ReadCommand()
		require.NoError(p.t, err)
		rc, err := replproto.ParseReplconf(args)
		require.NoError(p.t, err)
		if rc.Ack && rc.AckOffset == p.backlog.Offset() {
			return
		}
	}
}

// TestRealRedisReplica makes a real redis-server the replica of a primary built from this package: full
// resynchronisation with the payload in each form, the stream, ACKs, and a partial resynchronisation after
// the link breaks.
func TestRealRedisReplica(t *testing.T) {
	for _, diskless := range []bool{false, true} {
		t.Run("diskless="+strconv.FormatBool(diskless), func(t *testing.T) {
			ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = ln.Close() })
			ids, err := replproto.NewIDs()
			require.NoError(t, err)
			p := &testPrimary{t: t, ln: ln, ids: ids, backlog: replproto.NewBacklog(0, 1000), diskless: diskless, rdb: []byte(testRDB)}

			addr := startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
			client := dial(t, addr)
			conn, cr, port, partial := p.serve()
			assert.False(t, partial)
			_, redisPort, _ := net.SplitHostPort(addr)
			assert.Equal(t, redisPort, strconv.Itoa(port))
			if diskless {
				// A Redis replica looks for the EOF mark only at the end of each read, so a primary sends
				// nothing after a diskless payload until the replica acknowledges it (as Redis 7 does).
				p.waitAck(cr)
			}

			p.propagate(conn, "SELECT", "0")
			p.propagate(conn, "SET", "k", "v1")
			p.waitAck(cr)
			assert.Equal(t, "b", string(do(t, client, "GET", "a").Str), "the key from the payload")
			assert.Equal(t, "v1", string(do(t, client, "GET", "k").Str), "the key from the stream")
			info := string(do(t, client, "INFO", "replication").Str)
			assert.Contains(t, info, "master_replid:"+ids.ID.String())
			assert.Equal(t, p.backlog.Offset(), parseInfoInt(t, info, "master_repl_offset"))

			// Break the link: the replica comes back with PSYNC <id> <offset+1> and continues.
			require.NoError(t, conn.Close())
			p.backlog.Append([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv2\r\n")) // written while it was away
			conn, cr, _, partial = p.serve()
			assert.True(t, partial)
			p.propagate(conn, "SET", "k2", "v3")
			p.waitAck(cr)
			assert.Equal(t, "v2", string(do(t, client, "GET", "k").Str))
			assert.Equal(t, "v3", string(do(t, client, "GET", "k2").Str))
		})
	}
}
