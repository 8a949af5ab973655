package keyspace

// The slot index: when [Config.SlotOf] is set, every table links its keys into one list per slot, so that a
// slot's keys are counted and listed without scanning the database. The links live in a slice parallel to the
// table's recs (by ref), and a map holds each non-empty slot's first ref and its number of keys. A keyspace
// without SlotOf pays one nil check when a key is added or removed.

// slotIndex is one table's index of keys by slot.
type slotIndex struct {
	of    func(key []byte) int
	lists map[uint16]slotList
	links []slotLink // links[ref-1] is the rec's place in its slot's list
}

type slotList struct {
	head uint32 // first ref, 0 for none
	n    int
}

type slotLink struct {
	prev, next uint32
	slot       uint16
}

func newSlotIndex(of func([]byte) int) *slotIndex {
	return &slotIndex{of: of, lists: make(map[uint16]slotList)}
}

// add links ref, a new rec for key, at the head of its slot's list.
func (x *slotIndex) add(ref uint32, key []byte) {
	for uint32(len(x.links)) < ref {
		x.links = append(x.links, slotLink{})
	}
	s := uint16(x.of(key))
	l := x.lists[s]
	x.links[ref-1] = slotLink{next: l.head, slot: s}
	if l.head != 0 {
		x.links[l.head-1].prev = ref
	}
	x.lists[s] = slotList{head: ref, n: l.n + 1}
}

// del unlinks ref.
func (x *slotIndex) del(ref uint32) {
	k := x.links[ref-1]
	l := x.lists[k.slot]
	if k.prev != 0 {
		x.links[k.prev-1].next = k.next
	} else {
		l.head = k.next
	}
	if k.next != 0 {
		x.links[k.next-1].prev = k.prev
	}
	x.links[ref-1] = slotLink{}
	if l.n--; l.n == 0 {
		delete(x.lists, k.slot)
	} else {
		x.lists[k.slot] = l
	}
}

// rebuild indexes the live recs of t again, after a compaction renumbered them.
func (x *slotIndex) rebuild(t *table) {
	clear(x.lists)
	x.links = x.links[:0]
	for i := range t.recs {
		if t.recs[i].ptr != nil {
			x.add(uint32(i+1), t.recs[i].key())
		}
	}
}

// cleared returns an empty index like x, or nil for nil.
func (x *slotIndex) cleared() *slotIndex {
	if x == nil {
		return nil
	}
	return newSlotIndex(x.of)
}

// CountInSlot returns the number of keys of the Txn's database in slot (CLUSTER COUNTKEYSINSLOT), keys whose
// TTL passed included, as Redis counts them. It returns 0 when the keyspace has no [Config.SlotOf].
func (tx *Txn) CountInSlot(slot int) int {
	n := 0
	tx.wide(func() {
		for i := range tx.ks.shards {
			if x := tx.ks.shards[i].tables[tx.db].slots; x != nil {
				n += x.lists[uint16(slot)].n
			}
		}
	})
	return n
}

// KeysInSlot calls fn with up to limit keys of the Txn's database in slot (all of them for limit < 0), keys whose
// TTL passed included (CLUSTER GETKEYSINSLOT). key is only valid during the call to fn. It does nothing when the
// keyspace has no [Config.SlotOf].
func (tx *Txn) KeysInSlot(slot, limit int, fn func(key []byte)) {
	tx.wide(func() {
		for i := range tx.ks.shards {
			t := &tx.ks.shards[i].tables[tx.db]
			if t.slots == nil {
				return
			}
			for ref := t.slots.lists[uint16(slot)].head; ref != 0 && limit != 0; ref = t.slots.links[ref-1].next {
				fn(t.recs[ref-1].key())
				limit--
			}
		}
	})
}
