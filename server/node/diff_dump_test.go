package node

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// dumpValues are string values of every encoding a DUMP payload has: integers of each width and just outside,
// strings that only look like integers, short, empty, binary, compressible, incompressible and large ones.
func dumpValues() map[string]string {
	rng := rand.New(rand.NewPCG(11, 13))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	return map[string]string{
		"int8": "-5", "int16": "300", "int32": "-2147483648", "beyond int32": "2147483648",
		"int64": "9223372036854775807", "zero": "0", "leading zero": "012", "minus zero": "-0", "plus": "+1",
		"space": " 1", "empty": "", "short": "hello", "binary": string(binary), "20 bytes": strings.Repeat("a", 20),
		"21 bytes": strings.Repeat("a", 21), "text": strings.Repeat("the quick brown fox jumps over the lazy dog ", 30),
		"64 random": random(64), "16384 random": random(16384), "1MB random": random(1 << 20),
		"1MB pattern": strings.Repeat("carmine!", 1<<17), "1MB mixed": strings.Repeat(random(700)+strings.Repeat("z", 300), 1<<20/1000),
	}
}

// compressedPayload reports whether a DUMP payload of a string holds it LZF-compressed.
func compressedPayload(p []byte) bool { return len(p) > 1 && p[1] == 0xc3 }

// sealed returns body (a type byte and a value) as a DUMP payload of the given version with a correct CRC.
func sealed(body string, version uint16) string {
	return string(rdbfmt.SealDump([]byte(body), 0, version))
}

// TestDiffDump compares DUMP and RESTORE with real Redis: the payloads of values of every encoding, and
// RESTORE's options, errors and TTLs.
func TestDiffDump(t *testing.T) { ioModes(t, testDiffDump) }

func testDiffDump(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	// DUMP: byte-identical payloads, except compressed ones (another LZF compressor; see TestDumpInterop).
	for name, v := range dumpValues() {
		p.Check("SET", "v", v)
		if compressedPayload(p.Redis.Do("DUMP", "v").Str) {
			got := p.Carmine.Do("DUMP", "v").Str
			assert.True(t, compressedPayload(got), "%s: Carmine compresses where Redis does", name)
			continue
		}
		p.Check("DUMP", "v")
	}

	p.Check("SET", "hello", "hello")
	payload := string(p.Redis.Do("DUMP", "hello").Str)
	p.Check("SET", "long", strings.Repeat("abc", 100))
	compressed := string(p.Redis.Do("DUMP", "long").Str)
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	cases := [][]string{
		{"DUMP"}, {"DUMP", "a", "b"}, {"DUMP", "nokey"},
		{"RESTORE"}, {"RESTORE", "r"}, {"RESTORE", "r", "0"},
		// Options, in Redis's order of checks: options, existing key, TTL, payload.
		{"RESTORE", "r", "0", payload}, {"GET", "r"}, {"TTL", "r"}, {"RESTORE", "r", "0", payload},
		{"RESTORE", "r", "-1", payload}, {"RESTORE", "r", "0", "garbage"}, {"RESTORE", "r", "-1", "garbage", "bogus"},
		{"RESTORE", "r", "0", payload, "REPLACE"}, {"RESTORE", "r", "0", payload, "replace", "REPLACE", "absttl", "AbsTtl"},
		{"RESTORE", "n", "-1", payload}, {"RESTORE", "n", "x", payload}, {"RESTORE", "n", "1.5", payload},
		{"RESTORE", "n", "00", payload}, {"RESTORE", "n", "-0", payload}, {"RESTORE", "n", "", payload},
		{"RESTORE", "n", "99999999999999999999", payload},
		{"RESTORE", "n", "0", payload, "bogus"}, {"RESTORE", "n", "0", payload, "IDLETIME"},
		{"RESTORE", "n", "0", payload, "FREQ"}, {"RESTORE", "n", "0", payload, "IDLETIME", "-1"},
		{"RESTORE", "n", "0", payload, "IDLETIME", "x"}, {"RESTORE", "n", "0", payload, "FREQ", "256"},
		{"RESTORE", "n", "0", payload, "FREQ", "-1"}, {"RESTORE", "n", "0", payload, "FREQ", "1.5"},
		{"RESTORE", "n", "0", payload, "IDLETIME", "1", "FREQ", "1"}, {"RESTORE", "n", "0", payload, "FREQ", "1", "IDLETIME", "1"},
		{"RESTORE", "n", "0", payload, "FREQ", "1", "IDLETIME", "x"}, {"RESTORE", "n", "0", payload, "IDLETIME", "x", "FREQ", "1"},
		{"RESTORE", "n", "-1", payload, "FREQ", "300"}, {"RESTORE", "n", "0", "garbage", "IDLETIME", "-5"},
		{"EXISTS", "n"},
		{"RESTORE", "i1", "0", payload, "IDLETIME", "100"}, {"RESTORE", "i2", "0", payload, "idletime", "1", "IDLETIME", "2"},
		{"RESTORE", "i3", "0", payload, "FREQ", "0"}, {"RESTORE", "i4", "0", payload, "freq", "255", "FREQ", "3"},
		{"RESTORE", "i5", "0", payload, "IDLETIME", "9223372036854775807", "REPLACE"}, {"GET", "i5"},
		{"OBJECT", "IDLETIME", "i1"}, {"OBJECT", "IDLETIME", "i2"}, {"OBJECT", "IDLETIME", "i3"},
		// TTLs: relative, absolute, in the past (nothing is created; REPLACE deletes the old key), overflowing.
		{"RESTORE", "t1", "100000", payload}, {"TTL", "t1"}, {"RESTORE", "t2", future, payload, "ABSTTL"},
		{"PEXPIRETIME", "t2"}, {"RESTORE", "t3", "1", payload, "ABSTTL"}, {"EXISTS", "t3"},
		{"SET", "t4", "old"}, {"RESTORE", "t4", "1", payload, "ABSTTL"}, {"GET", "t4"},
		{"RESTORE", "t4", "1", payload, "ABSTTL", "REPLACE"}, {"EXISTS", "t4"},
		{"RESTORE", "t5", "9223372036854775807", payload}, {"EXISTS", "t5"},
		{"RESTORE", "t6", "0", payload, "ABSTTL"}, {"TTL", "t6"},
		{"SET", "t7", "old", "EX", "100"}, {"RESTORE", "t7", "0", payload, "REPLACE"}, {"TTL", "t7"}, {"GET", "t7"},
		{"SET", "t8", "old"}, {"RESTORE", "t8", "5000000", payload, "REPLACE"}, {"TTL", "t8"},
		// Payloads: Redis's compressed one, wrong footers, and bodies with a correct CRC but bad data.
		{"RESTORE", "c", "0", compressed}, {"GET", "c"},
		{"RESTORE", "p", "0", ""}, {"RESTORE", "p", "0", "012345678"}, {"RESTORE", "p", "0", payload[:len(payload)-1]},
		{"RESTORE", "p", "0", payload + "x"}, {"RESTORE", "p", "0", "\x00\x05hello\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"RESTORE", "p", "0", sealed("\x00\x05hello", 12)}, {"RESTORE", "p", "0", sealed("\x00\x05hello", 0xffff)},
		{"RESTORE", "p", "0", sealed("", 10)}, {"RESTORE", "p", "0", sealed("\x63\x05hello", 10)},
		{"RESTORE", "p", "0", sealed("\x08\x05hello", 10)}, {"RESTORE", "p", "0", sealed("\x00", 10)},
		{"RESTORE", "p", "0", sealed("\x00\xc4\x02\x01\x00a", 10)}, {"RESTORE", "p", "0", sealed("\x00\x82\x00\x00\x00\x02ab", 10)},
		{"RESTORE", "p", "0", sealed("\x00\x81\x7f\x00\x00\x00\x00\x00\x00\x00ab", 10)},
		{"RESTORE", "p", "0", sealed("\x00\xc3\x02\x05\x00a", 10)}, {"RESTORE", "p", "0", sealed("\x00\xc3\x04\x01\x00aXX", 10)},
		{"RESTORE", "p", "0", sealed("\x00\xc3\x02\x81\x00\x00\x00\x10\x00\x00\x00\x00\x00a", 10)},
		{"RESTORE", "p", "0", sealed("\x00\xc3\x02\x0a\x20\x00", 10)}, {"RESTORE", "p", "0", sealed("\x00\xc0", 10)},
		{"EXISTS", "p"},
		// Unusual forms Redis accepts.
		{"RESTORE", "u1", "0", sealed("\x00\x80\x00\x00\x00\x02ab", 10)}, {"GET", "u1"},
		{"RESTORE", "u2", "0", sealed("\x00\x81\x00\x00\x00\x00\x00\x00\x00\x02ab", 10)}, {"GET", "u2"},
		{"RESTORE", "u3", "0", sealed("\x00\xc2\x05\x00\x00\x00", 10)}, {"GET", "u3"}, {"APPEND", "u3", "1"},
		{"RESTORE", "u4", "0", sealed("\x00\xc3\x02\x00\x00a", 10)}, {"GET", "u4"},
		{"RESTORE", "u5", "0", sealed("\x00\xc3\xc2\xc1\x00a", 10)}, {"GET", "u5"},
		{"RESTORE", "u6", "0", sealed("\x00\x05helloXYZ", 10)}, {"GET", "u6"},
		{"RESTORE", "u7", "0", sealed("\x00\x05hello", 0)}, {"GET", "u7"},
		{"RESTORE", "u8", "0", sealed("\x00\x05hel", 10)}, {"GET", "u8"}, // the value ends inside the footer
		{"RESTORE", "u9", "0", sealed("\x00\x0ehel", 10)},
		{"DBSIZE"},
	}
	// OBJECT IDLETIME counts whole seconds, and the two servers' seconds can tick apart: compare it in tens.
	idle := func(v resp.Value) resp.Value {
		v.Int = (v.Int + 1) / 10
		return v
	}
	for _, c := range cases {
		if c[0] == "OBJECT" && c[1] == "IDLETIME" {
			p.CheckWith(idle, c...)
			continue
		}
		p.Check(c...)
	}
}

// TestDumpInterop moves every kind of string value between real Redis and Carmine with DUMP and RESTORE, both
// ways, with relative and absolute TTLs, and compares values and TTLs.
func TestDumpInterop(t *testing.T) {
	p := startPair(t, "")
	at := time.Now().Add(time.Hour).UnixMilli()
	for name, v := range dumpValues() {
		t.Run(name, func(t *testing.T) {
			for _, dir := range []struct {
				name     string
				from, to *difftest.Conn
			}{{"redis to carmine", p.Redis, p.Carmine}, {"carmine to redis", p.Carmine, p.Redis}} {
				require.Equal(t, "+OK", difftest.Format(dir.from.Do("SET", "src", v)), dir.name)
				payload := dir.from.Do("DUMP", "src")
				require.False(t, payload.Null, dir.name)

				assert.Equal(t, "+OK", difftest.Format(dir.to.Do("RESTORE", "rel", "50000", string(payload.Str), "REPLACE")), dir.name)
				assert.True(t, bytes.Equal([]byte(v), dir.to.Do("GET", "rel").Str), "%s: value", dir.name)
				pttl := dir.to.Do("PTTL", "rel").Int
				assert.True(t, pttl > 40000 && pttl <= 50000, "%s: PTTL %d", dir.name, pttl)

				abs := strconv.FormatInt(at, 10)
				assert.Equal(t, "+OK", difftest.Format(dir.to.Do("RESTORE", "abs", abs, string(payload.Str), "ABSTTL", "REPLACE")), dir.name)
				assert.Equal(t, at, dir.to.Do("PEXPIRETIME", "abs").Int, dir.name)
				assert.True(t, bytes.Equal([]byte(v), dir.to.Do("GET", "abs").Str), "%s: value", dir.name)

				// A restored value dumps again to the same payload.
				assert.True(t, bytes.Equal(payload.Str, dir.from.Do("DUMP", "src").Str), dir.name)
			}
		})
	}
}

// TestRestoreRDB11 restores string payloads of RDB version 11 (Redis 7.2), which Redis 7.0 refuses.
func TestRestoreRDB11(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	assert.Equal(t, "+OK", difftest.Format(c.Do("RESTORE", "k", "0", sealed("\x00\x05hello", 11))))
	assert.Equal(t, `"hello"`, difftest.Format(c.Do("GET", "k")))
	assert.Equal(t, "(error) ERR DUMP payload version or checksum are wrong",
		difftest.Format(c.Do("RESTORE", "k2", "0", sealed("\x00\x05hello", 12))))
	assert.Equal(t, "(error) ERR Bad data format",
		difftest.Format(c.Do("RESTORE", "k2", "0", sealed("\x14\x01\x05hello", 11))), "a 7.2 set is not supported yet")
}
