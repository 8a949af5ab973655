package keyspace_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
)

// Memory of hashes and sets, loaded as the Redis comparison was (EVAL loops of HSET/SADD, one element per call).
// redis-server 7.0.15 (jemalloc) on this machine reports, as the growth of used_memory:
//
//	100,000 hashes of 10 fields ("field:j" -> "value:j")   26.7 MB (266 B/hash, listpack)
//	1 hash of 1,000,000 fields ("field:i" -> "value:i")   72.4 MB (72 B/field, hashtable)
//	1 set of 1,000,000 members ("member:i")               56.4 MB (56 B/member, hashtable)
//	1 set of 1,000,000 integers                           48.4 MB (48 B/member, hashtable)
//	100,000 sets of 10 integers                           11.9 MB (118 B/set, intset)
//	100,000 sets of 10 strings ("member:j")               81.0 MB (810 B/set: hashtable in 7.0, listpack in 7.2)

// memLoad runs load on a fresh keyspace and returns the live heap it added, the memory held from the OS it
// added, and the keyspace's UsedMemory, all in bytes.
func memLoad(t testing.TB, load func(ks *keyspace.Keyspace)) (live, held, estimate float64) {
	measure := func() (uint64, uint64) {
		runtime.GC()
		debug.FreeOSMemory()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc, m.Sys - m.HeapReleased
	}
	live0, held0 := measure()
	ks, err := keyspace.New(keyspace.DefaultConfig())
	require.NoError(t, err)
	load(ks)
	live1, held1 := measure()
	runtime.KeepAlive(ks)
	return float64(live1) - float64(live0), float64(held1) - float64(held0), float64(ks.UsedMemory())
}

func hset(ks *keyspace.Keyspace, key, field, val []byte) {
	tx := ks.Begin(0, key)
	h, _ := tx.HashOf(key, true)
	h.Set(field, val, tx.Limits())
	tx.UpdateSize(key)
	tx.End()
}

func sadd(ks *keyspace.Keyspace, key, m []byte) {
	tx := ks.Begin(0, key)
	s, _ := tx.SetOf(key)
	if s == nil {
		s = keyspace.NewSet(m, 1, tx.Limits())
		tx.SetObject(key, s, 0)
	}
	s.Add(m, tx.Limits())
	tx.UpdateSize(key)
	tx.End()
}

func smallHashes(n int) func(ks *keyspace.Keyspace) {
	return func(ks *keyspace.Keyspace) {
		var k, f, v []byte
		for i := 1; i <= n; i++ {
			k = fmt.Appendf(k[:0], "hash:%d", i)
			for j := 1; j <= 10; j++ {
				f = fmt.Appendf(f[:0], "field:%d", j)
				v = fmt.Appendf(v[:0], "value:%d", j)
				hset(ks, k, f, v)
			}
		}
	}
}

func bigHash(n int) func(ks *keyspace.Keyspace) {
	return func(ks *keyspace.Keyspace) {
		var f, v []byte
		for i := 1; i <= n; i++ {
			f = fmt.Appendf(f[:0], "field:%d", i)
			v = fmt.Appendf(v[:0], "value:%d", i)
			hset(ks, []byte("big"), f, v)
		}
	}
}

func bigSet(n int, ints bool) func(ks *keyspace.Keyspace) {
	return func(ks *keyspace.Keyspace) {
		var m []byte
		for i := 1; i <= n; i++ {
			if ints {
				m = fmt.Appendf(m[:0], "%d", i)
			} else {
				m = fmt.Appendf(m[:0], "member:%d", i)
			}
			sadd(ks, []byte("big"), m)
		}
	}
}

func smallSets(n int, ints bool) func(ks *keyspace.Keyspace) {
	return func(ks *keyspace.Keyspace) {
		var k, m []byte
		for i := 1; i <= n; i++ {
			k = fmt.Appendf(k[:0], "set:%d", i)
			for j := 1; j <= 10; j++ {
				if ints {
					m = fmt.Appendf(m[:0], "%d", j*1000+i)
				} else {
					m = fmt.Appendf(m[:0], "member:%d", j)
				}
				sadd(ks, k, m)
			}
		}
	}
}

// BenchmarkMemoryHashSet reports bytes per hash, field, set or member for the loads compared with Redis above.
func BenchmarkMemoryHashSet(b *testing.B) {
	for _, c := range []struct {
		name string
		per  int
		load func(*keyspace.Keyspace)
	}{
		{"100k-hashes-of-10", 100_000, smallHashes(100_000)},
		{"hash-of-1M", 1_000_000, bigHash(1_000_000)},
		{"set-of-1M-strings", 1_000_000, bigSet(1_000_000, false)},
		{"set-of-1M-ints", 1_000_000, bigSet(1_000_000, true)},
		{"100k-intsets-of-10", 100_000, smallSets(100_000, true)},
		{"100k-sets-of-10-strings", 100_000, smallSets(100_000, false)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				live, held, estimate := memLoad(b, c.load)
				b.ReportMetric(live/float64(c.per), "live-B/each")
				b.ReportMetric(held/float64(c.per), "held-B/each")
				b.ReportMetric(estimate/float64(c.per), "estimate-B/each")
			}
		})
	}
}

// TestHashSetMemory checks that UsedMemory tracks the live heap of hashes and sets in both encodings, and
// that the cost per element stays within the budget of 1.3x Redis.
func TestHashSetMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("loads hundreds of thousands of elements")
	}
	for _, c := range []struct {
		name   string
		per    int
		load   func(*keyspace.Keyspace)
		budget float64 // bytes per element: 1.3x Redis's
	}{
		{"hashes of 10", 20_000, smallHashes(20_000), 1.3 * 266},
		{"hash of 300k", 300_000, bigHash(300_000), 1.3 * 72},
		{"set of 300k", 300_000, bigSet(300_000, false), 1.3 * 56},
	} {
		live, held, estimate := memLoad(t, c.load)
		n := float64(c.per)
		t.Logf("%s: live heap %.1f B, held from OS %.1f B, UsedMemory %.1f B each", c.name, live/n, held/n, estimate/n)
		assert.InDelta(t, live, estimate, live/4, "%s: UsedMemory is within 25%% of the live heap", c.name)
		assert.Less(t, live/n, c.budget, "%s: live heap per element", c.name)
	}
}
