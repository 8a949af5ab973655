package hll

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	// Matches Redis: the value PFADD creates (before its cache is marked stale).
	assert.Equal(t, []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), New())
	n, ok := Cached(New())
	assert.True(t, ok)
	assert.Zero(t, n)
}

func TestValid(t *testing.T) {
	dense, err := ToDense(New())
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		h    []byte
		want bool
	}{
		{"new", New(), true},
		{"dense", dense, true},
		{"dense too long", append(append([]byte(nil), dense...), 0), false},
		{"dense too short", dense[:DenseSize-1], false},
		{"header only", New()[:HeaderSize], true},
		{"short", New()[:HeaderSize-1], false},
		{"magic", append([]byte("HYLl"), New()[4:]...), false},
		{"encoding 2", append([]byte("HYLL\x02"), New()[5:]...), false},
		{"empty", nil, false},
	} {
		assert.Equal(t, tt.want, Valid(tt.h), tt.name)
	}
}

// TestHash checks MurmurHash64A against values computed by hand from its definition for every tail length.
func TestHash(t *testing.T) {
	ref := func(b []byte) uint64 { // the straightforward formulation, byte by byte
		const m = 0xc6a4a7935bd1e995
		h := uint64(seed) ^ uint64(len(b))*m
		n := len(b) / 8 * 8
		for i := 0; i < n; i += 8 {
			k := binary.LittleEndian.Uint64(b[i:])
			k *= m
			k ^= k >> 47
			k *= m
			h = (h ^ k) * m
		}
		if rem := b[n:]; len(rem) > 0 {
			var tail [8]byte
			copy(tail[:], rem)
			h = (h ^ binary.LittleEndian.Uint64(tail[:])) * m
		}
		h ^= h >> 47
		h *= m
		return h ^ h>>47
	}
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		assert.Equal(t, ref(b), Hash(b), "len %d", n)
	}
}

// registers decodes every register of a valid, well-formed h.
func registers(t testing.TB, h []byte) [Registers]uint8 {
	var regs [Registers]uint8
	require.NoError(t, Merge(&regs, h))
	return regs
}

// TestAddModel adds random elements and checks the registers against a plain array after every step, in the
// sparse and the dense encoding, with promotion by size.
func TestAddModel(t *testing.T) {
	for _, sparseMax := range []int{50, 300, 3000, 1 << 20} {
		t.Run(strconv.Itoa(sparseMax), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(sparseMax), 1))
			h := New()
			var model [Registers]uint8
			for i := 0; i < 4000; i++ {
				elem := fmt.Appendf(nil, "%d", rng.IntN(1_000_000))
				idx, cnt := patLen(elem)
				want := cnt > model[idx]
				model[idx] = max(model[idx], cnt)
				var changed bool
				var err error
				h, changed, err = Add(h, elem, sparseMax)
				require.NoError(t, err)
				require.Equal(t, want, changed)
				require.True(t, Valid(h))
				if !IsDense(h) {
					require.LessOrEqual(t, len(h), max(sparseMax, HeaderSize+2))
				}
				if i%97 == 0 || i < 50 {
					sameRegisters(t, model, registers(t, h))
					n, err := Count(h)
					require.NoError(t, err)
					assert.Equal(t, CountRegisters(&model), n)
				}
			}
		})
	}
}

// TestSparseValueAbove32 forces a register above 32, which the sparse encoding cannot hold.
func TestSparseValueAbove32(t *testing.T) {
	h, changed, err := set(New(), 5, 33, 3000)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.True(t, IsDense(h))
	regs := registers(t, h)
	assert.Equal(t, uint8(33), regs[5])
	h, changed, err = set(New(), Registers-1, MaxValue, 3000)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, uint8(MaxValue), registers(t, h)[Registers-1])
}

func TestCountSmall(t *testing.T) {
	h := New()
	n, err := Count(h)
	require.NoError(t, err)
	assert.Zero(t, n)
	for i := 0; i < 1000; i++ {
		h, _, _ = Add(h, []byte(strconv.Itoa(i)), 3000)
	}
	n, err = Count(h)
	require.NoError(t, err)
	assert.InDelta(t, 1000, n, 20) // 0.81% standard error
	d, err := ToDense(h)
	require.NoError(t, err)
	nd, err := Count(d)
	require.NoError(t, err)
	assert.Equal(t, n, nd)
}

func TestCorrupt(t *testing.T) {
	hdr := New()[:HeaderSize]
	for _, ops := range [][]byte{
		{},                       // no registers
		{0x7f, 0xfe},             // 16383 registers
		{0x7f, 0xff, 0x00},       // 16385
		{0x7f},                   // XZERO cut short: 16129 registers
		{0xff, 0xff, 0xff, 0xff}, // 16 registers
	} {
		h := append(append([]byte(nil), hdr...), ops...)
		require.True(t, Valid(h))
		_, err := Count(h)
		assert.ErrorIs(t, err, ErrInvalid, "% x", ops)
		var regs [Registers]uint8
		assert.ErrorIs(t, Merge(&regs, h), ErrInvalid)
		_, err = ToDense(h)
		assert.ErrorIs(t, err, ErrInvalid)
	}
}

// FuzzDecode feeds arbitrary bytes to every function that reads a stored value: none may panic, and a value
// that decodes must keep decoding to the same registers after ToDense, and to raised ones after Add.
func FuzzDecode(f *testing.F) {
	f.Add(New(), []byte("a"), 100)
	f.Add(append(New()[:HeaderSize], 0x7f), []byte("b"), 3000)
	f.Add(append(New()[:HeaderSize], 0x40, 0x00, 0x80, 0xff, 0x3f, 0x7f, 0xb0), []byte("c"), 20)
	h := New()
	for i := 0; i < 50; i++ {
		h, _, _ = Add(h, []byte(strconv.Itoa(i)), 3000)
	}
	f.Add(h, []byte("d"), 3000)
	f.Fuzz(func(t *testing.T, h, elem []byte, sparseMax int) {
		if !Valid(h) {
			return
		}
		n, errCount := Count(h)
		var regs [Registers]uint8
		errMerge := Merge(&regs, h)
		d, errDense := ToDense(append([]byte(nil), h...))
		require.Equal(t, errCount == nil, errMerge == nil)
		require.Equal(t, errCount == nil, errDense == nil)
		if errCount == nil {
			require.Equal(t, n, CountRegisters(&regs))
			sameRegisters(t, regs, registers(t, d))
		}
		out, _, err := Add(append([]byte(nil), h...), elem, sparseMax)
		if err == nil {
			require.True(t, Valid(out))
			if errCount == nil {
				want := regs
				idx, cnt := patLen(elem)
				want[idx] = max(want[idx], cnt)
				sameRegisters(t, want, registers(t, out))
			}
		}
		if errCount == nil {
			var src [Registers]uint8
			src[rnd(elem)%Registers] = uint8(rnd(elem) % (MaxValue + 1))
			out, err := Store(append([]byte(nil), h...), &src, len(elem)%2 == 0, sparseMax)
			require.NoError(t, err)
			for i := range regs {
				regs[i] = max(regs[i], src[i])
			}
			sameRegisters(t, regs, registers(t, out))
		}
	})
}

// sameRegisters fails the test at the first register where got differs from want.
func sameRegisters(t testing.TB, want, got [Registers]uint8) {
	t.Helper()
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("register %d is %d, want %d", i, got[i], want[i])
		}
	}
}

func rnd(b []byte) int { return int(Hash(b) >> 1) }

func BenchmarkAddSparse(b *testing.B) {
	elems := make([][]byte, 1024)
	for i := range elems {
		elems[i] = []byte(strconv.Itoa(i))
	}
	h := New()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n%1024 == 0 {
			h = New()
		}
		h, _, _ = Add(h, elems[n%1024], 3000)
		n++
	}
}

func BenchmarkAddDense(b *testing.B) {
	h, _ := ToDense(New())
	elem := []byte("element:0000000")
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		binary.LittleEndian.PutUint64(elem[7:], uint64(n))
		h, _, _ = Add(h, elem, 3000)
		n++
	}
}

func BenchmarkCountDense(b *testing.B) {
	h, _ := ToDense(New())
	for i := 0; i < 100000; i++ {
		h, _, _ = Add(h, []byte(strconv.Itoa(i)), 3000)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Count(h)
	}
}

// TestPromoteByValue adds an element whose run of zeros is 33, as found by search: the value turns dense.
func TestPromoteByValue(t *testing.T) {
	idx, cnt := patLen([]byte("1692856687"))
	require.Equal(t, 6288, idx)
	require.Equal(t, uint8(33), cnt)
	h, _, _ := Add(New(), []byte("a"), 3000)
	h, changed, err := Add(h, []byte("1692856687"), 3000)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.True(t, IsDense(h))
	assert.Len(t, h, DenseSize)
}
