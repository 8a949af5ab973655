package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// rdbDBs are the databases fillRDB writes to.
var rdbDBs = []string{"0", "1", "5"}

// fillRDB writes keys of every type and encoding into the databases of rdbDBs, through c.
func fillRDB(t *testing.T, c *difftest.Conn) {
	t.Helper()
	do := func(args ...string) {
		t.Helper()
		if v := c.Do(args...); v.Type == resp.TypeError {
			t.Fatalf("%q: %s", args, v.Str)
		}
	}
	long := strings.Repeat("compressible ", 40)
	for _, db := range rdbDBs {
		do("SELECT", db)
		do("SET", "str", "hello")
		do("SET", "int", "12345")
		do("SET", "neg", "-9000000000")
		do("SET", "long", long)
		do("SET", "ttl", "v", "PX", "3600000")
		do("SET", "bin", "\x00\xff\r\n")
		do("RPUSH", "list", "a", "b", "1", "2")
		big := []string{"RPUSH", "biglist"}
		for i := range 2000 {
			big = append(big, "element-"+strconv.Itoa(i))
		}
		do(big...)
		do("HSET", "hash", "f1", "v1", "f2", "2")
		hbig := []string{"HSET", "bighash"}
		for i := range 600 {
			hbig = append(hbig, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		do(hbig...)
		do("HSET", "hashlongval", "f", long)
		do("SADD", "intset", "1", "2", "3", "-5")
		do("SADD", "strset", "a", "b", "c")
		sbig := []string{"SADD", "bigset"}
		for i := range 600 {
			sbig = append(sbig, strconv.Itoa(i))
		}
		do(sbig...)
		do("ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c")
		zbig := []string{"ZADD", "bigzset"}
		for i := range 300 { // above stashAbove: encoded after the shard lock is released
			zbig = append(zbig, strconv.Itoa(i)+".25", "m"+strconv.Itoa(i))
		}
		do(zbig...)
		do("EXPIRE", "bigzset", "100000")
		do("XADD", "stream", "1-1", "f", "v")
		do("XADD", "stream", "2-0", "f", "v2", "g", "w")
		do("XADD", "stream", "3-5", "a", "1")
		do("XDEL", "stream", "2-0")
		do("XGROUP", "CREATE", "stream", "g1", "0")
		do("XGROUP", "CREATE", "stream", "g2", "$")
		do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "stream", ">")
		do("XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "stream", ">")
		do("XGROUP", "CREATECONSUMER", "stream", "g1", "carol")
		do("XADD", "emptystream", "5-5", "f", "v")
		do("XDEL", "emptystream", "5-5")
		sbigx := []string{}
		for i := range 300 { // above stashAbove: copied, then encoded after the shard lock is released
			sbigx = append(sbigx, "XADD", "bigstream", strconv.Itoa(10+i)+"-0", "field", strconv.Itoa(i))
		}
		for i := 0; i < len(sbigx); i += 5 {
			do(sbigx[i : i+5]...)
		}
		do("XGROUP", "CREATE", "bigstream", "bg", "0")
		do("XREADGROUP", "GROUP", "bg", "dave", "COUNT", "3", "STREAMS", "bigstream", ">")
		do("SET", "gone", "x", "PX", "200") // expired by the time the file loads
	}
	do("SELECT", "0")
}

// keysOf returns the keys of db on c, sorted.
func keysOf(c *difftest.Conn, db string) []string {
	c.Do("SELECT", db)
	v := c.Do("KEYS", "*")
	var keys []string
	for _, e := range v.Elems {
		keys = append(keys, string(e.Str))
	}
	sort.Strings(keys)
	return keys
}

// compareKeys checks, key by key in every database of dbs, that Redis and Carmine hold the same keys with the
// same type, encoding, TTL (within a second) and contents.
func compareKeys(t *testing.T, p *difftest.Pair, dbs []string) {
	t.Helper()
	for _, db := range dbs {
		keys := keysOf(p.Redis, db)
		assert.Equal(t, keys, keysOf(p.Carmine, db), "keys of db %s", db)
		p.Check("DBSIZE")
		for _, k := range keys {
			typ := string(p.Redis.Do("TYPE", k).Str)
			p.Check("TYPE", k)
			enc, cenc := p.Redis.Do("OBJECT", "ENCODING", k), p.Carmine.Do("OBJECT", "ENCODING", k)
			// Redis 7.0 keeps small sets of strings in a hashtable and small lists in a quicklist, 7.2 (which
			// Carmine follows) both in a listpack.
			if !(typ == "set" && string(enc.Str) == "hashtable" || typ == "list" && string(enc.Str) == "quicklist") ||
				string(cenc.Str) != "listpack" {
				assert.Equal(t, difftest.Format(enc), difftest.Format(cenc), "OBJECT ENCODING %s in db %s", k, db)
			}
			rt, ct := p.Redis.Do("PTTL", k).Int, p.Carmine.Do("PTTL", k).Int
			if rt < 0 || ct < 0 {
				assert.Equal(t, rt, ct, "PTTL %s", k)
			} else {
				assert.InDelta(t, rt, ct, 1000, "PTTL %s", k)
			}
			switch typ {
			case "string":
				p.Check("GET", k)
			case "list":
				p.Check("LRANGE", k, "0", "-1")
			case "hash":
				p.CheckUnordered("HGETALL", k)
				p.Check("HLEN", k)
			case "set":
				p.CheckUnordered("SMEMBERS", k)
			case "zset":
				p.Check("ZRANGE", k, "0", "-1", "WITHSCORES")
			case "stream":
				p.Check("XRANGE", k, "-", "+")
				p.Check("XLEN", k)
				p.CheckWith(dropActive, "XINFO", "GROUPS", k)
				for _, g := range p.Redis.Do("XINFO", "GROUPS", k).Elems {
					name := string(g.Elems[1].Str)
					p.Check("XPENDING", k, name)
					p.CheckWith(dropConsumerTimes, "XINFO", "CONSUMERS", k, name)
				}
			default:
				t.Errorf("key %s of type %s not compared", k, typ)
			}
		}
	}
}

// dropActive removes nothing (XINFO GROUPS has no times); kept as the hook for fields 7.2 adds.
func dropActive(v resp.Value) resp.Value { return v }

// dropConsumerTimes blanks XINFO CONSUMERS's idle times (they depend on when each server answers) and drops the
// fields Redis 7.2 added (inactive).
func dropConsumerTimes(v resp.Value) resp.Value {
	for i, c := range v.Elems {
		var kept []resp.Value
		for j := 0; j+1 < len(c.Elems); j += 2 {
			switch string(c.Elems[j].Str) {
			case "idle", "inactive":
				continue
			}
			kept = append(kept, c.Elems[j], c.Elems[j+1])
		}
		v.Elems[i].Elems = kept
	}
	return v
}

// TestDiffRDBLoad loads a file saved by real Redis, holding every type and encoding, into Carmine and compares
// the two servers key by key.
func TestDiffRDBLoad(t *testing.T) {
	dir := t.TempDir()
	redis := difftest.StartRedis(t, "--dir", dir)
	rc := difftest.Dial(t, redis.Addr)
	fillRDB(t, rc)
	require.Equal(t, "OK", string(rc.Do("SAVE").Str))
	time.Sleep(300 * time.Millisecond) // "gone" expires, in Redis too

	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	p := difftest.NewPair(t, redis.Addr, addr)
	compareKeys(t, p, rdbDBs)
	srv.rdb.mu.Lock()
	assert.Equal(t, int64(len(rdbDBs)), srv.rdb.expired)
	srv.rdb.mu.Unlock()
}

// TestRDBLoadCorrupt: a corrupt file stops the server from starting, with an error naming the offset.
func TestRDBLoadCorrupt(t *testing.T) {
	dir := t.TempDir()
	data := []byte("REDIS0010\xfe\x00\x00\x03key\x05val")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644))
	cfg := DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Dir = 0, []string{"127.0.0.1"}, dir
	_, err := Start(cfg, testLogger(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "offset")
	assert.Contains(t, err.Error(), "dump.rdb")
}

// TestDiffRDBSave: Carmine's SAVE writes a file that redis-check-rdb passes and that real Redis loads with the
// same contents, key by key.
func TestDiffRDBSave(t *testing.T) {
	dir := t.TempDir()
	_, addr := startServer(t, func(c *Config) { c.Dir = dir })
	cc := difftest.Dial(t, addr)
	fillRDB(t, cc)
	for _, db := range rdbDBs {
		cc.Do("SELECT", db)
		cc.Do("DEL", "gone")
	}
	cc.Do("SELECT", "0")
	before := cc.Do("LASTSAVE").Int
	require.Equal(t, "OK", string(cc.Do("SAVE").Str))
	assert.GreaterOrEqual(t, cc.Do("LASTSAVE").Int, before)
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
	redis := difftest.StartRedis(t, "--dir", dir)
	compareKeys(t, difftest.NewPair(t, redis.Addr, addr), rdbDBs)
}

// checkRDB runs redis-check-rdb on path, when it is installed (required under CARMINE_REQUIRE_REDIS=1).
func checkRDB(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		if os.Getenv(difftest.RequireEnv) != "" {
			t.Fatalf("redis-check-rdb not found: %v", err)
		}
		return
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	require.NoError(t, err, "redis-check-rdb:\n%s", out)
	assert.Contains(t, string(out), "RDB looks OK")
}

// infoFields parses INFO's "name:value" lines.
func infoFields(v resp.Value) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(string(v.Str), "\r\n") {
		if k, val, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			out[k] = val
		}
	}
	return out
}

// TestDiffRDBPersistenceInfo compares INFO persistence (field names, and the values that do not depend on
// timing or memory), the dirty counter after commands that change one key each, and the save config.
func TestDiffRDBPersistenceInfo(t *testing.T) {
	p := startPair(t, "")
	names := func(c *difftest.Conn) []string {
		var ns []string
		for _, l := range strings.Split(string(c.Do("INFO", "persistence").Str), "\r\n") {
			if k, _, ok := strings.Cut(l, ":"); ok {
				ns = append(ns, k)
			}
		}
		return ns
	}
	assert.Equal(t, names(p.Redis), names(p.Carmine))
	same := func(what string) {
		t.Helper()
		r, c := infoFields(p.Redis.Do("INFO", "persistence")), infoFields(p.Carmine.Do("INFO", "persistence"))
		for _, f := range []string{"rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_bgsave_status",
			"rdb_saves", "rdb_current_bgsave_time_sec", "current_save_keys_processed", "current_save_keys_total"} {
			assert.Equal(t, r[f], c[f], "%s after %s", f, what)
		}
	}
	same("start")
	for _, cmd := range [][]string{
		{"SET", "a", "1"}, {"MSET", "b", "1", "c", "2", "d", "3"}, {"INCR", "n"}, {"EXPIRE", "n", "100"},
		{"DEL", "a", "b", "nosuch"}, {"SET", "x", "1", "NX"}, {"APPEND", "x", "2"}, {"PERSIST", "n"},
		{"RENAME", "x", "y"}, {"RPUSH", "l", "a", "b", "c"}, {"LPUSH", "l", "z"}, {"SADD", "s", "1", "2", "3"},
		{"SADD", "s", "3", "4"}, {"SADD", "s", "4"}, {"HSET", "h", "f", "1", "g", "2"}, {"HSET", "h", "f", "3"},
		{"FLUSHDB"}, {"SET", "z", "1"}, {"FLUSHALL"}, {"FLUSHALL"},
	} {
		p.Check(cmd...)
		same(strings.Join(cmd, " "))
	}
	p.Check("SET", "k", "v")
	p.Check("BGSAVE", "SOON")
	p.Check("SAVE")
	same("SAVE")
	p.Check("LASTSAVE")

	for _, args := range [][]string{
		{"CONFIG", "GET", "rdb*"}, {"CONFIG", "SET", "rdbcompression", "no"}, {"CONFIG", "GET", "rdbcompression"},
		{"CONFIG", "SET", "rdbcompression", "maybe"}, {"CONFIG", "SET", "rdbchecksum", "no"},
	} {
		p.CheckUnordered(args...)
	}
	p.Check("CONFIG", "GET", "save")
	for _, v := range []string{"3600 1 300 100", "", "abc", "1 2 3", "-1 2", "10 -2", "0 0", "60 10000"} {
		p.Check("CONFIG", "SET", "save", v)
		p.Check("CONFIG", "GET", "save")
	}
}
