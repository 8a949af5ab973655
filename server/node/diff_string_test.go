package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDiffStrings runs the string commands, with valid and invalid arguments, against real Redis and Carmine
// and compares every reply, then a seeded random sequence over a few keys.
// TODO: WRONGTYPE cases once another value type exists.
func TestDiffStrings(t *testing.T) { ioModes(t, testDiffStrings) }

func testDiffStrings(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	at := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	atMs := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	big := strings.Repeat("a", 20000)
	cases := [][]string{
		// GET, SET and its options.
		{"GET"}, {"GET", "a", "b"}, {"GET", "s"}, {"SET", "s"}, {"SET", "s", "v"}, {"GET", "s"}, {"get", "s"},
		{"SET", "s", "v2", "GET"}, {"SET", "s", "v3", "get"}, {"SET", "n", "v", "GET"}, {"GET", "n"},
		{"SET", "s", "x", "NX"}, {"SET", "s", "x", "nx", "GET"}, {"SET", "s", "x", "GET", "NX"}, {"SET", "new", "x", "NX", "GET"},
		{"SET", "s", "y", "XX"}, {"SET", "nope", "y", "XX"}, {"SET", "nope", "y", "XX", "GET"}, {"GET", "nope"},
		{"SET", "s", "v", "NX", "XX"}, {"SET", "s", "v", "XX", "NX"}, {"SET", "s", "v", "NX", "NX"}, {"SET", "s", "v", "XX", "xx"},
		{"SET", "s", "v", "EX"}, {"SET", "s", "v", "EX", "0"}, {"SET", "s", "v", "EX", "-1"}, {"SET", "s", "v", "EX", "abc"},
		{"SET", "s", "v", "EX", "9999999999999999"}, {"SET", "s", "v", "EX", "9223372036854775"},
		{"SET", "s", "v", "PX", "9223372036854775807"}, {"SET", "s", "v", "EX", "1.5"}, {"SET", "s", "v", "EX", " 1"},
		{"SET", "s", "v", "EX", "01"}, {"SET", "s", "v", "PX", "0"}, {"SET", "s", "v", "PXAT", "0"}, {"SET", "s", "v", "EXAT", "-5"},
		{"SET", "s", "v", "EX", "10", "PX", "10"}, {"SET", "s", "v", "PX", "10", "EXAT", "10"}, {"SET", "s", "v", "KEEPTTL", "EX", "1"},
		{"SET", "s", "v", "EX", "1", "KEEPTTL"}, {"SET", "s", "v", "PERSIST"}, {"SET", "s", "v", "bogus"}, {"SET", "s", "v", "GET", "EX"},
		{"SET", "s", "v", "EX", "100", "EX", "2000"}, {"TTL", "s"}, {"SET", "s", "v", "KEEPTTL"}, {"TTL", "s"},
		{"SET", "s", "v", "keepttl", "GET", "xx"}, {"TTL", "s"}, {"SET", "s", "v"}, {"TTL", "s"},
		{"SET", "s", "v", "PX", "3000000"}, {"TTL", "s"}, {"SET", "s", "v", "EXAT", at}, {"EXPIRETIME", "s"},
		{"SET", "s", "v", "PXAT", atMs}, {"PEXPIRETIME", "s"}, {"SET", "s", "v", "PXAT", "9223372036854775807"},
		{"PEXPIRETIME", "s"}, {"SET", "s", "v", "EXAT", "9223372036854775"}, {"SET", "s", "v", "EXAT", "9223372036854776"},
		{"SET", "s", "v", "EXAT", "1"}, {"GET", "s"}, {"SET", "s", "v", "PXAT", "1", "GET"}, {"SET", "s", "v", "PXAT", "1", "GET"},
		{"SET", "s", "v", "NX", "EXAT", "2"}, {"EXISTS", "s"}, {"SET", "i", "12345"}, {"GET", "i"}, {"SET", "e", ""}, {"GET", "e"},
		{"SET", "i", "-0"}, {"GET", "i"}, {"SET", "b", big}, {"STRLEN", "b"}, {"SET", "bin", "a\x00b\r\n"}, {"GET", "bin"},
		// SETNX, SETEX, PSETEX.
		{"SETNX"}, {"SETNX", "a"}, {"SETNX", "a", "1"}, {"SETNX", "a", "2"}, {"GET", "a"}, {"SETNX", "a", "1", "2"},
		{"SETEX", "a", "100"}, {"SETEX", "a", "0", "v"}, {"SETEX", "a", "-1", "v"}, {"SETEX", "a", "x", "v"},
		{"SETEX", "a", "9999999999999999", "v"}, {"SETEX", "a", "1000", "v"}, {"TTL", "a"}, {"GET", "a"},
		{"PSETEX", "a", "0", "v"}, {"PSETEX", "a", "-5", "v"}, {"PSETEX", "a", "2000000", "w"}, {"TTL", "a"}, {"GET", "a"},
		{"PSETEX", "a", "9223372036854775807", "w"}, {"setex", "a", "1000", "v", "x"},
		// GETDEL, GETEX, GETSET.
		{"GETDEL"}, {"GETDEL", "a", "b"}, {"GETDEL", "a"}, {"GETDEL", "a"}, {"EXISTS", "a"},
		{"GETEX"}, {"GETEX", "g"}, {"GETEX", "g", "EX", "abc"}, {"GETEX", "g", "bogus"}, {"SET", "g", "v"},
		{"GETEX", "g"}, {"GETEX", "g", "EX", "abc"}, {"GETEX", "g", "EX", "0"}, {"GETEX", "g", "EX", "-1"},
		{"GETEX", "g", "EX"}, {"GETEX", "g", "KEEPTTL"}, {"GETEX", "g", "NX"}, {"GETEX", "g", "GET"},
		{"GETEX", "g", "EX", "1000"}, {"TTL", "g"}, {"GETEX", "g", "PERSIST"}, {"TTL", "g"}, {"GETEX", "g", "PX", "2000000"},
		{"TTL", "g"}, {"GETEX", "g", "persist", "PERSIST"}, {"TTL", "g"}, {"GETEX", "g", "EX", "10", "EX", "1000"}, {"TTL", "g"},
		{"GETEX", "g", "EX", "10", "PX", "10"}, {"GETEX", "g", "PERSIST", "EX", "10"}, {"GETEX", "g", "EX", "10", "PERSIST"},
		{"GETEX", "g", "EXAT", at}, {"EXPIRETIME", "g"}, {"GETEX", "g", "PXAT", atMs}, {"PEXPIRETIME", "g"},
		{"GETEX", "g", "EX", "9999999999999999"}, {"GETEX", "g", "EX", "9223372036854775"}, {"GETEX", "g", "PXAT", "9223372036854775807"},
		{"PEXPIRETIME", "g"}, {"GETEX", "g", "EXAT", "1"}, {"EXISTS", "g"}, {"GETEX", "g"},
		{"SET", "g", "v"}, {"GETEX", "g", "PXAT", "1"}, {"GET", "g"},
		{"GETSET"}, {"GETSET", "gs"}, {"GETSET", "gs", "1"}, {"GETSET", "gs", "2"}, {"GET", "gs"}, {"GETSET", "gs", "3", "4"},
		{"SET", "gs", "v", "EX", "1000"}, {"GETSET", "gs", "w"}, {"TTL", "gs"},
		// MGET, MSET, MSETNX.
		{"MGET"}, {"MGET", "nokey"}, {"MGET", "gs", "nokey", "s", "gs", "i"}, {"MSET"}, {"MSET", "m1"}, {"MSET", "m1", "1", "m2"},
		{"MSET", "m1", "1", "m2", "2"}, {"MGET", "m1", "m2"}, {"MSET", "m1", "x", "m1", "y"}, {"GET", "m1"},
		{"MSETNX"}, {"MSETNX", "m1"}, {"MSETNX", "m1", "1", "m3"}, {"MSETNX", "m3", "3", "m1", "z"}, {"MGET", "m1", "m3"},
		{"MSETNX", "m3", "a", "m4", "b"}, {"MSETNX", "m4", "a", "m5", "b"}, {"MSETNX", "m6", "a", "m6", "b"}, {"MGET", "m4", "m5", "m6"},
		{"SET", "m1", "v", "EX", "1000"}, {"MSET", "m1", "w"}, {"TTL", "m1"},
		// STRLEN, APPEND.
		{"STRLEN"}, {"STRLEN", "nokey"}, {"STRLEN", "m1"}, {"STRLEN", "i"}, {"STRLEN", "e"}, {"STRLEN", "a", "b"},
		{"APPEND"}, {"APPEND", "ap"}, {"APPEND", "ap", "12"}, {"APPEND", "ap", "34"}, {"GET", "ap"}, {"APPEND", "ap", ""},
		{"INCR", "ap"}, {"APPEND", "ap", "x"}, {"GET", "ap"}, {"SET", "ap", "v", "EX", "1000"}, {"APPEND", "ap", "w"}, {"TTL", "ap"},
		{"APPEND", "ap2", ""}, {"EXISTS", "ap2"},
		// INCR, DECR, INCRBY, DECRBY.
		{"INCR"}, {"INCR", "c"}, {"INCR", "c"}, {"DECR", "c"}, {"DECR", "c"}, {"DECR", "c"}, {"INCRBY", "c", "10"},
		{"INCRBY", "c", "-20"}, {"DECRBY", "c", "5"}, {"DECRBY", "c", "-5"}, {"INCRBY", "c", "x"}, {"INCRBY", "c", "1.5"},
		{"INCRBY", "c", "+1"}, {"INCRBY", "c", "01"}, {"INCRBY", "c", " 1"}, {"INCRBY", "c"}, {"INCR", "c", "1"},
		{"DECRBY", "c", "-9223372036854775808"}, {"DECRBY", "c", "9223372036854775807"}, {"DECRBY", "c", "10"},
		{"INCRBY", "c", "-9223372036854775808"}, {"INCRBY", "c", "9223372036854775808"}, {"SET", "c", "9223372036854775807"},
		{"INCR", "c"}, {"SET", "c", "-9223372036854775808"}, {"DECR", "c"}, {"INCRBY", "c", "-1"}, {"SET", "c", "abc"},
		{"INCR", "c"}, {"SET", "c", " 1"}, {"INCR", "c"}, {"SET", "c", "1.0"}, {"INCR", "c"}, {"SET", "c", ""}, {"INCR", "c"},
		{"SET", "c", "5", "EX", "1000"}, {"INCR", "c"}, {"TTL", "c"}, {"INCRBY", "x1", "x"}, {"EXISTS", "x1"},
		// INCRBYFLOAT.
		{"INCRBYFLOAT"}, {"INCRBYFLOAT", "f"}, {"INCRBYFLOAT", "f", "0.1"}, {"INCRBYFLOAT", "f", "0.1"}, {"INCRBYFLOAT", "f", "0.1"},
		{"INCRBYFLOAT", "f", "1e3"}, {"INCRBYFLOAT", "f", "5.0e3"}, {"INCRBYFLOAT", "f", "-5.0E3"}, {"INCRBYFLOAT", "f", "0x10"},
		{"INCRBYFLOAT", "f", "0x1p3"}, {"INCRBYFLOAT", "f", "0X.8P-1"}, {"INCRBYFLOAT", "f", "1.5e-20"}, {"INCRBYFLOAT", "f", "inf"},
		{"INCRBYFLOAT", "f", "-Infinity"}, {"INCRBYFLOAT", "f", "+INF"}, {"INCRBYFLOAT", "f", "infin"}, {"INCRBYFLOAT", "f", "nan"},
		{"INCRBYFLOAT", "f", " 1"}, {"INCRBYFLOAT", "f", "1 "}, {"INCRBYFLOAT", "f", "1e5000"}, {"INCRBYFLOAT", "f", "1e-5000"},
		{"INCRBYFLOAT", "f", ".5"}, {"INCRBYFLOAT", "f", "5."}, {"INCRBYFLOAT", "f", "+"}, {"INCRBYFLOAT", "f", "."},
		{"INCRBYFLOAT", "f", "0b1"}, {"INCRBYFLOAT", "f", "1_0"}, {"INCRBYFLOAT", "f", "1e"}, {"INCRBYFLOAT", "f", "1e+"},
		{"INCRBYFLOAT", "f", "0x"}, {"INCRBYFLOAT", "f", "0x1p"}, {"INCRBYFLOAT", "f", ""}, {"INCRBYFLOAT", "f", "-1e-30"},
		{"INCRBYFLOAT", "f", "1e4000"}, {"INCRBYFLOAT", "f", "-1e4000"}, {"INCRBYFLOAT", "f", "1e-4940"}, {"INCRBYFLOAT", "f", "1e-4960"},
		{"SET", "f", "1e4931"}, {"INCRBYFLOAT", "f", "1e4931"}, {"SET", "f", "1"}, {"INCRBYFLOAT", "f", "0.00000000000000001"},
		{"INCRBYFLOAT", "f", "0.000000000000000005"}, {"SET", "f", "0"}, {"INCRBYFLOAT", "f", "-0.000000000000000001"},
		{"INCRBYFLOAT", "f", "-0"}, {"SET", "f", "abc"}, {"INCRBYFLOAT", "f", "1"}, {"INCRBYFLOAT", "f", "x"}, {"SET", "f", "inf"},
		{"INCRBYFLOAT", "f", "1"}, {"SET", "f", "3"}, {"INCRBYFLOAT", "f", "1.7976931348623157e308"}, {"SET", "f", "10.5", "EX", "1000"},
		{"INCRBYFLOAT", "f", "0.25"}, {"TTL", "f"}, {"INCRBYFLOAT", "f", "1", "2"}, {"SET", "f", "123456789012345678"},
		{"INCRBYFLOAT", "f", "1.1"}, {"INCRBYFLOAT", "f", "-3.3333333333333333333333"}, {"INCRBYFLOAT", "f2", "3.0"},
		{"INCRBYFLOAT", "f2", "-3.0"}, {"INCRBYFLOAT", "f2", "1e20"}, {"INCRBYFLOAT", "f2", "1e-20"},
		// GETRANGE, SUBSTR, SETRANGE.
		{"SET", "r", "Hello World"}, {"GETRANGE", "r"}, {"GETRANGE", "r", "0"}, {"GETRANGE", "r", "0", "4"}, {"GETRANGE", "r", "-3", "-1"},
		{"GETRANGE", "r", "0", "-1"}, {"GETRANGE", "r", "10", "100"}, {"GETRANGE", "r", "-100", "100"}, {"GETRANGE", "r", "-1", "-5"},
		{"GETRANGE", "r", "5", "3"}, {"GETRANGE", "r", "20", "30"}, {"GETRANGE", "r", "x", "1"}, {"GETRANGE", "r", "1", "x"},
		{"GETRANGE", "nokey", "0", "1"}, {"GETRANGE", "nokey", "x", "1"}, {"GETRANGE", "e", "0", "-1"}, {"GETRANGE", "e", "-1", "0"},
		{"SET", "ri", "-12345"}, {"GETRANGE", "ri", "1", "3"}, {"GETRANGE", "r", "-9223372036854775808", "9223372036854775807"},
		{"SUBSTR", "r", "0", "-3"}, {"SUBSTR", "r"}, {"substr", "r", "2", "2"},
		{"SETRANGE"}, {"SETRANGE", "r", "0"}, {"SETRANGE", "r", "6", "Redis"}, {"GET", "r"}, {"SETRANGE", "r", "20", "!"},
		{"GET", "r"}, {"SETRANGE", "r", "-1", "x"}, {"SETRANGE", "r", "x", "x"}, {"SETRANGE", "r", "0", ""},
		{"SETRANGE", "sr", "3", ""}, {"EXISTS", "sr"}, {"SETRANGE", "sr", "3", "ab"}, {"GET", "sr"},
		{"SETRANGE", "r", "536870911", "ab"}, {"SETRANGE", "r", "536870911", ""}, {"SETRANGE", "r", "9223372036854775807", "ab"},
		{"SETRANGE", "sr2", "536870912", "a"}, {"SETRANGE", "ri", "1", "9"}, {"GET", "ri"}, {"INCR", "ri"},
		{"SET", "sr", "v", "EX", "1000"}, {"SETRANGE", "sr", "1", "x"}, {"TTL", "sr"},
		// LCS.
		{"SET", "l1", "ohmytext"}, {"SET", "l2", "mynewtext"}, {"LCS"}, {"LCS", "l1"}, {"LCS", "l1", "l2"}, {"LCS", "l2", "l1"},
		{"LCS", "l1", "l2", "LEN"}, {"LCS", "l1", "l2", "IDX"}, {"LCS", "l1", "l2", "idx", "WITHMATCHLEN"},
		{"LCS", "l1", "l2", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"}, {"LCS", "l1", "l2", "IDX", "MINMATCHLEN", "-5"},
		{"LCS", "l1", "l2", "LEN", "IDX"}, {"LCS", "l1", "l2", "MINMATCHLEN"}, {"LCS", "l1", "l2", "MINMATCHLEN", "x"},
		{"LCS", "l1", "l2", "bogus"}, {"LCS", "l1", "nokey"}, {"LCS", "nokey", "nokey2", "IDX"}, {"LCS", "l1", "l1", "IDX"},
		{"LCS", "l1", "l2", "MINMATCHLEN", "3"}, {"LCS", "l1", "l2", "WITHMATCHLEN"}, {"LCS", "i", "ri", "IDX", "WITHMATCHLEN"},
		{"LCS", "b", "b", "LEN"}, {"LCS", "b", "l1", "LEN"},
	}
	for _, c := range cases {
		p.Check(c...)
	}
	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{
			{"GET", "nokey"}, {"MGET", "nokey", "l1"}, {"SET", "nokey", "v", "XX"}, {"SET", "nokey", "v", "XX", "GET"},
			{"GETEX", "nokey"}, {"GETDEL", "nokey"}, {"LCS", "l1", "l2", "IDX", "WITHMATCHLEN"}, {"INCRBYFLOAT", "f", "1.5"},
		} {
			p.Check(c...)
		}
	}

	// A seeded random sequence over a few keys. Relative TTLs are set but never read back, so replies do not
	// depend on timing.
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	ints := []string{"0", "1", "-1", "7", "42", "-100", "9223372036854775807", "-9223372036854775808", "x", "1.5", "", "+3", "007"}
	num := func() string { return ints[rng.IntN(len(ints))] }
	floats := []string{"0.1", "-0.1", "1e3", "2.5", "-7", "inf", "nan", "abc", "1e-5", "0x10", "3.0", "1e400", ""}
	vals := []string{"", "a", "hello", "12", "-3", "3.5", "abcabc", "xyz", "9223372036854775807", "0"}
	val := func() string {
		if rng.IntN(4) == 0 {
			return num()
		}
		return vals[rng.IntN(len(vals))]
	}
	expOpts := [][]string{{"EX", "100"}, {"PX", "100000"}, {"EXAT", "1"}, {"PXAT", "1"}, {"EXAT", "99999999999"},
		{"EX", "0"}, {"PX", "x"}, {"EX"}, {"KEEPTTL"}, {"PERSIST"}, {"NX"}, {"XX"}, {"GET"}, {"bogus"}}
	opts := func(n int) []string {
		var o []string
		for range rng.IntN(n + 1) {
			o = append(o, expOpts[rng.IntN(len(expOpts))]...)
		}
		return o
	}
	for i := 0; i < 2000; i++ {
		var c []string
		switch rng.IntN(22) {
		case 0:
			c = []string{"GET", key()}
		case 1:
			c = append([]string{"SET", key(), val()}, opts(3)...)
		case 2:
			c = []string{"SETNX", key(), val()}
		case 3:
			ttls := []string{"0", "-1", "x", "100000", "9999999999999999", "", "1.5", "9223372036854775807"}
			c = []string{[]string{"SETEX", "PSETEX"}[rng.IntN(2)], key(), ttls[rng.IntN(len(ttls))], val()}
		case 4:
			c = []string{"GETDEL", key()}
		case 5:
			c = append([]string{"GETEX", key()}, opts(2)...)
		case 6:
			c = []string{"GETSET", key(), val()}
		case 7:
			c = []string{"MGET", key(), key(), key()}
		case 8:
			c = []string{"MSET", key(), val(), key(), val()}
			if rng.IntN(5) == 0 {
				c = c[:4]
			}
		case 9:
			c = []string{"MSETNX", key(), val(), key(), val()}
		case 10:
			c = []string{"STRLEN", key()}
		case 11:
			c = []string{"APPEND", key(), val()}
		case 12:
			c = []string{[]string{"INCR", "DECR"}[rng.IntN(2)], key()}
		case 13:
			c = []string{[]string{"INCRBY", "DECRBY"}[rng.IntN(2)], key(), num()}
		case 14:
			c = []string{"INCRBYFLOAT", key(), floats[rng.IntN(len(floats))]}
		case 15:
			c = []string{[]string{"GETRANGE", "SUBSTR"}[rng.IntN(2)], key(), strconv.Itoa(rng.IntN(20) - 10), strconv.Itoa(rng.IntN(20) - 10)}
		case 16:
			c = []string{"SETRANGE", key(), strconv.Itoa(rng.IntN(12) - 2), val()}
		case 17:
			c = []string{"LCS", key(), key()}
			c = append(c, []string{"", "LEN", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "2", "IDX"}[rng.IntN(7):]...)
		case 18:
			c = []string{"EXISTS", key()}
		case 19:
			c = []string{"DEL", key()}
		case 20:
			c = []string{"GETRANGE", key(), num(), num()}
		case 21:
			c = []string{"INCRBYFLOAT", key(), strconv.FormatFloat(rng.NormFloat64()*1000, 'g', -1, 64)}
		}
		if !p.Check(c...) {
			t.Fatalf("stopping at random command %d (seed 7,11): %s", i, fmt.Sprint(c))
		}
	}
}
