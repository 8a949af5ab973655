package keyspace_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestActiveExpiry100K shows that 100,000 keys with short TTLs are all removed within a few (simulated) seconds
// by the active cycle alone, run 10 times a second, with no access to the keys.
func TestActiveExpiry100K(t *testing.T) {
	const n = 100_000
	f := newFixture(t, keyspace.Config{})
	start := f.clock.now()
	for i := range n {
		f.set(0, fmt.Sprint("ttl:", i), "v", start+1000+int64(i%1000)) // expire over one second
	}
	for i := range 1000 {
		f.set(0, fmt.Sprint("forever:", i), "v", 0)
	}
	now := start
	cycles := 0
	budget := 25 * time.Millisecond // Redis's slow cycle: 25% of 100 ms
	if raceEnabled {
		budget *= 8 // the race detector makes each key about ten times slower to expire
	}
	for ; cycles < 50; cycles++ { // 5 simulated seconds
		now += 100
		f.clock.ms.Store(now)
		f.ks.ActiveExpireCycle(now, budget)
		var size int
		f.do(0, nil, func(tx *keyspace.Txn) { size = tx.Len() })
		if size == 1000 {
			break
		}
	}
	f.do(0, nil, func(tx *keyspace.Txn) { assert.Equal(t, 1000, tx.Len()) })
	assert.Len(t, f.expired.list(), n)
	t.Logf("all %d keys expired %d ms after the last TTL passed (%d cycles)", n, now-(start+2000), cycles+1)
	assert.LessOrEqual(t, now-(start+2000), int64(3000))
}

// TestActiveExpiryStopsEarly checks that a cycle over keys that are not yet expired only samples.
func TestActiveExpiryStopsEarly(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	for i := range 10_000 {
		f.set(0, fmt.Sprint("k", i), "v", now+60_000)
	}
	sampled, expired := f.ks.ActiveExpireCycle(now, time.Second)
	assert.Zero(t, expired)
	assert.LessOrEqual(t, sampled, 256*20)
	f.do(0, nil, func(tx *keyspace.Txn) { assert.Equal(t, 10_000, tx.Len()) })
}

// TestActiveExpiryBudget checks that a cycle with no time budget returns after little work and that later
// cycles resume.
func TestActiveExpiryBudget(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 1})
	now := f.clock.now()
	for i := range 5000 {
		f.set(0, fmt.Sprint("k", i), "v", now-1)
	}
	_, expired := f.ks.ActiveExpireCycle(now, 0)
	assert.Less(t, expired, 5000)
	assert.Positive(t, expired)
	for range 1000 {
		f.ks.ActiveExpireCycle(now, 0)
	}
	f.do(0, nil, func(tx *keyspace.Txn) { require.Equal(t, 0, tx.Len()) })
}

// TestKeepExpired: a replica's keyspace hides an expired key from reads and keeps it until it is deleted, and
// the primary's stream (SeeExpired) still finds it.
func TestKeepExpired(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.ks.SetKeepExpired(true)
	f.set(0, "k", "v", f.clock.now()+10)
	f.set(0, "plain", "v", 0)
	f.clock.ms.Add(20)
	key := []byte("k")

	read := f.ks.Begin(0, key)
	read.ReadOnly()
	_, ok := read.Lookup(key)
	read.End()
	require.False(t, ok, "a read finds an expired key missing")

	seen := f.ks.Begin(0, key)
	seen.SeeExpired()
	_, ok = seen.Lookup(key)
	seen.End()
	require.True(t, ok, "the primary's stream still sees it")

	f.ks.ActiveExpireCycle(f.clock.now(), time.Second)
	all := f.ks.Begin(0)
	var scanned []string
	all.Scan(0, keyspace.ScanOptions{Count: 100}, func(k []byte) { scanned = append(scanned, string(k)) })
	require.Equal(t, []string{"plain"}, scanned, "SCAN skips it")
	require.Equal(t, 2, all.Len(), "nothing removed it")
	all.End()
	require.Empty(t, f.expired.list())

	f.ks.SetKeepExpired(false)
	_, ok = f.get(0, "k")
	require.False(t, ok)
	require.Equal(t, []string{"k"}, f.expired.list(), "a primary removes it on access")
}
