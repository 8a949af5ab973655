package keyspace

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// smallLimits are low thresholds, so the model tests cross every conversion often.
func smallLimits() *Limits {
	l := DefaultLimits()
	l.HashListpackEntries, l.HashListpackValue = 8, 16
	l.SetIntsetEntries, l.SetListpackEntries, l.SetListpackValue = 12, 6, 10
	return &l
}

// TestHashModel runs random operations on a Hash and on a plain map and checks they always agree, crossing
// from listpack to hashtable, and checks that the listpack keeps Redis's order (insertion, values in place).
func TestHashModel(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	lim := smallLimits()
	str := func() []byte {
		switch rng.Intn(12) {
		case 0:
			return bytes.Repeat([]byte{'x'}, 17+rng.Intn(300)) // too long for the listpack
		case 1:
			return nil
		}
		return []byte(strconv.Itoa(rng.Intn(40)))
	}
	for round := 0; round < 60; round++ {
		h := NewHash()
		model := map[string]string{}
		var order []string // listpack order while small
		big := false
		for step := 0; step < 300; step++ {
			switch op := rng.Intn(10); {
			case op < 5:
				f, v := str(), str()
				if rng.Intn(3) == 0 { // keep the hash small for a while
					f = []byte(strconv.Itoa(rng.Intn(6)))
					v = []byte("v")
				}
				_, had := model[string(f)]
				require.Equal(t, !had, h.Set(f, v, lim))
				if !had {
					order = append(order, string(f))
				}
				model[string(f)] = string(v)
				if len(f) > lim.HashListpackValue || len(v) > lim.HashListpackValue || len(model) > lim.HashListpackEntries {
					big = true
				}
			case op < 8:
				f := str()
				_, had := model[string(f)]
				require.Equal(t, had, h.Delete(f))
				delete(model, string(f))
				for i, o := range order {
					if o == string(f) {
						order = append(order[:i], order[i+1:]...)
						break
					}
				}
			case op == 8:
				a, b := str(), str()
				h.Fit(lim, a, b)
				if len(a) > lim.HashListpackValue || len(b) > lim.HashListpackValue {
					big = true
				}
			default:
				if len(model) == 0 {
					// The keyspace deletes an empty hash; start over as the server would.
					h, order, big = NewHash(), nil, false
				}
			}
			require.Equal(t, len(model), h.Len())
			if big {
				require.Equal(t, EncHashtable, h.Encoding(), "conversion is one-way")
			} else {
				require.Equal(t, EncListpack, h.Encoding())
			}
			got := map[string]string{}
			var gotOrder []string
			h.Range(func(f, v []byte) bool {
				got[string(f)] = string(v)
				gotOrder = append(gotOrder, string(f))
				return true
			})
			require.Equal(t, model, got)
			if !big {
				require.Equal(t, order, gotOrder)
			}
			for f, v := range model {
				gv, ok := h.Get([]byte(f))
				require.True(t, ok)
				require.Equal(t, v, string(gv))
			}
			_, ok := h.Get([]byte("missing"))
			require.False(t, ok)
			if len(model) > 0 {
				f, v := h.Random()
				require.Equal(t, model[string(f)], string(v))
				n := rng.Intn(len(model))
				seen := map[string]bool{}
				h.Sample(n, func(f, v []byte) {
					require.False(t, seen[string(f)])
					seen[string(f)] = true
					require.Equal(t, model[string(f)], string(v))
				})
				require.Len(t, seen, n)
			}
			c := h.Clone().(*Hash)
			require.Equal(t, h.Encoding(), c.Encoding())
			require.Equal(t, h.Len(), c.Len())
			require.Greater(t, h.MemoryUsage(), 0)
		}
	}
}

// TestHashEncodingLimits checks the thresholds at their edges: the entries limit is inclusive and the value
// limit counts bytes of fields and values alike.
func TestHashEncodingLimits(t *testing.T) {
	lim := DefaultLimits()
	h := NewHash()
	for i := 0; i < lim.HashListpackEntries; i++ {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), &lim)
	}
	require.Equal(t, EncListpack, h.Encoding())
	h.Set([]byte("one-more"), []byte("v"), &lim)
	require.Equal(t, EncHashtable, h.Encoding())
	h.Delete([]byte("one-more"))
	require.Equal(t, EncHashtable, h.Encoding())

	h = NewHash()
	h.Set(bytes.Repeat([]byte("f"), 64), bytes.Repeat([]byte("v"), 64), &lim)
	require.Equal(t, EncListpack, h.Encoding())
	h.Set([]byte("f"), bytes.Repeat([]byte("v"), 65), &lim)
	require.Equal(t, EncHashtable, h.Encoding())

	h = NewHash()
	h.Set([]byte("a"), []byte("1"), &lim)
	h.Fit(&lim, []byte("a"), bytes.Repeat([]byte("v"), 65))
	require.Equal(t, EncHashtable, h.Encoding(), "HSET checks every argument before writing")
}

// TestDictScan checks SCAN's guarantee on a hashtable that grows and shrinks between calls: every field present
// for the whole scan is returned at least once.
func TestDictScan(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	lim := DefaultLimits()
	for round := 0; round < 20; round++ {
		h := NewHash()
		for i := 0; i < 2000; i++ {
			h.Set([]byte(fmt.Sprint("stay", i)), []byte("v"), &lim)
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		extra := 0
		for calls := 0; ; calls++ {
			require.Less(t, calls, 100000)
			cursor = h.Scan(cursor, 1+rng.Intn(40), func(f, v []byte) { seen[string(f)] = true })
			if cursor == 0 {
				break
			}
			// Grow or shrink the table between calls.
			if rng.Intn(2) == 0 {
				for i := 0; i < rng.Intn(3000); i++ {
					h.Set([]byte(fmt.Sprint("tmp", extra)), []byte("v"), &lim)
					extra++
				}
			} else {
				for i := 0; i < extra; i++ {
					h.Delete([]byte(fmt.Sprint("tmp", i)))
				}
			}
		}
		for i := 0; i < 2000; i++ {
			require.True(t, seen[fmt.Sprint("stay", i)], "round %d: stay%d missed", round, i)
		}
	}
}

// TestDictRemoveKeepsChains removes entries in random order and checks every remaining one is still found,
// which exercises the move of the last entry into the hole.
func TestDictRemoveKeepsChains(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	d := newDict(false, 0)
	var keys []string
	for i := 0; i < 5000; i++ {
		k := fmt.Sprint("m", i)
		require.True(t, d.set([]byte(k), nil))
		keys = append(keys, k)
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for len(keys) > 0 {
		require.True(t, d.remove([]byte(keys[0])))
		keys = keys[1:]
		if len(keys)%97 == 0 {
			for _, k := range keys {
				require.GreaterOrEqual(t, d.find([]byte(k), dictHash([]byte(k))), 0)
			}
			var all []string
			d.each(func(f, _ []byte) bool { all = append(all, string(f)); return true })
			sort.Strings(all)
			want := append([]string(nil), keys...)
			sort.Strings(want)
			require.Equal(t, want, all)
			require.Equal(t, len(keys), d.Len())
		}
	}
	require.Zero(t, d.cells)
}

func BenchmarkHashSetGetSmall(b *testing.B) {
	lim := DefaultLimits()
	h := NewHash()
	fields := make([][]byte, 10)
	for i := range fields {
		fields[i] = []byte(fmt.Sprint("field:", i))
		h.Set(fields[i], []byte("value"), &lim)
	}
	v := []byte("other")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := fields[i%len(fields)]
		h.Set(f, v, &lim)
		h.Get(f)
	}
}

func BenchmarkHashSetGetLarge(b *testing.B) {
	lim := DefaultLimits()
	h := NewHash()
	fields := make([][]byte, 100000)
	for i := range fields {
		fields[i] = []byte(fmt.Sprint("field:", i))
		h.Set(fields[i], []byte("value"), &lim)
	}
	v := []byte("other")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := fields[i%len(fields)]
		h.Set(f, v, &lim)
		h.Get(f)
	}
}

func BenchmarkHashInsertDelete(b *testing.B) {
	lim := DefaultLimits()
	h := NewHash()
	for i := 0; i < 10000; i++ {
		h.Set([]byte(fmt.Sprint("field:", i)), []byte("value"), &lim)
	}
	f := []byte("new-field")
	v := []byte("value")
	b.ReportAllocs()
	for b.Loop() {
		h.Set(f, v, &lim)
		h.Delete(f)
	}
}

// checkDict verifies a dict's chains: every entry is reachable exactly once, from the head its hash selects.
func checkDict(t *testing.T, d *dict) {
	ents := 0
	for _, chunk := range d.chunks {
		ents += chunkAlloc(chunk)
	}
	require.Equal(t, ents, d.ents, "the running count of chunk bytes")
	seen := make([]bool, d.Len())
	walk := func(table []uint32, from int) {
		for b := from; b < len(table); b++ {
			for ref := table[b]; ref != 0; ref = d.ent(int(ref - 1)).next {
				i := int(ref - 1)
				require.Less(t, i, d.Len())
				require.False(t, seen[i], "entry %d chained twice", i)
				seen[i] = true
				require.Same(t, &table[b], d.head(d.ent(i).hash), "entry %d in the wrong chain", i)
			}
		}
	}
	walk(d.buckets, 0)
	if d.old != nil {
		walk(d.old, d.rehash)
	}
	for i, ok := range seen {
		require.True(t, ok, "entry %d unreachable", i)
	}
}

// TestDictModel runs random adds and removals, growing and shrinking through incremental resizes, against a
// map, checking the chains after every step.
func TestDictModel(t *testing.T) {
	defer func(n int) { rehashStep = n }(rehashStep)
	rehashStep = 1 // long resizes
	rng := rand.New(rand.NewSource(6))
	d := newDict(true, 0)
	model := map[string]string{}
	rehashing := 0
	for step := 0; step < 40000; step++ {
		k := fmt.Sprint("k", rng.Intn(3000))
		phase := (step / 5000) % 2 // alternate growing and shrinking phases
		if rng.Intn(10) < 7-4*phase {
			v := fmt.Sprint(rng.Intn(1000))
			_, had := model[k]
			require.Equal(t, !had, d.set([]byte(k), []byte(v)))
			model[k] = v
		} else {
			_, had := model[k]
			require.Equal(t, had, d.remove([]byte(k)))
			delete(model, k)
		}
		require.Equal(t, len(model), d.Len())
		if step%97 == 0 {
			if d.old != nil {
				rehashing++
			}
			checkDict(t, d)
			for mk, mv := range model {
				v, ok := d.get([]byte(mk))
				require.True(t, ok)
				require.Equal(t, mv, string(v))
			}
		}
	}
	checkDict(t, d)
	require.Greater(t, rehashing, 10, "the checks saw resizes in progress")
}

// TestDictScanDuringRehash scans while resizes advance a little between calls, so calls see both arrays.
func TestDictScanDuringRehash(t *testing.T) {
	defer func(n int) { rehashStep = n }(rehashStep)
	rehashStep = 1 // long resizes
	rng := rand.New(rand.NewSource(8))
	for round := 0; round < 10; round++ {
		d := newDict(false, 0)
		for i := 0; i < 5000; i++ {
			d.set([]byte(fmt.Sprint("stay", i)), nil)
		}
		seen := map[string]bool{}
		cursor, calls, during, extra := uint64(0), 0, 0, 0
		for {
			if d.old != nil {
				during++
			}
			cursor = d.scan(cursor, 5, func(f, _ []byte) { seen[string(f)] = true })
			calls++
			require.Less(t, calls, 1000000)
			if cursor == 0 {
				break
			}
			for k := rng.Intn(4); k > 0; k-- {
				if round%2 == 0 || extra == 0 {
					d.set([]byte(fmt.Sprint("tmp", extra)), nil) // grow through 8192
					extra++
				} else {
					extra--
					d.remove([]byte(fmt.Sprint("tmp", extra)))
				}
			}
			if round%2 == 1 && calls%50 == 0 {
				for i := 0; i < 4000 && extra > 0; i++ { // shrink: remove many, then continue slowly
					extra--
					d.remove([]byte(fmt.Sprint("tmp", extra)))
				}
			}
		}
		for i := 0; i < 5000; i++ {
			require.True(t, seen[fmt.Sprint("stay", i)], "round %d: stay%d missed", round, i)
		}
		require.Greater(t, during, 0, "round %d: no call saw a resize in progress", round)
	}
}
