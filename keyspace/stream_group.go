package keyspace

import (
	"bytes"
	"sort"
	"unsafe"
)

// StreamGroup is a consumer group of a stream: the last id delivered to it, its entries-read counter (-1 when
// unknown), its pending entries list (PEL: delivered, not yet acknowledged) and its consumers. Its fields and
// the entries it returns may be read; change it through its methods.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1: unknown (Redis's SCG_INVALID_ENTRIES_READ)
	pel         idList[*PendingEntry]
	consumers   []*Consumer // sorted by name
}

// PendingEntry is an entry of a group's PEL: who it was delivered to, when last (Unix ms) and how many times.
type PendingEntry struct {
	ID            StreamID
	Consumer      *Consumer
	DeliveryTime  int64
	DeliveryCount uint64
}

// Consumer is a consumer of a group: its name, when it was last seen (any interaction) and last active
// (a read or claim that returned entries), in Unix ms, and the pending entries delivered to it.
type Consumer struct {
	Name       []byte
	SeenTime   int64
	ActiveTime int64 // -1: never active
	pel        idList[*PendingEntry]
}

const (
	pendingEntrySize = int(unsafe.Sizeof(PendingEntry{}))
	consumerSize     = int(unsafe.Sizeof(Consumer{}))
	groupSize        = int(unsafe.Sizeof(StreamGroup{}))
)

// Groups returns the groups in name order. The slice must not be changed.
func (s *Stream) Groups() []*StreamGroup { return s.groups }

func (s *Stream) groupIndex(name []byte) (int, bool) {
	i := sort.Search(len(s.groups), func(i int) bool { return bytes.Compare(s.groups[i].Name, name) >= 0 })
	return i, i < len(s.groups) && bytes.Equal(s.groups[i].Name, name)
}

// Group returns the group called name, nil if there is none.
func (s *Stream) Group(name []byte) *StreamGroup {
	if i, ok := s.groupIndex(name); ok {
		return s.groups[i]
	}
	return nil
}

// CreateGroup adds a group with the last delivered id and entries-read counter given; it returns nil when a
// group of that name exists.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	i, ok := s.groupIndex(name)
	if ok {
		return nil
	}
	g := &StreamGroup{Name: append([]byte(nil), name...), LastID: last, EntriesRead: entriesRead}
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return g
}

// DestroyGroup removes the group called name and reports whether it existed.
func (s *Stream) DestroyGroup(name []byte) bool {
	i, ok := s.groupIndex(name)
	if ok {
		s.groups = append(s.groups[:i], s.groups[i+1:]...)
	}
	return ok
}

// PendingLen returns the number of entries in the group's PEL.
func (g *StreamGroup) PendingLen() int { return g.pel.len() }

// Pending returns the group's PEL entry for id.
func (g *StreamGroup) Pending(id StreamID) (*PendingEntry, bool) { return g.pel.get(id) }

// RangePending calls fn for the group's PEL entries with start <= id <= end, in id order, until fn returns
// false.
func (g *StreamGroup) RangePending(start, end StreamID, fn func(p *PendingEntry) bool) {
	g.pel.ascend(start, func(id StreamID, p *PendingEntry) bool { return !end.Less(id) && fn(p) })
}

// Deliver records id as delivered to c at nowMs: a new PEL entry with count 1, or, when id is pending
// already (XGROUP SETID moved the group back), moved to c with its time set and its count reset to 1, as
// Redis does.
func (g *StreamGroup) Deliver(c *Consumer, id StreamID, nowMs int64) *PendingEntry {
	if p, ok := g.pel.get(id); ok {
		g.Assign(p, c)
		p.DeliveryTime = nowMs
		p.DeliveryCount = 1
		return p
	}
	p := &PendingEntry{ID: id, Consumer: c, DeliveryTime: nowMs, DeliveryCount: 1}
	g.pel.insert(id, p)
	c.pel.insert(id, p)
	return p
}

// AddPending adds a PEL entry with the time and count given, owned by c (XCLAIM FORCE, loading). It returns
// nil when id is pending already.
func (g *StreamGroup) AddPending(c *Consumer, id StreamID, deliveryTime int64, count uint64) *PendingEntry {
	if _, ok := g.pel.get(id); ok {
		return nil
	}
	p := &PendingEntry{ID: id, Consumer: c, DeliveryTime: deliveryTime, DeliveryCount: count}
	g.pel.insert(id, p)
	c.pel.insert(id, p)
	return p
}

// Assign moves a pending entry to consumer c.
func (g *StreamGroup) Assign(p *PendingEntry, c *Consumer) {
	if p.Consumer == c {
		return
	}
	p.Consumer.pel.remove(p.ID)
	p.Consumer = c
	c.pel.insert(p.ID, p)
}

// Ack removes id from the PEL and reports whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	p, ok := g.pel.remove(id)
	if ok {
		p.Consumer.pel.remove(id)
	}
	return ok
}

// Consumers returns the consumers in name order. The slice must not be changed.
func (g *StreamGroup) Consumers() []*Consumer { return g.consumers }

func (g *StreamGroup) consumerIndex(name []byte) (int, bool) {
	i := sort.Search(len(g.consumers), func(i int) bool { return bytes.Compare(g.consumers[i].Name, name) >= 0 })
	return i, i < len(g.consumers) && bytes.Equal(g.consumers[i].Name, name)
}

// Consumer returns the consumer called name, nil if there is none.
func (g *StreamGroup) Consumer(name []byte) *Consumer {
	if i, ok := g.consumerIndex(name); ok {
		return g.consumers[i]
	}
	return nil
}

// CreateConsumer adds a consumer seen at nowMs and never active; it returns nil when one of that name exists.
func (g *StreamGroup) CreateConsumer(name []byte, nowMs int64) *Consumer {
	i, ok := g.consumerIndex(name)
	if ok {
		return nil
	}
	c := &Consumer{Name: append([]byte(nil), name...), SeenTime: nowMs, ActiveTime: -1}
	g.consumers = append(g.consumers, nil)
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = c
	return c
}

// DeleteConsumer removes the consumer called name and its pending entries from the group's PEL, and returns
// how many entries it had pending, -1 when there is no such consumer.
func (g *StreamGroup) DeleteConsumer(name []byte) int {
	i, ok := g.consumerIndex(name)
	if !ok {
		return -1
	}
	c := g.consumers[i]
	n := c.pel.len()
	c.pel.ascend(StreamID{}, func(id StreamID, _ *PendingEntry) bool {
		g.pel.remove(id)
		return true
	})
	g.consumers = append(g.consumers[:i], g.consumers[i+1:]...)
	return n
}

// PendingLen returns the number of entries pending for the consumer.
func (c *Consumer) PendingLen() int { return c.pel.len() }

// RangePending calls fn for the consumer's pending entries with start <= id <= end, in id order, until fn
// returns false.
func (c *Consumer) RangePending(start, end StreamID, fn func(p *PendingEntry) bool) {
	c.pel.ascend(start, func(id StreamID, p *PendingEntry) bool { return !end.Less(id) && fn(p) })
}

func (g *StreamGroup) memoryUsage() int {
	n := allocSize(groupSize) + allocSize(len(g.Name)) + g.pel.len()*(allocSize(pendingEntrySize)+2*24)
	for _, c := range g.consumers {
		n += allocSize(consumerSize) + allocSize(len(c.Name)) + 8
	}
	return n
}

func (g *StreamGroup) clone() *StreamGroup {
	c := &StreamGroup{Name: append([]byte(nil), g.Name...), LastID: g.LastID, EntriesRead: g.EntriesRead}
	byOld := make(map[*Consumer]*Consumer, len(g.consumers))
	for _, oc := range g.consumers {
		nc := &Consumer{Name: append([]byte(nil), oc.Name...), SeenTime: oc.SeenTime, ActiveTime: oc.ActiveTime}
		byOld[oc] = nc
		c.consumers = append(c.consumers, nc)
	}
	g.pel.ascend(StreamID{}, func(id StreamID, p *PendingEntry) bool {
		np := *p
		np.Consumer = byOld[p.Consumer]
		c.pel.insert(id, &np)
		np.Consumer.pel.insert(id, &np)
		return true
	})
	return c
}

// idList is an ordered map from StreamID to V: sorted chunks of at most idChunkMax ids, found by binary
// search, so inserting and removing cost O(log n + idChunkMax) at any position.
type idList[V any] struct {
	chunks []*idChunk[V]
	n      int
}

type idChunk[V any] struct {
	ids  []StreamID
	vals []V
}

const idChunkMax = 128

func (l *idList[V]) len() int { return l.n }

// find returns the chunk that holds id or where it goes, and the index in it.
func (l *idList[V]) find(id StreamID) (ci, i int, found bool) {
	ci = sort.Search(len(l.chunks), func(i int) bool {
		ids := l.chunks[i].ids
		return !ids[len(ids)-1].Less(id)
	})
	if ci == len(l.chunks) {
		return ci, 0, false
	}
	ids := l.chunks[ci].ids
	i = sort.Search(len(ids), func(i int) bool { return !ids[i].Less(id) })
	return ci, i, ids[i] == id
}

func (l *idList[V]) get(id StreamID) (V, bool) {
	ci, i, ok := l.find(id)
	if !ok {
		var zero V
		return zero, false
	}
	return l.chunks[ci].vals[i], true
}

func (l *idList[V]) insert(id StreamID, v V) bool {
	ci, i, ok := l.find(id)
	if ok {
		return false
	}
	if ci == len(l.chunks) {
		if ci == 0 || len(l.chunks[ci-1].ids) >= idChunkMax {
			l.chunks = append(l.chunks, &idChunk[V]{})
		} else {
			ci--
		}
		i = len(l.chunks[ci].ids)
	}
	c := l.chunks[ci]
	c.ids = append(c.ids, StreamID{})
	copy(c.ids[i+1:], c.ids[i:])
	c.ids[i] = id
	var zero V
	c.vals = append(c.vals, zero)
	copy(c.vals[i+1:], c.vals[i:])
	c.vals[i] = v
	l.n++
	if len(c.ids) > idChunkMax {
		half := len(c.ids) / 2
		nc := &idChunk[V]{ids: append([]StreamID(nil), c.ids[half:]...), vals: append([]V(nil), c.vals[half:]...)}
		clear(c.vals[half:])
		c.ids, c.vals = c.ids[:half], c.vals[:half]
		l.chunks = append(l.chunks, nil)
		copy(l.chunks[ci+2:], l.chunks[ci+1:])
		l.chunks[ci+1] = nc
	}
	return true
}

func (l *idList[V]) remove(id StreamID) (V, bool) {
	var zero V
	ci, i, ok := l.find(id)
	if !ok {
		return zero, false
	}
	c := l.chunks[ci]
	v := c.vals[i]
	c.ids = append(c.ids[:i], c.ids[i+1:]...)
	copy(c.vals[i:], c.vals[i+1:])
	c.vals[len(c.vals)-1] = zero
	c.vals = c.vals[:len(c.vals)-1]
	if len(c.ids) == 0 {
		l.chunks = append(l.chunks[:ci], l.chunks[ci+1:]...)
	}
	l.n--
	return v, true
}

// ascend calls fn for the ids >= start in order until fn returns false. fn may not change the list, except
// by removing from another list.
func (l *idList[V]) ascend(start StreamID, fn func(id StreamID, v V) bool) {
	ci, i, _ := l.find(start)
	for ; ci < len(l.chunks); ci, i = ci+1, 0 {
		c := l.chunks[ci]
		for ; i < len(c.ids); i++ {
			if !fn(c.ids[i], c.vals[i]) {
				return
			}
		}
	}
}
