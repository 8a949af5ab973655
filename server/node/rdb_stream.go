package node

import (
	"math"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
)

// Streams between the keyspace and rdbfmt, for RDB files and DUMP/RESTORE.

var maxStreamID = keyspace.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}

// streamValue is the rdbfmt value of a stream: its entries, metadata and consumer groups. Its slices alias the
// stream's, so it is only valid while the stream stays unchanged (locked, or shared), and its entries are built
// in sc's memory (see objectValue). step is called after each entry.
func streamValue(s *keyspace.Stream, step func(), sc *valueScratch) *rdbfmt.Stream {
	v := &rdbfmt.Stream{
		Entries:      sc.entries[:0],
		Length:       uint64(s.Len()),
		LastID:       rdbfmt.StreamID(s.LastID()),
		FirstID:      rdbfmt.StreamID(s.FirstID()),
		MaxDeletedID: rdbfmt.StreamID(s.MaxDeletedID()),
		EntriesAdded: s.EntriesAdded(),
	}
	fs := sc.fields[:0] // an entry's Fields stay valid when fs grows: they keep the old array
	s.Range(keyspace.StreamID{}, maxStreamID, false, func(e keyspace.StreamEntry) bool {
		from := len(fs)
		for i := 0; i+1 < len(e.Fields); i += 2 {
			fs = append(fs, rdbfmt.Field{Name: e.Fields[i], Value: e.Fields[i+1]})
		}
		v.Entries = append(v.Entries, rdbfmt.StreamEntry{ID: rdbfmt.StreamID(e.ID), Fields: fs[from:len(fs):len(fs)]})
		step()
		return true
	})
	sc.entries, sc.fields = v.Entries, fs
	for _, g := range s.Groups() {
		rg := rdbfmt.StreamGroup{Name: g.Name, LastID: rdbfmt.StreamID(g.LastID), EntriesRead: g.EntriesRead}
		g.RangePending(keyspace.StreamID{}, maxStreamID, func(p *keyspace.PendingEntry) bool {
			rg.Pending = append(rg.Pending, rdbfmt.PendingEntry{ID: rdbfmt.StreamID(p.ID), DeliveryMs: p.DeliveryTime,
				DeliveryCount: p.DeliveryCount, Consumer: p.Consumer.Name})
			return true
		})
		for _, c := range g.Consumers() {
			rc := rdbfmt.Consumer{Name: c.Name, SeenMs: c.SeenTime, ActiveMs: c.ActiveTime}
			c.RangePending(keyspace.StreamID{}, maxStreamID, func(p *keyspace.PendingEntry) bool {
				rc.Pending = append(rc.Pending, rdbfmt.StreamID(p.ID))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		v.Groups = append(v.Groups, rg)
	}
	return v
}

// streamObject builds a keyspace stream from a decoded one, with the node limits the commands use. Matches Redis:
// a consumer's active time unknown to the file (RDB before 11) is its seen time; metadata missing from files
// before RDB 10 is derived from the entries. The Decoder has checked that every pending entry has its
// consumer.
func streamObject(v *rdbfmt.Stream, lim *keyspace.Limits) *keyspace.Stream {
	s := keyspace.NewStream()
	var fields [][]byte
	for _, e := range v.Entries {
		fields = fields[:0]
		for _, f := range e.Fields {
			fields = append(fields, f.Name, f.Value)
		}
		s.Add(keyspace.StreamID(e.ID), fields, lim.StreamNodeBytes, lim.StreamNodeEntries)
	}
	added := v.EntriesAdded
	if added == 0 {
		added = uint64(len(v.Entries))
	}
	s.SetMeta(keyspace.StreamID(v.LastID), added, keyspace.StreamID(v.MaxDeletedID))
	for _, rg := range v.Groups {
		g := s.CreateGroup(rg.Name, keyspace.StreamID(rg.LastID), rg.EntriesRead)
		if g == nil {
			continue // a duplicate group name: the Decoder rejects those
		}
		for _, rc := range rg.Consumers {
			c := g.CreateConsumer(rc.Name, rc.SeenMs)
			c.SeenTime, c.ActiveTime = rc.SeenMs, rc.ActiveMs
			if rc.ActiveMs == -1 {
				c.ActiveTime = rc.SeenMs
			}
		}
		for _, p := range rg.Pending {
			if c := g.Consumer(p.Consumer); c != nil {
				g.AddPending(c, keyspace.StreamID(p.ID), p.DeliveryMs, p.DeliveryCount)
			}
		}
	}
	return s
}
