package rdbfmt_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

type vector struct {
	name           string
	value, payload []byte
}

// redisVectors reads testdata/dump_redis.txt: DUMP payloads of string values made by redis-server 7.0.15 (see
// testdata/README.md).
func redisVectors(t testing.TB) []vector {
	f, err := os.Open("testdata/dump_redis.txt")
	require.NoError(t, err)
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		require.Len(t, fields, 3)
		v := vector{name: fields[0]}
		kind, spec, _ := strings.Cut(fields[1], ":")
		switch kind {
		case "hex":
			v.value, err = hex.DecodeString(spec)
			require.NoError(t, err)
		case "repeat":
			unit, count, _ := strings.Cut(spec, ":")
			u, err := hex.DecodeString(unit)
			require.NoError(t, err)
			n, err := strconv.Atoi(count)
			require.NoError(t, err)
			v.value = bytes.Repeat(u, n)
		default:
			t.Fatalf("unknown value %q", fields[1])
		}
		v.payload, err = hex.DecodeString(fields[2])
		require.NoError(t, err)
		vs = append(vs, v)
	}
	require.NoError(t, sc.Err())
	return vs
}

// compressed reports whether a string payload holds an LZF-compressed value.
func compressed(payload []byte) bool { return len(payload) > 1 && payload[1] == 0xc3 }

func TestDumpRedisVectors(t *testing.T) {
	for _, v := range redisVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			d, err := rdbfmt.ParseDump(v.payload)
			require.NoError(t, err)
			assert.Equal(t, rdbfmt.TypeString, d.Type)
			assert.Equal(t, 10, d.Version)
			got, err := d.StringValue()
			require.NoError(t, err)
			assert.True(t, bytes.Equal(v.value, got), "value")

			ours := rdbfmt.AppendStringDump(nil, v.value)
			assert.Equal(t, compressed(v.payload), compressed(ours), "compressed as Redis does")
			if !compressed(v.payload) {
				assert.Equal(t, v.payload, ours, "byte-identical to Redis")
			}
			d, err = rdbfmt.ParseDump(ours)
			require.NoError(t, err)
			got, err = d.StringValue()
			require.NoError(t, err)
			assert.True(t, bytes.Equal(v.value, got), "our payload round-trips")
		})
	}
}

// A payload of Redis 7.2 (RDB 11) for a string reads as well, and one of a later version does not.
func TestDumpVersions(t *testing.T) {
	for _, tt := range []struct {
		version uint16
		wantErr error
	}{{0, nil}, {9, nil}, {10, nil}, {11, nil}, {12, rdbfmt.ErrVersion}, {0xffff, rdbfmt.ErrVersion}} {
		p := withFooter([]byte("\x00\x05hello"), tt.version)
		d, err := rdbfmt.ParseDump(p)
		if tt.wantErr != nil {
			assert.ErrorIs(t, err, tt.wantErr, "version %d", tt.version)
			continue
		}
		require.NoError(t, err, "version %d", tt.version)
		assert.Equal(t, int(tt.version), d.Version)
		s, err := d.StringValue()
		require.NoError(t, err)
		assert.Equal(t, "hello", string(s))
	}
}

// withFooter seals body as a DUMP payload of the given version.
func withFooter(body []byte, version uint16) []byte {
	return rdbfmt.SealDump(bytes.Clone(body), 0, version)
}

func TestParseDumpErrors(t *testing.T) {
	good := withFooter([]byte("\x00\x05hello"), 10)
	zeroCRC := append(bytes.Clone(good[:len(good)-8]), make([]byte, 8)...)
	flipped := bytes.Clone(good)
	flipped[3] ^= 1
	tests := []struct {
		name    string
		payload []byte
		wantErr error
	}{
		{"empty", nil, rdbfmt.ErrChecksum},
		{"shorter than a footer", good[:9], rdbfmt.ErrChecksum},
		{"zero CRC", zeroCRC, rdbfmt.ErrChecksum},
		{"flipped bit", flipped, rdbfmt.ErrChecksum},
		{"only a footer", withFooter(nil, 10), rdbfmt.ErrCorrupt},
		{"unknown type", withFooter([]byte("\x63\x05hello"), 10), rdbfmt.ErrCorrupt},
		{"type 8", withFooter([]byte("\x08\x05hello"), 10), rdbfmt.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rdbfmt.ParseDump(tt.payload)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestStringValue(t *testing.T) {
	tests := []struct {
		name, body string
		want       string
		wantErr    error
	}{
		{"raw", "\x00\x05hello", "hello", nil},
		{"bytes after the value are ignored", "\x00\x05helloXYZ", "hello", nil},
		{"string into the footer", "\x00\x05hel", "hel\x0a\x00", nil},
		{"string past the footer", "\x00\x0ehel", "", rdbfmt.ErrCorrupt},
		{"list", "\x01\x05hello", "", rdbfmt.ErrUnsupportedType},
		{"quicklist2", "\x12\x01\x02\x0bhello", "", rdbfmt.ErrUnsupportedType},
		{"set listpack (7.2)", "\x14\x05hello", "", rdbfmt.ErrUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := rdbfmt.ParseDump(withFooter([]byte(tt.body), 10))
			require.NoError(t, err)
			s, err := d.StringValue()
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(s))
		})
	}
}
