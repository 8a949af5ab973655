package keyspace

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestListModel runs random operations on a List and on a plain slice and checks they always agree, with
// elements small and large enough to split nodes and to need multi-byte lengths.
func TestListModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	elem := func() []byte {
		switch rng.Intn(10) {
		case 0:
			return bytes.Repeat([]byte{'x'}, rng.Intn(20000)) // bigger than a node
		case 1:
			return bytes.Repeat([]byte{'y'}, 100+rng.Intn(300)) // two-byte lengths
		case 2:
			return nil
		}
		return []byte(fmt.Sprint(rng.Intn(20)))
	}
	for round := 0; round < 50; round++ {
		l := NewList()
		var model [][]byte
		for step := 0; step < 400; step++ {
			switch op := rng.Intn(10); op {
			case 0, 1:
				v := elem()
				l.PushBack(v)
				model = append(model, v)
			case 2, 3:
				v := elem()
				l.PushFront(v)
				model = append([][]byte{v}, model...)
			case 4:
				v, ok := l.PopFront()
				require.Equal(t, len(model) > 0, ok)
				if ok {
					require.Equal(t, string(model[0]), string(v))
					model = model[1:]
				}
			case 5:
				v, ok := l.PopBack()
				require.Equal(t, len(model) > 0, ok)
				if ok {
					require.Equal(t, string(model[len(model)-1]), string(v))
					model = model[:len(model)-1]
				}
			case 6:
				i := rng.Intn(len(model)+2) - 1
				v := elem()
				ok := l.Set(i, v)
				j := i
				if j < 0 {
					j += len(model)
				}
				require.Equal(t, j >= 0 && j < len(model), ok)
				if ok {
					model[j] = v
				}
			case 7:
				pivot, v, after := elem(), elem(), rng.Intn(2) == 0
				found := l.Insert(pivot, v, after)
				idx := -1
				for i, e := range model {
					if bytes.Equal(e, pivot) {
						idx = i
						break
					}
				}
				require.Equal(t, idx >= 0, found)
				if found {
					if after {
						idx++
					}
					model = append(model[:idx], append([][]byte{v}, model[idx:]...)...)
				}
			case 8:
				v, count := elem(), rng.Intn(5)-2
				n := l.Remove(count, v)
				want := 0
				var out [][]byte
				if count >= 0 {
					for _, e := range model {
						if bytes.Equal(e, v) && (count == 0 || want < count) {
							want++
							continue
						}
						out = append(out, e)
					}
				} else {
					for i := len(model) - 1; i >= 0; i-- {
						if bytes.Equal(model[i], v) && want < -count {
							want++
							continue
						}
						out = append([][]byte{model[i]}, out...)
					}
				}
				require.Equal(t, want, n)
				model = out
			case 9:
				if len(model) > 0 && rng.Intn(4) == 0 {
					a := rng.Intn(len(model))
					b := a + rng.Intn(len(model)-a)
					l.Trim(a, b, true)
					model = model[a : b+1]
				}
			}
			require.Equal(t, len(model), l.Len())
			got := l.Elements()
			require.Equal(t, len(model), len(got))
			for i := range model {
				require.Equal(t, string(model[i]), string(got[i]), "element %d", i)
			}
			if len(model) > 0 {
				i := rng.Intn(len(model))
				v, ok := l.Index(i)
				require.True(t, ok)
				require.Equal(t, string(model[i]), string(v))
				v, _ = l.Index(i - len(model))
				require.Equal(t, string(model[i]), string(v))
				a := rng.Intn(len(model))
				b := a + rng.Intn(len(model)-a)
				var rev [][]byte
				l.RangeReverse(a, b, func(e []byte) bool { rev = append(rev, e); return true })
				require.Equal(t, b-a+1, len(rev))
				for k := range rev {
					require.Equal(t, string(model[b-k]), string(rev[k]))
				}
			}
			c := l.Clone().(*List)
			require.Equal(t, l.Elements(), c.Elements())
			require.Equal(t, bufsOf(l), l.bufs, "the running count of node capacity")
			require.Equal(t, bufsOf(c), c.bufs)
		}
	}
}

// bufsOf counts what List.bufs keeps a running count of.
func bufsOf(l *List) int {
	n := 0
	for _, nd := range l.nodes {
		n += cap(nd.buf)
	}
	return n
}

// TestListEncoding follows Redis 7.2's rule: listpack while the list fits in one 8 KiB node, quicklist after,
// back to listpack once it is one node of at most half that.
func TestListEncoding(t *testing.T) {
	l := NewList()
	l.PushBack([]byte("a"))
	require.Equal(t, EncListpack, l.Encoding())
	for l.Encoding() == EncListpack {
		l.PushBack(bytes.Repeat([]byte("v"), 100))
	}
	require.Equal(t, EncQuicklist, l.Encoding())
	l.PopBack()
	require.Equal(t, EncQuicklist, l.Encoding(), "no conversion back at the limit")
	for l.Len() > 30 {
		l.PopFront()
	}
	require.Equal(t, EncListpack, l.Encoding())
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	v := []byte("0123456789abcdef")
	for i := 0; i < 1000; i++ {
		l.PushBack(v)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PushFront(v)
		l.PopBack()
	}
}
