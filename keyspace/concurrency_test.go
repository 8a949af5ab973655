package keyspace_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConcurrentIncr(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	const workers, rounds, counters = 8, 500, 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := []byte(fmt.Sprint("c", (i+w)%counters))
				tx := f.ks.Begin(0, k)
				_, err := tx.IncrBy(k, 1)
				tx.End()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := int64(0)
	for i := range counters {
		v, ok := f.get(0, fmt.Sprint("c", i))
		require.True(t, ok)
		var n int64
		_, err := fmt.Sscan(v, &n)
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, int64(workers*rounds), total)
}

// TestConcurrentRenameIsAtomic renames a key back and forth between two names while readers that lock both
// names check that exactly one exists, and a third goroutine runs keyspace-wide operations.
func TestConcurrentRenameIsAtomic(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.set(0, "a", "value", 0)
	a, b := []byte("a"), []byte("b")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(3)
	go func() {
		defer wg.Done()
		defer close(stop)
		for i := range 2000 {
			src, dst := a, b
			if i%2 == 1 {
				src, dst = b, a
			}
			tx := f.ks.Begin(0, src, dst)
			err := tx.Rename(src, dst)
			tx.End()
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			tx := f.ks.Begin(0, b, a)
			n := 0
			if tx.Exists(a) {
				n++
			}
			if tx.Exists(b) {
				n++
			}
			tx.End()
			if n != 1 {
				t.Errorf("%d of a and b exist", n)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			tx := f.ks.Begin(1)
			tx.Len()
			tx.Scan(0, keyspace.ScanOptions{}, func([]byte) {})
			require.NoError(t, tx.SwapDB(1, 2))
			tx.End()
			all := f.ks.BeginAll(0)
			if all.Len() != 1 {
				t.Error("database 0 lost its key")
			}
			all.End()
			f.ks.ActiveExpireCycle(f.clock.now(), 0)
		}
	}()
	wg.Wait()
}

// TestBeginAllIsExclusive runs single-key and two-key Txns, scans, active expiry and eviction samples on many
// shards while BeginAll Txns check that nothing changes under them: they read every counter, yield, and read
// them again. The two-key Txns keep a pair of counters equal, which every BeginAll also checks.
func TestBeginAllIsExclusive(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	const counters = 64
	keys := make([][]byte, counters)
	for i := range keys {
		keys[i] = []byte(fmt.Sprint("k", i))
		f.set(0, string(keys[i]), "0", 0)
	}
	rounds := 3000
	if raceEnabled {
		rounds = 500
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped(); i++ {
				k := keys[2+(i*7+w)%(counters-2)]
				if i%3 == 0 { // k0 and k1 move together
					tx := f.ks.Begin(0, keys[0], keys[1])
					_, err1 := tx.IncrBy(keys[0], 1)
					_, err2 := tx.IncrBy(keys[1], 1)
					tx.End()
					require.NoError(t, err1)
					require.NoError(t, err2)
					continue
				}
				tx := f.ks.Begin(0, k)
				_, err := tx.IncrBy(k, 1)
				tx.End()
				require.NoError(t, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stopped() {
			tx := f.ks.Begin(0)
			tx.Scan(0, keyspace.ScanOptions{Count: 100}, func([]byte) {})
			tx.Len()
			tx.End()
			f.ks.ActiveExpireCycle(f.clock.now(), 0)
		}
	}()
	read := func(tx *keyspace.Txn) []int64 {
		out := make([]int64, counters)
		for i, k := range keys {
			n, err := tx.IncrBy(k, 0)
			require.NoError(t, err)
			out[i] = n
		}
		return out
	}
	for range rounds {
		tx := f.ks.BeginAll(0)
		before := read(&tx)
		for range 3 {
			runtime.Gosched()
		}
		after := read(&tx)
		tx.End()
		require.Equal(t, before, after, "a key changed during a BeginAll Txn")
		require.Equal(t, before[0], before[1], "a two-key Txn was seen half done")
	}
	close(stop)
	wg.Wait()
}

// TestPrefetch: Prefetch changes nothing, takes nil and missing keys and other databases, and returns at once
// while a BeginAll Txn holds the keyspace, even one of the calling goroutine.
func TestPrefetch(t *testing.T) {
	ks, err := keyspace.New(keyspace.DefaultConfig())
	require.NoError(t, err)
	var keys [][]byte
	for i := range 40 {
		k := []byte(fmt.Sprintf("k%d", i))
		keys = append(keys, k)
		if i%2 == 0 {
			tx := ks.Begin(0, k)
			tx.SetString(k, k, 0)
			tx.End()
		}
	}
	check := func() {
		for i, k := range keys {
			tx := ks.Begin(0, k)
			e, ok := tx.Lookup(k)
			assert.Equal(t, i%2 == 0, ok, "key %s", k)
			if ok {
				assert.Equal(t, string(k), string(e.Bytes(nil)))
			}
			tx.End()
		}
	}
	ks.Prefetch(0, append([][]byte{nil}, keys...))
	ks.Prefetch(3, keys)
	ks.Prefetch(99, keys) // out of range: ignored
	check()
	all := ks.BeginAll(0)
	done := make(chan struct{})
	go func() {
		ks.Prefetch(0, keys)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Prefetch waited for a BeginAll Txn")
	}
	ks.Prefetch(0, keys)
	all.End()
	check()

	// Alongside writers that grow and shrink the tables (the race detector checks the locking).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			k := []byte(fmt.Sprintf("w%d", i%300))
			tx := ks.Begin(0, k)
			if i%600 < 300 {
				tx.SetString(k, k, 0)
			} else {
				tx.Delete(k)
			}
			tx.End()
		}
	}()
	for range 2000 {
		ks.Prefetch(0, keys)
	}
	wg.Wait()
	check()
}
