package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	redis := difftest.StartRedis(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", "always")
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
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	cc := difftest.Dial(t, addr)
	cc.Do("SELECT", "3")
	cc.Do("SET", "before-rewrite", "1")
	cc.Do("RPUSH", "before-list", "a", "b")
	require.Equal(t, "Background append only file rewriting started", string(cc.Do("BGREWRITEAOF").Str))
	fillRDB(t, cc) // partly during the rewrite
	waitRewritten(t, cc)
	cc.Do("SET", "after-rewrite", "x")
	cc.Do("INCRBYFLOAT", "after-rewrite-float", "1.5")
	cc.Do("SET", "after-rewrite-ex", "x", "EX", "1000")
	time.Sleep(300 * time.Millisecond)
	srv.Close() // fsyncs the AOF

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
