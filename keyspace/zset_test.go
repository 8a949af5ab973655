package keyspace

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type zitem struct {
	score  float64
	member string
}

// zmodel is the reference: a sorted slice.
type zmodel []zitem

func (m zmodel) find(member string) int {
	for i, it := range m {
		if it.member == member {
			return i
		}
	}
	return -1
}

func (m *zmodel) put(member string, score float64) {
	it := zitem{score, member}
	i := sort.Search(len(*m), func(i int) bool {
		o := (*m)[i]
		return zless(score, member, o.score, o.member)
	})
	*m = append(*m, zitem{})
	copy((*m)[i+1:], (*m)[i:])
	(*m)[i] = it
}

func (m *zmodel) del(i int) { *m = append((*m)[:i], (*m)[i+1:]...) }

// add applies ZADD's rules to the model.
func (m *zmodel) add(member string, score float64, flags ZAddFlags) (float64, ZAddResult, error) {
	i := m.find(member)
	if i >= 0 {
		cur := (*m)[i].score
		if flags&ZAddNX != 0 {
			return cur, ZAddRefused, nil
		}
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return cur, ZAddRefused, ErrScoreNaN
			}
		}
		if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
			return cur, ZAddRefused, nil
		}
		if score == cur {
			return score, ZAddUnchanged, nil
		}
		m.del(i)
		m.put(member, score)
		return score, ZAddUpdated, nil
	}
	if flags&ZAddXX != 0 {
		return 0, ZAddRefused, nil
	}
	m.put(member, score)
	return score, ZAddAdded, nil
}

func zcontents(t *testing.T, z *ZSet) zmodel {
	var out zmodel
	if n := z.Len(); n > 0 {
		z.Range(0, n-1, false, func(m []byte, s float64) bool { out = append(out, zitem{s, string(m)}); return true })
	}
	return out
}

func checkZ(t *testing.T, z *ZSet, model zmodel) {
	t.Helper()
	require.Equal(t, len(model), z.Len())
	got := zcontents(t, z)
	require.Equal(t, len(model), len(got))
	for i := range model {
		require.Equal(t, model[i].member, got[i].member, "rank %d", i)
		require.Equal(t, model[i].score, got[i].score, "rank %d", i) // a listpack turns -0 into 0
	}
	if z.idx != nil {
		x := z.idx
		require.Equal(t, len(model), x.n)
		if x.height > 0 {
			checkInner(t, x, x.inner, x.height)
		}
	}
}

// checkInner verifies the counts of the tree under nd and returns its size.
func checkInner(t *testing.T, x *zindex, nd *zinner, h int) int {
	total := 0
	for i := 0; i < nd.n; i++ {
		var c int
		if h == 1 {
			c = nd.leaves[i].n
		} else {
			c = checkInner(t, x, nd.inners[i], h-1)
		}
		require.Equal(t, c, nd.counts[i])
		total += c
	}
	return total
}

// TestZSetModel runs random operations on ZSets and on a sorted slice and checks they always agree, across the
// listpack encoding, the conversion and B+trees of several levels.
func TestZSetModel(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	lim := DefaultLimits()
	lim.ZSetListpackEntries = 16
	lim.ZSetListpackValue = 20
	for round := 0; round < 22; round++ {
		z := NewZSet()
		var model zmodel
		universe := []int{8, 40, 400, 3000}[round%4]
		size := universe
		if round >= 20 {
			size = 8000 // two inner levels: grow, then shrink to merge nodes
		}
		scoreOf := func() float64 {
			switch rng.Intn(12) {
			case 0:
				return math.Inf(1)
			case 1:
				return math.Inf(-1)
			case 2:
				return math.Copysign(0, -1)
			case 3:
				return rng.NormFloat64() * 1e6
			}
			return float64(rng.Intn(universe/4 + 2))
		}
		memberOf := func() string {
			if rng.Intn(50) == 0 {
				return string(bytes.Repeat([]byte{'L'}, 21+rng.Intn(5)))
			}
			return "m" + strconv.Itoa(rng.Intn(size))
		}
		steps := 3 * size
		if steps < 600 {
			steps = 600
		}
		for step := 0; step < steps; step++ {
			phase := step * 3 / steps // 0: mostly adds, 1: mixed, 2: mostly removals
			op := rng.Intn(20)
			switch {
			case op < 8-phase*3:
				member, score := memberOf(), scoreOf()
				flags := ZAddFlags(0)
				if rng.Intn(3) == 0 {
					flags = ZAddFlags(rng.Intn(32))
					if flags&ZAddNX != 0 {
						flags &^= ZAddXX | ZAddGT | ZAddLT
					}
					if flags&ZAddGT != 0 {
						flags &^= ZAddLT
					}
				}
				wantS, wantR, wantErr := model.add(member, score, flags)
				gotS, gotR, gotErr := z.Add(&lim, []byte(member), score, flags)
				require.Equal(t, wantErr, gotErr)
				require.Equal(t, wantR, gotR, "add %q %v %b", member, score, flags)
				if wantR != ZAddRefused {
					require.Equal(t, wantS, gotS)
				}
			case op < 14:
				member := memberOf()
				i := model.find(member)
				require.Equal(t, i >= 0, z.Remove([]byte(member)))
				if i >= 0 {
					model.del(i)
				}
			case op == 14:
				member := memberOf()
				i := model.find(member)
				r, s, ok := z.Rank([]byte(member))
				require.Equal(t, i >= 0, ok)
				sc, ok2 := z.Score([]byte(member))
				require.Equal(t, ok, ok2)
				if ok {
					require.Equal(t, i, r)
					require.Equal(t, model[i].score, s)
					require.Equal(t, model[i].score, sc)
				}
			case op == 15 && len(model) > 0:
				a := rng.Intn(len(model))
				b := a + rng.Intn(min(len(model)-a, 100))
				rev := rng.Intn(2) == 0
				var got []string
				z.Range(a, b, rev, func(m []byte, s float64) bool { got = append(got, string(m)); return true })
				var want []string
				for i := a; i <= b; i++ {
					want = append(want, model[i].member)
				}
				if rev {
					for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
						want[i], want[j] = want[j], want[i]
					}
				}
				require.Equal(t, want, got)
				m, s := z.At(a)
				require.Equal(t, model[a].member, string(m))
				require.Equal(t, model[a].score, s)
			case op == 16 && len(model) > 0 && rng.Intn(4) == 0:
				a := rng.Intn(len(model))
				b := a + rng.Intn(min(len(model)-a, 30))
				z.RemoveRange(a, b)
				model = append(model[:a], model[b+1:]...)
			case op == 17:
				r := ScoreRange{Min: scoreOf(), Max: scoreOf(), MinEx: rng.Intn(2) == 0, MaxEx: rng.Intn(2) == 0}
				first, last := z.ScoreRanks(r)
				wf, wl := 0, -1
				for wf < len(model) && !r.GteMin(model[wf].score) {
					wf++
				}
				wl = wf - 1
				for wl+1 < len(model) && r.LteMax(model[wl+1].score) {
					wl++
				}
				if wl < wf {
					require.Less(t, last, first, "%+v", r)
				} else {
					require.Equal(t, [2]int{wf, wl}, [2]int{first, last}, "%+v", r)
				}
			case op == 18 && rng.Intn(1+len(model)/200) == 0:
				c := z.Clone().(*ZSet)
				require.Equal(t, z.Encoding(), c.Encoding())
				checkZ(t, c, model)
				if rng.Intn(2) == 0 {
					c.Compact(&lim)
					checkZ(t, c, model)
					fits := len(model) <= lim.ZSetListpackEntries
					for _, it := range model {
						fits = fits && len(it.member) <= lim.ZSetListpackValue
					}
					assert.Equal(t, fits || z.Encoding() == EncListpack, c.Encoding() == EncListpack)
				}
			case op == 19 && rng.Intn(1+len(model)/200) == 0:
				seen := map[string]float64{}
				cursor := uint64(0)
				for {
					cursor = z.Scan(cursor, 1+rng.Intn(20), func(m []byte, s float64) { seen[string(m)] = s })
					if cursor == 0 {
						break
					}
				}
				require.Equal(t, len(model), len(seen))
				for _, it := range model {
					require.Equal(t, it.score, seen[it.member])
				}
			}
			if step%(97+len(model)/10) == 0 || z.Len() < 40 {
				checkZ(t, z, model)
			}
			big := len(model) > lim.ZSetListpackEntries
			if big {
				require.Equal(t, EncSkiplist, z.Encoding())
			}
		}
		checkZ(t, z, model)
	}
}

// TestZSetLexRanks compares LexRanks with a model on sets whose members share one score.
func TestZSetLexRanks(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{5, 100, 5000} {
		z := NewZSet()
		var model []string
		for i := 0; i < n; i++ {
			m := fmt.Sprintf("%x", rng.Intn(n*4))
			if _, res, _ := z.Add(nil, []byte(m), 0, 0); res == ZAddAdded {
				model = append(model, m)
			}
		}
		sort.Strings(model)
		bound := func() LexBound {
			switch rng.Intn(8) {
			case 0:
				return LexBound{Inf: -1}
			case 1:
				return LexBound{Inf: 1}
			}
			return LexBound{Value: []byte(fmt.Sprintf("%x", rng.Intn(n*4))), Exclusive: rng.Intn(2) == 0}
		}
		for k := 0; k < 500; k++ {
			r := LexRange{Min: bound(), Max: bound()}
			first, last := z.LexRanks(r)
			wf := 0
			for wf < len(model) && !r.GteMin([]byte(model[wf])) {
				wf++
			}
			wl := wf - 1
			for wl+1 < len(model) && r.LteMax([]byte(model[wl+1])) {
				wl++
			}
			if wl < wf {
				require.Less(t, last, first)
			} else {
				require.Equal(t, [2]int{wf, wl}, [2]int{first, last})
			}
		}
	}
}

// TestZSetEncoding checks when the set converts, as Redis's zsetAdd does.
func TestZSetEncoding(t *testing.T) {
	lim := DefaultLimits()
	z := NewZSet()
	for i := 0; i < 128; i++ {
		z.Add(&lim, []byte(strconv.Itoa(i)), float64(i), 0)
	}
	assert.Equal(t, EncListpack, z.Encoding())
	z.Add(&lim, []byte("0"), 5, 0) // an update never converts
	assert.Equal(t, EncListpack, z.Encoding())
	z.Add(&lim, []byte("new"), 1, 0)
	assert.Equal(t, EncSkiplist, z.Encoding())
	z.Remove([]byte("new"))
	z.Remove([]byte("1"))
	assert.Equal(t, EncSkiplist, z.Encoding(), "no way back")
	z.Compact(&lim)
	assert.Equal(t, EncListpack, z.Encoding())

	long := bytes.Repeat([]byte("x"), 65)
	z = NewZSet()
	z.Add(&lim, bytes.Repeat([]byte("x"), 64), 1, 0)
	assert.Equal(t, EncListpack, z.Encoding())
	z.Add(&lim, long, 1, ZAddXX)
	assert.Equal(t, EncListpack, z.Encoding(), "XX adds nothing")
	z.Add(&lim, long, 1, 0)
	assert.Equal(t, EncSkiplist, z.Encoding())

	assert.Equal(t, EncSkiplist, NewZSetFor(&lim, 129, 1).Encoding())
	assert.Equal(t, EncSkiplist, NewZSetFor(&lim, 1, 65).Encoding())
	assert.Equal(t, EncListpack, NewZSetFor(&lim, 128, 64).Encoding())
}

// TestZSetScores checks scores survive the listpack's packing exactly: -0, infinities, big integers.
func TestZSetScores(t *testing.T) {
	scores := []float64{0, 1, -1, 1 << 53, -(1 << 53), 1<<53 + 2, 0.1, 1e300, math.Inf(1),
		math.Inf(-1), math.SmallestNonzeroFloat64, -12345678}
	z := NewZSet()
	for i, s := range scores {
		z.Add(nil, []byte(strconv.Itoa(i)), s, 0)
	}
	for i, s := range scores {
		got, ok := z.Score([]byte(strconv.Itoa(i)))
		require.True(t, ok)
		assert.Equal(t, math.Float64bits(s), math.Float64bits(got), "%v", s)
	}
	z.Add(nil, []byte("negz"), math.Copysign(0, -1), 0)
	got, _ := z.Score([]byte("negz"))
	assert.False(t, math.Signbit(got), "a listpack keeps -0 as 0")
	z.Add(nil, []byte("plusinf"), math.Inf(1), 0)
	_, res, err := z.Add(nil, []byte("plusinf"), math.Inf(-1), ZAddIncr) // inf + -inf
	assert.ErrorIs(t, err, ErrScoreNaN)
	assert.Equal(t, ZAddRefused, res)
}

func BenchmarkZSetAdd(b *testing.B) {
	for _, n := range []int{100, 1 << 20} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			members := make([][]byte, n)
			for i := range members {
				members[i] = []byte("member:" + strconv.Itoa(i))
			}
			rng := rand.New(rand.NewSource(1))
			z := NewZSet()
			lim := DefaultLimits()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				z.Add(&lim, members[i%n], rng.Float64(), 0)
				i++
			}
		})
	}
}

func benchZSet(n int) (*ZSet, [][]byte) {
	members := make([][]byte, n)
	z := NewZSet()
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
		z.Add(nil, members[i], float64(i%1000), 0)
	}
	return z, members
}

func BenchmarkZSetScore(b *testing.B) {
	z, members := benchZSet(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		z.Score(members[i&(1<<20-1)])
		i += 7919
	}
}

func BenchmarkZSetRank(b *testing.B) {
	z, members := benchZSet(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		z.Rank(members[i&(1<<20-1)])
		i += 7919
	}
}

func BenchmarkZSetRangeByScore(b *testing.B) {
	z, _ := benchZSet(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		lo := float64(i % 990)
		first, last := z.ScoreRanks(ScoreRange{Min: lo, Max: lo + 0.01})
		last = min(last, first+9)
		z.Range(first, last, false, func([]byte, float64) bool { return true })
		i++
	}
}

func BenchmarkZSetRemoveAdd(b *testing.B) {
	z, members := benchZSet(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := members[i&(1<<20-1)]
		z.Remove(m)
		z.Add(nil, m, float64(i%1000), 0)
		i += 7919
	}
}

func BenchmarkZSetSmallAdd(b *testing.B) {
	members := make([][]byte, 100)
	for i := range members {
		members[i] = []byte("m" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		z := NewZSet()
		for i, m := range members {
			z.Add(nil, m, float64(i), 0)
		}
	}
}
