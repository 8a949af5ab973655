package keyspace

import (
	"math/bits"
	"unsafe"
)

// Memory accounting. Every key has an estimated cost: its record, its share of the table's bucket array and
// spare records, and the allocation holding its key and value, rounded up as the Go allocator rounds it. Each
// table keeps the sum for its keys in table.mem and adds every change to the keyspace-wide Keyspace.used, so
// [Keyspace.UsedMemory] is one atomic load. Only writes that change a key's allocation touch the counters:
// GET, and a SET that reuses its blob, do not.

// Sizer is implemented by [Object] values that can estimate the bytes they hold, for MEMORY USAGE and for
// maxmemory. An Object without it counts as its box and key only. After changing an Object in place, call
// [Txn.UpdateSize] so the keyspace sees the new size.
type Sizer interface {
	// MemoryUsage returns the approximate number of bytes the value holds, excluding the key.
	MemoryUsage() int
}

const (
	// keyOverhead is what a key costs in its table besides its allocation: the 24-byte rec, about 8 bytes of
	// bucket array (1 to 2 four-byte heads per key at load factor 1/2 to 1) and about 8 bytes of spare recs
	// capacity (append grows it ahead). TestMemoryPerKey checks the result against the live heap.
	keyOverhead = 24 + 8 + 8
	// ttlOverhead is what an expiry costs in the TTL index: a ref and a time.
	ttlOverhead = 4 + 8
)

// allocSize approximates the bytes the Go allocator hands out for an n-byte pointer-free allocation: small
// sizes round up to 8 or 16 bytes, larger ones to size classes about 1/8 apart, and beyond 32 KiB to 8 KiB pages.
func allocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	case n <= 32<<10:
		step := 1 << (bits.Len(uint(n-1)) - 3)
		return (n + step - 1) &^ (step - 1)
	default:
		return (n + 8<<10 - 1) &^ (8<<10 - 1)
	}
}

// memUsage returns the estimated bytes of the key held by r, without its TTL entry.
func (r *rec) memUsage() int64 {
	if r.kind() == KindString {
		return int64(keyOverhead + allocSize(blobSize(r.ptr)))
	}
	b := ptrBox(r.ptr)
	return int64(keyOverhead + b.allocBytes() + b.size)
}

// objectSize returns obj's own estimate of its bytes, 0 if it has none.
func objectSize(obj Object) int {
	if s, ok := obj.(Sizer); ok {
		return s.MemoryUsage()
	}
	return 0
}

// replace points r at a new allocation p holding a value of kind k and encoding e, keeping the accounts.
func (t *table) replace(r *rec, p unsafe.Pointer, k Kind, e Encoding) {
	if r.ptr != nil {
		t.addMem(-r.memUsage())
	}
	r.ptr = p
	r.setKindEnc(k, e)
	t.addMem(r.memUsage())
}

// reset empties t, taking its keys out of the accounts.
func (t *table) reset() {
	t.used.Add(-t.mem)
	*t = table{used: t.used, snap: t.snap, slots: t.slots.cleared()}
}

func (t *table) addMem(d int64) {
	t.mem += d
	t.used.Add(d)
}

// UsedMemory returns the estimated bytes held by every key of every database: what maxmemory is compared with.
// It is one atomic load.
func (ks *Keyspace) UsedMemory() int64 { return ks.used.Load() }

// MemoryUsage returns the estimated bytes used by the key and value of e, including its expiry, as MEMORY USAGE
// reports them.
func (e Entry) MemoryUsage() int64 {
	r := e.rec()
	n := r.memUsage()
	if r.ttl != 0 {
		n += ttlOverhead
	}
	return n
}

// UpdateSize re-measures the Object stored at key after it was changed in place (see [Sizer]) and reports
// whether key exists. A string or an Object that is not a Sizer is left as it is.
func (tx *Txn) UpdateSize(key []byte) bool {
	_, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		return false
	}
	r := &t.recs[ref-1]
	if r.kind() == KindString {
		return true
	}
	b := ptrBox(r.ptr)
	n := objectSize(b.obj)
	t.addMem(int64(n - b.size))
	b.size = n
	return true
}
