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
	addrs   [2]string // Redis's and Carmine's
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
	p := &propagatedPair{Pair: difftest.NewPair(t, redis.Addr, addr), t: t, rec: rec, addrs: [2]string{redis.Addr, addr}}
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
		{"set", cmds("SET a 1", "SET a 2 XX", "SET a 3 NX", "SETNX a 4", "SETNX b 4", "GETSET a 5", "MSET x 1 y 2", "MSETNX x 1 z 3", "APPEND a xx", "SETRANGE a 1 zz", "GET a", "SET a 6 GET", "SET a 7 PXAT 99999999999999 GET", "SET a 8 NX GET")},
		{"incr", cmds("INCR n", "INCRBY n 5", "DECR n", "DECRBY n 2", "INCRBYFLOAT f 1.5", "INCRBYFLOAT f 2.25")},
		{"expiry", cmds("SET e 1 EX 100", "SET e 1 PX 100000", "SET e 1 EXAT 99999999999", "SET e 1 PXAT 99999999999999", "SET e 1 EX 100 NX", "SET e 1 EX 100 XX GET",
			"SETEX e 100 v", "PSETEX e 100000 v", "EXPIRE e 100", "PEXPIRE e 100000", "EXPIREAT e 99999999999", "EXPIRE e 200 GT", "EXPIRE e 100 NX", "PERSIST e", "PERSIST e",
			"GETEX e EX 100", "GETEX e PERSIST", "GETEX e PERSIST", "GETEX e", "GETEX e PXAT 1", "SET e 2 KEEPTTL", "EXPIRE e 0", "SET e 1 PXAT 1", "GET e")},
		{"del", cmds("DEL nothing", "SET d 1", "DEL d", "SET d 1", "UNLINK d nothing", "SET d 1", "GETDEL d", "GETDEL d")},
		{"keys", cmds("SET k1 v", "RENAME k1 k2", "RENAMENX k2 k3", "COPY k3 k4", "MOVE k4 2", "SELECT 2", "SET in2 v", "SELECT 0", "SWAPDB 0 1", "SWAPDB 0 1")},
		{"select", cmds("SELECT 3", "SET s3 1", "SELECT 4", "GET s3", "SET s4 1", "SELECT 0")},
		{"list", cmds("RPUSH l a b c d e", "LPUSH l z", "LPOP l", "RPOP l 2", "LSET l 0 q", "LINSERT l BEFORE q p", "LREM l 0 p", "LTRIM l 0 0",
			"LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l2 l", "LPOP nothing", "BLPOP l 1", "RPUSH l a b", "BRPOP l 1", "BLMOVE l l2 LEFT LEFT 1",
			"LMPOP 1 l2 LEFT", "RPUSH l x", "BLMPOP 1 1 l RIGHT COUNT 2", "RPUSH l y", "BRPOPLPUSH l l3 1", "LMPOP 2 nothing l3 RIGHT COUNT 3")},
		{"hash", cmds("HSET h a 1 b 2", "HSETNX h a 5", "HSETNX h c 3", "HDEL h a nothing", "HINCRBY h b 2", "HINCRBYFLOAT h b 1.5", "HMSET h x 1")},
		{"set", cmds("SADD s a b c", "SREM s a", "SMOVE s s2 b", "SINTERSTORE s3 s s2", "SUNIONSTORE s3 s s2", "SDIFFSTORE s3 s s2")},
		{"spop", cmds("SADD sp a", "SPOP sp", "SPOP sp", "SADD sp a", "SPOP sp 5", "SPOP sp 0")},
		{"zset", cmds("ZADD z 1 a 2 b 3 c", "ZINCRBY z 1 a", "ZREM z c", "ZPOPMIN z", "ZADD z 5 x 6 y", "ZPOPMAX z 2", "BZPOPMIN z 1",
			"ZADD z 1 a 2 b", "BZPOPMAX z 1", "ZADD z 1 a", "ZMPOP 1 z MIN", "ZADD z 1 a 2 b", "BZMPOP 1 1 z MAX COUNT 5",
			"ZADD z 1 a 2 b 3 c", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYSCORE z 0 2", "ZUNIONSTORE zu 1 z", "ZRANGESTORE zr z 0 -1")},
		{"bits", cmds("SETBIT bt 7 1", "BITOP NOT bt2 bt", "BITFIELD bf SET u8 0 255", "BITFIELD bf GET u8 0")},
		{"hll", cmds("PFADD hl a b c", "PFADD hl a", "PFCOUNT hl", "PFCOUNT hl", "PFMERGE hl2 hl")},
		{"geo", cmds("GEOADD g 13.361389 38.115556 Palermo", "GEOADD g XX CH 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
			"GEOADD g NX 13.361389 38.115556 Palermo", "GEOSEARCHSTORE g2 g FROMLONLAT 15 37 BYRADIUS 200 km")},
		{"stream", cmds("XADD st 1-1 f v", "XADD st 2-1 f v", "XDEL st 1-1", "XTRIM st MAXLEN 1", "XGROUP CREATE st g 0", "XGROUP CREATECONSUMER st g c", "XSETID st 5-0")},
		{"other", cmds("SET src v", "DUMP src", "RPUSH sl 3 1 2", "OBJECT FREQ sl", "TOUCH sl", "PERSIST sl", "SORT nothing STORE dst", "SORT sl STORE sorted", "SORT_RO sl")},
		{"flush", cmds("SET fl 1", "FLUSHDB", "FLUSHDB", "SET fl 1", "FLUSHALL")},
		{"multi", cmds("MULTI", "SET m1 1", "INCR m2", "EXEC", "MULTI", "SET m1 1", "EXEC", "MULTI", "GET m1", "EXEC", "MULTI", "SET m3 1 EX 100", "SPOP nothing", "RPUSH ml a", "BLPOP ml 0", "EXEC")},
		{"multi-select", cmds("MULTI", "SET m1 2", "SELECT 5", "SET m5 2", "EXEC", "SELECT 0")},
	} {
		p.check(c.name, c.cmds...)
	}
}

// TestDiffPropagateLater covers what is propagated after a command: a key expiring (as DEL), and a blocked
// client served by another's push (as the plain pop).
func TestDiffPropagateLater(t *testing.T) {
	p := startPropagatedPair(t)
	p.check("expire", cmds("SET gone 1 PX 30", "SET stays 1")...)
	time.Sleep(100 * time.Millisecond)
	p.check("expired", cmds("GET gone")...)
	p.check("lazy", cmds("CONFIG SET lazyfree-lazy-expire yes", "SET gone 1 PX 30")...)
	time.Sleep(100 * time.Millisecond)
	p.check("expired lazily", cmds("GET gone", "CONFIG SET lazyfree-lazy-expire no")...)

	admins := [2]*difftest.Conn{difftest.Dial(t, p.addrs[0]), difftest.Dial(t, p.addrs[1])}
	for _, c := range []struct{ block, push string }{
		{"BLMOVE bl bl2 RIGHT LEFT 0", "RPUSH bl x y"},
		{"BRPOPLPUSH bl bl2 0", "RPUSH bl x y"},
		{"BLPOP bl 0", "RPUSH bl x y"},
		{"BLMPOP 0 1 bl LEFT COUNT 3", "RPUSH bl x y"},
		{"BZPOPMAX bz 0", "ZADD bz 1 a 2 b"},
		{"BZMPOP 0 1 bz MIN COUNT 3", "ZADD bz 1 a 2 b"},
	} {
		var blocked [2]*difftest.Conn
		for i, addr := range p.addrs {
			blocked[i] = difftest.Dial(t, addr)
			blocked[i].Send(strings.Fields(c.block)...)
			waitBlocked(t, admins[i], 1)
		}
		p.check("served "+c.block, cmds(c.push)...)
		want, got := difftest.Format(blocked[0].Receive()), difftest.Format(blocked[1].Receive())
		require.Equal(t, want, got, c.block)
		blocked[0].Close()
		blocked[1].Close()
		p.check("cleanup", cmds("DEL bl bl2 bz")...)
	}
}
