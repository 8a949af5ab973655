package rdbfmt_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

// seedStrings adds encoded strings of every form to a fuzz corpus.
func seedStrings(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "300", "-2147483648", "2147483648", "hello", "012",
		string(bytes.Repeat([]byte("a"), 21)), string(bytes.Repeat([]byte("abc"), 100)),
		string(bytes.Repeat([]byte("x"), 64))} {
		f.Add(rdbfmt.AppendString(nil, []byte(s), true))
	}
	for _, s := range []string{"\x80\x00\x00\x00\x02ab", "\x81\x00\x00\x00\x00\x00\x00\x00\x02ab", "\xc3\x02\x00\x00a",
		"\xc3\xc2\xc1\x00a", "\xc4", "\x82", "\xc3\x02\x81\x00\x00\x00\x10\x00\x00\x00\x00\x00a"} {
		f.Add([]byte(s))
	}
}

func FuzzParseLength(f *testing.F) {
	for _, n := range []uint64{0, 63, 64, 16383, 16384, 1 << 32, 1<<64 - 1} {
		f.Add(rdbfmt.AppendLength(nil, n))
	}
	f.Add([]byte("\xc3"))
	f.Add([]byte("\x82"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n, special, size, err := rdbfmt.ParseLength(in)
		if err != nil {
			return
		}
		require.LessOrEqual(t, size, len(in))
		if special {
			assert.Less(t, n, uint64(64))
			return
		}
		// Re-encoding gives the shortest form, which reads back the same.
		enc := rdbfmt.AppendLength(nil, n)
		assert.LessOrEqual(t, len(enc), size)
		m, _, _, err := rdbfmt.ParseLength(enc)
		require.NoError(t, err)
		assert.Equal(t, n, m)
	})
}

func FuzzParseString(f *testing.F) {
	seedStrings(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		s, size, err := rdbfmt.ParseString(in)
		if err != nil {
			return
		}
		require.LessOrEqual(t, size, len(in))
		// Whatever was read encodes (perhaps differently) into something that reads back the same.
		for _, compress := range []bool{false, true} {
			enc := rdbfmt.AppendString(nil, s, compress)
			got, n, err := rdbfmt.ParseString(enc)
			require.NoError(t, err)
			assert.Equal(t, len(enc), n)
			assert.True(t, bytes.Equal(s, got))
		}
	})
}

func FuzzParseDump(f *testing.F) {
	seedStrings(f)
	for _, v := range redisVectors(f) {
		if len(v.payload) < 1024 {
			f.Add(v.payload)
		}
	}
	f.Add(rdbfmt.AppendStringDump(nil, bytes.Repeat([]byte("carmine"), 10)))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := rdbfmt.ParseDump(in)
		if err != nil {
			return
		}
		s, err := d.StringValue()
		if err != nil {
			return
		}
		d2, err := rdbfmt.ParseDump(rdbfmt.AppendStringDump(nil, s))
		require.NoError(t, err)
		got, err := d2.StringValue()
		require.NoError(t, err)
		assert.True(t, bytes.Equal(s, got))
	})
}
