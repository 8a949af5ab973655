package rdbfmt_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

func TestLength(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "\x00"}, {63, "\x3f"}, {64, "\x40\x40"}, {16383, "\x7f\xff"}, {16384, "\x80\x00\x00\x40\x00"},
		{math.MaxUint32, "\x80\xff\xff\xff\xff"}, {math.MaxUint32 + 1, "\x81\x00\x00\x00\x01\x00\x00\x00\x00"},
		{math.MaxUint64, "\x81\xff\xff\xff\xff\xff\xff\xff\xff"},
	}
	for _, tt := range tests {
		b := rdbfmt.AppendLength([]byte("x"), tt.n)
		assert.Equal(t, "x"+tt.want, string(b), "encoding %d", tt.n)
		n, special, size, err := rdbfmt.ParseLength(append(b[1:], "rest"...))
		require.NoError(t, err)
		assert.False(t, special)
		assert.Equal(t, tt.n, n)
		assert.Equal(t, len(tt.want), size)
	}
}

func TestParseLengthForms(t *testing.T) {
	tests := []struct {
		name, in string
		n        uint64
		special  bool
		size     int
		wantErr  bool
	}{
		{"longer form than needed", "\x80\x00\x00\x00\x02", 2, false, 5, false},
		{"64-bit form of a small length", "\x81\x00\x00\x00\x00\x00\x00\x00\x02", 2, false, 9, false},
		{"int8", "\xc0", 0, true, 1, false},
		{"lzf", "\xc3", 3, true, 1, false},
		{"unknown special", "\xff", 63, true, 1, false},
		{"empty", "", 0, false, 0, true},
		{"truncated 14-bit", "\x40", 0, false, 0, true},
		{"truncated 32-bit", "\x80\x00\x00\x00", 0, false, 0, true},
		{"truncated 64-bit", "\x81\x00\x00\x00\x00\x00\x00\x00", 0, false, 0, true},
		{"unknown form", "\x82\x00\x00\x00\x02", 0, false, 0, true},
		{"unknown form 0xbf", "\xbf", 0, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, special, size, err := rdbfmt.ParseLength([]byte(tt.in))
			if tt.wantErr {
				assert.ErrorIs(t, err, rdbfmt.ErrCorrupt)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.special, special)
			assert.Equal(t, tt.size, size)
		})
	}
}

func TestAppendString(t *testing.T) {
	a21 := bytes.Repeat([]byte("a"), 21)
	tests := []struct {
		name, in string
		compress bool
		want     string
	}{
		{"int8", "-5", true, "\xc0\xfb"},
		{"int16", "300", true, "\xc1\x2c\x01"},
		{"int32", "-2147483648", true, "\xc2\x00\x00\x00\x80"},
		{"beyond int32", "2147483648", true, "\x0a2147483648"},
		{"leading zero", "01", true, "\x0201"},
		{"minus zero", "-0", true, "\x02-0"},
		{"plus", "+1", true, "\x02+1"},
		{"empty", "", true, "\x00"},
		{"20 bytes are never compressed", string(a21[:20]), true, "\x14" + string(a21[:20])},
		// Redis writes "\xc3\x06\x15\x01aa\xe0\x0a\x00": its compressor never refers back to the first byte.
		{"21 bytes compressed", string(a21), true, "\xc3\x05\x15\x00a\xe0\x0b\x00"},
		{"compression off", string(a21), false, "\x15" + string(a21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := rdbfmt.AppendString([]byte("x"), []byte(tt.in), tt.compress)
			assert.Equal(t, "x"+tt.want, string(b))
			s, size, err := rdbfmt.ParseString(append(b[1:], "rest"...))
			require.NoError(t, err)
			assert.Equal(t, tt.in, string(s))
			assert.Equal(t, len(tt.want), size)
		})
	}
}

// A string that compresses by fewer than 4 bytes is stored raw.
func TestAppendStringSavesFour(t *testing.T) {
	for n := 21; n < 200; n++ {
		s := make([]byte, n)
		for i := range s {
			s[i] = byte(i*i*7 + i) // little repetition
		}
		copy(s[n-8:], s[:8]) // one short match
		b := rdbfmt.AppendString(nil, s, true)
		if b[0] == 0xc3 {
			assert.LessOrEqual(t, len(b), n-4+1+2+2, "length %d", n)
		}
		got, _, err := rdbfmt.ParseString(b)
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
}

func TestParseStringErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // when no error
	}{
		{"raw truncated", "\x05hell", ""},
		{"huge raw length", "\x81\x7f\x00\x00\x00\x00\x00\x00\x00ab", ""},
		{"int8 truncated", "\xc0", ""},
		{"int16 truncated", "\xc1\x00", ""},
		{"int32 truncated", "\xc2\x00\x00\x00", ""},
		{"unknown encoding", "\xc4\x02\x01\x00a", ""},
		{"lzf truncated", "\xc3\x05\x01\x00a", ""},
		{"lzf shorter than claimed", "\xc3\x02\x05\x00a", ""},
		{"lzf longer than claimed", "\xc3\x04\x01\x00aXX", ""},
		{"lzf claims too much", "\xc3\x02\x81\x00\x00\x00\x10\x00\x00\x00\x00\x00a", ""},
		{"lzf bad reference", "\xc3\x02\x0a\x20\x00", ""},
		{"lzf missing lengths", "\xc3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := rdbfmt.ParseString([]byte(tt.in))
			assert.ErrorIs(t, err, rdbfmt.ErrCorrupt)
		})
	}
}

// Matches Redis 7.0.15 (checked with RESTORE): these unusual forms are accepted.
func TestParseStringLikeRedis(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"32-bit length form", "\x80\x00\x00\x00\x02ab", "ab"},
		{"64-bit length form", "\x81\x00\x00\x00\x00\x00\x00\x00\x02ab", "ab"},
		{"int32 of a small number", "\xc2\x05\x00\x00\x00", "5"},
		{"int8 negative", "\xc0\xff", "-1"},
		{"lzf of length 0 with any stream", "\xc3\x02\x00\x00a", ""},
		{"lzf of nothing", "\xc3\x00\x00", ""},
		{"lzf of one byte", "\xc3\x02\x01\x00a", "a"},
		{"lzf lengths in special form", "\xc3\xc2\xc1\x00a", "a"}, // 0xc2 reads as 2, 0xc1 as 1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, size, err := rdbfmt.ParseString([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(s))
			assert.Equal(t, len(tt.in), size)
		})
	}
}

func BenchmarkAppendStringDump(b *testing.B) {
	for _, c := range []struct {
		name string
		val  []byte
	}{
		{"int", []byte("12345")},
		{"short", []byte("hello world")},
		{"1KiB text", bytes.Repeat([]byte("the quick brown fox "), 52)},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]byte, 0, 2*len(c.val)+32)
			b.SetBytes(int64(len(c.val)))
			b.ReportAllocs()
			for b.Loop() {
				rdbfmt.AppendStringDump(dst[:0], c.val)
			}
		})
	}
}
