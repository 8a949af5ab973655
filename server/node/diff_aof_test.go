package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// copyDir copies the regular files of src into a new directory dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644))
	}
}

// waitRewritten waits until INFO says no AOF rewrite runs or is scheduled.
func waitRewritten(t *testing.T, c *difftest.Conn) {
	t.Helper()
	require.Eventually(t, func() bool {
		info := string(c.Do("INFO", "persistence").Str)
		return strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0")
	}, 10*time.Second, 10*time.Millisecond)
}

// TestDiffAOFFromRedis: an AOF directory written by real Redis 7 (a base RDB made by a rewrite, then incr
// commands of every type, streams and consumer groups included) loads into Carmine with the same contents.
func TestDiffAOFFromRedis(t *testing.T) {
	dir := t.TempDir()
	redis := difftest.StartRedis(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", "always",
		"--aof-timestamp-enabled", "yes") // "#TS:" lines, which loading skips
	rc := difftest.Dial(t, redis.Addr)
	rc.Do("SELECT", "3")
	rc.Do("SET", "before-rewrite", "1")
	rc.Do("RPUSH", "before-list", "a", "b")
	require.Equal(t, "Background append only file rewriting started", string(rc.Do("BGREWRITEAOF").Str))
	waitRewritten(t, rc)
	fillRDB(t, rc)
	time.Sleep(300 * time.Millisecond) // "gone" expires, in Redis too

	// Compare with a Redis that loads the same files: Redis 7.0's AOF loses what it does not propagate (the
	// entries-read of a group that XREADGROUP moved, which it propagates as XCLAIM ... LASTID).
	cdir, rdir := t.TempDir(), t.TempDir()
	copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(cdir, "appendonlydir"))
	copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(rdir, "appendonlydir"))
	reloaded := difftest.StartRedis(t, "--dir", rdir, "--appendonly", "yes")
	_, addr := startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = cdir, true })
	p := difftest.NewPair(t, reloaded.Addr, addr)
	compareKeys(t, p, append([]string{"3"}, rdbDBs...))
}

// TestDiffAOFToRedis: the AOF directory Carmine writes (a base RDB made by a rewrite while clients write, then
// incr commands of every type) loads into real Redis 7 with the same contents.
func TestDiffAOFToRedis(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run("aof-use-rdb-preamble "+map[bool]string{true: "yes", false: "no"}[preamble], func(t *testing.T) {
			testAOFToRedis(t, preamble)
		})
	}
}

func testAOFToRedis(t *testing.T, preamble bool) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) {
		c.Dir, c.AOF.Enabled, c.AOF.RDBPreamble, c.AOF.Timestamps = dir, true, preamble, true
	})
	cc := difftest.Dial(t, addr)
	cc.Do("SELECT", "3")
	cc.Do("SET", "before-rewrite", "1")
	cc.Do("RPUSH", "before-list", "a", "b")
	require.Equal(t, "Background append only file rewriting started", string(cc.Do("BGREWRITEAOF").Str))
	fillRDB(t, cc) // partly during the rewrite
	waitRewritten(t, cc)
	// Into the next second, whose first command gets "#TS:".
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	cc.Do("SET", "after-rewrite", "x")
	cc.Do("INCRBYFLOAT", "after-rewrite-float", "1.5")
	cc.Do("SET", "after-rewrite-ex", "x", "EX", "1000")
	time.Sleep(300 * time.Millisecond)
	srv.Close() // fsyncs the AOF
	ext := map[bool]string{true: "rdb", false: "aof"}[preamble]
	assert.Contains(t, readManifestFile(t, dir), "file appendonly.aof.2.base."+ext+" seq 2 type b\n")
	incr, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.incr.aof"))
	require.NoError(t, err)
	assert.Regexp(t, `#TS:\d{10}\r\n(\*2\r\n\$6\r\nSELECT\r\n\$1\r\n\d\r\n)?\*3\r\n\$3\r\nSET\r\n\$13\r\nafter-rewrite\r\n`, string(incr),
		"aof-timestamp-enabled: the first command of a second is annotated")

	rdir := t.TempDir()
	copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(rdir, "appendonlydir"))
	redis := difftest.StartRedis(t, "--dir", rdir, "--appendonly", "yes")
	// Compare with a Carmine that loads the same files.
	_, addr2 := startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	p := difftest.NewPair(t, redis.Addr, addr2)
	compareKeys(t, p, append([]string{"3"}, rdbDBs...))
	p.Check("GET", "after-rewrite-float")
	rinfo := string(p.Redis.Do("INFO", "persistence").Str)
	assert.Contains(t, rinfo, "aof_enabled:1")
}

// infoNames keeps the field names of an INFO text, dropping the values.
func infoNames(v resp.Value) resp.Value {
	var names []string
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		if name, _, ok := strings.Cut(line, ":"); ok {
			names = append(names, name)
		}
	}
	v.Str = []byte(strings.Join(names, " "))
	return v
}

// TestDiffAOFConfig: the AOF's parameters, their errors, BGREWRITEAOF's replies and INFO persistence's fields
// with the AOF off, being turned on, and on.
func TestDiffAOFConfig(t *testing.T) {
	p := startPair(t, "")
	for _, name := range []string{"appendonly", "appendfsync", "appendfilename", "appenddirname", "aof-load-truncated",
		"aof-use-rdb-preamble", "aof-timestamp-enabled", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
		"aof-rewrite-incremental-fsync", "aof-disable-auto-gc", "no-appendfsync-on-rewrite"} {
		p.Check("CONFIG", "GET", name)
	}
	p.CheckWith(difftest.SortElems, "CONFIG", "GET", "*aof*")
	p.CheckWith(difftest.SortElems, "CONFIG", "GET", "append*")
	for _, args := range [][]string{
		{"appendfsync", "sometimes"}, {"appendfsync", "ALWAYS"}, {"appendfsync", "everysec"},
		{"appendfilename", "x.aof"}, {"appenddirname", "d"}, {"auto-aof-rewrite-percentage", "-1"},
		{"auto-aof-rewrite-min-size", "1mb"}, {"auto-aof-rewrite-min-size", "lots"}, {"aof-use-rdb-preamble", "maybe"},
		{"aof-timestamp-enabled", "no"},
	} {
		p.Check(append([]string{"CONFIG", "SET"}, args...)...)
		p.Check("CONFIG", "GET", args[0])
	}
	p.CheckWith(infoNames, "INFO", "persistence")
	p.Check("MULTI")
	p.Check("BGREWRITEAOF")
	p.Check("EXEC")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		waitRewritten(t, c)
	}
	p.Check("CONFIG", "SET", "appendonly", "yes")
	p.CheckWith(infoNames, "INFO", "persistence")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		waitRewritten(t, c)
	}
	p.Check("SET", "k", "v")
	p.CheckWith(infoNames, "INFO", "persistence")
	p.Check("BGREWRITEAOF")
	p.Check("BGREWRITEAOF", "now")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		waitRewritten(t, c)
	}
	p.Check("CONFIG", "SET", "appendonly", "no")
	p.CheckWith(infoNames, "INFO", "persistence")
}
