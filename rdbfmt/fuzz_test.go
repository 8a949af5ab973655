package rdbfmt_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// seedFiles adds the small RDB fixtures and hand-built files to a fuzz corpus.
func seedFiles(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.rdb")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil && len(data) < 40000 {
			f.Add(data)
		}
	}
	f.Add(rdbFile(6, entry(rdbfmt.TypeListZiplist, "zl", str(string(ziplist("a", zlInt{5, 0}, zlInt{-100, 0xfe})))),
		entry(rdbfmt.TypeHashZipmap, "zm", str("\x01\x01f\x03\x02oneXX\xff"))))
	f.Add(rdbFile(9, entry(rdbfmt.TypeStreamListpacks, "s", streamV1(nil, rdbfmt.TypeStreamListpacks))))
	f.Add(rdbFile(11, entry(rdbfmt.TypeStreamListpacks3, "s", streamV1(nil, rdbfmt.TypeStreamListpacks3)),
		entry(rdbfmt.TypeSetListpack, "sl", str(string(listpack("a", 5, "b"))))))
	f.Add(rdbFile(1, entry(rdbfmt.TypeZSet, "z", length(2), str("a"), []byte("\x031.5"), str("b"), []byte{254})))
}

// reencoded is what an entry decodes to after the Encoder wrote it: the same, with a stream's RDB 10
// metadata derived when the file had none, and without the consumers' active times (RDB 11).
func reencoded(e rdbfmt.Entry) rdbfmt.Entry {
	e.Type = 0
	if s, ok := e.Value.(*rdbfmt.Stream); ok {
		c := *s
		c.Groups = slices.Clone(c.Groups)
		for i := range c.Groups {
			c.Groups[i].Consumers = slices.Clone(c.Groups[i].Consumers)
			for j := range c.Groups[i].Consumers {
				c.Groups[i].Consumers[j].ActiveMs = -1
			}
		}
		if len(c.Entries) > 0 && c.FirstID == (rdbfmt.StreamID{}) {
			c.FirstID = c.Entries[0].ID
		}
		if len(c.Entries) > 0 && c.EntriesAdded == 0 {
			c.EntriesAdded = uint64(len(c.Entries))
		}
		e.Value = &c
	}
	e.Value = normalize(e.Value)
	return e
}

// fuzzFile turns a fuzz input into a file: as it is when its first byte is even (as "REDIS" is), else the
// rest of it between a header of the version the first byte names and a good checksum, so that mutations
// inside records are not all stopped by the checksum.
func fuzzFile(in []byte) []byte {
	if len(in) == 0 || in[0]&1 == 0 {
		return in
	}
	return rdbFile(int(in[0]>>1)%rdbfmt.MaxVersion+1, in[1:])
}

// FuzzDecoder: any input decodes without panicking, hanging or allocating far beyond its size, and whatever
// decodes encodes into a file that decodes to the same entries.
func FuzzDecoder(f *testing.F) {
	seedFiles(f)
	for _, name := range []string{"types", "listpack_big", "quicklist_plain", "lfu"} {
		if data, err := readFixture(name); err == nil && len(data) < 40000 {
			f.Add(append([]byte{byte(2*(rdbfmt.Version-1) + 1)}, data[9:len(data)-9]...)) // records only
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		in = fuzzFile(in)
		d := rdbfmt.NewDecoder(bytes.NewReader(in))
		var recs []rdbfmt.Record
		for {
			rec, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var de *rdbfmt.DecodeError
				require.ErrorAs(t, err, &de)
				require.LessOrEqual(t, de.Offset, int64(len(in)))
				return
			}
			if e, ok := rec.(*rdbfmt.Entry); ok {
				if _, mod := e.Value.(rdbfmt.Module); mod {
					continue // kept as is: not re-encoded here
				}
				recs = append(recs, e)
			}
		}
		var buf bytes.Buffer
		enc := rdbfmt.NewEncoder(&buf, rdbfmt.DefaultConfig())
		for _, r := range recs {
			require.NoError(t, enc.Entry(r.(*rdbfmt.Entry)))
		}
		require.NoError(t, enc.Close())
		d = rdbfmt.NewDecoder(&buf)
		for _, r := range recs {
			got, err := d.Next()
			if _, ok := got.(*rdbfmt.SelectDB); ok {
				got, err = d.Next()
			}
			require.NoError(t, err)
			require.Equal(t, reencoded(*r.(*rdbfmt.Entry)), reencoded(*got.(*rdbfmt.Entry)))
		}
	})
}

// FuzzDumpValue: DUMP payloads of any type decode without panicking, and what decodes makes a payload that
// decodes the same. The input is the payload without its footer, which the test adds, so that mutations are not
// all stopped by the CRC (FuzzParseDump covers the footer).
func FuzzDumpValue(f *testing.F) {
	body := func(p []byte) []byte { return p[:len(p)-10] }
	for _, rec := range richEntries() {
		if e, ok := rec.(*rdbfmt.Entry); ok {
			if p := rdbfmt.AppendDump(nil, e.Value); len(p) < 4096 {
				f.Add(body(p))
			}
		}
	}
	f.Add(cat([]byte{byte(rdbfmt.TypeListZiplist)}, str(string(ziplist("a", zlInt{5, 0})))))
	f.Add(cat([]byte{byte(rdbfmt.TypeStreamListpacks3)}, streamV1(nil, rdbfmt.TypeStreamListpacks3)))
	f.Add(cat([]byte{byte(rdbfmt.TypeHashZipmap)}, str("\x01\x01f\x03\x02oneXX\xff")))
	f.Add(cat([]byte{byte(rdbfmt.TypeZSet)}, length(2), str("a"), []byte("\x031.5"), str("b"), []byte{254}))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := rdbfmt.ParseDump(rdbfmt.SealDump(bytes.Clone(in), 0, rdbfmt.MaxVersion))
		if err != nil {
			return
		}
		v, err := d.DecodeValue()
		if err != nil {
			var de *rdbfmt.DecodeError
			require.ErrorAs(t, err, &de)
			return
		}
		if _, mod := v.(rdbfmt.Module); mod {
			return
		}
		d2, err := rdbfmt.ParseDump(rdbfmt.AppendDump(nil, v))
		require.NoError(t, err)
		v2, err := d2.DecodeValue()
		require.NoError(t, err)
		require.Equal(t, reencoded(rdbfmt.Entry{Value: v}), reencoded(rdbfmt.Entry{Value: v2}))
	})
}
