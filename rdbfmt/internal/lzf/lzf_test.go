package lzf

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// samples are inputs for round trips: empty, short, repetitive, random and mixed.
func samples() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 10000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 300)
	mixed := append(append(bytes.Clone(random[:700]), text[:3000]...), random[700:1500]...)
	return map[string][]byte{
		"empty":     {},
		"one":       {'x'},
		"three":     []byte("abc"),
		"run":       bytes.Repeat([]byte{'a'}, 1000),
		"long run":  bytes.Repeat([]byte{0}, 100_000),
		"pattern":   bytes.Repeat([]byte("abc"), 100),
		"random":    random,
		"text":      text,
		"mixed":     mixed,
		"far match": append(append(bytes.Clone(random[:10]), random[:9000]...), random[:100]...),
	}
}

func TestRoundTrip(t *testing.T) {
	for name, in := range samples() {
		t.Run(name, func(t *testing.T) {
			c, ok := Compress([]byte("prefix"), in, len(in)*2+100)
			require.True(t, ok)
			require.Equal(t, "prefix", string(c[:6]), "Compress appends")
			out := make([]byte, len(in))
			n, err := Decompress(out, c[6:])
			require.NoError(t, err)
			assert.Equal(t, len(in), n)
			assert.Equal(t, in, out)
		})
	}
}

func TestCompressLimit(t *testing.T) {
	in := samples()["random"]
	c, ok := Compress([]byte("keep"), in, len(in)-4)
	assert.False(t, ok, "random bytes do not compress")
	assert.Equal(t, "keep", string(c))

	in = samples()["run"]
	full, ok := Compress(nil, in, len(in))
	require.True(t, ok)
	_, ok = Compress(nil, in, len(full))
	assert.True(t, ok, "output exactly at the limit")
	_, ok = Compress(nil, in, len(full)-1)
	assert.False(t, ok, "output one byte over the limit")
	assert.Less(t, len(full), 20, "1000 equal bytes take a few back-references")
}

func TestDecompress(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		size    int
		want    string
		wantErr error
	}{
		{"empty", "", 0, "", nil},
		{"literal", "\x02abc", 3, "abc", nil},
		{"reference past the end of the output", "\x00a\xe0\x04\x00", 10, "", ErrShortBuffer},
		{"overlapping reference fits", "\x00a\xe0\x02\x00", 12, "aaaaaaaaaaaa", nil},
		{"short reference", "\x01ab\x20\x01", 5, "ababa", nil},
		{"literal run cut short", "\x05ab", 10, "", ErrCorrupt},
		{"reference without offset", "\x00a\x20", 10, "", ErrCorrupt},
		{"long reference without length", "\x00a\xe0", 10, "", ErrCorrupt},
		{"reference before the start", "\x00a\x20\x01", 10, "", ErrCorrupt},
		{"reference at the start", "\x20\x00", 10, "", ErrCorrupt},
		{"literal too long for the output", "\x02abc", 2, "", ErrShortBuffer},
		{"reference too long for the output", "\x00a\x20\x00", 3, "", ErrShortBuffer},
		{"longest reference", "\x00a\xe0\xff\x00", 265, string(bytes.Repeat([]byte{'a'}, 265)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make([]byte, tt.size)
			n, err := Decompress(out, []byte(tt.in))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out[:n]))
		})
	}
}

// Redis 7.0.15 stored a string of 100 'x' (SET c <100 x>; DUMP c) as this LZF stream.
func TestDecompressRedis(t *testing.T) {
	out := make([]byte, 100)
	n, err := Decompress(out, []byte("\x01xx\xe0W\x00\x01xx"))
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	assert.Equal(t, bytes.Repeat([]byte{'x'}, 100), out)
}

func TestMaxExpansion(t *testing.T) {
	// The densest stream: a literal, then longest references of 3 bytes each.
	in := []byte("\x00a")
	for range 100 {
		in = append(in, 0xe0, 0xff, 0x00)
	}
	out := make([]byte, 1+100*maxRef)
	n, err := Decompress(out, in)
	require.NoError(t, err)
	assert.Equal(t, len(out), n)
	assert.LessOrEqual(t, n, MaxExpansion*len(in))
}

func FuzzDecompress(f *testing.F) {
	for _, in := range samples() {
		if c, ok := Compress(nil, in, 2*len(in)+16); ok && len(c) < 4096 {
			f.Add(c, uint16(len(in)))
		}
	}
	f.Add([]byte("\x00a\xe0\xff\x00"), uint16(265))
	f.Add([]byte("\x20\x00"), uint16(10))
	f.Fuzz(func(t *testing.T, in []byte, size uint16) {
		out := make([]byte, size)
		n, err := Decompress(out, in)
		assert.LessOrEqual(t, n, len(out))
		if err == nil {
			assert.LessOrEqual(t, n, MaxExpansion*len(in))
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, in := range samples() {
		if len(in) < 4096 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, ok := Compress(nil, in, len(in)+len(in)/32+1)
		require.True(t, ok, "every input fits in its length plus one byte per 32")
		out := make([]byte, len(in))
		n, err := Decompress(out, c)
		require.NoError(t, err)
		assert.Equal(t, in, out[:n])
	})
}

func BenchmarkCompress(b *testing.B) {
	for _, name := range []string{"text", "random", "mixed"} {
		in := samples()[name]
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 2*len(in))
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				Compress(dst[:0], in, len(in)-4)
			}
		})
	}
	in := bytes.Repeat([]byte("abcdefghij"), 3) // a string just long enough for Redis to try compressing
	b.Run("30B", func(b *testing.B) {
		dst := make([]byte, 0, 64)
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			Compress(dst[:0], in, len(in)-4)
		}
	})
}

func BenchmarkDecompress(b *testing.B) {
	for _, name := range []string{"text", "mixed"} {
		in := samples()[name]
		c, _ := Compress(nil, in, 2*len(in))
		out := make([]byte, len(in))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				Decompress(out, c)
			}
		})
	}
}
