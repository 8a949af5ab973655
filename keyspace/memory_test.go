package keyspace_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
)

// sizedList is a stand-in Object with a size that changes in place.
type sizedList struct{ n int }

func (l *sizedList) Kind() keyspace.Kind         { return keyspace.KindList }
func (l *sizedList) Encoding() keyspace.Encoding { return keyspace.EncListpack }
func (l *sizedList) Clone() keyspace.Object      { c := *l; return &c }
func (l *sizedList) MemoryUsage() int            { return l.n }

func (f fixture) used() int64 { return f.ks.UsedMemory() }

// usage returns MEMORY USAGE of key, which must exist.
func (f fixture) usage(db int, key string) int64 {
	tx := f.ks.Begin(db, []byte(key))
	defer tx.End()
	e, ok := tx.Peek([]byte(key))
	if !ok {
		panic("no key " + key)
	}
	return e.MemoryUsage()
}

func TestUsedMemoryGoesUpAndDown(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	require.Zero(t, f.used())
	for i := range 1000 {
		f.set(0, fmt.Sprint("k", i), "value", 0)
	}
	afterSet := f.used()
	assert.InDelta(t, 1000*56, afterSet, 1000*16, "about 56 bytes per small key")

	f.set(0, "k1", strings.Repeat("x", 1000), 0)
	assert.Greater(t, f.used(), afterSet+900, "a bigger value costs more")
	f.set(0, "k1", "value", 0)
	assert.Equal(t, afterSet, f.used(), "and back")
	f.set(0, "k2", "12345", 0) // int encoding
	f.set(0, "k3", "other", f.clock.now()+10_000)

	f.do(0, []string{"k4", "r4", "k5"}, func(tx *keyspace.Txn) {
		require.NoError(t, tx.Rename([]byte("k4"), []byte("r4")))
		_, err := tx.Move([]byte("k5"), 1)
		require.NoError(t, err)
	})
	f.do(0, []string{"k6", "copy"}, func(tx *keyspace.Txn) {
		_, err := tx.Copy([]byte("k6"), 2, []byte("copy"), false)
		require.NoError(t, err)
	})
	list := &sizedList{n: 100}
	f.do(0, []string{"list", "list2"}, func(tx *keyspace.Txn) {
		before := f.used()
		tx.SetObject([]byte("list"), list, 0)
		assert.Greater(t, f.used(), before+100)
		list.n = 5000
		before = f.used()
		require.True(t, tx.UpdateSize([]byte("list")))
		assert.Equal(t, before+4900, f.used())
		require.NoError(t, tx.Rename([]byte("list"), []byte("list2")))
	})
	require.NoError(t, f.ks.CheckInvariants())

	for db := 0; db < 3; db++ {
		var keys []string
		tx := f.ks.BeginAll(db)
		tx.Keys([]byte("*"), func(k []byte) { keys = append(keys, string(k)) })
		for _, k := range keys {
			tx.Delete([]byte(k))
		}
		tx.End()
	}
	assert.Zero(t, f.used(), "nothing left after deleting every key")

	f.set(0, "a", "1", 0)
	f.set(1, "b", "1", 0)
	f.set(2, "c", "1", f.clock.now()+1)
	tx := f.ks.Begin(0)
	tx.Flush()
	assert.NotZero(t, f.used())
	tx.FlushAll()
	tx.End()
	assert.Zero(t, f.used(), "FLUSHALL")

	f.set(0, "e", "1", f.clock.now()+1)
	f.clock.ms.Add(10)
	assert.False(t, f.exists("e"))
	assert.Zero(t, f.used(), "expired")
}

func TestMemoryUsage(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.set(0, "key", "hello", 0)
	small := f.usage(0, "key")
	assert.InDelta(t, 60, small, 20, "Redis says 56-72 for a small string; the same order here")
	f.set(0, "key", strings.Repeat("x", 10_000), 0)
	assert.InDelta(t, 10_000, f.usage(0, "key"), 2000)
	f.set(0, "key", "hello", f.clock.now()+1000)
	assert.Greater(t, f.usage(0, "key"), small, "an expiry costs a little")
}

func TestLRUAndLFUFields(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.ks.ActiveExpireCycle(f.clock.now(), 0)
	f.set(0, "k", "v", 0)
	idle := func(key string) int64 {
		var s int64
		f.do(0, []string{key}, func(tx *keyspace.Txn) {
			e, _ := tx.Peek([]byte(key))
			s = int64(tx.IdleTime(e).Seconds())
		})
		return s
	}
	freq := func(key string) int {
		var n int
		f.do(0, []string{key}, func(tx *keyspace.Txn) {
			e, _ := tx.Peek([]byte(key))
			n = tx.Freq(e)
		})
		return n
	}
	f.clock.ms.Add(30_000)
	assert.EqualValues(t, 30, idle("k"), "Peek does not touch")
	f.ks.ActiveExpireCycle(f.clock.now(), 0)
	f.get(0, "k")
	assert.EqualValues(t, 0, idle("k"), "Lookup touches")
	f.do(0, []string{"k", "nokey"}, func(tx *keyspace.Txn) {
		assert.True(t, tx.SetIdle([]byte("k"), 1000))
		assert.False(t, tx.SetIdle([]byte("nokey"), 1000))
		assert.True(t, tx.SetFreq([]byte("k"), 100), "no-op under LRU")
	})
	assert.EqualValues(t, 1000, idle("k"))
	f.set(0, "k", "w", 0)
	assert.EqualValues(t, 0, idle("k"), "an overwrite is an access")

	f.ks.SetEvictionPolicy(keyspace.AllKeysLFU)
	f.ks.SetLFUTuning(0, 1) // log factor 0: every access increments, as in Redis
	f.set(0, "h", "v", 0)
	assert.Equal(t, 5, freq("h"), "Matches Redis: LFU_INIT_VAL")
	for range 10 {
		f.get(0, "h")
	}
	assert.Equal(t, 15, freq("h"))
	f.set(0, "h", "overwritten", 0)
	assert.Equal(t, 16, freq("h"), "Matches Redis: an overwrite under LFU keeps the counter and counts an access")
	f.clock.ms.Add(3 * 60_000)
	f.ks.ActiveExpireCycle(f.clock.now(), 0)
	assert.Equal(t, 13, freq("h"), "decays by one a minute (lfu-decay-time 1)")
	f.do(0, []string{"h"}, func(tx *keyspace.Txn) {
		assert.True(t, tx.SetFreq([]byte("h"), 200))
		assert.True(t, tx.SetIdle([]byte("h"), 5), "no-op under LFU")
	})
	assert.Equal(t, 200, freq("h"))
}

// fill adds n keys "<prefix><i>" with 100-byte values to db 0, with expiry at (0 for none) + i ms.
func (f fixture) fill(prefix string, n int, at int64) {
	for i := range n {
		exp := int64(0)
		if at != 0 {
			exp = at + int64(i)
		}
		f.set(0, fmt.Sprint(prefix, i), strings.Repeat("v", 100), exp)
	}
}

func (f fixture) exists(key string) bool {
	_, ok := f.get(0, key)
	return ok
}

func TestEvictNoEviction(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.fill("k", 100, 0)
	used := f.used()
	n, err := f.ks.Evict(used - 1)
	assert.ErrorIs(t, err, keyspace.ErrOOM)
	assert.Zero(t, n)
	assert.Equal(t, used, f.used(), "noeviction never evicts")
	n, err = f.ks.Evict(used)
	assert.NoError(t, err, "not over the target")
	assert.Zero(t, n)
}

func TestEvictVolatileTTL(t *testing.T) {
	var evicted []string
	f := newFixture(t, keyspace.Config{Policy: keyspace.VolatileTTL, Samples: 64,
		OnEvicted: func(db int, key []byte) { evicted = append(evicted, string(key)) }})
	f.fill("persistent", 50, 0)
	base := f.clock.now() + 1_000_000
	f.fill("ttl", 200, base)
	perKey := f.usage(0, "ttl0")
	n, err := f.ks.Evict(f.used() - 20*perKey)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 20)
	assert.Len(t, evicted, n)
	assert.EqualValues(t, n, f.ks.EvictedKeys())
	for _, k := range evicted {
		var i int
		_, err := fmt.Sscanf(k, "ttl%d", &i)
		require.NoError(t, err, "only keys with an expiry are evicted")
		assert.Less(t, i, 100, "the keys expiring soonest go first")
	}
	_, err = f.ks.Evict(0)
	assert.ErrorIs(t, err, keyspace.ErrOOM, "once the keys with a TTL are gone, nothing else may go")
	for i := range 50 {
		assert.True(t, f.exists(fmt.Sprint("persistent", i)))
	}
}

func TestEvictAllKeysLRU(t *testing.T) {
	f := newFixture(t, keyspace.Config{Policy: keyspace.AllKeysLRU, Samples: 64})
	f.ks.ActiveExpireCycle(f.clock.now(), 0)
	f.fill("k", 400, 0)
	f.clock.ms.Add(100_000)
	f.ks.ActiveExpireCycle(f.clock.now(), 0)
	for i := range 100 {
		f.get(0, fmt.Sprint("k", i)) // k0-k99 are recent
	}
	n, err := f.ks.Evict(f.used() / 2)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 190)
	for i := range 100 {
		assert.True(t, f.exists(fmt.Sprint("k", i)), "recently used keys stay")
	}
}

func TestEvictAllKeysLFU(t *testing.T) {
	f := newFixture(t, keyspace.Config{Policy: keyspace.AllKeysLFU, Samples: 64})
	f.ks.SetLFUTuning(0, 1)
	f.fill("k", 300, 0)
	for i := range 50 {
		for range 5 {
			f.get(0, fmt.Sprint("k", i))
		}
	}
	_, err := f.ks.Evict(f.used() / 3)
	require.NoError(t, err)
	for i := range 50 {
		assert.True(t, f.exists(fmt.Sprint("k", i)), "frequently used keys stay")
	}
}

func TestEvictRandom(t *testing.T) {
	for _, p := range []keyspace.Policy{keyspace.AllKeysRandom, keyspace.VolatileRandom, keyspace.VolatileLRU, keyspace.VolatileLFU} {
		t.Run(p.String(), func(t *testing.T) {
			f := newFixture(t, keyspace.Config{Policy: p})
			f.fill("p", 100, 0)
			f.fill("t", 100, f.clock.now()+1_000_000)
			target := f.used() * 3 / 4
			_, err := f.ks.Evict(target)
			require.NoError(t, err)
			assert.LessOrEqual(t, f.used(), target)
			_, err = f.ks.Evict(0)
			if strings.HasPrefix(p.String(), "volatile") {
				assert.ErrorIs(t, err, keyspace.ErrOOM)
				assert.Equal(t, 100, dbSize(f.ks, 0), "keys without a TTL stay")
			} else {
				assert.NoError(t, err)
				assert.Zero(t, f.used())
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	for p := keyspace.NoEviction; p <= keyspace.VolatileTTL; p++ {
		got, ok := keyspace.ParsePolicy(strings.ToUpper(p.String()))
		assert.True(t, ok)
		assert.Equal(t, p, got)
	}
	_, ok := keyspace.ParsePolicy("lru")
	assert.False(t, ok)
	assert.True(t, keyspace.VolatileLFU.LFU())
	assert.True(t, keyspace.AllKeysLRU.LRU())
	assert.False(t, keyspace.VolatileTTL.LRU())
}

func dbSize(ks *keyspace.Keyspace, db int) int {
	tx := ks.Begin(db)
	defer tx.End()
	return tx.Len()
}
