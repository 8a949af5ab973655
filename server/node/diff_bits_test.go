package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffBits runs the bitmap commands with valid and invalid arguments against real Redis and Carmine and
// compares every reply, then a seeded random sequence over a few keys, comparing the values byte for byte.
func TestDiffBits(t *testing.T) { ioModes(t, testDiffBits) }

func testDiffBits(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, c := range [][]string{
		{"SET", "s", "foobar"}, {"LPUSH", "l", "a"}, {"SET", "i", "12345"}, {"SET", "e", ""},
		// SETBIT / GETBIT
		{"SETBIT", "b", "7", "1"}, {"GET", "b"}, {"OBJECT", "ENCODING", "b"}, {"SETBIT", "b", "7", "1"}, {"SETBIT", "b", "7", "0"},
		{"SETBIT", "b", "100", "1"}, {"STRLEN", "b"}, {"GET", "b"}, {"GETBIT", "b", "100"}, {"GETBIT", "b", "101"},
		{"GETBIT", "b", "100000"}, {"GETBIT", "nokey", "0"}, {"GETBIT", "l", "0"}, {"GETBIT", "b", "-1"}, {"GETBIT", "b", "x"},
		{"GETBIT", "i", "2"}, {"GETBIT", "i", "3"}, {"GETBIT", "l", "x"}, {"GETBIT", "b", "4294967295"}, {"GETBIT", "b", "4294967296"},
		{"SETBIT", "b", "1", "2"}, {"SETBIT", "b", "1", "-1"}, {"SETBIT", "b", "1", "x"}, {"SETBIT", "b", "-1", "1"},
		{"SETBIT", "b", "x", "1"}, {"SETBIT", "b", "4294967296", "1"}, {"SETBIT", "l", "1", "1"}, {"SETBIT", "l", "1", "2"},
		{"SETBIT", "b", "+1", "1"}, {"SETBIT", "b", "01", "1"}, {"SETBIT", "b", "1", "01"},
		{"SET", "emb", "abc"}, {"SETBIT", "emb", "1", "1"}, {"OBJECT", "ENCODING", "emb"}, {"GET", "emb"},
		{"SET", "emb2", "abc"}, {"SETBIT", "emb2", "100", "0"}, {"OBJECT", "ENCODING", "emb2"}, {"GET", "emb2"},
		{"SET", "int", "7"}, {"SETBIT", "int", "0", "1"}, {"GET", "int"}, {"OBJECT", "ENCODING", "int"},
		{"SET", "ttl", "x", "EX", "100"}, {"SETBIT", "ttl", "100", "1"}, {"TTL", "ttl"},
		// BITCOUNT
		{"BITCOUNT", "s"}, {"BITCOUNT", "s", "0", "0"}, {"BITCOUNT", "s", "1", "1"}, {"BITCOUNT", "s", "1", "-1"},
		{"BITCOUNT", "s", "-2", "-1"}, {"BITCOUNT", "s", "-1", "-2"}, {"BITCOUNT", "s", "-100", "100"}, {"BITCOUNT", "s", "5", "30", "BIT"},
		{"BITCOUNT", "s", "0", "-1", "bit"}, {"BITCOUNT", "s", "0", "-1", "BYTE"}, {"BITCOUNT", "s", "3", "3", "BIT"},
		{"BITCOUNT", "s", "-3", "-1", "BIT"}, {"BITCOUNT", "s", "-1", "-3", "BIT"}, {"BITCOUNT", "s", "100", "200"},
		{"BITCOUNT", "s", "0"}, {"BITCOUNT", "s", "0", "1", "foo"}, {"BITCOUNT", "s", "x", "1"}, {"BITCOUNT", "s", "0", "y"},
		{"BITCOUNT", "s", "0", "1", "BIT", "x"}, {"BITCOUNT", "nokey"}, {"BITCOUNT", "nokey", "0", "x"}, {"BITCOUNT", "nokey", "0"},
		{"BITCOUNT", "l"}, {"BITCOUNT", "l", "0", "x"}, {"BITCOUNT", "i"}, {"BITCOUNT", "i", "1", "2", "BIT"}, {"BITCOUNT", "e"},
		{"BITCOUNT", "e", "0", "-1"}, {"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807"},
		{"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"},
		// BITPOS
		{"SET", "z", "\xff\xf0\x00"}, {"SET", "ones", "\xff\xff\xff"}, {"SET", "zeros", "\x00\x00\x00"},
		{"BITPOS", "z", "0"}, {"BITPOS", "z", "1"}, {"BITPOS", "z", "0", "2"}, {"BITPOS", "z", "1", "2"}, {"BITPOS", "z", "0", "0", "0"},
		{"BITPOS", "z", "1", "1", "-1"}, {"BITPOS", "z", "0", "0", "-1", "BIT"}, {"BITPOS", "z", "0", "3", "13", "BIT"},
		{"BITPOS", "z", "1", "3", "13", "bit"}, {"BITPOS", "z", "1", "9", "11", "BIT"}, {"BITPOS", "z", "0", "9", "11", "BIT"},
		{"BITPOS", "z", "1", "0", "-1", "BYTE"}, {"BITPOS", "ones", "0"}, {"BITPOS", "ones", "0", "1"}, {"BITPOS", "ones", "0", "1", "-1"},
		{"BITPOS", "ones", "0", "5", "-1", "BIT"}, {"BITPOS", "ones", "1", "5", "-1", "BIT"}, {"BITPOS", "zeros", "1"},
		{"BITPOS", "zeros", "0"}, {"BITPOS", "zeros", "1", "0", "-1"}, {"BITPOS", "zeros", "0", "-1"}, {"BITPOS", "e", "0"},
		{"BITPOS", "e", "1"}, {"BITPOS", "e", "0", "0"}, {"BITPOS", "nokey", "0"}, {"BITPOS", "nokey", "1"}, {"BITPOS", "nokey", "1", "x"},
		{"BITPOS", "nokey", "2"}, {"BITPOS", "s", "2"}, {"BITPOS", "s", "x"}, {"BITPOS", "s", "-1"}, {"BITPOS", "l", "1"}, {"BITPOS", "l", "2"},
		{"BITPOS", "l", "1", "x"}, {"BITPOS", "s", "1", "x"}, {"BITPOS", "s", "1", "0", "y"}, {"BITPOS", "s", "1", "0", "1", "foo"},
		{"BITPOS", "s", "1", "0", "1", "BIT", "x"}, {"BITPOS", "s", "1", "5", "2"}, {"BITPOS", "s", "0", "-1", "-2"},
		{"BITPOS", "s", "1", "-100", "100"}, {"BITPOS", "i", "1"}, {"BITPOS", "i", "0", "2", "-1", "BIT"},
		{"BITPOS", "ones", "0", "-9223372036854775808", "9223372036854775807", "BIT"},
		// BITOP
		{"SET", "k1", "foobar"}, {"SET", "k2", "abcdef"}, {"SET", "k3", "xy"},
		{"BITOP", "AND", "d", "k1", "k2"}, {"GET", "d"}, {"OBJECT", "ENCODING", "d"}, {"BITOP", "or", "d", "k1", "k3"}, {"GET", "d"},
		{"BITOP", "XOR", "d", "k1", "k2", "k3"}, {"GET", "d"}, {"BITOP", "AND", "d", "k1", "k3"}, {"GET", "d"},
		{"BITOP", "AND", "d", "k1", "nokey"}, {"GET", "d"}, {"BITOP", "OR", "d", "nokey", "k3"}, {"GET", "d"},
		{"BITOP", "NOT", "d", "k1"}, {"GET", "d"}, {"BITOP", "NOT", "d", "k1", "k2"}, {"BITOP", "NOT", "d", "nokey"}, {"EXISTS", "d"},
		{"SET", "d", "x"}, {"BITOP", "AND", "d", "nokey", "nokey2"}, {"EXISTS", "d"}, {"BITOP", "foo", "d", "k1"},
		{"BITOP", "AND", "d", "k1", "l"}, {"BITOP", "AND", "l", "k1"}, {"TYPE", "l"}, {"BITOP", "OR", "d", "i", "k3"}, {"GET", "d"},
		{"BITOP", "OR", "d", "e"}, {"EXISTS", "d"}, {"SET", "d", "v", "EX", "100"}, {"BITOP", "OR", "d", "k1"}, {"TTL", "d"},
		{"BITOP", "AND", "k1", "k1", "k2"}, {"GET", "k1"}, {"BITOP", "AND"}, {"BITOP", "AND", "d"},
		// BITFIELD
		{"BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0", "GET", "u4", "4", "GET", "i4", "#1"},
		{"GET", "bf"}, {"OBJECT", "ENCODING", "bf"},
		{"BITFIELD", "bf", "INCRBY", "u8", "0", "1", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-10", "INCRBY", "u8", "0", "300"},
		{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "0", "-1", "SET", "u8", "0", "256", "SET", "u8", "0", "-1"},
		{"BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "u8", "0", "256", "SET", "u8", "0", "-1", "SET", "i8", "0", "128", "SET", "i8", "0", "-129"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "256", "SET", "u8", "0", "-1", "SET", "i8", "0", "128", "SET", "i8", "0", "-129"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-300"},
		{"BITFIELD", "bf", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-300"},
		{"BITFIELD", "bf", "SET", "i64", "3", "-9223372036854775808", "INCRBY", "i64", "3", "-1", "GET", "i64", "3", "GET", "u63", "3"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "3", "-1", "INCRBY", "i64", "3", "9223372036854775807", "INCRBY", "i64", "3", "9223372036854775807"},
		{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i64", "3", "9223372036854775807", "GET", "i64", "3"},
		{"BITFIELD", "bf", "SET", "u63", "1", "9223372036854775807", "INCRBY", "u63", "1", "1", "GET", "u63", "1", "GET", "u1", "0"},
		{"BITFIELD", "bf", "SET", "i1", "5", "1", "GET", "i1", "5", "INCRBY", "i1", "5", "1", "OVERFLOW", "SAT", "INCRBY", "i1", "5", "-5"},
		{"GET", "bf"}, {"BITFIELD", "bf", "SET", "u16", "#3", "4660", "GET", "u16", "#3", "GET", "u8", "#7"}, {"GET", "bf"},
		{"BITFIELD", "bf", "GET", "i5", "100000"}, {"BITFIELD", "nokey", "GET", "u8", "0"}, {"EXISTS", "nokey"},
		{"BITFIELD", "bfnew", "OVERFLOW", "FAIL", "SET", "u2", "10", "5"}, {"GET", "bfnew"}, {"EXISTS", "bfnew"},
		{"BITFIELD", "bf"}, {"BITFIELD", "nokey"}, {"BITFIELD", "l"}, {"BITFIELD", "l", "GET", "u8", "0"}, {"BITFIELD", "l", "SET", "u8", "0", "1"},
		{"BITFIELD", "i", "GET", "u8", "0", "GET", "u16", "8"}, {"BITFIELD", "i", "SET", "u8", "0", "65"}, {"GET", "i"}, {"OBJECT", "ENCODING", "i"},
		{"BITFIELD", "s", "GET", "u64", "0"}, {"BITFIELD", "s", "GET", "i65", "0"}, {"BITFIELD", "s", "GET", "u0", "0"},
		{"BITFIELD", "s", "GET", "U8", "0"}, {"BITFIELD", "s", "GET", "x8", "0"}, {"BITFIELD", "s", "GET", "u", "0"}, {"BITFIELD", "s", "GET", "", "0"},
		{"BITFIELD", "s", "GET", "u8"}, {"BITFIELD", "s", "foo"}, {"BITFIELD", "s", "GET", "u8", "0", "foo"}, {"BITFIELD", "s", "OVERFLOW"},
		{"BITFIELD", "s", "OVERFLOW", "foo", "GET", "u8", "0"}, {"BITFIELD", "s", "OVERFLOW", "sat"}, {"BITFIELD", "s", "GET", "u8", "#-1"},
		{"BITFIELD", "s", "GET", "u8", "#536870912"}, {"BITFIELD", "s", "GET", "u8", "#"}, {"BITFIELD", "s", "GET", "u8", "-1"},
		{"BITFIELD", "s", "GET", "u8", "x"}, {"BITFIELD", "s", "SET", "u8", "0", "x"}, {"BITFIELD", "s", "SET", "u8", "0"},
		{"BITFIELD", "s", "INCRBY", "u8", "0"}, {"BITFIELD", "s", "SET", "i8", "#x", "1"}, {"BITFIELD", "s", "GET", "u8", "4294967296"},
		{"BITFIELD", "s", "GET", "i8", "#1152921504606846976"}, {"BITFIELD", "s", "GET", "u8", "+1"}, {"BITFIELD", "l", "GET", "u8", "x"},
		{"BITFIELD_RO", "s", "GET", "u8", "0", "GET", "i16", "#1"}, {"BITFIELD_RO", "s", "SET", "u8", "0", "1"}, {"BITFIELD_RO", "l", "GET", "u8", "0"},
		{"BITFIELD_RO", "l", "SET", "u8", "0", "1"}, {"BITFIELD_RO", "s"}, {"BITFIELD_RO", "s", "OVERFLOW", "FAIL"}, {"BITFIELD_RO", "nokey", "GET", "u8", "0"},
		{"BITFIELD_RO", "s", "INCRBY", "u8", "0", "x"}, {"BITFIELD_RO", "s", "GET", "u64", "0"},
		// SETRANGE and APPEND change strings in place too
		{"SET", "r", "hello"}, {"SETRANGE", "r", "10", "x"}, {"GET", "r"}, {"OBJECT", "ENCODING", "r"}, {"APPEND", "r", "yz"}, {"GET", "r"},
		{"SET", "n", "10"}, {"APPEND", "n", "1"}, {"OBJECT", "ENCODING", "n"}, {"SETRANGE", "n", "0", ""}, {"OBJECT", "ENCODING", "n"},
		{"SET", "m", "abc"}, {"SETRANGE", "m", "0", ""}, {"OBJECT", "ENCODING", "m"}, {"SETRANGE", "m", "0", "z"}, {"OBJECT", "ENCODING", "m"},
		{"APPEND", "newa", "123"}, {"OBJECT", "ENCODING", "newa"}, {"SETRANGE", "newr", "2", "ab"}, {"GET", "newr"}, {"OBJECT", "ENCODING", "newr"},
		{"SETRANGE", "newr2", "5", ""}, {"EXISTS", "newr2"}, {"SETRANGE", "r", "536870911", "x"}, {"SETRANGE", "r", "536870912", "x"},
		{"SETRANGE", "r", "-1", "x"},
	} {
		p.Check(c...)
	}
	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{
			{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "GET", "u8", "0"}, {"BITFIELD", "nokey"},
			{"BITFIELD_RO", "nokey", "GET", "u8", "0"}, {"BITPOS", "nokey", "1"}, {"BITCOUNT", "nokey"}, {"GETBIT", "nokey", "1"},
		} {
			p.Check(c...)
		}
	}

	// A seeded random sequence over a few keys, one of them not a string.
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"r1", "r2", "r3", "rl"}
	p.Check("RPUSH", "rl", "x")
	key := func() string { return keys[rng.IntN(len(keys))] }
	off := func() string {
		if rng.IntN(10) == 0 {
			return strconv.Itoa(rng.IntN(5000))
		}
		return strconv.Itoa(rng.IntN(200))
	}
	idx := func() string { return strconv.Itoa(rng.IntN(60) - 30) }
	unit := func() []string { return [][]string{nil, {"BYTE"}, {"BIT"}, {"bit"}}[rng.IntN(4)] }
	typ := func() string {
		if rng.IntN(2) == 0 {
			return "i" + strconv.Itoa(1+rng.IntN(64))
		}
		return "u" + strconv.Itoa(1+rng.IntN(63))
	}
	num := func() string {
		switch rng.IntN(4) {
		case 0:
			return strconv.FormatInt(rng.Int64(), 10)
		case 1:
			return strconv.FormatInt(-rng.Int64(), 10)
		}
		return strconv.Itoa(rng.IntN(600) - 300)
	}
	for i := 0; i < 3000; i++ {
		var c []string
		switch rng.IntN(12) {
		case 0, 1:
			c = []string{"SETBIT", key(), off(), strconv.Itoa(rng.IntN(2))}
		case 2:
			c = []string{"GETBIT", key(), off()}
		case 3:
			c = []string{"BITCOUNT", key()}
			if rng.IntN(3) > 0 {
				c = append(append(c, idx(), idx()), unit()...)
			}
		case 4:
			c = []string{"BITPOS", key(), strconv.Itoa(rng.IntN(2))}
			switch rng.IntN(4) {
			case 1:
				c = append(c, idx())
			case 2:
				c = append(c, idx(), idx())
			case 3:
				c = append(append(c, idx(), idx()), unit()...)
			}
		case 5:
			op := []string{"AND", "OR", "XOR", "NOT"}[rng.IntN(4)]
			c = []string{"BITOP", op, key(), key()}
			if op != "NOT" {
				for n := rng.IntN(3); n > 0; n-- {
					c = append(c, key())
				}
			}
		case 6, 7:
			c = []string{"BITFIELD", key()}
			if rng.IntN(5) == 0 {
				c[0] = "BITFIELD_RO"
			}
			for n := 1 + rng.IntN(4); n > 0; n-- {
				switch rng.IntN(4) {
				case 0:
					c = append(c, "GET", typ(), off())
				case 1:
					c = append(c, "SET", typ(), off(), num())
				case 2:
					c = append(c, "INCRBY", typ(), off(), num())
				case 3:
					c = append(c, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[rng.IntN(3)])
				}
			}
		case 8:
			c = []string{"SETRANGE", key(), off(), fmt.Sprint(rng.IntN(1000))}
		case 9:
			c = []string{"APPEND", key(), string(rune('a' + rng.IntN(26)))}
		case 10:
			c = []string{"SET", key(), []string{"", "1", "foobar", "\xff\x00\x0f"}[rng.IntN(4)]}
		case 11:
			c = []string{"DEL", key()}
		}
		if !p.Check(c...) {
			t.FailNow()
		}
		k := c[1]
		if c[0] == "BITOP" {
			k = c[2]
		}
		p.Check("GET", k)
		if k != "rl" { // small lists are listpacks in Redis 7.2, quicklists in 7.0
			p.Check("OBJECT", "ENCODING", k)
		}
	}
}

// TestDiffBitsMaxBulkLen checks that bit offsets and grown strings are bounded by proto-max-bulk-len.
func TestDiffBitsMaxBulkLen(t *testing.T) {
	redis := difftest.StartRedis(t, "--proto-max-bulk-len", "1mb")
	_, addr := startServer(t, func(c *Config) { c.ProtoMaxBulkLen = 1 << 20 })
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"SETBIT", "pm", "8388608", "1"}, {"SETBIT", "pm", "8388607", "1"}, {"STRLEN", "pm"}, {"GETBIT", "pm", "8388608"},
		{"GETBIT", "pm", "8388607"}, {"BITFIELD", "pm", "GET", "u8", "#1048576"}, {"BITFIELD", "pm", "GET", "u8", "#1048575"},
		{"BITFIELD", "pm", "SET", "u8", "8388607", "1"}, {"STRLEN", "pm"}, {"SETRANGE", "pm", "1048575", "x"},
		{"SETRANGE", "pm", "1048576", "x"}, {"APPEND", "pm", "x"}, {"STRLEN", "pm"}, {"SETRANGE", "pm2", "1048575", "x"},
		{"SETRANGE", "pm3", "1048576", "x"}, {"EXISTS", "pm3"},
	} {
		p.Check(c...)
	}
}

// TestDiffBitsEffects compares what the bitmap, HyperLogLog, APPEND and SETRANGE commands do to others with real
// Redis: the keyspace events they raise, the WATCHes they break (PFCOUNT's cache update breaks one without an
// event) and their replies inside MULTI/EXEC.
func TestDiffBitsEffects(t *testing.T) { ioModes(t, testDiffBitsEffects) }

func testDiffBitsEffects(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		ev := difftest.NewEvents(t, a, "__key*__:*")
		log, c, c2, drain := &ev.Log, ev.C, difftest.Dial(t, a), ev.Drain
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
		for _, cmd := range [][]string{
			{"SETBIT", "b", "3", "1"}, {"SETBIT", "b", "3", "1"}, {"SETBIT", "b", "x", "1"}, {"GETBIT", "b", "3"}, {"BITCOUNT", "b"},
			{"BITFIELD", "b", "SET", "u8", "0", "7", "GET", "u8", "0"}, {"BITFIELD", "b", "GET", "u8", "0"},
			{"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"}, {"BITFIELD", "nb", "OVERFLOW", "FAIL", "SET", "u2", "0", "9"},
			{"BITOP", "OR", "d", "b", "nb"}, {"BITOP", "AND", "d", "nokey"}, {"BITOP", "AND", "d", "nokey"},
			{"APPEND", "s", "a"}, {"APPEND", "s", "b"}, {"SETRANGE", "s", "5", "x"}, {"SETRANGE", "s", "1", ""},
			{"PFADD", "h", "a"}, {"PFADD", "h", "a"}, {"PFADD", "h"}, {"PFCOUNT", "h"}, {"PFMERGE", "h2", "h"}, {"PFMERGE", "h3"},
			{"MULTI"}, {"SETBIT", "m", "1", "1"}, {"PFADD", "mh", "x"}, {"BITCOUNT", "m"}, {"PFCOUNT", "mh", "h"}, {"EXEC"},
		} {
			log.WriteString(strings.Join(cmd, " ") + ": " + difftest.Format(c.Do(cmd...)) + "\n")
			if inMulti := cmd[0] == "MULTI" || (strings.Contains(log.String(), "QUEUED") && cmd[0] != "EXEC"); !inMulti {
				drain(cmd[0])
			}
		}
		attempt := func(key string, change ...string) {
			log.WriteString("WATCH " + key + " then " + strings.Join(change, " ") + ": ")
			c.Do("WATCH", key)
			c2.Do(change...)
			c.Do("MULTI")
			c.Do("PING")
			log.WriteString(difftest.Format(c.Do("EXEC")) + "\n")
		}
		attempt("b", "SETBIT", "b", "100", "0")
		attempt("b", "GETBIT", "b", "100")
		attempt("b", "BITFIELD", "b", "GET", "u8", "0")
		attempt("b", "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000")
		attempt("d", "BITOP", "NOT", "d", "b")
		attempt("s", "APPEND", "s", "z")
		attempt("h", "PFADD", "h", "a")
		attempt("h", "PFADD", "h", "new")
		attempt("h", "PFCOUNT", "h")
		attempt("h", "PFCOUNT", "h")
		attempt("h", "PFMERGE", "h", "h2")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
