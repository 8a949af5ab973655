package rdbfmt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
)

// A stream in RDB (types 15, 19 and 21):
//
//	<node count> then per node: <master ID: 16 raw bytes, big-endian, as a string> <listpack as a string>
//	<length> <last ID: ms, seq as lengths>
//	type 19+: <first ID> <max deleted ID> <entries added>
//	<group count> then per group: <name> <last ID> [type 19+: <entries read>]
//	  <PEL count> then per entry: <ID: 16 raw bytes> <delivery time: uint64 LE ms> <delivery count>
//	  <consumer count> then per consumer: <name> <seen time: uint64 LE ms> [type 21: <active time: uint64 LE>]
//	    <pending count> then per entry: <ID: 16 raw bytes> (each one in the group's PEL)
//
// A node's listpack starts with its master entry: <count> <deleted> <field count> <fields...> 0, then each
// entry: <flags> <ms - master ms> <seq - master seq> [<field count>] <fields and values, or only the values
// when flags has streamSameFields> <entry count for walking back>.
const (
	streamDeleted    = 1
	streamSameFields = 2
)

func (r *reader) readStream(t Type) (Value, error) {
	s := &Stream{}
	nodes, err := r.length("stream node count")
	if err != nil {
		return nil, err
	}
	for range nodes {
		at := r.off
		key, err := r.string("stream node key")
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, r.fail(at, "stream node key of %d bytes, expected a 16-byte ID", len(key))
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		at = r.off
		lp, err := r.string("stream listpack")
		if err != nil {
			return nil, err
		}
		if s.Entries, err = streamNode(s.Entries, master, lp, &r.num); err != nil {
			return nil, &DecodeError{Offset: at, Err: err}
		}
	}
	at := r.off
	if s.Length, err = r.length("stream length"); err != nil {
		return nil, err
	}
	if s.Length != uint64(len(s.Entries)) {
		return nil, r.fail(at, "stream length %d, the nodes hold %d entries", s.Length, len(s.Entries))
	}
	if s.LastID, err = r.streamID("stream last ID"); err != nil {
		return nil, err
	}
	if n := len(s.Entries); n > 0 && s.LastID.Less(s.Entries[n-1].ID) {
		return nil, r.fail(at, "stream last ID %s below its last entry %s", s.LastID, s.Entries[n-1].ID)
	}
	if t >= TypeStreamListpacks2 {
		if s.FirstID, err = r.streamID("stream first ID"); err != nil {
			return nil, err
		}
		if s.MaxDeletedID, err = r.streamID("stream max deleted ID"); err != nil {
			return nil, err
		}
		if s.EntriesAdded, err = r.length("stream entries added"); err != nil {
			return nil, err
		}
	}
	ngroups, err := r.length("stream group count")
	if err != nil {
		return nil, err
	}
	for range ngroups {
		g, err := r.readGroup(t)
		if err != nil {
			return nil, err
		}
		s.Groups = append(s.Groups, g)
	}
	return s, nil
}

func (r *reader) readGroup(t Type) (StreamGroup, error) {
	g := StreamGroup{EntriesRead: -1}
	var err error
	if g.Name, err = r.string("group name"); err != nil {
		return g, err
	}
	if g.LastID, err = r.streamID("group last ID"); err != nil {
		return g, err
	}
	if t >= TypeStreamListpacks2 {
		n, err := r.length("group entries read")
		if err != nil {
			return g, err
		}
		g.EntriesRead = int64(n) // Redis's "invalid" marker, -1 as a 64-bit length, reads back as -1
	}
	npel, err := r.length("group PEL size")
	if err != nil {
		return g, err
	}
	pel := make(map[StreamID]int, min(npel, prealloc)) // ID -> index in g.Pending
	for range npel {
		at := r.off
		var p PendingEntry
		if p.ID, err = r.rawStreamID("PEL entry ID"); err != nil {
			return g, err
		}
		ms, err := r.uint64LE("PEL delivery time")
		if err != nil {
			return g, err
		}
		p.DeliveryMs = int64(ms)
		if p.DeliveryCount, err = r.length("PEL delivery count"); err != nil {
			return g, err
		}
		if _, dup := pel[p.ID]; dup {
			return g, r.fail(at, "group %q: duplicate PEL entry %s", g.Name, p.ID)
		}
		pel[p.ID] = len(g.Pending)
		g.Pending = append(g.Pending, p)
	}
	ncons, err := r.length("group consumer count")
	if err != nil {
		return g, err
	}
	for range ncons {
		c := Consumer{ActiveMs: -1}
		if c.Name, err = r.string("consumer name"); err != nil {
			return g, err
		}
		ms, err := r.uint64LE("consumer seen time")
		if err != nil {
			return g, err
		}
		c.SeenMs = int64(ms)
		if t >= TypeStreamListpacks3 {
			if ms, err = r.uint64LE("consumer active time"); err != nil {
				return g, err
			}
			c.ActiveMs = int64(ms)
		}
		n, err := r.length("consumer PEL size")
		if err != nil {
			return g, err
		}
		for range n {
			at := r.off
			id, err := r.rawStreamID("consumer PEL entry ID")
			if err != nil {
				return g, err
			}
			i, ok := pel[id]
			if !ok {
				return g, r.fail(at, "consumer %q: pending entry %s is not in the group's PEL", c.Name, id)
			}
			if g.Pending[i].Consumer != nil {
				return g, r.fail(at, "consumer %q: pending entry %s already has a consumer", c.Name, id)
			}
			g.Pending[i].Consumer = c.Name
			c.Pending = append(c.Pending, id)
		}
		slices.SortFunc(c.Pending, StreamID.compare)
		g.Consumers = append(g.Consumers, c)
	}
	slices.SortFunc(g.Pending, func(a, b PendingEntry) int { return a.ID.compare(b.ID) })
	for _, p := range g.Pending {
		if p.Consumer == nil {
			return g, r.fail(r.off, "group %q: pending entry %s has no consumer", g.Name, p.ID)
		}
	}
	return g, nil
}

// streamNode appends the live entries of one node's listpack to entries.
func streamNode(entries []StreamEntry, master StreamID, lp []byte, nums *numbers) ([]StreamEntry, error) {
	it, err := newListpackIter(lp, nums)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: stream node %s: "+format, append([]any{ErrCorrupt, master}, args...)...)
	}
	str := func(what string) ([]byte, error) {
		v, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fail("expected %s, the listpack ends", what)
		}
		return v, nil
	}
	num := func(what string) (int64, error) {
		v, err := str(what)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fail("%s %q is not an integer", what, v)
		}
		return n, nil
	}
	count, err := num("entry count")
	if err != nil {
		return nil, err
	}
	deleted, err := num("deleted count")
	if err != nil {
		return nil, err
	}
	nfields, err := num("master field count")
	if err != nil {
		return nil, err
	}
	if count < 0 || deleted < 0 || nfields < 0 || nfields > int64(len(lp)) || count+deleted > int64(len(lp)) {
		return nil, fail("bad master entry counts %d, %d, %d", count, deleted, nfields)
	}
	if count+deleted == 0 {
		return nil, fail("empty node") // Matches Redis: an empty listpack in a stream is corrupt
	}
	masterFields := make([][]byte, nfields)
	for i := range masterFields {
		if masterFields[i], err = str("master field"); err != nil {
			return nil, err
		}
	}
	if z, err := num("master entry end"); err != nil || z != 0 {
		return nil, fail("master entry does not end with 0")
	}
	live := int64(0)
	for range count + deleted {
		flags, err := num("entry flags")
		if err != nil {
			return nil, err
		}
		msDiff, err := num("entry ID ms")
		if err != nil {
			return nil, err
		}
		seqDiff, err := num("entry ID seq")
		if err != nil {
			return nil, err
		}
		e := StreamEntry{ID: StreamID{master.Ms + uint64(msDiff), master.Seq + uint64(seqDiff)}}
		if flags&streamSameFields != 0 {
			e.Fields = make([]Field, nfields)
			for i := range e.Fields {
				e.Fields[i].Name = masterFields[i]
				if e.Fields[i].Value, err = str("entry value"); err != nil {
					return nil, err
				}
			}
		} else {
			n, err := num("entry field count")
			if err != nil {
				return nil, err
			}
			if n < 0 || n > int64(len(lp)) {
				return nil, fail("entry field count %d", n)
			}
			e.Fields = make([]Field, n)
			for i := range e.Fields {
				if e.Fields[i].Name, err = str("entry field"); err != nil {
					return nil, err
				}
				if e.Fields[i].Value, err = str("entry value"); err != nil {
					return nil, err
				}
			}
		}
		if _, err := num("entry back count"); err != nil {
			return nil, err
		}
		if flags&streamDeleted != 0 {
			continue
		}
		if n := len(entries); n > 0 && !entries[n-1].ID.Less(e.ID) {
			return nil, fail("entry %s does not follow %s", e.ID, entries[n-1].ID)
		}
		entries = append(entries, e)
		live++
	}
	if live != count {
		return nil, fail("master entry says %d live entries, found %d", count, live)
	}
	if _, more, err := it.next(); err != nil || more {
		return nil, fail("entries after the last one")
	}
	return entries, nil
}

// appendStream appends a stream as type 19 (RDB 10) or 21 (RDB 11, with consumers' active times): nodes of up to StreamNodeMaxEntries entries and about
// StreamNodeMaxBytes bytes, each with the first entry's fields as its master fields, entries with the same
// fields stored as values only. FirstID and EntriesAdded, when zero in a non-empty stream, are derived as Redis
// does on loading an older file (the first entry's ID, the length).
func (w *valueEncoder) appendStream(dst []byte, s *Stream, cfg *Config) []byte {
	c := cfg.Compress
	var nodes [][]byte // node key, listpack, ...
	for i := 0; i < len(s.Entries); {
		master := s.Entries[i]
		j := i + 1
		size := 0
		for j < len(s.Entries) && (cfg.StreamNodeMaxEntries == 0 || j-i < cfg.StreamNodeMaxEntries) &&
			(cfg.StreamNodeMaxBytes == 0 || size < cfg.StreamNodeMaxBytes) {
			for _, f := range s.Entries[j].Fields {
				size += len(f.Name) + len(f.Value) + 4
			}
			j++
		}
		w.lp.reset()
		w.lp.int(int64(j - i)) // live entries
		w.lp.int(0)            // deleted entries
		w.lp.int(int64(len(master.Fields)))
		for _, f := range master.Fields {
			w.lp.str(f.Name)
		}
		w.lp.int(0)
		for _, e := range s.Entries[i:j] {
			w.step(cfg)
			same := len(e.Fields) == len(master.Fields)
			for k := 0; same && k < len(e.Fields); k++ {
				same = bytes.Equal(e.Fields[k].Name, master.Fields[k].Name)
			}
			if same {
				w.lp.int(streamSameFields)
			} else {
				w.lp.int(0)
			}
			w.lp.int(int64(e.ID.Ms - master.ID.Ms))
			w.lp.int(int64(e.ID.Seq - master.ID.Seq))
			if same {
				for _, f := range e.Fields {
					w.lp.str(f.Value)
				}
				w.lp.int(int64(len(e.Fields) + 3))
			} else {
				w.lp.int(int64(len(e.Fields)))
				for _, f := range e.Fields {
					w.lp.str(f.Name)
					w.lp.str(f.Value)
				}
				w.lp.int(int64(2*len(e.Fields) + 4))
			}
		}
		var key [16]byte
		binary.BigEndian.PutUint64(key[:], master.ID.Ms)
		binary.BigEndian.PutUint64(key[8:], master.ID.Seq)
		nodes = append(nodes, key[:], bytes.Clone(w.lp.bytes()))
		i = j
	}
	dst = AppendLength(dst, uint64(len(nodes)/2))
	for _, n := range nodes {
		dst = AppendString(dst, n, c)
		w.stepBytes(cfg, len(n)) // compressing a node's listpack costs as much as building it
	}
	first, added := s.FirstID, s.EntriesAdded
	if len(s.Entries) > 0 {
		if first == (StreamID{}) {
			first = s.Entries[0].ID
		}
		if added == 0 {
			added = uint64(len(s.Entries))
		}
	}
	dst = AppendLength(dst, uint64(len(s.Entries)))
	dst = appendStreamID(dst, s.LastID)
	dst = appendStreamID(dst, first)
	dst = appendStreamID(dst, s.MaxDeletedID)
	dst = AppendLength(dst, added)
	dst = AppendLength(dst, uint64(len(s.Groups)))
	for _, g := range s.Groups {
		dst = appendStreamID(AppendString(dst, g.Name, c), g.LastID)
		dst = AppendLength(dst, uint64(g.EntriesRead))
		dst = AppendLength(dst, uint64(len(g.Pending)))
		for _, p := range g.Pending {
			dst = binary.BigEndian.AppendUint64(dst, p.ID.Ms)
			dst = binary.BigEndian.AppendUint64(dst, p.ID.Seq)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(p.DeliveryMs))
			dst = AppendLength(dst, p.DeliveryCount)
		}
		dst = AppendLength(dst, uint64(len(g.Consumers)))
		for _, cn := range g.Consumers {
			dst = binary.LittleEndian.AppendUint64(AppendString(dst, cn.Name, c), uint64(cn.SeenMs))
			if cfg.Version >= 11 {
				active := cn.ActiveMs
				if active < 0 {
					active = cn.SeenMs // as Redis 7.2 does for a consumer read from an older file
				}
				dst = binary.LittleEndian.AppendUint64(dst, uint64(active))
			}
			dst = AppendLength(dst, uint64(len(cn.Pending)))
			for _, id := range cn.Pending {
				dst = binary.BigEndian.AppendUint64(dst, id.Ms)
				dst = binary.BigEndian.AppendUint64(dst, id.Seq)
			}
		}
	}
	return dst
}

func appendStreamID(dst []byte, id StreamID) []byte {
	return AppendLength(AppendLength(dst, id.Ms), id.Seq)
}
