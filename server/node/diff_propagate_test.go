package node

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
	"github.com/stretchr/testify/require"
)

// recordSink keeps everything fed to it: the propagated stream, as a test sees it.
type recordSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recordSink) feed(p []byte) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
}

func (r *recordSink) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.buf.Bytes()...)
}

// propagatedPair is a Pair whose Redis writes an append-only file (appendfsync always, so a command is in the
// file when its reply arrives) and whose Carmine records its stream: both sides' propagated commands.
type propagatedPair struct {
	*difftest.Pair
	t       *testing.T
	aofPath string
	rec     *recordSink
	seenR   int // bytes of each stream already compared
	seenC   int
}

func startPropagatedPair(t *testing.T) *propagatedPair {
	redis := difftest.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	srv, addr := startServer(t)
	rec := &recordSink{}
	tx := srv.ks.BeginAll(0)
	srv.attachSink(toAOF, rec)
	tx.End()
	p := &propagatedPair{Pair: difftest.NewPair(t, redis.Addr, addr), t: t, rec: rec}
	dir := p.Redis.Do("CONFIG", "GET", "dir").Elems[1].Str
	p.aofPath = filepath.Join(string(dir), "appendonlydir", "appendonly.aof.1.incr.aof")
	return p
}

// streams returns the commands each side propagated since the last call, one line per command.
func (p *propagatedPair) streams() (want, got []string) {
	p.t.Helper()
	r, err := os.ReadFile(p.aofPath)
	require.NoError(p.t, err)
	c := p.rec.bytes()
	want, got = parseStream(p.t, r[p.seenR:]), parseStream(p.t, c[p.seenC:])
	p.seenR, p.seenC = len(r), len(c)
	return want, got
}

// parseStream splits a stream into commands, with absolute times of about now (PXAT, PEXPIREAT ...) replaced by
// a placeholder: the two servers' clocks differ by the time between the two commands.
func parseStream(t *testing.T, b []byte) []string {
	rd := resp.NewCommandReader(bytes.NewReader(b))
	var out []string
	now := time.Now().UnixMilli()
	for {
		args, err := rd.ReadCommand()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = strconv.Quote(string(a))
			if n, err := strconv.ParseInt(string(a), 10, 64); err == nil && n > now-60_000 && n < now+100_000_000 && i > 0 {
				parts[i] = "<ms>"
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
}

// check sends each command to both servers (comparing replies) and then the commands they propagated.
func (p *propagatedPair) check(name string, cmds ...[]string) {
	p.t.Helper()
	for _, c := range cmds {
		p.Check(c...)
	}
	want, got := p.streams()
	if fmt.Sprint(want) != fmt.Sprint(got) {
		p.t.Errorf("%s: propagated stream differs\nredis:   %s\ncarmine: %s", name, strings.Join(want, "\n         "), strings.Join(got, "\n         "))
	}
}

func cmds(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

// TestDiffPropagate compares what Carmine propagates (to the AOF and replicas) with what real Redis writes to
// its append-only file for the same commands: rewrites (relative expiries made absolute, random commands made
// deterministic, blocking commands as their plain forms), MULTI/EXEC wrapping, SELECT, and commands that change
// nothing propagating nothing.
func TestDiffPropagate(t *testing.T) {
	p := startPropagatedPair(t)
	for _, c := range []struct {
		name string
		cmds [][]string
	}{
		{"set", cmds("SET a 1", "SET a 2 XX", "SET a 3 NX", "SETNX a 4", "SETNX b 4", "MSET x 1 y 2", "MSETNX x 1 z 3", "APPEND a xx", "SETRANGE a 1 zz", "GET a")},
		{"select", cmds("SELECT 3", "SET s3 1", "SELECT 4", "GET s3", "SET s4 1", "SELECT 0")},
		{"list", cmds("RPUSH l a b c d e", "LPUSH l z", "LPOP l", "RPOP l 2", "LSET l 0 q", "LINSERT l BEFORE q p", "LREM l 0 p", "LTRIM l 0 0", "LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l2 l", "LPOP nothing")},
		{"hash", cmds("HSET h a 1 b 2", "HSETNX h a 5", "HSETNX h c 3", "HDEL h a nothing", "HINCRBY h b 2", "HMSET h x 1")},
		{"set", cmds("SADD s a b c", "SREM s a", "SMOVE s s2 b", "SINTERSTORE s3 s s2", "SUNIONSTORE s3 s s2", "SDIFFSTORE s3 s s2")},
		{"zset", cmds("ZADD z 1 a 2 b 3 c", "ZINCRBY z 1 a", "ZREM z c", "ZPOPMIN z", "ZADD z 5 x 6 y", "ZPOPMAX z 2", "ZADD z 1 a 2 b 3 c", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYSCORE z 0 2", "ZUNIONSTORE zu 1 z", "ZRANGESTORE zr z 0 -1")},
		{"bits", cmds("SETBIT bt 7 1", "BITOP NOT bt2 bt", "BITFIELD bf SET u8 0 255", "BITFIELD bf GET u8 0")},
		{"stream", cmds("XADD st 1-1 f v", "XADD st 2-1 f v", "XDEL st 1-1", "XTRIM st MAXLEN 1", "XGROUP CREATE st g 0", "XGROUP CREATECONSUMER st g c", "XSETID st 5-0")},
		{"multi", cmds("MULTI", "SET m1 1", "INCR m2", "EXEC", "MULTI", "SET m1 1", "EXEC", "MULTI", "GET m1", "EXEC")},
		{"multi-select", cmds("MULTI", "SET m1 2", "SELECT 5", "SET m5 2", "EXEC", "SELECT 0")},
	} {
		p.check(c.name, c.cmds...)
	}
}
