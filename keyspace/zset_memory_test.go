package keyspace_test

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/carminedb/carmine/keyspace"
)

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestZSetMemoryReport measures the heap and UsedMemory of one sorted set of 1M members and of 100k sets of 10
// members, for comparison with Redis's used_memory (set CARMINE_ZSET_MEMORY=1 and run with -v).
func TestZSetMemoryReport(t *testing.T) {
	if os.Getenv("CARMINE_ZSET_MEMORY") == "" {
		t.Skip("set CARMINE_ZSET_MEMORY=1 to measure")
	}
	ks, _ := keyspace.New(keyspace.Config{})
	h0 := heap()
	tx := ks.Begin(0, []byte("big"))
	z := keyspace.NewZSet()
	tx.SetObject([]byte("big"), z, 0)
	lim := tx.Limits()
	for i := 0; i < 1000000; i++ {
		z.Add(lim, []byte("member:"+strconv.Itoa(i)), float64(i*7%1000003), 0)
	}
	tx.UpdateSize([]byte("big"))
	tx.End()
	h1 := heap()
	t.Logf("big: used %d heap %d per member used %.1f heap %.1f", ks.UsedMemory(), h1-h0, float64(ks.UsedMemory())/1e6, float64(h1-h0)/1e6)
	u1 := ks.UsedMemory()
	for k := 0; k < 100000; k++ {
		key := []byte("small:" + strconv.Itoa(k))
		tx := ks.Begin(0, key)
		z := keyspace.NewZSet()
		tx.SetObject(key, z, 0)
		for i := 0; i < 10; i++ {
			z.Add(lim, []byte("member:"+strconv.Itoa(i)), float64(i), 0)
		}
		tx.UpdateSize(key)
		tx.End()
	}
	h2 := heap()
	t.Logf("small: used %d heap %d per member used %.1f heap %.1f", ks.UsedMemory()-u1, h2-h1, float64(ks.UsedMemory()-u1)/1e6, float64(h2-h1)/1e6)
	runtime.KeepAlive(ks)
}
