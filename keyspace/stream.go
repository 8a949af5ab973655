package keyspace

import (
	"math"
	"sort"
	"unsafe"
)

// StreamID is a stream entry id, printed "<ms>-<seq>". Ids of a stream grow strictly.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest id, "18446744073709551615-18446744073709551615".
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as id is less than, equal to or greater than o.
func (id StreamID) Compare(o StreamID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports whether id sorts before o.
func (id StreamID) Less(o StreamID) bool { return id.Compare(o) < 0 }

// IsZero reports whether id is 0-0.
func (id StreamID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Next returns the id right after id, false when id is the largest.
func (id StreamID) Next() (StreamID, bool) {
	switch {
	case id.Seq < math.MaxUint64:
		return StreamID{id.Ms, id.Seq + 1}, true
	case id.Ms < math.MaxUint64:
		return StreamID{id.Ms + 1, 0}, true
	}
	return id, false
}

// Prev returns the id right before id, false when id is 0-0.
func (id StreamID) Prev() (StreamID, bool) {
	switch {
	case id.Seq > 0:
		return StreamID{id.Ms, id.Seq - 1}, true
	case id.Ms > 0:
		return StreamID{id.Ms - 1, math.MaxUint64}, true
	}
	return id, false
}

// AppendStreamID appends id as "<ms>-<seq>".
func AppendStreamID(dst []byte, id StreamID) []byte {
	dst = appendUint(dst, id.Ms)
	dst = append(dst, '-')
	return appendUint(dst, id.Seq)
}

func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// String returns "<ms>-<seq>".
func (id StreamID) String() string { return string(AppendStreamID(nil, id)) }

// StreamEntry is one entry of a stream: its id and its field-value pairs, flattened (field, value, field, ...).
// The slices alias the stream and are valid until it next changes.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// StreamLimits are the node limits of stream-node-max-bytes and stream-node-max-entries.
type streamLimits struct{ maxBytes, maxEntries int }

// Stream is a stream value: entries in id order, consumer groups, and the counters Redis keeps (last id,
// entries added, max deleted id).
//
// Entries live in nodes that follow Redis's listpack nodes: a new node starts when the last one holds
// stream-node-max-entries entries (live and deleted) or would pass stream-node-max-bytes, measured with
// Redis's own listpack encoding. So approximate trimming (MAXLEN ~, MINID ~), which removes whole nodes
// only, and XINFO's radix-tree-keys give Redis's numbers. A range scan finds its first node by binary search
// over the nodes and its first entry by binary search in the node. Deleted entries are removed from their
// node at once; the node keeps counting them for its limits, as Redis's tombstones do.
//
// A Stream is not safe for concurrent use; stored in a keyspace it is used only under its key's lock.
type Stream struct {
	nodes        []*streamNode
	length       int
	lastID       StreamID
	maxDeleted   StreamID
	entriesAdded uint64
	groups       []*StreamGroup // sorted by name
	mem          int            // bytes of the entries and nodes, kept as they change
}

type streamNode struct {
	entries []StreamEntry // live entries, in id order
	master  StreamID      // id of the first entry appended (the node's key in Redis's radix tree)
	last    StreamID      // id of the last entry appended, live or not
	fields  [][]byte      // the master fields: those of the first entry appended
	slots   int           // entries appended, live and deleted
	deleted int           // entries deleted
	lpBytes int           // the listpack's bytes without its count and deleted counters
	data    []byte        // the arena the fields of the latest entries were copied into (see copyFields)
	hdrs    [][]byte      // the arena of the latest entries' Fields slices
}

const streamNodeSize = int(unsafe.Sizeof(streamNode{}))

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Kind reports KindStream.
func (s *Stream) Kind() Kind { return KindStream }

// Encoding reports EncStream.
func (s *Stream) Encoding() Encoding { return EncStream }

// Len returns the number of entries.
func (s *Stream) Len() int { return s.length }

// LastID returns the last id generated (or set by XSETID), 0-0 for a new stream.
func (s *Stream) LastID() StreamID { return s.lastID }

// MaxDeletedID returns the largest id deleted so far (XDEL, trimming), 0-0 if none.
func (s *Stream) MaxDeletedID() StreamID { return s.maxDeleted }

// EntriesAdded returns how many entries were ever added.
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// SetMeta sets the last id, entries added and max deleted id (XSETID, restoring a stream). The caller checks
// them against the entries.
func (s *Stream) SetMeta(last StreamID, entriesAdded uint64, maxDeleted StreamID) {
	s.lastID, s.entriesAdded, s.maxDeleted = last, entriesAdded, maxDeleted
}

// Nodes returns the number of nodes (XINFO STREAM's radix-tree-keys).
func (s *Stream) Nodes() int { return len(s.nodes) }

// First returns the first entry.
func (s *Stream) First() (StreamEntry, bool) {
	if s.length == 0 {
		return StreamEntry{}, false
	}
	return s.nodes[0].entries[0], true
}

// Last returns the last entry.
func (s *Stream) Last() (StreamEntry, bool) {
	if s.length == 0 {
		return StreamEntry{}, false
	}
	n := s.nodes[len(s.nodes)-1]
	return n.entries[len(n.entries)-1], true
}

// FirstID returns the first entry's id, 0-0 when the stream is empty (XINFO's recorded-first-entry-id).
func (s *Stream) FirstID() StreamID {
	if e, ok := s.First(); ok {
		return e.ID
	}
	return StreamID{}
}

// NextID returns the id XADD * gives at Unix time nowMs: nowMs-0, or the last id's successor when the clock is
// not ahead of it. It reports false when the last id is the largest possible.
func (s *Stream) NextID(nowMs int64) (StreamID, bool) {
	ms := uint64(max(nowMs, 0))
	if ms > s.lastID.Ms {
		return StreamID{ms, 0}, true
	}
	return s.lastID.Next()
}

// Add appends an entry with id, which must be greater than LastID, and fields (field, value, ...), copied.
// maxBytes and maxEntries are stream-node-max-bytes and stream-node-max-entries (0: no limit).
func (s *Stream) Add(id StreamID, fields [][]byte, maxBytes, maxEntries int) {
	size := 0
	for _, f := range fields {
		size += len(f)
	}
	var n *streamNode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if maxBytes <= 0 || maxBytes > 1<<30 {
			maxBytes = 1 << 30
		}
		if n.bytes()+size >= maxBytes || (maxEntries > 0 && n.slots >= maxEntries) {
			n = nil
		}
	}
	newNode := n == nil
	if newNode {
		n = &streamNode{master: id}
	}
	e := StreamEntry{ID: id, Fields: n.copyFields(fields, size)}
	if newNode {
		n.fields = e.Fields
		n.lpBytes = 6 + 1 + lpIntSize(int64(len(fields)/2)) + lpIntSize(0) // header, end, master fields count, terminator
		for i := 0; i < len(fields); i += 2 {
			n.lpBytes += lpStrSize(fields[i])
		}
		s.nodes = append(s.nodes, n)
		s.mem += allocSize(streamNodeSize)
	}
	n.lpBytes += n.entrySize(e)
	if cap(n.entries) == len(n.entries) {
		s.mem += 24 * len(n.entries) // the slice about to double
	}
	n.entries = append(n.entries, e)
	n.slots++
	n.last = id
	s.mem += entryMem(e)
	s.length++
	s.lastID = id
	s.entriesAdded++
}

// streamArenaMax is the largest chunk a node's arenas grow to; a longer entry gets a chunk of its own size.
const streamArenaMax = 4096

// copyFields copies fields (size bytes in all) into the node's arenas and returns the copy. The entries of a
// node share a few allocations, growing to streamArenaMax bytes, instead of taking two each, and the garbage
// collector scans one chunk of slice headers per many entries. Like the listpack in Redis, an arena lives as
// long as its node, deleted entries included.
func (n *streamNode) copyFields(fields [][]byte, size int) [][]byte {
	if cap(n.data)-len(n.data) < size {
		n.data = make([]byte, 0, max(size, min(2*cap(n.data), streamArenaMax), 64))
	}
	if cap(n.hdrs)-len(n.hdrs) < len(fields) {
		n.hdrs = make([][]byte, 0, max(len(fields), min(2*cap(n.hdrs), streamArenaMax/24), 8))
	}
	start := len(n.hdrs)
	for _, f := range fields {
		off := len(n.data)
		n.data = append(n.data, f...) // within capacity: earlier entries' bytes stay where they are
		n.hdrs = append(n.hdrs, n.data[off:len(n.data):len(n.data)])
	}
	return n.hdrs[start:len(n.hdrs):len(n.hdrs)]
}

func entryMem(e StreamEntry) int {
	size := 0
	for _, f := range e.Fields {
		size += len(f)
	}
	return allocSize(size) + allocSize(24*len(e.Fields)) + 24
}

// bytes returns the size of the node's listpack in Redis.
func (n *streamNode) bytes() int {
	return n.lpBytes + lpIntSize(int64(n.slots-n.deleted)) + lpIntSize(int64(n.deleted))
}

// entrySize is the listpack bytes of e in n: flags, id deltas, fields unless they are the master fields,
// values, and the element count.
func (n *streamNode) entrySize(e StreamEntry) int {
	same := len(e.Fields) == len(n.fields)
	for i := 0; same && i < len(e.Fields); i += 2 {
		same = string(e.Fields[i]) == string(n.fields[i])
	}
	size := lpIntSize(0) + lpIntSize(int64(e.ID.Ms-n.master.Ms)) + lpIntSize(int64(e.ID.Seq-n.master.Seq))
	count := 3 + len(e.Fields)/2
	if !same {
		size += lpIntSize(int64(len(e.Fields) / 2))
		count = 4 + len(e.Fields)
	}
	for i, f := range e.Fields {
		if same && i%2 == 0 {
			continue
		}
		size += lpStrSize(f)
	}
	return size + lpIntSize(int64(count))
}

// lpIntSize is the bytes of an integer element of a listpack, its back-length included.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 4
	case v >= -(1<<23) && v < 1<<23:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}

// lpStrSize is the bytes of a string element of a listpack, stored as an integer when it reads as one.
func lpStrSize(b []byte) int {
	if v, ok := ParseInt(b); ok {
		return lpIntSize(v)
	}
	n := len(b)
	switch {
	case n <= 63:
		n++
	case n <= 4095:
		n += 2
	default:
		n += 5
	}
	switch {
	case n <= 127:
		return n + 1
	case n < 16383:
		return n + 2
	case n < 2097151:
		return n + 3
	case n < 268435455:
		return n + 4
	}
	return n + 5
}

// seek returns the node and index of the first entry with an id >= id (reverse false), or of the last entry
// with an id <= id (reverse true); ok is false when there is none.
func (s *Stream) seek(id StreamID, reverse bool) (ni, ei int, ok bool) {
	if !reverse {
		ni = sort.Search(len(s.nodes), func(i int) bool {
			es := s.nodes[i].entries
			return !es[len(es)-1].ID.Less(id)
		})
		if ni == len(s.nodes) {
			return 0, 0, false
		}
		es := s.nodes[ni].entries
		return ni, sort.Search(len(es), func(i int) bool { return !es[i].ID.Less(id) }), true
	}
	ni = sort.Search(len(s.nodes), func(i int) bool { return id.Less(s.nodes[i].entries[0].ID) }) - 1
	if ni < 0 {
		return 0, 0, false
	}
	es := s.nodes[ni].entries
	return ni, sort.Search(len(es), func(i int) bool { return id.Less(es[i].ID) }) - 1, true
}

// Range calls fn for the entries with start <= id <= end in id order (in reverse order from end down to start
// when reverse is set) until fn returns false.
func (s *Stream) Range(start, end StreamID, reverse bool, fn func(e StreamEntry) bool) {
	if end.Less(start) {
		return
	}
	if !reverse {
		ni, ei, ok := s.seek(start, false)
		for ; ok && ni < len(s.nodes); ni, ei = ni+1, 0 {
			for _, e := range s.nodes[ni].entries[ei:] {
				if end.Less(e.ID) || !fn(e) {
					return
				}
			}
		}
		return
	}
	ni, ei, ok := s.seek(end, true)
	for ; ok && ni >= 0; ni-- {
		es := s.nodes[ni].entries
		if ei < 0 {
			ei = len(es) - 1
		}
		for ; ei >= 0; ei-- {
			if es[ei].ID.Less(start) || !fn(es[ei]) {
				return
			}
		}
	}
}

// Get returns the entry with id.
func (s *Stream) Get(id StreamID) (StreamEntry, bool) {
	ni, ei, ok := s.seek(id, false)
	if !ok || s.nodes[ni].entries[ei].ID != id {
		return StreamEntry{}, false
	}
	return s.nodes[ni].entries[ei], true
}

// Delete removes the entry with id and reports whether it was there. A node left without entries goes, and the
// max deleted id grows. Matches Redis: deleting does not change the last id.
func (s *Stream) Delete(id StreamID) bool {
	ni, ei, ok := s.seek(id, false)
	if !ok || s.nodes[ni].entries[ei].ID != id {
		return false
	}
	s.removeAt(ni, ei)
	if s.maxDeleted.Less(id) {
		s.maxDeleted = id
	}
	return true
}

// removeAt removes entry ei of node ni, dropping the node when it empties.
func (s *Stream) removeAt(ni, ei int) {
	n := s.nodes[ni]
	s.mem -= entryMem(n.entries[ei])
	copy(n.entries[ei:], n.entries[ei+1:])
	n.entries[len(n.entries)-1] = StreamEntry{}
	n.entries = n.entries[:len(n.entries)-1]
	n.deleted++
	s.length--
	if len(n.entries) == 0 {
		s.dropNode(ni)
	}
}

func (s *Stream) dropNode(ni int) {
	n := s.nodes[ni]
	for _, e := range n.entries {
		s.mem -= entryMem(e)
	}
	s.mem -= allocSize(streamNodeSize) + 24*cap(n.entries)
	s.length -= len(n.entries)
	copy(s.nodes[ni:], s.nodes[ni+1:])
	s.nodes[len(s.nodes)-1] = nil
	s.nodes = s.nodes[:len(s.nodes)-1]
}

// TrimMaxLen removes entries from the front until at most maxLen are left and returns how many it removed.
// Matches Redis: trimming leaves the max deleted id as it is.
// With approx set it removes whole nodes only, stopping at the first node it cannot remove whole or when
// removing the next node would pass limit entries (limit 0: no limit), as Redis's XTRIM ~ does.
func (s *Stream) TrimMaxLen(maxLen int64, approx bool, limit int64) int64 {
	return s.trim(func(n *streamNode) bool { return int64(s.length-len(n.entries)) >= maxLen },
		func(id StreamID) bool { return int64(s.length) > maxLen }, approx, limit)
}

// TrimMinID removes the entries with an id less than minID, in the same way as TrimMaxLen.
func (s *Stream) TrimMinID(minID StreamID, approx bool, limit int64) int64 {
	return s.trim(func(n *streamNode) bool { return n.last.Less(minID) },
		func(id StreamID) bool { return id.Less(minID) }, approx, limit)
}

func (s *Stream) trim(wholeNode func(*streamNode) bool, entry func(StreamID) bool, approx bool, limit int64) int64 {
	var removed int64
	for s.length > 0 && entry(s.nodes[0].entries[0].ID) {
		n := s.nodes[0]
		if wholeNode(n) {
			if limit > 0 && removed+int64(len(n.entries)) > limit {
				break
			}
			removed += int64(len(n.entries))
			s.dropNode(0)
			continue
		}
		if approx {
			break
		}
		for len(n.entries) > 0 && entry(n.entries[0].ID) {
			s.removeAt(0, 0)
			removed++
		}
		break
	}
	return removed
}

// MemoryUsage estimates the bytes the stream holds (see [Sizer]).
func (s *Stream) MemoryUsage() int {
	n := allocSize(int(unsafe.Sizeof(Stream{}))) + allocSize(8*cap(s.nodes)) + s.mem
	for _, g := range s.groups {
		n += g.memoryUsage()
	}
	return n
}

// Clone returns a deep copy, groups included.
func (s *Stream) Clone() Object {
	c := &Stream{length: s.length, lastID: s.lastID, maxDeleted: s.maxDeleted, entriesAdded: s.entriesAdded, mem: s.mem}
	c.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		cn := *n
		cn.entries = make([]StreamEntry, len(n.entries), cap(n.entries))
		for j, e := range n.entries {
			cn.entries[j] = StreamEntry{ID: e.ID, Fields: cloneFields(e.Fields)}
		}
		cn.fields = cloneFields(n.fields)
		cn.data, cn.hdrs = nil, nil // the arenas are the original's to fill
		c.nodes[i] = &cn
	}
	for _, g := range s.groups {
		c.groups = append(c.groups, g.clone())
	}
	return c
}

func cloneFields(fs [][]byte) [][]byte {
	out := make([][]byte, len(fs))
	for i, f := range fs {
		out[i] = append([]byte(nil), f...)
	}
	return out
}

// StreamOf returns the stream at key, nil if key is missing, or ErrWrongType.
func (tx *Txn) StreamOf(key []byte) (*Stream, error) {
	obj, err := tx.ObjectOf(key, KindStream)
	if obj == nil || err != nil {
		return nil, err
	}
	return obj.(*Stream), nil
}

// EstimateEntriesRead returns the logical number of entries read up to id (its counter from the first entry
// ever added), or -1 when it cannot be known: Redis's streamEstimateDistanceFromFirstEverEntry.
func (s *Stream) EstimateEntriesRead(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.lastID) <= 0 {
		return int64(s.entriesAdded)
	}
	switch id.Compare(s.lastID) {
	case 0:
		return int64(s.entriesAdded)
	case 1:
		return -1
	}
	first := s.FirstID()
	if s.maxDeleted.IsZero() || s.maxDeleted.Less(first) {
		switch id.Compare(first) {
		case -1:
			return int64(s.entriesAdded) - int64(s.length)
		case 0:
			return int64(s.entriesAdded) - int64(s.length) + 1
		}
	}
	return -1
}

// HasTombstonesFrom reports whether an entry with an id >= start may have been deleted: Redis's
// streamRangeHasTombstones with no end.
func (s *Stream) HasTombstonesFrom(start StreamID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() {
		return false
	}
	if s.maxDeleted.Less(s.FirstID()) {
		return false
	}
	return start.Compare(s.maxDeleted) <= 0
}

// Lag returns a group's lag (entries added and not yet delivered to it), false when it cannot be known:
// Redis's streamReplyWithCGLag.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead >= 0 && !s.HasTombstonesFrom(g.LastID) {
		return int64(s.entriesAdded) - g.EntriesRead, true
	}
	if read := s.EstimateEntriesRead(g.LastID); read >= 0 {
		return int64(s.entriesAdded) - read, true
	}
	return 0, false
}

// Delivered moves a group's last delivered id forward to id, keeping its entries-read counter, as
// XREADGROUP ... > does for each entry it delivers. An id not after the group's last id changes nothing.
func (s *Stream) Delivered(g *StreamGroup, id StreamID) {
	if id.Compare(g.LastID) <= 0 {
		return
	}
	if g.EntriesRead >= 0 && !s.HasTombstonesFrom(id) {
		g.EntriesRead++
	} else if s.entriesAdded > 0 {
		g.EntriesRead = s.EstimateEntriesRead(id)
	}
	g.LastID = id
}
