package keyspace

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSetModel runs random operations on a Set and on a plain map and checks they always agree, and that the
// encoding moves as Redis 7.2's does: intset while all members are integers, listpack while small, hashtable
// after, never back (except through Pop's rebuild).
func TestSetModel(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	lim := smallLimits()
	member := func() []byte {
		switch rng.Intn(14) {
		case 0:
			return bytes.Repeat([]byte{'x'}, 11+rng.Intn(30)) // too long for the listpack
		case 1:
			return []byte(strconv.FormatInt(math.MinInt64+int64(rng.Intn(3)), 10)) // 8-byte intset
		case 2:
			return []byte(strconv.Itoa(100000 + rng.Intn(5))) // 4-byte intset
		case 3:
			return []byte("a" + strconv.Itoa(rng.Intn(10)))
		case 4:
			return []byte("01") // not canonical: a string
		}
		return []byte(strconv.Itoa(rng.Intn(30) - 10))
	}
	isInt := func(m string) bool { _, ok := ParseInt([]byte(m)); return ok }
	for round := 0; round < 80; round++ {
		first := member()
		hint := 1 + rng.Intn(14)
		s := NewSet(first, hint, lim)
		model := map[string]bool{}
		var enc Encoding
		switch {
		case isInt(string(first)) && hint <= lim.SetIntsetEntries:
			enc = EncIntset
		case hint <= lim.SetListpackEntries:
			enc = EncListpack
		default:
			enc = EncHashtable
		}
		require.Equal(t, enc, s.Encoding())
		add := func(m []byte) {
			had := model[string(m)]
			require.Equal(t, !had, s.Add(m, lim), "add %q", m)
			if had {
				return
			}
			n := len(model)
			model[string(m)] = true
			switch enc {
			case EncIntset:
				if !isInt(string(m)) {
					maxLen := 0
					for k := range model {
						if k != string(m) {
							maxLen = max(maxLen, len(k))
						}
					}
					if n < lim.SetListpackEntries && len(m) <= lim.SetListpackValue && maxLen <= lim.SetListpackValue {
						enc = EncListpack
					} else {
						enc = EncHashtable
					}
				} else if n+1 > lim.SetIntsetEntries {
					enc = EncHashtable
				}
			case EncListpack:
				if n >= lim.SetListpackEntries || len(m) > lim.SetListpackValue {
					enc = EncHashtable
				}
			}
		}
		add(first)
		for step := 0; step < 200 && len(model) > 0; step++ {
			switch op := rng.Intn(10); {
			case op < 5:
				add(member())
			case op < 7:
				m := member()
				require.Equal(t, model[string(m)], s.Remove(m))
				delete(model, string(m))
			case op == 7 && len(model) > 1:
				count := 1 + rng.Intn(len(model)-1)
				n := len(model)
				wasInt := enc == EncIntset
				s.Pop(count, lim, func(m []byte) {
					require.True(t, model[string(m)], "popped %q", m)
					delete(model, string(m))
				})
				require.Equal(t, n-count, len(model))
				if (n-count)*5 <= count && enc == EncHashtable {
					// Redis 7.2 rebuilds the rest as a new listpack set, which converts as it fills.
					enc = EncListpack
					long := false
					for k := range model {
						long = long || len(k) > lim.SetListpackValue
					}
					if len(model) > lim.SetListpackEntries || long {
						enc = EncHashtable
					}
				}
				if wasInt {
					require.Equal(t, EncIntset, s.Encoding())
				}
			case op == 8:
				hint := rng.Intn(20)
				s.MaybeConvert(hint, lim)
				if (enc == EncListpack && hint > lim.SetListpackEntries) || (enc == EncIntset && hint > lim.SetIntsetEntries) {
					enc = EncHashtable
				}
			}
			if len(model) == 0 {
				break // the keyspace deletes an empty set
			}
			require.Equal(t, enc, s.Encoding(), "step %d", step)
			require.Equal(t, len(model), s.Len())
			got := map[string]bool{}
			var prev int64
			s.Range(func(m []byte) bool {
				require.False(t, got[string(m)], "duplicate %q", m)
				got[string(m)] = true
				if enc == EncIntset {
					v, ok := ParseInt(m)
					require.True(t, ok)
					require.True(t, len(got) == 1 || v > prev, "intset ascending")
					prev = v
				}
				return true
			})
			require.Equal(t, model, got)
			for k := range model {
				require.True(t, s.Contains([]byte(k)))
			}
			require.False(t, s.Contains([]byte("missing")))
			require.True(t, model[string(s.Random(nil))])
			n := rng.Intn(len(model))
			seen := map[string]bool{}
			s.Sample(n, func(m []byte) {
				require.True(t, model[string(m)])
				require.False(t, seen[string(m)])
				seen[string(m)] = true
			})
			require.Len(t, seen, n)
			c := s.Clone().(*Set)
			require.Equal(t, s.Encoding(), c.Encoding())
			cm := c.Members()
			sm := s.Members()
			require.Equal(t, sm, cm)
		}
	}
}

// TestSetEncodings checks Redis 7.2's rules at their edges with the default limits.
func TestSetEncodings(t *testing.T) {
	lim := DefaultLimits()
	ints := func(n int) *Set {
		s := NewSet([]byte("1"), n, &lim)
		for i := 0; i < n; i++ {
			s.Add([]byte(strconv.Itoa(i)), &lim)
		}
		return s
	}
	require.Equal(t, EncIntset, ints(512).Encoding())
	s := ints(512)
	s.Add([]byte("512"), &lim)
	require.Equal(t, EncHashtable, s.Encoding())
	require.Equal(t, EncHashtable, NewSet([]byte("1"), 513, &lim).Encoding(), "SADD of 513 integers at once")

	s = ints(100)
	s.Add([]byte("a"), &lim)
	require.Equal(t, EncListpack, s.Encoding(), "a string joins a small intset")
	s = ints(128)
	s.Add([]byte("a"), &lim)
	require.Equal(t, EncHashtable, s.Encoding(), "too many for a listpack")

	s = NewSet([]byte("a"), 1, &lim)
	require.Equal(t, EncListpack, s.Encoding())
	s.Add([]byte("a"), &lim)
	for i := 0; i < 127; i++ {
		s.Add([]byte(fmt.Sprint("m", i)), &lim)
	}
	require.Equal(t, EncListpack, s.Encoding())
	s.Add([]byte("m127"), &lim)
	require.Equal(t, EncHashtable, s.Encoding())

	s = NewSet([]byte("a"), 1, &lim)
	s.Add(bytes.Repeat([]byte("v"), 64), &lim)
	require.Equal(t, EncListpack, s.Encoding())
	s.Add(bytes.Repeat([]byte("v"), 65), &lim)
	require.Equal(t, EncHashtable, s.Encoding())
	require.Equal(t, EncHashtable, NewSet([]byte("a"), 129, &lim).Encoding())

	// SINTERSTORE's result of integers only becomes an intset.
	s = NewSet([]byte("a"), 3, &lim)
	s.Add([]byte("a"), &lim)
	s.Add([]byte("3"), &lim)
	s.Add([]byte("-1"), &lim)
	s.IntsetIfIntegers(&lim)
	require.Equal(t, EncListpack, s.Encoding())
	s.Remove([]byte("a"))
	s.IntsetIfIntegers(&lim)
	require.Equal(t, EncIntset, s.Encoding())
	require.Equal(t, [][]byte{[]byte("-1"), []byte("3")}, s.Members())
}

// TestIntsetWidths checks integers of every width and their order across widening.
func TestIntsetWidths(t *testing.T) {
	lim := DefaultLimits()
	s := NewIntset()
	vals := []int64{5, -3, math.MaxInt16 + 1, math.MinInt16, math.MaxInt64, math.MinInt64, 0, math.MinInt32 - 1}
	for _, v := range vals {
		require.True(t, s.Add([]byte(strconv.FormatInt(v, 10)), &lim))
		require.False(t, s.Add([]byte(strconv.FormatInt(v, 10)), &lim))
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	var got []int64
	s.Range(func(m []byte) bool {
		v, _ := strconv.ParseInt(string(m), 10, 64)
		got = append(got, v)
		return true
	})
	require.Equal(t, vals, got)
	require.Equal(t, EncIntset, s.Encoding())
	require.True(t, s.Remove([]byte("0")))
	require.False(t, s.Contains([]byte("0")))
	require.False(t, s.Contains([]byte("-0")))
	require.Equal(t, len(vals)-1, s.Len())
}

func BenchmarkSetAddContainsIntset(b *testing.B) {
	lim := DefaultLimits()
	s := NewIntset()
	members := make([][]byte, 400)
	for i := range members {
		members[i] = []byte(strconv.Itoa(i * 7))
		s.Add(members[i], &lim)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := members[i%len(members)]
		s.Remove(m)
		s.Add(m, &lim)
		s.Contains(m)
	}
}

func BenchmarkSetAddContainsListpack(b *testing.B) {
	lim := DefaultLimits()
	s := NewSet([]byte("a"), 1, &lim)
	members := make([][]byte, 100)
	for i := range members {
		members[i] = []byte(fmt.Sprint("member:", i))
		s.Add(members[i], &lim)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m := members[i%len(members)]
		s.Contains(m)
		s.Add(m, &lim)
	}
}

func BenchmarkSetAddRemoveHashtable(b *testing.B) {
	lim := DefaultLimits()
	s := NewSet([]byte("a"), 1000, &lim)
	for i := 0; i < 100000; i++ {
		s.Add([]byte(fmt.Sprint("member:", i)), &lim)
	}
	m := []byte("new-member")
	b.ReportAllocs()
	for b.Loop() {
		s.Add(m, &lim)
		s.Contains(m)
		s.Remove(m)
	}
}
