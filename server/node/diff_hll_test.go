package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffHLL runs PFADD, PFCOUNT and PFMERGE with valid and invalid arguments against real Redis and Carmine,
// comparing every reply and the stored bytes (GET) after each change, sparse and dense, then values moved
// between the two servers, then a seeded random sequence.
func TestDiffHLL(t *testing.T) { ioModes(t, testDiffHLL) }

func testDiffHLL(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	check := func(cmds ...[]string) {
		t.Helper()
		for _, c := range cmds {
			p.Check(c...)
		}
	}
	check(
		[]string{"PFADD", "h"}, []string{"GET", "h"}, []string{"OBJECT", "ENCODING", "h"}, []string{"PFADD", "h"}, []string{"PFCOUNT", "h"},
		[]string{"GET", "h"}, []string{"PFADD", "h", "a", "b", "c"}, []string{"GET", "h"}, []string{"PFADD", "h", "a"}, []string{"GET", "h"},
		[]string{"PFCOUNT", "h"}, []string{"GET", "h"}, []string{"PFCOUNT", "h"}, []string{"PFCOUNT", "nokey"}, []string{"PFCOUNT", "h", "nokey"},
		[]string{"PFADD", "h2", "c", "d", "e"}, []string{"PFCOUNT", "h", "h2"}, []string{"GET", "h"}, []string{"GET", "h2"},
		[]string{"PFMERGE", "m", "h", "h2"}, []string{"GET", "m"}, []string{"PFCOUNT", "m"}, []string{"OBJECT", "ENCODING", "m"},
		[]string{"PFMERGE", "m2"}, []string{"GET", "m2"}, []string{"PFMERGE", "m3", "nokey"}, []string{"GET", "m3"},
		[]string{"PFMERGE", "h", "h2"}, []string{"GET", "h"}, []string{"PFMERGE", "h"}, []string{"GET", "h"},
		// errors: other types, strings that are not HyperLogLogs, corrupt ones
		[]string{"LPUSH", "l", "x"}, []string{"SET", "s", "hello"}, []string{"SET", "i", "123"},
		[]string{"PFADD", "l", "a"}, []string{"PFADD", "s", "a"}, []string{"PFADD", "i", "a"}, []string{"PFCOUNT", "l"}, []string{"PFCOUNT", "s"},
		[]string{"PFCOUNT", "i"}, []string{"PFCOUNT", "h", "s"}, []string{"PFCOUNT", "h", "l"}, []string{"PFMERGE", "m", "s"},
		[]string{"PFMERGE", "m", "l"}, []string{"PFMERGE", "s", "h"}, []string{"PFMERGE", "l", "h"}, []string{"GET", "s"},
		[]string{"SET", "bad", "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"}, []string{"PFADD", "bad", "x"}, []string{"PFCOUNT", "bad"},
		[]string{"SET", "bad", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"}, []string{"PFADD", "bad", "x"}, []string{"PFCOUNT", "bad"},
		[]string{"SET", "bad", "HYL"}, []string{"PFADD", "bad", "x"}, []string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
		[]string{"PFADD", "bad", "x"}, []string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"}, []string{"PFCOUNT", "bad"},
		[]string{"PFADD", "bad", "x"}, []string{"GET", "bad"}, []string{"PFMERGE", "m", "bad"}, []string{"PFCOUNT", "m", "bad"},
		[]string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"}, []string{"PFCOUNT", "bad"},
		[]string{"PFADD", "bad", "x"}, []string{"PFADD", "bad", "a", "b", "c", "d", "e", "f"}, []string{"GET", "bad"},
		[]string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x00"}, []string{"PFCOUNT", "bad"},
		[]string{"PFADD", "bad", "a", "b"}, []string{"GET", "bad"}, []string{"PFMERGE", "bad2", "bad"}, []string{"EXISTS", "bad2"},
		[]string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"}, []string{"PFCOUNT", "bad"}, []string{"PFADD", "bad", "a"},
		[]string{"GET", "bad"}, []string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x40"}, []string{"PFADD", "bad", "a", "b"},
		[]string{"GET", "bad"}, []string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x40\x00\x7f\xfe"},
		[]string{"PFADD", "bad", "a", "b", "c"}, []string{"GET", "bad"}, []string{"PFCOUNT", "bad"},
		[]string{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\xff\xff\xff"}, []string{"PFCOUNT", "bad"},
		[]string{"PFADD", "bad", "a"}, []string{"GET", "bad"},
		// a valid value SET by a client keeps its cached count; PFCOUNT makes it raw
		[]string{"SET", "emb", "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x7f\xff"}, []string{"OBJECT", "ENCODING", "emb"},
		[]string{"PFCOUNT", "emb"}, []string{"OBJECT", "ENCODING", "emb"}, []string{"PFCOUNT", "emb", "emb"}, []string{"GET", "emb"},
		[]string{"PFADD", "emb"}, []string{"GET", "emb"}, []string{"PFADD", "emb", "z"}, []string{"GET", "emb"}, []string{"PFCOUNT", "emb"},
		[]string{"GET", "emb"}, []string{"SET", "ttl", "x"}, []string{"DEL", "ttl"}, []string{"PFADD", "ttl", "a"}, []string{"EXPIRE", "ttl", "100"},
		[]string{"PFADD", "ttl", "b"}, []string{"PFCOUNT", "ttl"}, []string{"PFMERGE", "ttl", "h"}, []string{"TTL", "ttl"},
		[]string{"PFADD"}, []string{"PFCOUNT"}, []string{"PFMERGE"},
	)
	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		check([]string{"PFCOUNT", "h"}, []string{"PFADD", "h", "zz"}, []string{"PFMERGE", "m", "h"}, []string{"PFCOUNT", "nokey", "h"})
	}

	// Sparse to dense: by size, by a register above 32 (found by probing), and PFMERGE with a dense source.
	elems := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	for i, batch := range [][]string{elems("a", 10), elems("b", 100), elems("c", 500), elems("d", 2000), elems("e", 5000)} {
		check(append([]string{"PFADD", "grow"}, batch...), []string{"GET", "grow"}, []string{"PFCOUNT", "grow"},
			[]string{"GET", "grow"}, []string{"STRLEN", "grow"})
		check([]string{"PFMERGE", "into" + strconv.Itoa(i), "grow", "h"}, []string{"GET", "into" + strconv.Itoa(i)},
			[]string{"PFMERGE", "h", "grow"}, []string{"GET", "h"}, []string{"PFCOUNT", "grow", "h", "m"})
	}
	check([]string{"PFMERGE", "m", "grow"}, []string{"GET", "m"}, []string{"PFMERGE", "sm", "m2", "h2"}, []string{"GET", "sm"},
		[]string{"PFMERGE", "grow", "h2"}, []string{"GET", "grow"})
	// "1692856687" hashes to register 6288 with a run of 33: the sparse encoding cannot hold it.
	const big = "1692856687"
	check(append([]string{"PFADD", "big0"}, elems("x", 40)...), []string{"GET", "big0"}, []string{"PFADD", "big0", big},
		[]string{"GET", "big0"}, []string{"STRLEN", "big0"}, []string{"PFCOUNT", "big0"}, []string{"GET", "big0"},
		[]string{"PFADD", "big1", big}, []string{"GET", "big1"}, []string{"PFADD", "big2", "a", "b"},
		[]string{"PFMERGE", "big2", "big1"}, []string{"GET", "big2"}, []string{"PFADD", "big3", "c"},
		[]string{"PFMERGE", "big4", "big3", "big0"}, []string{"GET", "big4"}, []string{"PFCOUNT", "big0", "big1", "big2", "big3"})
	// hll-sparse-max-bytes decides promotion.
	check([]string{"CONFIG", "SET", "hll-sparse-max-bytes", "100"}, append([]string{"PFADD", "lim"}, elems("l", 60)...),
		[]string{"GET", "lim"}, []string{"STRLEN", "lim"}, []string{"CONFIG", "SET", "hll-sparse-max-bytes", "200"},
		append([]string{"PFADD", "sa"}, elems("sa", 50)...), append([]string{"PFADD", "sb"}, elems("sb", 50)...),
		[]string{"STRLEN", "sa"}, []string{"STRLEN", "sb"}, []string{"PFMERGE", "sc", "sa", "sb"}, []string{"GET", "sc"},
		[]string{"STRLEN", "sc"}, []string{"PFMERGE", "sa", "sb"}, []string{"GET", "sa"},
		[]string{"CONFIG", "SET", "hll-sparse-max-bytes", "3000"})

	// Values moved both ways keep their count.
	moved := 0
	for _, k := range []string{"h", "h2", "m", "grow", "big0", "lim", "emb"} {
		rv := p.Redis.Do("GET", k)
		cv := p.Carmine.Do("GET", k)
		if len(rv.Str) == 0 || len(cv.Str) == 0 {
			continue
		}
		moved++
		p.Redis.Do("SET", "from-carmine", string(cv.Str))
		p.Carmine.Do("SET", "from-redis", string(rv.Str))
		rc, cc := p.Redis.Do("PFCOUNT", "from-carmine"), p.Carmine.Do("PFCOUNT", "from-redis")
		rn, cn := p.Redis.Do("PFCOUNT", k), p.Carmine.Do("PFCOUNT", k)
		if difftest.Format(rc) != difftest.Format(cn) || difftest.Format(cc) != difftest.Format(rn) {
			t.Errorf("%s moved: redis counts carmine's as %s (carmine %s), carmine counts redis's as %s (redis %s)",
				k, difftest.Format(rc), difftest.Format(cn), difftest.Format(cc), difftest.Format(rn))
		}
	}
	if moved < 5 {
		t.Errorf("only %d values moved", moved)
	}

	// A seeded random sequence: PFADD of random elements, GET compared byte for byte after each.
	rng := rand.New(rand.NewPCG(5, 9))
	keys := []string{"r1", "r2", "r3"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	for i := 0; i < 1500; i++ {
		var c []string
		switch n := rng.IntN(20); {
		case n < 14:
			c = []string{"PFADD", key()}
			for j := rng.IntN(8); j > 0; j-- {
				c = append(c, fmt.Sprintf("e%d", rng.IntN(20000)))
			}
			if rng.IntN(30) == 0 {
				c = append(c, strings.Repeat("z", rng.IntN(100)))
			}
		case n < 17:
			c = []string{"PFCOUNT", key()}
			if rng.IntN(2) == 0 {
				c = append(c, key())
			}
		case n < 19:
			c = []string{"PFMERGE", key(), key()}
		default:
			c = []string{"DEL", key()}
		}
		if !p.Check(c...) {
			t.FailNow()
		}
		if !p.Check("GET", c[1]) {
			t.FailNow()
		}
	}
}

// TestDiffPFDebug compares PFDEBUG's subcommands (and PFSELFTEST): the decoded sparse opcodes, the registers,
// the conversions to dense and the stored bytes after them, and the errors for missing keys, other types,
// strings that are not HyperLogLogs, corrupt values, unknown subcommands and wrong argument counts.
func TestDiffPFDebug(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []string{
		"PFADD h a b c d", "PFDEBUG DECODE h", "PFDEBUG ENCODING h", "PFDEBUG encoding h", "PFDEBUG GETREG h",
		"GET h", "PFDEBUG ENCODING h", "PFDEBUG DECODE h", "PFDEBUG TODENSE h", "PFCOUNT h", "GET h",
		"PFADD h2 x y", "PFCOUNT h2", "PFDEBUG TODENSE h2", "GET h2", "PFDEBUG TODENSE h2", "PFADD h3",
		"PFDEBUG DECODE h3", "PFDEBUG ENCODING nokey", "PFDEBUG FOO nokey", "PFDEBUG FOO h", "PFDEBUG GETREG h x",
		"PFDEBUG GETREG", "PFDEBUG", "RPUSH l a", "PFDEBUG ENCODING l", "SET s str", "PFDEBUG ENCODING s",
		"SET i 123", "PFDEBUG DECODE i", "PFSELFTEST", "PFSELFTEST x", "PFDEBUG GETREG s",
	} {
		p.Check(strings.Fields(c)...)
	}
	// A corrupt sparse value: DECODE reads what its bytes say, the conversions fail.
	for _, c := range [][]string{
		{"SET", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\x7f\xff"},
		{"PFDEBUG", "DECODE", "bad"}, {"PFDEBUG", "TODENSE", "bad"}, {"PFDEBUG", "GETREG", "bad"}, {"GET", "bad"},
	} {
		p.Check(c...)
	}
}
