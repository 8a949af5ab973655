package keyspace_test

import (
	"sync"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/require"
)

// orderLog is an EndHook that records, at each Txn's end, the value the Txn gave its counter.
type orderLog struct {
	mu   *sync.Mutex
	log  *[]int64
	last int64
}

func (o *orderLog) TxnEnding() {
	o.mu.Lock()
	*o.log = append(*o.log, o.last)
	o.mu.Unlock()
}

// TestEndHookOrder: the hook runs before End releases the locks, so Txns on one key are hooked in the order
// they changed it (what a replication stream needs), and a share from Within never calls it.
func TestEndHookOrder(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	var mu sync.Mutex
	var log []int64
	const workers, rounds = 4, 300
	key := []byte("counter")
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				h := &orderLog{mu: &mu, log: &log}
				tx := f.ks.Begin(0, key)
				tx.OnEnd(h)
				inner := tx.Within(0)
				inner.End() // a share: no hook
				v, err := tx.IncrBy(key, 1)
				if err != nil {
					t.Error(err)
				}
				h.last = v
				tx.End()
			}
		}()
	}
	wg.Wait()
	require.Len(t, log, workers*rounds)
	for i, v := range log {
		require.Equal(t, int64(i+1), v, "hook %d saw the counter out of order", i)
	}
}
