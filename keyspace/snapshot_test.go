package keyspace_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
)

// textSnapshot serialises a shard as lines "db key value".
func textSnapshot(b []byte, shard int, keys iter.Seq2[int, keyspace.Entry]) []byte {
	for db, e := range keys {
		var buf [20]byte
		b = fmt.Appendf(b, "%d %s %s\n", db, e.Key(), e.Bytes(buf[:0]))
	}
	return b
}

// collect runs a snapshot to its end, recycling its chunks, and returns its lines, sorted.
func collect(t testing.TB, sn *keyspace.Snapshot) []string {
	var lines []string
	for {
		b, err := sn.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		// Hand the chunk back, spoilt, as the server does: later chunks must not show any of it.
		for i := range b[:cap(b)] {
			b[:cap(b)][i] = '#'
		}
		sn.Recycle(b)
	}
	sn.Close()
	out := lines[:0]
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func startSnapshot(t testing.TB, ks *keyspace.Keyspace) *keyspace.Snapshot {
	tx := ks.BeginAll(0)
	defer tx.End()
	sn, err := tx.StartSnapshot(textSnapshot)
	require.NoError(t, err)
	return sn
}

func TestSnapshotPointInTime(t *testing.T) {
	f := newFixture(t, keyspace.Config{Databases: 2})
	ks := f.ks
	var want []string
	for i := range 1000 {
		k := []byte("k" + strconv.Itoa(i))
		tx := ks.Begin(i%2, k)
		tx.SetString(k, []byte("v"+strconv.Itoa(i)), 0)
		tx.End()
		want = append(want, fmt.Sprintf("%d k%d v%d", i%2, i, i))
	}
	key := []byte("expiring")
	tx := ks.Begin(0, key)
	tx.SetString(key, []byte("x"), f.clock.now()+10)
	tx.End()
	want = append(want, "0 expiring x")
	sort.Strings(want)

	sn := startSnapshot(t, ks)
	tx = ks.BeginAll(0)
	_, err := tx.StartSnapshot(textSnapshot)
	assert.ErrorIs(t, err, keyspace.ErrSnapshotRunning)
	tx.End()
	assert.True(t, ks.Snapshotting())

	// Writes, deletes, expiry and a FLUSHDB after the start are not in the snapshot.
	for i := 0; i < 1000; i += 3 {
		k := []byte("k" + strconv.Itoa(i))
		tx := ks.Begin(i%2, k)
		if i%2 == 0 {
			tx.Delete(k)
		} else {
			tx.SetString(k, []byte("changed"), 0)
		}
		tx.End()
	}
	for i := range 100 {
		k := []byte("new" + strconv.Itoa(i))
		tx := ks.Begin(0, k)
		tx.SetString(k, []byte("n"), 0)
		tx.End()
	}
	f.clock.ms.Add(100)
	ks.ActiveExpireCycle(f.clock.now(), time.Second)
	assert.Equal(t, []string{"expiring"}, f.expired.list())
	tx = ks.Begin(1)
	tx.Flush()
	require.NoError(t, tx.SwapDB(0, 1))
	tx.End()
	tx = ks.BeginAll(1)
	tx.Flush() // again, now the first database's keys: frozen already
	require.NoError(t, tx.SwapDB(0, 1))
	tx.End()
	k := []byte("new0")
	tx = ks.Begin(0, k)
	tx.SetString(k, []byte("after the swaps"), 0)
	tx.End()
	assert.Positive(t, sn.Early())

	assert.Equal(t, want, collect(t, sn))
	assert.False(t, ks.Snapshotting())

	// The next snapshot sees the changes.
	got := collect(t, startSnapshot(t, ks))
	assert.Equal(t, []string{"0 new0 after the swaps"}, got)
}

func TestSnapshotClose(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	ks := f.ks
	k := []byte("a")
	tx := ks.Begin(0, k)
	tx.SetString(k, []byte("1"), 0)
	tx.End()
	sn := startSnapshot(t, ks)
	sn.Close()
	_, err := sn.Next()
	assert.ErrorIs(t, err, keyspace.ErrSnapshotClosed)
	tx = ks.Begin(0, k) // a pending shard of a closed snapshot is released, not serialised
	tx.SetString(k, []byte("2"), 0)
	tx.End()
	assert.Zero(t, sn.Early())
	assert.Equal(t, []string{"0 a 2"}, collect(t, startSnapshot(t, ks)))
}

// TestSnapshotConsistent moves amounts between keys in BeginAll Txns (as MULTI/EXEC does) and between pairs of
// keys while snapshots run; every snapshot must see the total unchanged.
func TestSnapshotConsistent(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	ks := f.ks
	const n, each = 500, 100
	key := func(i int) []byte { return []byte("acct" + strconv.Itoa(i)) }
	for i := range n {
		tx := ks.Begin(0, key(i))
		tx.SetString(key(i), []byte(strconv.Itoa(each)), 0)
		tx.End()
	}
	move := func(tx *keyspace.Txn, a, b []byte) {
		_, err := tx.IncrBy(a, -1)
		require.NoError(t, err)
		_, err = tx.IncrBy(b, 1)
		require.NoError(t, err)
	}
	stop := writers(4, func(w, i int) {
		a, b := key((i*7+w)%n), key((i*13+w*3+1)%n)
		if w%2 == 0 {
			tx := ks.BeginAll(0)
			move(&tx, a, b)
			tx.End()
		} else {
			tx := ks.Begin(0, a, b)
			move(&tx, a, b)
			tx.End()
		}
	})
	for range 20 {
		total := 0
		for _, l := range collect(t, startSnapshot(t, ks)) {
			v, err := strconv.Atoi(strings.Fields(l)[2])
			require.NoError(t, err)
			total += v
		}
		assert.Equal(t, n*each, total)
	}
	stop()
}

// writers runs n goroutines, each calling fn(w, i) with its number w for i = 0, 1, 2 ... until stop is called;
// stop waits for them.
func writers(n int, fn func(w, i int)) (stop func()) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				fn(w, i)
			}
		}()
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

// TestSnapshotReadOnly: a read-only Txn leaves pending shards to the saver, unless it removes an expired key.
func TestSnapshotReadOnly(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	ks := f.ks
	a, b := []byte("a"), []byte("b")
	tx := ks.Begin(0, a, b)
	tx.SetString(a, []byte("1"), 0)
	tx.SetString(b, []byte("2"), f.clock.now()+10)
	tx.End()
	sn := startSnapshot(t, ks)
	tx = ks.Begin(0, a)
	tx.ReadOnly()
	_, ok := tx.Lookup(a)
	assert.True(t, ok)
	tx.End()
	assert.Zero(t, sn.EarlyKeys())
	f.clock.ms.Add(100)
	tx = ks.Begin(0, b)
	tx.ReadOnly()
	_, ok = tx.Lookup(b)
	assert.False(t, ok)
	tx.End()
	assert.Zero(t, sn.Early())
	assert.Equal(t, 1, sn.EarlyKeys())
	assert.Equal(t, []string{"0 a 1", "0 b 2"}, collect(t, sn))
}

// TestSnapshotEviction: keys evicted while a snapshot runs are still in it.
func TestSnapshotEviction(t *testing.T) {
	for _, p := range []keyspace.Policy{keyspace.AllKeysRandom, keyspace.AllKeysLRU} {
		f := newFixture(t, keyspace.Config{})
		ks := f.ks
		ks.SetEvictionPolicy(p)
		var want []string
		for i := range 2000 {
			k := []byte("k" + strconv.Itoa(i))
			tx := ks.Begin(0, k)
			tx.SetString(k, []byte("v"), 0)
			tx.End()
			want = append(want, "0 "+string(k)+" v")
		}
		sort.Strings(want)
		sn := startSnapshot(t, ks)
		n, _ := ks.Evict(0) // everything
		assert.Equal(t, 2000, n)
		assert.Equal(t, want, collect(t, sn), "policy %v", p)
	}
}

// TestSnapshotPerKey: writes to keys of pending shards save just those keys (no shard is serialised whole), in
// every way a key can change: overwritten, deleted, renamed over, copied and moved between databases, a table
// shrunk under the marks; keys added meanwhile are left out. The marks are gone afterwards, so the next
// snapshot, and one after a snapshot abandoned half way, sees everything as it is.
func TestSnapshotPerKey(t *testing.T) {
	f := newFixture(t, keyspace.Config{Databases: 2})
	ks := f.ks
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	state := map[string]string{} // "db key" -> value, the keyspace as it is
	set := func(db int, k []byte, v string) {
		tx := ks.Begin(db, k)
		tx.SetString(k, []byte(v), 0)
		tx.End()
		state[fmt.Sprintf("%d %s", db, k)] = v
	}
	lines := func() []string {
		var out []string
		for k, v := range state {
			out = append(out, k+" "+v)
		}
		sort.Strings(out)
		return out
	}
	for i := range 2000 {
		set(0, key(i), "v"+strconv.Itoa(i))
	}
	want := lines()

	sn := startSnapshot(t, ks)
	for i := range 2000 {
		switch i % 5 {
		case 0:
			set(0, key(i), "changed")
		case 1:
			tx := ks.Begin(0, key(i))
			tx.Delete(key(i))
			tx.End()
			delete(state, "0 "+string(key(i)))
		case 2:
			tx := ks.Begin(0, key(i), key(i-1))
			require.NoError(t, tx.Rename(key(i), key(i-1)))
			tx.End()
			state["0 "+string(key(i-1))] = state["0 "+string(key(i))]
			delete(state, "0 "+string(key(i)))
		case 3:
			tx := ks.Begin(0, key(i))
			ok, err := tx.Move(key(i), 1)
			require.NoError(t, err)
			require.True(t, ok)
			tx.End()
			state["1 "+string(key(i))] = state["0 "+string(key(i))]
			delete(state, "0 "+string(key(i)))
		}
	}
	for i := range 300 {
		set(i%2, []byte("new"+strconv.Itoa(i)), "n")
	}
	// Most keys gone: tables shrink, compacting records with their marks.
	for i := range 2000 {
		if i%10 != 4 {
			tx := ks.Begin(0, key(i))
			if tx.Delete(key(i)) {
				delete(state, "0 "+string(key(i)))
			}
			tx.End()
		}
	}
	assert.Zero(t, sn.Early())
	assert.Positive(t, sn.EarlyKeys())
	assert.Equal(t, want, collect(t, sn))
	assert.Equal(t, lines(), collect(t, startSnapshot(t, ks)))

	// Abandoned after one shard, with writes marking keys in the others.
	sn = startSnapshot(t, ks)
	_, err := sn.Next()
	require.NoError(t, err)
	for i := range 100 {
		set(1, []byte("new"+strconv.Itoa(i)), "again")
		set(0, []byte("later"+strconv.Itoa(i)), "x")
	}
	sn.Close()
	assert.Equal(t, lines(), collect(t, startSnapshot(t, ks)))
}

// TestSnapshotPieces: with few shards, Next serialises each in many pieces, letting writers in between; writers
// overwriting, deleting (enough to shrink tables, which renumbers their records) and adding keys meanwhile
// change nothing in the snapshot.
func TestSnapshotPieces(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 2, Databases: 2})
	ks := f.ks
	keyspace.SetSnapshotPiece(t, 16)
	const n = 20000
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	var want []string
	for i := range n {
		tx := ks.Begin(i%2, key(i))
		tx.SetString(key(i), []byte("v"+strconv.Itoa(i)), 0)
		tx.End()
		want = append(want, fmt.Sprintf("%d k%d v%d", i%2, i, i))
	}
	sort.Strings(want)
	for round := range 3 {
		sn := startSnapshot(t, ks)
		stop := writers(2, func(w, i int) {
			db, k := i%2, key(i%n)
			if w == 1 && i%2 == 1 {
				k = []byte(fmt.Sprintf("new%d-%d", round, i))
			}
			tx := ks.Begin(db, k)
			if w == 0 {
				tx.Delete(k) // every key, shrinking the tables again and again
			} else {
				tx.SetString(k, []byte("changed"), 0)
			}
			tx.End()
		})
		got := collect(t, sn)
		stop()
		require.Equal(t, want, got, "round %d", round)
		// What the next snapshot must hold: everything as it is now.
		want = collect(t, startSnapshot(t, ks))
		var all []string
		for db := range 2 {
			var keys [][]byte
			tx := ks.Begin(db)
			tx.Keys([]byte("*"), func(k []byte) { keys = append(keys, bytes.Clone(k)) })
			tx.End()
			for _, k := range keys {
				tx := ks.Begin(db, k)
				e, ok := tx.Lookup(k)
				require.True(t, ok)
				var buf [20]byte
				all = append(all, fmt.Sprintf("%d %s %s", db, k, e.Bytes(buf[:0])))
				tx.End()
			}
		}
		sort.Strings(all)
		require.Equal(t, all, want, "round %d: marks left behind", round)
	}
}

// TestSnapshotPieceShrink: a table that shrinks (renumbering its records) or grows between two pieces of Next
// loses no key and gains none.
func TestSnapshotPieceShrink(t *testing.T) {
	for _, grow := range []bool{false, true} {
		f := newFixture(t, keyspace.Config{Shards: 1})
		ks := f.ks
		keyspace.SetSnapshotPiece(t, 100)
		const n = 1000
		key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
		var want []string
		for i := range n {
			tx := ks.Begin(0, key(i))
			tx.SetString(key(i), []byte("v"), 0)
			tx.End()
			want = append(want, "0 "+string(key(i))+" v")
		}
		sort.Strings(want)
		done := false
		keyspace.BetweenSnapshotPieces(t, func() {
			if done {
				return
			}
			done = true
			for i := range n {
				if grow {
					k := []byte("new" + strconv.Itoa(i))
					tx := ks.Begin(0, k)
					tx.SetString(k, []byte("n"), 0)
					tx.End()
				} else if i%25 != 0 && i < n-20 {
					tx := ks.Begin(0, key(i))
					tx.Delete(key(i))
					tx.End()
				}
			}
		})
		sn := startSnapshot(t, ks)
		assert.Equal(t, want, collect(t, sn), "grow %v", grow)
		assert.True(t, done)
	}
}

// BenchmarkSnapshotPause measures, on 1,000,000 small keys, how long the snapshot keeps a shard's lock per
// call of its SnapshotFunc, which is what a command waits for at most (besides its own work): a piece of a
// shard (the saver; a piece holding one key counts as a key), one key (a writer copying the key it changes), and
// for comparison a whole shard, what
// the first writer to touch each shard waited for before snapshots copied per key. It also times SETs on random
// keys from two goroutines while the snapshot runs. It prints the percentiles and the longest of each.
func BenchmarkSnapshotPause(b *testing.B) {
	const n = 1_000_000
	ks, keys := benchKeyspace(b, n)
	type timings struct {
		mu sync.Mutex
		d  map[string][]time.Duration
	}
	tm := timings{d: map[string][]time.Duration{}}
	record := func(kind string, d time.Duration) {
		tm.mu.Lock()
		tm.d[kind] = append(tm.d[kind], d)
		tm.mu.Unlock()
	}
	// A serialiser like the server's for strings: key and value copied out with their lengths.
	serialise := func(dst []byte, shard int, entries iter.Seq2[int, keyspace.Entry]) []byte {
		start := time.Now()
		var scratch [20]byte
		count := 0
		for _, e := range entries {
			dst = append(dst, byte(len(e.Key())))
			dst = append(dst, e.Key()...)
			v := e.Bytes(scratch[:0])
			dst = append(append(dst, byte(len(v))), v...)
			count++
		}
		switch count {
		case 0: // a piece of marked records or an empty table
		case 1:
			record("one key (writers)", time.Since(start))
		default:
			record("saver piece", time.Since(start))
		}
		return dst
	}
	show := func(kind string) {
		d := tm.d[kind]
		if len(d) == 0 {
			return
		}
		slices.Sort(d)
		pct := func(p float64) time.Duration { return d[min(len(d)-1, int(float64(len(d))*p))] }
		fmt.Printf("  %-24s %7d calls, p50 %v, p99 %v, p99.9 %v, max %v\n", kind, len(d), pct(0.5), pct(0.99),
			pct(0.999), d[len(d)-1])
	}
	setters := func(stop *atomic.Bool) {
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				val := []byte("wwwwwwwwwwwwwwww")
				for !stop.Load() {
					k := keys[r.IntN(n)]
					start := time.Now()
					tx := ks.Begin(0, k)
					tx.SetString(k, val, 0)
					tx.End()
					record("SET during snapshot", time.Since(start))
				}
			}()
		}
		wg.Wait()
	}
	for b.Loop() {
		tm.d = map[string][]time.Duration{}
		tx := ks.BeginAll(0)
		require.NoError(b, tx.SerialiseAll(func(dst []byte, shard int, entries iter.Seq2[int, keyspace.Entry]) []byte {
			start := time.Now()
			dst = serialise(dst, shard, entries)
			record("whole shard (before)", time.Since(start))
			return dst
		}, func([]byte) error { return nil }))
		tx.End()
		tm.d["saver piece"] = nil

		tx = ks.BeginAll(0)
		sn, err := tx.StartSnapshot(serialise)
		require.NoError(b, err)
		tx.End()
		var stop atomic.Bool
		done := make(chan struct{})
		go func() { setters(&stop); close(done) }()
		for {
			_, err := sn.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(b, err)
		}
		sn.Close()
		stop.Store(true)
		<-done
		fmt.Printf("snapshot of %d keys, %d copied by writers:\n", n, sn.EarlyKeys())
		for _, kind := range []string{"whole shard (before)", "saver piece", "one key (writers)", "SET during snapshot"} {
			show(kind)
		}
		d := tm.d["saver piece"]
		b.ReportMetric(float64(d[len(d)-1].Microseconds()), "max-piece-µs")
		d = tm.d["whole shard (before)"]
		b.ReportMetric(float64(d[len(d)-1].Microseconds()), "max-shard-µs")
	}
}
