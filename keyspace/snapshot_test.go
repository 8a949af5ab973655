package keyspace_test

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
)

// textSnapshot serialises a shard as lines "db key value".
func textSnapshot(shard int, keys iter.Seq2[int, keyspace.Entry]) []byte {
	var b []byte
	for db, e := range keys {
		var buf [20]byte
		b = fmt.Appendf(b, "%d %s %s\n", db, e.Key(), e.Bytes(buf[:0]))
	}
	return b
}

// collect runs a snapshot to its end and returns its lines, sorted.
func collect(t testing.TB, sn *keyspace.Snapshot) []string {
	var lines []string
	for {
		b, err := sn.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
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
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
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
			}
		}()
	}
	for range 20 {
		total := 0
		for _, l := range collect(t, startSnapshot(t, ks)) {
			v, err := strconv.Atoi(strings.Fields(l)[2])
			require.NoError(t, err)
			total += v
		}
		assert.Equal(t, n*each, total)
	}
	close(stop)
	wg.Wait()
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
	assert.Zero(t, sn.Early())
	f.clock.ms.Add(100)
	tx = ks.Begin(0, b)
	tx.ReadOnly()
	_, ok = tx.Lookup(b)
	assert.False(t, ok)
	tx.End()
	assert.Equal(t, 1, sn.Early())
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
