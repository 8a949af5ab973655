package keyspace_test

import (
	"fmt"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanGuarantee checks Redis's SCAN promise: a key present for the whole scan is returned at least once,
// while the tables grow and shrink between calls.
func TestScanGuarantee(t *testing.T) {
	for _, shards := range []int{1, 4, 256} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			f := newFixture(t, keyspace.Config{Shards: shards})
			const stable = 3000
			for i := range stable {
				f.set(0, fmt.Sprint("stable:", i), "v", 0)
			}
			seen := map[string]int{}
			churn := 0
			cursor := uint64(0)
			calls := 0
			for {
				f.do(0, nil, func(tx *keyspace.Txn) {
					cursor = tx.Scan(cursor, keyspace.ScanOptions{Count: 25}, func(k []byte) { seen[string(k)]++ })
				})
				calls++
				if cursor == 0 {
					break
				}
				// Alternate growing (many new keys) and shrinking (removing them again).
				switch calls % 40 {
				case 10:
					for range 8000 {
						f.set(0, fmt.Sprint("churn:", churn), "v", 0)
						churn++
					}
				case 30:
					f.do(0, nil, func(tx *keyspace.Txn) { _ = tx }) // keep the loop shape simple
					for i := churn - 8000; i < churn; i++ {
						k := fmt.Sprint("churn:", i)
						f.do(0, []string{k}, func(tx *keyspace.Txn) { tx.Delete([]byte(k)) })
					}
				}
				require.Less(t, calls, 100000, "scan does not terminate")
			}
			for i := range stable {
				assert.Positive(t, seen[fmt.Sprint("stable:", i)], "stable:%d never returned", i)
			}
		})
	}
}

func TestScanFilters(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.do(0, []string{"s:1", "s:2", "l:1", "dead"}, func(tx *keyspace.Txn) {
		tx.SetString([]byte("s:1"), []byte("v"), 0)
		tx.SetString([]byte("s:2"), []byte("v"), 0)
		tx.SetObject([]byte("l:1"), &fakeList{}, 0)
		tx.SetString([]byte("dead"), []byte("v"), now-1)
	})
	tests := []struct {
		name string
		opts keyspace.ScanOptions
		want []string
	}{
		{"all", keyspace.ScanOptions{}, []string{"l:1", "s:1", "s:2"}},
		{"star", keyspace.ScanOptions{Match: []byte("*")}, []string{"l:1", "s:1", "s:2"}},
		{"match", keyspace.ScanOptions{Match: []byte("s:*")}, []string{"s:1", "s:2"}},
		{"type", keyspace.ScanOptions{Type: keyspace.KindList}, []string{"l:1"}},
		{"type and match", keyspace.ScanOptions{Type: keyspace.KindString, Match: []byte("*1")}, []string{"s:1"}},
		{"count 1", keyspace.ScanOptions{Count: 1}, []string{"l:1", "s:1", "s:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			cursor := uint64(0)
			for {
				f.do(0, nil, func(tx *keyspace.Txn) {
					cursor = tx.Scan(cursor, tt.opts, func(k []byte) { got[string(k)] = true })
				})
				if cursor == 0 {
					break
				}
			}
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			assert.ElementsMatch(t, tt.want, keys)
		})
	}
	assert.Equal(t, []string{"dead"}, f.expired.list(), "scan removes expired keys")

	// In a BeginAll Txn, Scan locks nothing itself.
	tx := f.ks.BeginAll(0)
	n := 0
	for cursor := tx.Scan(0, keyspace.ScanOptions{}, func([]byte) { n++ }); cursor != 0; {
		cursor = tx.Scan(cursor, keyspace.ScanOptions{}, func([]byte) { n++ })
	}
	tx.End()
	assert.Equal(t, 3, n)
}

func TestTableShrinksAndGrows(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 1})
	for i := range 10000 {
		f.set(0, fmt.Sprint("k", i), "v", 0)
	}
	big := f.ks.BucketCount(0, []byte("k0"))
	assert.GreaterOrEqual(t, big, 10000)
	for i := range 9990 {
		k := fmt.Sprint("k", i)
		f.do(0, []string{k}, func(tx *keyspace.Txn) { require.True(t, tx.Delete([]byte(k))) })
	}
	require.NoError(t, f.ks.CheckInvariants())
	assert.Less(t, f.ks.BucketCount(0, []byte("k0")), 64)
	for i := 9990; i < 10000; i++ {
		v, ok := f.get(0, fmt.Sprint("k", i))
		assert.True(t, ok)
		assert.Equal(t, "v", v)
	}
}

// TestScanEmptyEndsAtOnce checks Redis's behaviour on an empty database: one SCAN call, whatever the cursor and
// COUNT, returns cursor 0.
func TestScanEmptyEndsAtOnce(t *testing.T) {
	ks, err := keyspace.New(keyspace.Config{Databases: 2})
	require.NoError(t, err)
	key := []byte("only-in-db-1")
	tx := ks.Begin(1, key)
	tx.SetString(key, []byte("v"), 0)
	tx.End()
	for _, cursor := range []uint64{0, 1, 255, 12345} {
		tx := ks.Begin(0)
		next := tx.Scan(cursor, keyspace.ScanOptions{Count: 1}, func([]byte) { t.Fatal("an empty database has no keys") })
		tx.End()
		assert.Equal(t, uint64(0), next, "cursor %d", cursor)
	}
}
