package node

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

func TestMemoryConfig(t *testing.T) {
	cfg, err := ParseArgs([]string{"--maxmemory", "100mb", "--maxmemory-policy", "ALLKEYS-LFU", "--maxmemory-samples", "10",
		"--lfu-log-factor", "0", "--lfu-decay-time", "5"}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(100<<20), cfg.MaxMemory)
	assert.Equal(t, keyspace.AllKeysLFU, cfg.MaxMemoryPolicy)
	assert.Equal(t, 10, cfg.MaxMemorySamples)
	assert.Equal(t, 0, cfg.LFULogFactor)
	assert.Equal(t, 5, cfg.LFUDecayTime)
	for name, want := range map[string]string{"maxmemory": "104857600", "maxmemory-policy": "allkeys-lfu",
		"maxmemory-samples": "10", "lfu-log-factor": "0", "lfu-decay-time": "5"} {
		got, ok := cfg.Get(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	d := DefaultConfig()
	assert.Equal(t, "noeviction", d.MaxMemoryPolicy.String())
	assert.Equal(t, 5, d.MaxMemorySamples)
	for _, bad := range [][]string{{"--maxmemory", "lots"}, {"--maxmemory-policy", "lru"}, {"--maxmemory-samples", "0"},
		{"--lfu-log-factor", "-1"}, {"--lfu-decay-time", "x"}} {
		_, err := ParseArgs(bad, nil)
		assert.Error(t, err, "%q", bad)
	}
}

// fill writes n keys with 100-byte values and returns how many writes got the OOM error.
func fill(t *testing.T, c *difftest.Conn, n int) (oom int) {
	val := strings.Repeat("v", 100)
	for i := range n {
		v := c.Do("SET", "key:"+strconv.Itoa(i), val)
		if v.Type == resp.TypeError {
			require.True(t, strings.HasPrefix(string(v.Str), "OOM "), "got %s", difftest.Format(v))
			oom++
		}
	}
	return oom
}

func TestMaxMemoryEvictsAllKeysLRU(t *testing.T) {
	const keysBudget = 200 << 10
	srv, addr := startServer(t, func(c *Config) {
		c.MaxMemory = baseMemory + keysBudget
		c.MaxMemoryPolicy = keyspace.AllKeysLRU
	})
	c := difftest.Dial(t, addr)
	assert.Zero(t, fill(t, c, 5000), "writes never fail while there are keys to evict")
	size := c.Do("DBSIZE").Int
	assert.Less(t, size, int64(5000), "keys were evicted")
	assert.Greater(t, size, int64(500), "but only as many as needed")
	assert.LessOrEqual(t, srv.usedMemory(), srv.cfg.MaxMemory+1000, "used memory stays about at maxmemory")
	assert.Equal(t, 5000-size, srv.ks.EvictedKeys())
	assert.Equal(t, "v", string(c.Do("GET", "key:4999").Str[:1]), "the newest key is still there")
}

func TestMaxMemoryNoEviction(t *testing.T) {
	_, addr := startServer(t, func(c *Config) { c.MaxMemory = baseMemory + 100<<10 })
	c := difftest.Dial(t, addr)
	oom := fill(t, c, 2000)
	require.Greater(t, oom, 0, "writes fail once memory is full")
	size := c.Do("DBSIZE").Int
	assert.Equal(t, int64(2000-oom), size, "nothing was evicted")
	assert.Equal(t, "(error) OOM command not allowed when used memory > 'maxmemory'.", difftest.Format(c.Do("SET", "x", "1")))
	assert.Equal(t, resp.TypeBulk, c.Do("GET", "key:0").Type, "reads still work")
	assert.Equal(t, int64(1), c.Do("DEL", "key:0").Int, "and deletions, which free memory")
}
