package keyspace_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStringBufModel changes strings in place at random (grow, write, shrink, overwrite with SET) and compares
// them with a model after every step; the fixture's cleanup checks the memory accounts.
func TestStringBufModel(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"a", "b", strings.Repeat("k", 300)}
	model := map[string][]byte{}
	for i := 0; i < 20000; i++ {
		key := keys[rng.IntN(len(keys))]
		bk := []byte(key)
		f.do(0, []string{key}, func(tx *keyspace.Txn) {
			switch op := rng.IntN(10); {
			case op < 5: // grow to at least n and write a byte inside (SETBIT, SETRANGE, APPEND)
				n := rng.IntN(64)
				if rng.IntN(20) == 0 {
					n = rng.IntN(5000)
				}
				buf, err := tx.StringBuf(bk, n)
				require.NoError(t, err)
				m := model[key]
				if len(m) < n {
					m = append(m, make([]byte, n-len(m))...)
				}
				require.Equal(t, string(m), string(buf))
				if len(buf) > 0 {
					j := rng.IntN(len(buf))
					buf[j] = byte(rng.IntN(256))
					m[j] = buf[j]
				}
				model[key] = m
			case op < 7: // write into the spare capacity, or shrink, and adopt the length (PFADD)
				buf, err := tx.StringBuf(bk, 0)
				require.NoError(t, err)
				n := rng.IntN(cap(buf) + 1)
				b := buf[:n]
				for j := len(buf); j < n; j++ {
					require.Zero(t, b[j], "spare capacity must read as zero")
					b[j] = byte(j)
				}
				tx.SetStringBuf(bk, b)
				model[key] = append([]byte(nil), b...)
			case op < 8: // adopt a foreign slice
				b := bytes.Repeat([]byte{byte(op)}, rng.IntN(200))
				tx.SetStringBuf(bk, b)
				model[key] = b
			default: // SET replaces the value
				v := []byte(strings.Repeat("v", rng.IntN(100)))
				if rng.IntN(3) == 0 {
					v = []byte("12345")
				}
				tx.SetString(bk, v, 0)
				model[key] = v
			}
		})
		got, ok := f.get(0, key)
		require.True(t, ok)
		require.Equal(t, string(model[key]), got, "step %d", i)
		if i%1000 == 0 {
			require.NoError(t, f.ks.CheckInvariants())
		}
	}
}

func TestStringBufEncodingAndTTL(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.set(0, "int", "123", 5_000_000)
	f.set(0, "emb", "abc", 0)
	f.do(0, []string{"int", "emb", "new", "list"}, func(tx *keyspace.Txn) {
		buf, err := tx.StringBuf([]byte("int"), 0) // APPEND to an int: raw, the decimal form
		require.NoError(t, err)
		assert.Equal(t, "123", string(buf))
		e, _ := tx.Lookup([]byte("int"))
		assert.Equal(t, keyspace.EncRaw, e.Encoding())
		assert.Equal(t, int64(5_000_000), e.ExpireAt(), "the expiry is kept")

		before := f.ks.UsedMemory()
		buf, err = tx.StringBuf([]byte("emb"), 2) // SETBIT within the value: in place, raw
		require.NoError(t, err)
		buf[0] = 'x'
		e, _ = tx.Lookup([]byte("emb"))
		assert.Equal(t, keyspace.EncRaw, e.Encoding())
		assert.Equal(t, "xbc", string(e.Bytes(nil)))
		assert.Equal(t, before, f.ks.UsedMemory())

		buf, err = tx.StringBuf([]byte("new"), 3) // SETBIT on a missing key
		require.NoError(t, err)
		assert.Equal(t, []byte{0, 0, 0}, buf)
		e, _ = tx.Lookup([]byte("new"))
		assert.Equal(t, keyspace.EncRaw, e.Encoding())
		assert.Zero(t, e.ExpireAt())

		tx.SetObject([]byte("list"), &fakeList{items: []string{"x"}}, 0)
		_, err = tx.StringBuf([]byte("list"), 1)
		assert.ErrorIs(t, err, keyspace.ErrWrongType)
	})
}

// TestStringBufAmortized checks that appending byte by byte allocates O(log n) times and that the capacity it
// keeps stays within Redis's bounds (at most twice the length, or 1 MiB more).
func TestStringBufAmortized(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	key := []byte("k")
	n := 0
	allocs := testing.AllocsPerRun(1, func() {
		for range 100_000 {
			tx := f.ks.Begin(0, key)
			buf, err := tx.StringBuf(key, n+1)
			if err != nil {
				panic(err)
			}
			buf[n] = 'x'
			n++
			tx.End()
		}
	})
	assert.Less(t, allocs, 40.0)
	tx := f.ks.Begin(0, key)
	e, _ := tx.Lookup(key)
	assert.Equal(t, n, e.StrLen())
	mem := e.MemoryUsage()
	tx.End()
	assert.LessOrEqual(t, mem, int64(2*n+200))
}

// BenchmarkStringBufAppend is APPEND of 8 bytes to a growing string.
func BenchmarkStringBufAppend(b *testing.B) {
	f := newFixture(b, keyspace.Config{})
	key := []byte("k")
	val := []byte("abcdefgh")
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n > 1<<20 {
			tx := f.ks.Begin(0, key)
			tx.SetString(key, nil, 0)
			tx.End()
			n = 0
		}
		tx := f.ks.Begin(0, key)
		buf, _ := tx.StringBuf(key, n+len(val))
		copy(buf[n:], val)
		n += len(val)
		tx.End()
	}
}

// TestSetStringBufCapacity checks that a foreign slice is stored with the capacity it brings: exact for a value
// made to size (a dense HyperLogLog), append's spare room for one grown by append.
func TestSetStringBufCapacity(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.do(0, []string{"exact", "grown"}, func(tx *keyspace.Txn) {
		tx.SetStringBuf([]byte("exact"), make([]byte, 12304))
		e, _ := tx.Lookup([]byte("exact"))
		assert.Less(t, e.MemoryUsage(), int64(12304*5/4)) // allocator rounding, not a doubling
		var b []byte
		for i := 0; i < 1000; i++ {
			b = append(b, 'x')
		}
		tx.SetStringBuf([]byte("grown"), b)
		buf, err := tx.StringBuf([]byte("grown"), 0)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, cap(buf), cap(b))
		assert.Equal(t, 1000, len(buf))
	})
}
