package keyspace_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/require"
)

// pushList makes key a list of n elements "0".."n-1" and returns it.
func pushList(t *testing.T, f fixture, key string, n int) *keyspace.List {
	var l *keyspace.List
	f.do(0, []string{key}, func(tx *keyspace.Txn) {
		var err error
		l, err = tx.ListOf([]byte(key), true)
		require.NoError(t, err)
		for i := range n {
			l.PushBack([]byte(fmt.Sprint(i)))
		}
		tx.UpdateSize([]byte(key))
	})
	return l
}

// stored returns the list at key in db as a read-only command sees it.
func stored(t *testing.T, f fixture, db int, key string) *keyspace.List {
	var l *keyspace.List
	f.do(db, []string{key}, func(tx *keyspace.Txn) {
		tx.ReadOnly()
		var err error
		l, err = tx.ListOf([]byte(key), false)
		require.NoError(t, err)
	})
	return l
}

// TestShareCopyOnWrite checks Share and Unshare: while a value is shared, read-only Txns see it, and the first
// write Txn to look its key up gets a clone in its place and changes that, leaving the shared value as it was;
// once unshared, writes change the stored value in place again.
func TestShareCopyOnWrite(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 4})
	orig := pushList(t, f, "l", 1000)
	f.ks.Share(orig)
	require.True(t, orig == stored(t, f, 0, "l"), "a read-only Txn reads the shared value itself")

	var mine *keyspace.List
	f.do(0, []string{"l"}, func(tx *keyspace.Txn) {
		l, err := tx.ListOf([]byte("l"), false)
		require.NoError(t, err)
		require.False(t, orig == l, "a write Txn gets a clone")
		l.PushBack([]byte("new"))
		tx.UpdateSize([]byte("l"))
		mine = l
		again, _ := tx.ListOf([]byte("l"), false)
		require.True(t, l == again, "the clone is the key's value from then on")
	})
	require.Equal(t, 1000, orig.Len(), "the shared value did not change")
	require.Equal(t, 1001, stored(t, f, 0, "l").Len())

	// A shared value stays shared in another database (SWAPDB moves no key through a lookup).
	f.ks.Share(mine)
	tx := f.ks.Begin(0)
	require.NoError(t, tx.SwapDB(0, 3))
	tx.End()
	require.True(t, mine == stored(t, f, 3, "l"))
	f.do(3, []string{"l", "m"}, func(tx *keyspace.Txn) {
		require.NoError(t, tx.Rename([]byte("l"), []byte("m")))
		l, _ := tx.ListOf([]byte("m"), false)
		require.False(t, mine == l, "renamed by a write Txn: a clone")
		l.PopFront()
		tx.UpdateSize([]byte("m"))
	})
	require.Equal(t, 1001, mine.Len())
	f.ks.Unshare(mine)

	// Unshared, and shared twice then unshared twice: writes are in place again.
	orig2 := stored(t, f, 3, "m")
	f.ks.Share(orig2)
	f.ks.Share(orig2)
	f.ks.Unshare(orig2)
	f.do(3, []string{"m"}, func(tx *keyspace.Txn) {
		l, _ := tx.ListOf([]byte("m"), false)
		require.False(t, orig2 == l, "still shared once")
	})
	f.ks.Unshare(orig2)
	f.ks.Unshare(orig)
	last := stored(t, f, 3, "m")
	f.do(3, []string{"m"}, func(tx *keyspace.Txn) {
		l, _ := tx.ListOf([]byte("m"), false)
		require.True(t, last == l, "nothing shared: no clone")
	})
	require.Panics(t, func() { f.ks.Unshare(last) })
}

// TestShareConcurrentReader reads shared values without any lock while writers change their keys: with -race,
// a write that reached a shared value (instead of a clone) is reported, and the reader sees each value exactly
// as it was shared.
func TestShareConcurrentReader(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 4})
	const keys, rounds = 8, 20
	for k := range keys {
		pushList(t, f, fmt.Sprint("k", k), 300)
	}
	for round := range rounds {
		var shared []*keyspace.List
		for k := range keys {
			key := fmt.Sprint("k", k)
			f.do(0, []string{key}, func(tx *keyspace.Txn) {
				l, _ := tx.ListOf([]byte(key), false)
				f.ks.Share(l) // under the key's lock, as a SnapshotFunc does
				shared = append(shared, l)
			})
		}
		want := make([]int, keys)
		for k, l := range shared {
			want[k] = l.Len()
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, l := range shared {
				n := 0
				l.Range(0, l.Len()-1, func([]byte) bool { n++; return true })
				require.Equal(t, want[k], n, "round %d key %d", round, k)
				f.ks.Unshare(l)
			}
		}()
		for i := range 200 {
			key := fmt.Sprint("k", i%keys)
			f.do(0, []string{key}, func(tx *keyspace.Txn) {
				l, _ := tx.ListOf([]byte(key), false)
				l.PushBack([]byte("w"))
				if i%3 == 0 {
					l.PopFront()
				}
				tx.UpdateSize([]byte(key))
			})
		}
		wg.Wait()
	}
}
