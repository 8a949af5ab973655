package keyspace_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sid(ms, seq uint64) keyspace.StreamID { return keyspace.StreamID{Ms: ms, Seq: seq} }

func fv(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func ids(s *keyspace.Stream, start, end keyspace.StreamID, rev bool) []string {
	var out []string
	s.Range(start, end, rev, func(e keyspace.StreamEntry) bool {
		out = append(out, e.ID.String())
		return true
	})
	return out
}

func TestStreamIDs(t *testing.T) {
	assert.Equal(t, "18446744073709551615-18446744073709551615", keyspace.MaxStreamID.String())
	n, ok := sid(1, ^uint64(0)).Next()
	assert.True(t, ok)
	assert.Equal(t, sid(2, 0), n)
	_, ok = keyspace.MaxStreamID.Next()
	assert.False(t, ok)
	p, ok := sid(2, 0).Prev()
	assert.True(t, ok)
	assert.Equal(t, sid(1, ^uint64(0)), p)

	s := keyspace.NewStream()
	id, ok := s.NextID(5)
	assert.True(t, ok)
	assert.Equal(t, sid(5, 0), id)
	s.Add(sid(10, 3), fv("a", "1"), 4096, 100)
	id, _ = s.NextID(5) // the clock went back: the last id's successor
	assert.Equal(t, sid(10, 4), id)
	id, _ = s.NextID(11)
	assert.Equal(t, sid(11, 0), id)
}

func TestStreamRangeDeleteTrim(t *testing.T) {
	s := keyspace.NewStream()
	for i := uint64(1); i <= 250; i++ {
		s.Add(sid(i, 1), fv("f", "v"), 4096, 100)
	}
	require.Equal(t, 250, s.Len())
	assert.Equal(t, 3, s.Nodes())
	assert.Equal(t, []string{"99-1", "100-1", "101-1", "102-1"}, ids(s, sid(99, 0), sid(102, 5), false))
	assert.Equal(t, []string{"102-1", "101-1", "100-1", "99-1"}, ids(s, sid(99, 0), sid(102, 5), true))
	assert.True(t, s.Delete(sid(100, 1)))
	assert.False(t, s.Delete(sid(100, 1)))
	assert.Equal(t, []string{"101-1", "99-1"}, ids(s, sid(99, 0), sid(101, 1), true))
	assert.Equal(t, sid(100, 1), s.MaxDeletedID())
	_, ok := s.Get(sid(100, 1))
	assert.False(t, ok)
	e, ok := s.Get(sid(101, 1))
	require.True(t, ok)
	assert.Equal(t, fv("f", "v"), e.Fields)

	// Matches Redis: LIMIT stops before a node that would pass it; ~ removes whole nodes only.
	assert.Equal(t, int64(99), s.TrimMaxLen(0, true, 150))
	assert.Equal(t, 150, s.Len())
	assert.Equal(t, int64(0), s.TrimMaxLen(120, true, 0))
	assert.Equal(t, int64(30), s.TrimMaxLen(120, false, 0))
	assert.Equal(t, "131-1", s.FirstID().String())
	assert.Equal(t, int64(109), s.TrimMinID(sid(240, 0), false, 0))
	assert.Equal(t, 11, s.Len())
	assert.Equal(t, sid(100, 1), s.MaxDeletedID(), "trimming leaves the max deleted id")
	assert.Equal(t, uint64(250), s.EntriesAdded())
}

func TestStreamNodeBytes(t *testing.T) {
	// Matches Redis 7 (stream-node-max-bytes 4096): 1000-byte values start a new node every 4 entries.
	s := keyspace.NewStream()
	val := make([]byte, 1000)
	for i := range val {
		val[i] = 'x'
	}
	for i := uint64(1); i <= 10; i++ {
		s.Add(sid(i, 0), [][]byte{[]byte("f"), val}, 4096, 100)
	}
	assert.Equal(t, 3, s.Nodes())
}

func TestStreamGroups(t *testing.T) {
	s := keyspace.NewStream()
	for i := uint64(1); i <= 5; i++ {
		s.Add(sid(i, 0), fv("f", "v"), 4096, 100)
	}
	g := s.CreateGroup([]byte("g"), keyspace.StreamID{}, -1)
	require.NotNil(t, g)
	assert.Nil(t, s.CreateGroup([]byte("g"), keyspace.StreamID{}, -1))
	s.CreateGroup([]byte("a"), keyspace.StreamID{}, -1)
	assert.Equal(t, "a", string(s.Groups()[0].Name))

	alice := g.CreateConsumer([]byte("alice"), 100)
	bob := g.CreateConsumer([]byte("bob"), 100)
	for i := uint64(1); i <= 3; i++ {
		g.Deliver(alice, sid(i, 0), 200)
		s.Delivered(g, sid(i, 0))
	}
	assert.Equal(t, int64(3), g.EntriesRead)
	lag, ok := s.Lag(g)
	assert.True(t, ok)
	assert.Equal(t, int64(2), lag)
	p := g.Deliver(bob, sid(2, 0), 300)
	assert.Equal(t, uint64(1), p.DeliveryCount)
	assert.Equal(t, 2, alice.PendingLen())
	assert.Equal(t, 1, bob.PendingLen())
	assert.True(t, g.Ack(sid(1, 0)))
	assert.False(t, g.Ack(sid(1, 0)))
	assert.Equal(t, 1, g.DeleteConsumer([]byte("bob")))
	assert.Equal(t, 1, g.PendingLen())
	assert.Equal(t, -1, g.DeleteConsumer([]byte("bob")))

	c := s.Clone().(*keyspace.Stream)
	cg := c.Group([]byte("g"))
	require.NotNil(t, cg)
	assert.Equal(t, 1, cg.PendingLen())
	assert.Equal(t, 1, cg.Consumer([]byte("alice")).PendingLen())
	assert.True(t, s.DestroyGroup([]byte("g")))
	assert.Nil(t, s.Group([]byte("g")))
	assert.NotNil(t, c.Group([]byte("g")))
	assert.Positive(t, s.MemoryUsage())
}

// TestStreamModel checks ranges, deletes and trims, and a group's PEL, against a sorted slice.
func TestStreamModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := keyspace.NewStream()
	var model []keyspace.StreamID
	g := s.CreateGroup([]byte("g"), keyspace.StreamID{}, 0)
	cons := []*keyspace.Consumer{g.CreateConsumer([]byte("a"), 0), g.CreateConsumer([]byte("b"), 0)}
	pel := map[keyspace.StreamID]int{}
	next := uint64(1)
	for step := 0; step < 20000; step++ {
		switch op := rng.IntN(10); {
		case op < 5:
			id := sid(next, uint64(rng.IntN(3)))
			next += uint64(1 + rng.IntN(3))
			s.Add(id, fv("f", fmt.Sprint(step)), 4096, 1+rng.IntN(20))
			model = append(model, id)
		case op == 5 && len(model) > 0:
			i := rng.IntN(len(model))
			require.True(t, s.Delete(model[i]))
			model = append(model[:i], model[i+1:]...)
		case op == 6:
			maxLen := rng.IntN(len(model) + 1)
			approx := rng.IntN(2) == 0
			n := s.TrimMaxLen(int64(maxLen), approx, 0)
			model = model[n:]
			if !approx {
				require.Equal(t, min(maxLen, len(model)), len(model))
			}
		case op == 7 && len(model) > 0:
			id := model[rng.IntN(len(model))]
			c := cons[rng.IntN(2)]
			g.Deliver(c, id, int64(step))
			pel[id] = 1
		case op == 8 && len(pel) > 0:
			for id := range pel {
				require.True(t, g.Ack(id))
				delete(pel, id)
				break
			}
		default:
			if len(model) == 0 {
				continue
			}
			a, b := model[rng.IntN(len(model))], model[rng.IntN(len(model))]
			if b.Less(a) {
				a, b = b, a
			}
			i := sort.Search(len(model), func(i int) bool { return !model[i].Less(a) })
			j := sort.Search(len(model), func(i int) bool { return b.Less(model[i]) })
			var want []string
			for _, id := range model[i:j] {
				want = append(want, id.String())
			}
			require.Equal(t, want, ids(s, a, b, false))
			got := ids(s, a, b, true)
			for l, r := 0, len(got)-1; l < r; l, r = l+1, r-1 {
				got[l], got[r] = got[r], got[l]
			}
			require.Equal(t, want, got)
		}
		require.Equal(t, len(model), s.Len())
		require.Equal(t, len(pel), g.PendingLen())
	}
	var all []string
	g.RangePending(keyspace.StreamID{}, keyspace.MaxStreamID, func(p *keyspace.PendingEntry) bool {
		all = append(all, p.ID.String())
		return true
	})
	assert.Len(t, all, len(pel))
	assert.Equal(t, len(pel), cons[0].PendingLen()+cons[1].PendingLen())
}

// TestStreamFieldArenas: entries keep their own bytes while later entries fill the node's arenas (short and
// long values, a caller reusing its buffers), and a clone and its original grow apart without sharing them.
func TestStreamFieldArenas(t *testing.T) {
	s := keyspace.NewStream()
	buf := []byte("value")
	want := map[string][]string{}
	for i := range 250 { // the last node half full
		v := fmt.Sprintf("v%d", i)
		if i%37 == 5 {
			v = string(make([]byte, 5000)) + v // longer than an arena chunk
		}
		buf = append(buf[:0], v...)
		id := sid(uint64(i+1), 0)
		s.Add(id, [][]byte{[]byte("f"), buf}, 0, 100)
		want[id.String()] = []string{"f", v}
		buf[0] = 'X' // the caller's buffer is not the entry's
	}
	check := func(s *keyspace.Stream, want map[string][]string) {
		t.Helper()
		got := map[string][]string{}
		s.Range(keyspace.StreamID{}, keyspace.MaxStreamID, false, func(e keyspace.StreamEntry) bool {
			for _, f := range e.Fields {
				got[e.ID.String()] = append(got[e.ID.String()], string(f))
			}
			return true
		})
		assert.Equal(t, want, got)
	}
	check(s, want)
	c := s.Clone().(*keyspace.Stream)
	wantC := map[string][]string{}
	for k, v := range want {
		wantC[k] = v
	}
	for i := 250; i < 270; i++ {
		id := sid(uint64(i+1), 0)
		s.Add(id, fv("f", "original"), 0, 100)
		want[id.String()] = []string{"f", "original"}
		c.Add(id, fv("f", "clone", "g", "x"), 0, 100)
		wantC[id.String()] = []string{"f", "clone", "g", "x"}
	}
	check(s, want)
	check(c, wantC)
}
