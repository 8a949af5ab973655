package keyspace

import (
	"bytes"
	"sync/atomic"
	"unsafe"
)

// rec is one key in a table: 24 bytes, kept in a slice so a key costs no separate allocation besides its blob.
// References to recs are 1-based indexes into table.recs (ref 0 means none), so chains and the TTL index hold
// uint32s instead of pointers.
type rec struct {
	ptr  unsafe.Pointer // blob for strings, *objBox for other kinds; nil when the rec is free
	next uint32         // next ref in the bucket chain, or in the free list
	hash uint32         // low 32 bits of the key hash; selects the bucket
	meta uint32         // kind (bits 0-3), string encoding (4-6), snapshot mark (7), LRU/LFU field (8-31)
	ttl  uint32         // 1-based position in table.ttlRef/ttlAt, 0 when the key has no expiry
}

const (
	metaKindMask = 0x0f
	metaEncShift = 4
	metaEncMask  = 0x07 << metaEncShift
	// metaSnapMark tells a pending snapshot to skip the rec: its value as of the snapshot is already saved, or it
	// did not exist then. See snapshot.go.
	metaSnapMark     = 1 << 7
	metaAccessShift  = 8
	metaAccessMask   = 0xffffff << metaAccessShift
	accessFieldLimit = 1 << 24
)

func (r *rec) kind() Kind { return Kind(r.meta & metaKindMask) }

func (r *rec) strEnc() Encoding { return Encoding((r.meta & metaEncMask) >> metaEncShift) }

func (r *rec) access() uint32 { return r.meta >> metaAccessShift }

func (r *rec) setAccess(v uint32) { r.meta = r.meta&^metaAccessMask | v<<metaAccessShift }

func (r *rec) setKindEnc(k Kind, e Encoding) {
	r.meta = r.meta&^(metaKindMask|metaEncMask) | uint32(k) | uint32(e)<<metaEncShift
}

func (r *rec) key() []byte {
	if r.kind() == KindString {
		k, _ := blobParts(r.ptr)
		return k
	}
	return ptrBox(r.ptr).key()
}

// table is one database's part of one shard: a chained hash table with power-of-two bucket heads, which is what
// makes Redis's reverse-binary SCAN cursor work across resizes, plus a dense index of the keys with a TTL for
// sampling by active expiry. It is only touched with its shard locked.
type table struct {
	buckets []uint32 // head ref of each chain; len is 0 or a power of two
	recs    []rec
	free    uint32 // head ref of the free list
	count   int
	ttlRef  []uint32      // refs of the keys with an expiry, in no order
	ttlAt   []int64       // ttlAt[i] is the absolute expiry, in Unix ms, of ttlRef[i]
	ttlNext int           // where the next active expiry sample starts in ttlRef
	mem     int64         // estimated bytes of this table's keys (see memory.go)
	used    *atomic.Int64 // the keyspace-wide total that mem is part of
	snap    bool          // a pending snapshot skips the recs inserted from now on (they get metaSnapMark)
	slots   *slotIndex    // the keys by slot, when Config.SlotOf is set (see slots.go)
}

const minBuckets = 4

func (t *table) rec(ref uint32) *rec { return &t.recs[ref-1] }

// find returns the ref of key, hashed to h, or 0.
func (t *table) find(h uint64, key []byte) uint32 {
	if len(t.buckets) == 0 {
		return 0
	}
	h32 := uint32(h)
	for ref := t.buckets[h32&uint32(len(t.buckets)-1)]; ref != 0; {
		r := &t.recs[ref-1]
		if r.hash == h32 && bytes.Equal(r.key(), key) {
			return ref
		}
		ref = r.next
	}
	return 0
}

// insert adds key, which is not in the table, and returns its ref. The caller sets ptr and meta on the result.
// It may grow the table, which keeps refs stable.
func (t *table) insert(h uint64, key []byte) uint32 {
	if t.count >= len(t.buckets) {
		n := len(t.buckets) * 2
		if n < minBuckets {
			n = minBuckets
		}
		t.resize(n, false)
	}
	var ref uint32
	if t.free != 0 {
		ref = t.free
		t.free = t.recs[ref-1].next
	} else {
		t.recs = append(t.recs, rec{})
		ref = uint32(len(t.recs))
	}
	b := &t.buckets[uint32(h)&uint32(len(t.buckets)-1)]
	t.recs[ref-1] = rec{hash: uint32(h), next: *b}
	if t.snap {
		t.recs[ref-1].meta = metaSnapMark // not in the pending snapshot
	}
	*b = ref
	t.count++
	if t.slots != nil {
		t.slots.add(ref, key)
	}
	return ref
}

// remove unlinks ref from its chain and frees it. It never resizes, so other refs stay valid; callers run
// maybeShrink once they hold no refs.
func (t *table) remove(ref uint32) {
	r := &t.recs[ref-1]
	p := &t.buckets[r.hash&uint32(len(t.buckets)-1)]
	for *p != ref {
		p = &t.recs[*p-1].next
	}
	*p = r.next
	if r.ttl != 0 {
		t.clearTTL(r)
	}
	if t.slots != nil {
		t.slots.del(ref)
	}
	t.addMem(-r.memUsage())
	*r = rec{next: t.free}
	t.free = ref
	t.count--
}

// setTTL sets the absolute expiry of the key at ref.
func (t *table) setTTL(ref uint32, atMs int64) {
	r := &t.recs[ref-1]
	if r.ttl != 0 {
		t.ttlAt[r.ttl-1] = atMs
		return
	}
	t.ttlRef = append(t.ttlRef, ref)
	t.ttlAt = append(t.ttlAt, atMs)
	r.ttl = uint32(len(t.ttlRef))
}

// clearTTL removes r from the TTL index by moving the last entry into its place.
func (t *table) clearTTL(r *rec) {
	i := int(r.ttl - 1)
	last := len(t.ttlRef) - 1
	if i != last {
		t.ttlRef[i], t.ttlAt[i] = t.ttlRef[last], t.ttlAt[last]
		t.recs[t.ttlRef[i]-1].ttl = uint32(i + 1)
	}
	t.ttlRef, t.ttlAt = t.ttlRef[:last], t.ttlAt[:last]
	r.ttl = 0
	if len(t.ttlRef) == 0 {
		t.ttlRef, t.ttlAt, t.ttlNext = nil, nil, 0
	}
}

// expireAt returns the absolute expiry of r, or 0 when it has none.
func (t *table) expireAt(r *rec) int64 {
	if r.ttl == 0 {
		return 0
	}
	return t.ttlAt[r.ttl-1]
}

// maybeShrink releases memory once the table is mostly empty. It renumbers refs.
func (t *table) maybeShrink() {
	if t.count == 0 {
		if t.buckets != nil {
			t.reset()
		}
		return
	}
	if len(t.buckets) > minBuckets && t.count*8 < len(t.buckets) {
		n := minBuckets
		for n < t.count {
			n *= 2
		}
		t.resize(n, true)
	}
}

// resize rebuilds the bucket array with n heads. With compact it also packs the live recs into a new slice,
// renumbering refs (and the TTL index with them) and dropping the free list.
func (t *table) resize(n int, compact bool) {
	buckets := make([]uint32, n)
	mask := uint32(n - 1)
	if compact {
		recs := make([]rec, 0, t.count+t.count/4)
		for i := range t.recs {
			r := &t.recs[i]
			if r.ptr == nil {
				continue
			}
			recs = append(recs, *r)
			if r.ttl != 0 {
				t.ttlRef[r.ttl-1] = uint32(len(recs))
			}
		}
		t.recs, t.free = recs, 0
		if t.slots != nil {
			t.slots.rebuild(t)
		}
	}
	for i := range t.recs {
		r := &t.recs[i]
		if r.ptr == nil {
			continue
		}
		b := &buckets[r.hash&mask]
		r.next = *b
		*b = uint32(i + 1)
	}
	t.buckets = buckets
}
