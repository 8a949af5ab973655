package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// scoreNorm rewrites every number-looking string and double in a reply to Go's shortest form, so that scores
// compare equal whether printed as Redis 7.0 prints them (%.17g: "0.10000000000000001") or as Redis 7.2 does
// ("0.1"), and -0 as 0. Members in these tests are never numbers.
func scoreNorm(v resp.Value) resp.Value {
	if len(v.Elems) > 0 {
		elems := make([]resp.Value, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = scoreNorm(e)
		}
		v.Elems = elems
		return v
	}
	if v.Type == resp.TypeBulk || v.Type == resp.TypeDouble {
		if f, err := strconv.ParseFloat(string(v.Str), 64); err == nil {
			if f == 0 {
				// A -0 added to a new key with a long member stays -0 in Redis 7.2, which creates the key as a
				// skiplist, but turns 0 in Redis 7.0, which starts with a listpack.
				f = 0
			}
			v.Str = []byte(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return v
}

// randNorm reduces a random reply (ZRANDMEMBER) to what is deterministic: its length and its sorted distinct
// elements.
func randNorm(v resp.Value) resp.Value {
	if v.Type != resp.TypeArray {
		return v
	}
	seen := map[string]bool{}
	var distinct []resp.Value
	for _, e := range v.Elems {
		k := difftest.Format(e)
		if !seen[k] {
			seen[k] = true
			distinct = append(distinct, e)
		}
	}
	out := difftest.SortElems(resp.Value{Type: resp.TypeArray, Elems: distinct})
	out.Elems = append([]resp.Value{{Type: resp.TypeInt, Int: int64(len(v.Elems))}}, out.Elems...)
	return out
}

// TestDiffZSets runs the sorted-set commands with valid and invalid arguments against real Redis and Carmine
// and compares every reply, in RESP2 and RESP3, then a seeded random sequence.
func TestDiffZSets(t *testing.T) { ioModes(t, testDiffZSets) }

func testDiffZSets(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	long := strings.Repeat("m", 65)
	var many []string
	for i := 0; i < 130; i++ {
		many = append(many, strconv.Itoa(i%7), fmt.Sprintf("e%03d", i))
	}
	cmds := [][]string{
		{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "CH", "5", "a", "6", "d"},
		{"ZADD", "z", "NX", "9", "a", "7", "e"}, {"ZADD", "z", "XX", "9", "a", "7", "f"}, {"ZADD", "z", "XX", "CH", "10", "a"},
		{"ZADD", "z", "GT", "CH", "1", "a", "20", "b"}, {"ZADD", "z", "LT", "CH", "1", "a", "30", "c"},
		{"ZADD", "z", "INCR", "2.5", "a"}, {"ZADD", "z", "NX", "INCR", "1", "a"}, {"ZADD", "z", "XX", "INCR", "1", "nope"},
		{"ZADD", "z", "GT", "INCR", "-1", "a"}, {"ZADD", "z", "LT", "INCR", "-1", "a"}, {"ZADD", "z", "INCR", "0", "a"},
		{"ZADD", "z", "NX", "XX", "1", "a"}, {"ZADD", "z", "NX", "GT", "1", "a"}, {"ZADD", "z", "GT", "LT", "1", "a"},
		{"ZADD", "z", "INCR", "1", "a", "2", "b"}, {"ZADD", "z", "1", "a", "2"}, {"ZADD", "z", "x", "a"},
		{"ZADD", "z", "nan", "a"}, {"ZADD", "z", "1e400", "a"}, {"ZADD", "z", "1e-400", "a"}, {"ZADD", "z", " 1", "a"},
		{"ZADD", "z", "1 ", "a"}, {"ZADD", "z", "", "a"}, {"ZADD", "z", "0x10", "hex"}, {"ZADD", "z", "-inf", "lo"},
		{"ZADD", "z", "+inf", "hi"}, {"ZADD", "z", "Infinity", "hi2"}, {"ZADD", "z", "-0", "negz"}, {"ZADD", "z", ".5", "half"},
		{"ZADD", "z", "1e5", "exp"}, {"ZADD", "z", "CH"}, {"ZADD", "nokey", "XX", "1", "a"}, {"EXISTS", "nokey"},
		{"ZADD", "nokey", "XX", "INCR", "1", "a"}, {"ZADD", "z", "INCR", "-inf", "hi"}, {"ZADD", "z", "INCR", "inf", "lo"},
		{"ZINCRBY", "z", "1.5", "b"}, {"ZINCRBY", "z", "x", "b"}, {"ZINCRBY", "z", "1", "new"}, {"ZINCRBY", "z", "-inf", "hi"},
		{"ZINCRBY", "zi", "3", "m"}, {"ZRANGE", "z", "0", "-1", "WITHSCORES"}, {"ZCARD", "z"}, {"ZCARD", "nokey"},
		{"SET", "s", "v"}, {"ZADD", "s", "1", "a"}, {"ZINCRBY", "s", "1", "a"}, {"ZCARD", "s"}, {"ZSCORE", "s", "a"},
		{"ZSCORE", "z", "a"}, {"ZSCORE", "z", "zz"}, {"ZSCORE", "nokey", "a"}, {"ZSCORE", "z", "negz"}, {"ZSCORE", "z", "hi"},
		{"ZMSCORE", "z", "a", "zz", "b"}, {"ZMSCORE", "nokey", "a", "b"}, {"ZMSCORE", "s", "a"},
		{"ZCOUNT", "z", "-inf", "+inf"}, {"ZCOUNT", "z", "(1", "(30"}, {"ZCOUNT", "z", "1", "x"}, {"ZCOUNT", "z", "(", "("},
		{"ZCOUNT", "z", "", ""}, {"ZCOUNT", "z", " 2", "10"}, {"ZCOUNT", "z", "5", "1"}, {"ZCOUNT", "z", "nan", "1"},
		{"ZCOUNT", "nokey", "0", "1"}, {"ZCOUNT", "s", "0", "1"}, {"ZCOUNT", "z", "1e400", "inf"}, {"ZCOUNT", "z", "((1", "2"},
		{"ZRANK", "z", "a"}, {"ZRANK", "z", "zz"}, {"ZREVRANK", "z", "a"}, {"ZRANK", "nokey", "a"}, {"ZRANK", "s", "a"},
		{"ZRANGE", "z", "0", "2"}, {"ZRANGE", "z", "-2", "-1", "WITHSCORES"}, {"ZRANGE", "z", "5", "1"}, {"ZRANGE", "z", "x", "1"},
		{"ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"}, {"ZRANGE", "z", "1", "3", "REV"}, {"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"},
		{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"}, {"ZRANGE", "z", "(30", "-inf", "BYSCORE", "REV"},
		{"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "2", "3"}, {"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "-1", "2"},
		{"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1", "-1"}, {"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "100", "1"},
		{"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1", "0"}, {"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "x", "1"},
		{"ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1"}, {"ZRANGE", "z", "0", "10", "BYSCORE", "BYLEX"},
		{"ZRANGE", "z", "0", "10", "REV", "REV"}, {"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}, {"ZRANGE", "z", "a", "b", "BYSCORE"},
		{"ZRANGE", "z", "a", "b", "BYLEX"}, {"ZRANGE", "nokey", "0", "-1"}, {"ZRANGE", "s", "0", "-1"}, {"ZRANGE", "z", "0", "1", "foo"},
		{"ZREVRANGE", "z", "0", "2", "WITHSCORES"}, {"ZREVRANGE", "z", "0", "2", "REV"}, {"ZREVRANGE", "z", "0", "1", "BYSCORE"},
		{"ZRANGEBYSCORE", "z", "1", "10", "WITHSCORES", "LIMIT", "0", "2"}, {"ZRANGEBYSCORE", "z", "1", "10", "REV"},
		{"ZREVRANGEBYSCORE", "z", "10", "(1", "WITHSCORES"}, {"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "1"},
		{"ZRANGEBYSCORE", "z", "x", "1"}, {"ZRANGEBYSCORE", "nokey", "0", "1"},
		{"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab", "0", ""},
		{"ZRANGEBYLEX", "lex", "-", "+"}, {"ZRANGEBYLEX", "lex", "[a", "(c"}, {"ZRANGEBYLEX", "lex", "(a", "[d", "LIMIT", "1", "2"},
		{"ZREVRANGEBYLEX", "lex", "+", "-"}, {"ZREVRANGEBYLEX", "lex", "[d", "(a", "LIMIT", "0", "2"}, {"ZRANGEBYLEX", "lex", "+", "-"},
		{"ZRANGEBYLEX", "lex", "a", "b"}, {"ZRANGEBYLEX", "lex", "-x", "+"}, {"ZRANGEBYLEX", "lex", "[", "(b"},
		{"ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"}, {"ZLEXCOUNT", "lex", "-", "+"}, {"ZLEXCOUNT", "lex", "[b", "[d"},
		{"ZLEXCOUNT", "lex", "(b", "(b"}, {"ZLEXCOUNT", "lex", "x", "y"}, {"ZLEXCOUNT", "nokey", "-", "+"}, {"ZLEXCOUNT", "s", "-", "+"},
		{"ZRANGESTORE", "dst", "z", "0", "2"}, {"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, {"ZRANGESTORE", "dst", "z", "1", "10", "BYSCORE", "REV"},
		{"ZRANGESTORE", "dst", "z", "10", "1", "BYSCORE", "REV", "LIMIT", "0", "2"}, {"ZRANGE", "dst", "0", "-1", "WITHSCORES"},
		{"ZRANGESTORE", "dst", "lex", "[b", "+", "BYLEX"}, {"ZRANGE", "dst", "0", "-1"}, {"ZRANGESTORE", "dst", "z", "5", "1"},
		{"EXISTS", "dst"}, {"ZRANGESTORE", "dst", "nokey", "0", "-1"}, {"ZRANGESTORE", "s2", "z", "0", "0"}, {"TYPE", "s2"},
		{"ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"}, {"ZRANGESTORE", "dst", "s", "0", "-1"}, {"ZRANGESTORE", "s", "z", "0", "1"},
		{"TYPE", "s"}, {"SET", "s", "v"}, {"ZRANGESTORE", "z", "z", "0", "3"}, {"ZRANGE", "z", "0", "-1", "WITHSCORES"},
		{"ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"}, {"ZREMRANGEBYRANK", "r", "0", "1"},
		{"ZREMRANGEBYRANK", "r", "-1", "-1"}, {"ZREMRANGEBYRANK", "r", "5", "1"}, {"ZREMRANGEBYRANK", "r", "x", "1"},
		{"ZREMRANGEBYSCORE", "r", "(3", "4"}, {"ZREMRANGEBYSCORE", "r", "x", "4"}, {"ZRANGE", "r", "0", "-1"},
		{"ZREMRANGEBYLEX", "lex", "[b", "(d"}, {"ZREMRANGEBYLEX", "lex", "b", "d"}, {"ZRANGE", "lex", "0", "-1"},
		{"ZREMRANGEBYSCORE", "r", "-inf", "+inf"}, {"EXISTS", "r"}, {"ZREMRANGEBYRANK", "nokey", "0", "1"}, {"ZREMRANGEBYLEX", "s", "-", "+"},
		{"ZREM", "lex", "a", "zz"}, {"ZREM", "lex", "zz"}, {"ZREM", "nokey", "a"}, {"ZREM", "s", "a"},
		{"ZREM", "lex", "ab", "c", "d", "e", "", "more"}, {"EXISTS", "lex"},
		{"ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"}, {"ZPOPMIN", "p"}, {"ZPOPMAX", "p"}, {"ZPOPMIN", "p", "0"},
		{"ZPOPMIN", "p", "-1"}, {"ZPOPMIN", "p", "x"}, {"ZPOPMIN", "p", "1", "2"}, {"ZPOPMAX", "p", "10"}, {"EXISTS", "p"},
		{"ZPOPMIN", "nokey"}, {"ZPOPMIN", "nokey", "2"}, {"ZPOPMIN", "s"}, {"ZPOPMIN", "nokey", "0"},
		{"ZADD", "p", "1", "a", "2", "b", "3", "c"}, {"ZMPOP", "2", "nokey", "p", "MIN"}, {"ZMPOP", "1", "p", "MAX", "COUNT", "5"},
		{"ZMPOP", "1", "p", "MIN"}, {"ZMPOP", "0", "p", "MIN"}, {"ZMPOP", "x", "p", "MIN"}, {"ZMPOP", "1", "p", "UP"},
		{"ZMPOP", "2", "p", "MIN"}, {"ZMPOP", "1", "p", "MIN", "COUNT", "0"}, {"ZMPOP", "1", "p", "MIN", "COUNT"},
		{"ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"}, {"ZMPOP", "1", "s", "MIN"}, {"ZMPOP", "2", "nokey", "s", "MAX"},
		{"ZRANDMEMBER", "nokey"}, {"ZRANDMEMBER", "nokey", "5"}, {"ZRANDMEMBER", "s"}, {"ZRANDMEMBER", "z", "0"},
		{"ZRANDMEMBER", "z", "x"}, {"ZRANDMEMBER", "z", "1", "foo"}, {"ZRANDMEMBER", "z", "1", "WITHSCORES", "x"},
		{"ZRANDMEMBER", "z", "-9223372036854775808"}, {"ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"},
		{"ZADD", "u1", "1", "a", "2", "b", "3", "c"}, {"ZADD", "u2", "10", "b", "20", "c", "30", "d"},
		{"SADD", "plain", "a", "b", "zz"}, {"SADD", "ints", "1", "2", "3"},
		{"ZUNION", "2", "plain", "u1", "WITHSCORES"}, {"ZINTER", "2", "u1", "plain", "WEIGHTS", "2", "3", "WITHSCORES"},
		{"ZDIFF", "2", "plain", "u1"}, {"ZDIFF", "2", "u1", "plain", "WITHSCORES"}, {"ZINTERCARD", "2", "plain", "u1"},
		{"ZUNIONSTORE", "fromsets", "2", "plain", "ints", "AGGREGATE", "MAX"}, {"ZRANGE", "fromsets", "0", "-1", "WITHSCORES"},
		{"ZINTERSTORE", "fromsets2", "1", "ints", "WEIGHTS", "1.5"}, {"ZRANGE", "fromsets2", "0", "-1", "WITHSCORES"},
		{"ZUNION", "2", "u1", "u2"}, {"ZUNION", "2", "u1", "u2", "WITHSCORES"}, {"ZUNION", "2", "u1", "u2", "WEIGHTS", "2", "0.5", "WITHSCORES"},
		{"ZUNION", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES"}, {"ZUNION", "2", "u1", "u2", "AGGREGATE", "max", "WITHSCORES"},
		{"ZUNION", "3", "u1", "u2", "nokey", "WITHSCORES"}, {"ZUNION", "2", "u1", "u2", "WEIGHTS", "1"}, {"ZUNION", "2", "u1", "u2", "WEIGHTS", "1", "x"},
		{"ZUNION", "2", "u1", "u2", "AGGREGATE", "avg"}, {"ZUNION", "2", "u1", "u2", "AGGREGATE"}, {"ZUNION", "0", "u1"},
		{"ZUNION", "x", "u1"}, {"ZUNION", "3", "u1", "u2"}, {"ZUNION", "2", "u1", "s"}, {"ZUNION", "1", "u1", "LIMIT", "1"},
		{"ZUNION", "2", "u1", "u2", "WEIGHTS", "inf", "0", "WITHSCORES"}, {"ZUNION", "2", "u1", "u2", "WEIGHTS", "inf", "-inf", "WITHSCORES"},
		{"ZINTER", "2", "u1", "u2", "WITHSCORES"}, {"ZINTER", "2", "u1", "u2", "AGGREGATE", "MAX", "WEIGHTS", "1", "2", "WITHSCORES"},
		{"ZINTER", "2", "u1", "nokey"}, {"ZINTER", "1", "u1", "WITHSCORES"}, {"ZDIFF", "2", "u1", "u2", "WITHSCORES"}, {"ZDIFF", "2", "u2", "u1"},
		{"ZDIFF", "2", "u1", "u2", "WEIGHTS", "1", "2"}, {"ZDIFF", "1", "nokey"}, {"ZDIFF", "2", "nokey", "u1"},
		{"ZUNIONSTORE", "out", "2", "u1", "u2"}, {"ZRANGE", "out", "0", "-1", "WITHSCORES"}, {"ZUNIONSTORE", "out", "2", "u1", "u2", "WITHSCORES"},
		{"ZINTERSTORE", "out", "2", "u1", "u2", "WEIGHTS", "3", "1"}, {"ZRANGE", "out", "0", "-1", "WITHSCORES"},
		{"ZDIFFSTORE", "out", "2", "u1", "u2"}, {"ZRANGE", "out", "0", "-1", "WITHSCORES"}, {"ZINTERSTORE", "out", "2", "u1", "nokey"},
		{"EXISTS", "out"}, {"ZUNIONSTORE", "s", "1", "u1"}, {"TYPE", "s"}, {"SET", "s", "v"}, {"ZUNIONSTORE", "u1", "2", "u1", "u2"},
		{"ZRANGE", "u1", "0", "-1", "WITHSCORES"}, {"ZDIFFSTORE", "out", "0", "u1"}, {"ZINTERSTORE", "out", "2", "u1", "s"},
		{"ZINTERCARD", "2", "u1", "u2"}, {"ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"}, {"ZINTERCARD", "2", "u1", "u2", "LIMIT", "0"},
		{"ZINTERCARD", "2", "u1", "u2", "LIMIT", "-1"}, {"ZINTERCARD", "2", "u1", "u2", "LIMIT"}, {"ZINTERCARD", "0", "u1"},
		{"ZINTERCARD", "1", "u1", "WITHSCORES"}, {"ZINTERCARD", "2", "u1", "nokey"}, {"ZINTERCARD", "1", "s"},
		{"ZSCAN", "u2", "0"}, {"ZSCAN", "u2", "0", "MATCH", "*b*"}, {"ZSCAN", "u2", "0", "COUNT", "1"}, {"ZSCAN", "u2", "0", "COUNT", "0"},
		{"ZSCAN", "u2", "0", "COUNT", "x"}, {"ZSCAN", "u2", "0", "MATCH"}, {"ZSCAN", "u2", "0", "TYPE", "zset"}, {"ZSCAN", "u2", "x"},
		{"ZSCAN", "nokey", "0"}, {"ZSCAN", "s", "0"}, {"ZSCAN", "u2", "0", "MATCH", ""},
		// Encodings: listpack until 128 members or a member over 64 bytes, then skiplist for good.
		append([]string{"ZADD", "big"}, many[:256]...), {"OBJECT", "ENCODING", "big"}, {"ZADD", "big", "1", "one-more"},
		{"OBJECT", "ENCODING", "big"}, {"ZREMRANGEBYRANK", "big", "0", "-3"}, {"OBJECT", "ENCODING", "big"}, {"ZCARD", "big"},
		{"ZADD", "lng", "1", "short"}, {"OBJECT", "ENCODING", "lng"}, {"ZADD", "lng", "XX", "1", long}, {"OBJECT", "ENCODING", "lng"},
		{"ZADD", "lng", "2", long}, {"OBJECT", "ENCODING", "lng"}, {"ZREM", "lng", long}, {"OBJECT", "ENCODING", "lng"},
		{"ZADD", "lng2", "1", long}, {"OBJECT", "ENCODING", "lng2"},
		{"ZUNIONSTORE", "small", "1", "lng"}, {"OBJECT", "ENCODING", "small"}, {"ZRANGESTORE", "small2", "lng", "0", "-1"},
		{"OBJECT", "ENCODING", "small2"}, {"ZINTERSTORE", "small3", "2", "lng", "lng"}, {"OBJECT", "ENCODING", "small3"},
		append([]string{"ZADD", "big2"}, many...), {"OBJECT", "ENCODING", "big2"}, {"ZCARD", "big2"},
		{"ZRANGE", "big2", "100", "110", "WITHSCORES"}, {"ZRANGE", "big2", "3", "4", "BYSCORE", "LIMIT", "5", "3"},
		{"ZREVRANGE", "big2", "0", "4"}, {"ZRANK", "big2", "e100"}, {"ZREVRANK", "big2", "e100"}, {"ZCOUNT", "big2", "(2", "5"},
		{"ZUNIONSTORE", "bigu", "2", "big2", "u2"}, {"OBJECT", "ENCODING", "bigu"}, {"ZDIFFSTORE", "bigd", "2", "u2", "big2"},
		{"OBJECT", "ENCODING", "bigd"}, {"ZPOPMIN", "big2", "3"}, {"ZPOPMAX", "big2", "2"}, {"ZMSCORE", "big2", "e050", "e000"},
	}
	for _, c := range cmds {
		p.Check(c...)
	}
	randoms := [][]string{{"ZRANDMEMBER", "big2", "5"}, {"ZRANDMEMBER", "big2", "-5", "WITHSCORES"}, {"ZRANDMEMBER", "u2", "2"},
		{"ZRANDMEMBER", "u2", "5", "WITHSCORES"}, {"ZRANDMEMBER", "u2", "-2"}, {"ZRANDMEMBER", "u2", "1", "WITHSCORES"},
		{"ZRANDMEMBER", "z", "100", "WITHSCORES"}, {"ZRANDMEMBER", "z", "100"}}
	for _, c := range randoms {
		p.CheckWith(func(v resp.Value) resp.Value {
			// Only the shape is deterministic: the count, and for distinct counts, the distinctness.
			n := randNorm(v)
			return resp.Value{Type: resp.TypeInt, Int: n.Elems[0].Int}
		}, c...)
	}
	// ZSCAN of a skiplist set: the union of a full scan.
	fullScan := func(conn *difftest.Conn, key string) []string {
		var all []string
		cursor := "0"
		for {
			v := conn.Do("ZSCAN", key, cursor, "COUNT", "7")
			cursor = string(v.Elems[0].Str)
			for _, e := range v.Elems[1].Elems {
				all = append(all, string(e.Str))
			}
			if cursor == "0" {
				break
			}
		}
		pairs := map[string]string{}
		for i := 0; i+1 < len(all); i += 2 {
			pairs[all[i]] = all[i+1]
		}
		return strings.Fields(fmt.Sprint(pairs))
	}
	assert.Equal(t, fullScan(p.Redis, "bigu"), fullScan(p.Carmine, "bigu"))

	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{
			{"ZADD", "h", "1", "a", "2.5", "b", "-inf", "c"}, {"ZSCORE", "h", "b"}, {"ZSCORE", "h", "c"}, {"ZSCORE", "h", "x"},
			{"ZMSCORE", "h", "a", "x"}, {"ZINCRBY", "h", "1", "a"}, {"ZADD", "h", "INCR", "1", "a"}, {"ZADD", "h", "XX", "INCR", "1", "x"},
			{"ZRANGE", "h", "0", "-1", "WITHSCORES"}, {"ZRANGE", "h", "0", "-1"}, {"ZRANGEBYSCORE", "h", "-inf", "inf", "WITHSCORES"},
			{"ZRANK", "h", "x"}, {"ZUNION", "1", "h", "WITHSCORES"}, {"ZDIFF", "1", "h", "WITHSCORES"}, {"ZINTER", "1", "h", "WITHSCORES"},
			{"ZRANDMEMBER", "nokey"},
			{"ZSCAN", "h", "0"}, {"ZPOPMIN", "h"}, {"ZPOPMIN", "h", "1"}, {"ZPOPMAX", "h", "5"}, {"ZPOPMIN", "nokey"},
			{"ZADD", "h2", "1", "a", "2.5", "b", "-inf", "c"},
			{"ZADD", "h", "1", "a", "2", "b"}, {"ZMPOP", "1", "h", "MIN"}, {"ZMPOP", "1", "h", "MAX", "COUNT", "3"},
			{"ZMPOP", "1", "nokey", "MIN"}, {"ZRANDMEMBER", "nokey", "1"},
		} {
			p.Check(c...)
		}
		p.CheckUnordered("ZRANDMEMBER", "h2", "3", "WITHSCORES")
		p.CheckWith(func(v resp.Value) resp.Value { return resp.Value{Type: v.Type, Int: int64(len(v.Elems))} },
			"ZRANDMEMBER", "h2", "-3", "WITHSCORES")
	}

	// A seeded random sequence over a few keys, one of them a string, comparing after every command.
	rng := rand.New(rand.NewPCG(11, 13))
	keys := []string{"k1", "k2", "k3", "str"}
	p.Check("SET", "str", "x")
	key := func() string { return keys[rng.IntN(len(keys))] }
	members := []string{"a", "b", "c", "d", "e", "f", "g", "h", "", strings.Repeat("q", 70)}
	member := func() string { return members[rng.IntN(len(members))] }
	scoreVals := []string{"0", "1", "-1", "2.5", "0.1", "1e21", "-0", "inf", "-inf", "3", "100", "1.5e-7", "x"}
	score := func() string { return scoreVals[rng.IntN(len(scoreVals))] }
	bound := func() string {
		b := score()
		if rng.IntN(3) == 0 {
			b = "(" + b
		}
		return b
	}
	idx := func() string { return strconv.Itoa(rng.IntN(14) - 7) }
	for i := 0; i < 4000; i++ {
		var c []string
		switch rng.IntN(20) {
		case 0, 1, 2:
			c = []string{"ZADD", key()}
			for range rng.IntN(2) {
				c = append(c, []string{"NX", "XX", "GT", "LT", "CH"}[rng.IntN(5)])
			}
			for range 1 + rng.IntN(4) {
				c = append(c, score(), member())
			}
			if rng.IntN(6) == 0 {
				c = append(c, score(), strings.Repeat("z", rng.IntN(3)*40)+fmt.Sprint(rng.IntN(200)))
			}
		case 3:
			c = []string{"ZINCRBY", key(), score(), member()}
		case 4:
			c = []string{"ZREM", key(), member(), member()}
		case 5:
			c = []string{"ZRANGE", key(), idx(), idx()}
			if rng.IntN(2) == 0 {
				c = append(c, "WITHSCORES")
			}
			if rng.IntN(2) == 0 {
				c = append(c, "REV")
			}
		case 6:
			c = []string{"ZRANGEBYSCORE", key(), bound(), bound(), "WITHSCORES"}
			if rng.IntN(2) == 0 {
				c = append(c, "LIMIT", idx(), idx())
			}
		case 7:
			c = []string{"ZREVRANGEBYSCORE", key(), bound(), bound()}
		case 8:
			c = []string{"ZCOUNT", key(), bound(), bound()}
		case 9:
			c = []string{[]string{"ZRANK", "ZREVRANK"}[rng.IntN(2)], key(), member()}
		case 10:
			c = []string{"ZSCORE", key(), member()}
		case 11:
			c = []string{[]string{"ZPOPMIN", "ZPOPMAX"}[rng.IntN(2)], key(), strconv.Itoa(rng.IntN(3))}
		case 12:
			c = []string{"ZREMRANGEBYRANK", key(), idx(), idx()}
		case 13:
			c = []string{"ZREMRANGEBYSCORE", key(), bound(), bound()}
		case 14:
			c = []string{[]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[rng.IntN(3)], key(), "2", key(), key()}
		case 15:
			c = []string{[]string{"ZUNION", "ZINTER", "ZDIFF"}[rng.IntN(3)], "2", key(), key(), "WITHSCORES"}
		case 16:
			c = []string{"ZRANGESTORE", key(), key(), idx(), idx()}
		case 17:
			c = []string{"ZMPOP", "2", key(), key(), []string{"MIN", "MAX"}[rng.IntN(2)], "COUNT", strconv.Itoa(1 + rng.IntN(3))}
		case 18:
			c = []string{"ZCARD", key()}
		case 19:
			c = []string{"OBJECT", "ENCODING", key()}
		}
		if !p.CheckWith(scoreNorm, c...) {
			for _, k := range keys {
				t.Logf("%s: redis %s %s carmine %s %s", k, difftest.Format(p.Redis.Do("OBJECT", "ENCODING", k)),
					difftest.Format(p.Redis.Do("ZRANGE", k, "0", "-1", "WITHSCORES")),
					difftest.Format(p.Carmine.Do("OBJECT", "ENCODING", k)), difftest.Format(p.Carmine.Do("ZRANGE", k, "0", "-1", "WITHSCORES")))
			}
			t.Fatalf("stopping at random command %d (seed 11,13): %q", i, c)
		}
	}
}

// TestAppendScore checks scores print as Redis 7.2 prints them (d2string with fpconv_dtoa), which Redis 7.0
// (%.17g) does not, so the differential tests cannot.
func TestAppendScore(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"}, {1e21, "1e+21"}, {3.0, "3"}, {negZero(), "-0"}, {0, "0"}, {1.5, "1.5"}, {-2.5, "-2.5"},
		{1e18, "1000000000000000000"}, {4611686018427387904, "4611686018427387904"}, {5e18, "5e+18"},
		{1e22, "1e+22"}, {1.5e-7, "1.5e-7"}, {0.0001, "0.0001"}, {0.00001, "0.00001"}, {1.2345678e-5, "1.2345678e-5"},
		{123456789.123, "123456789.123"}, {1e300, "1e+300"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"}, {1.0 / 3, "0.3333333333333333"}, {-1e-10, "-1e-10"}, {2.5e25, "2.5e+25"},
	} {
		assert.Equal(t, tc.want, string(appendScore(nil, tc.f)), "%v", tc.f)
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}

// TestParseScore checks the float syntax of arguments against what strtod accepts and Redis refuses.
func TestParseScore(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "-1.5": true, "+.5": true, "5.": true, "1e5": true, "0x1p3": true,
		"0x10": true, "inf": true, "-Infinity": true, "": false, " 1": false, "1 ": false, "nan": false, "1e400": false,
		"1e-400": false, "0e-400": true, "4.9e-324": true, "abc": false, ".": false, "1e": false, "0x": false, "infinit": false} {
		_, ok := parseScore([]byte(in))
		require.Equal(t, want, ok, "%q", in)
	}
}

// TestZRankWithScore checks Redis 7.2's ZRANK/ZREVRANK WITHSCORE, which Redis 7.0 does not have.
func TestZRankWithScore(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	c.Do("ZADD", "z", "1", "a", "2.5", "b", "3", "c")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ZRANK", "z", "b", "WITHSCORE"}, `[(integer) 1, "2.5"]`},
		{[]string{"ZREVRANK", "z", "b", "withscore"}, `[(integer) 1, "2.5"]`},
		{[]string{"ZREVRANK", "z", "a", "WITHSCORE"}, `[(integer) 2, "1"]`},
		{[]string{"ZRANK", "z", "x", "WITHSCORE"}, `(nil array)`},
		{[]string{"ZRANK", "nokey", "x", "WITHSCORE"}, `(nil array)`},
		{[]string{"ZRANK", "z", "b", "WITHSCORES"}, `(error) ERR syntax error`},
		{[]string{"ZRANK", "z", "b", "WITHSCORE", "x"}, `(error) ERR wrong number of arguments for 'zrank' command`},
	} {
		assert.Equal(t, tc.want, difftest.Format(c.Do(tc.args...)), "%q", tc.args)
	}
	c.Do("HELLO", "3")
	assert.Equal(t, `[(integer) 1, (double) 2.5]`, difftest.Format(c.Do("ZRANK", "z", "b", "WITHSCORE")))
	assert.Equal(t, `(null)`, difftest.Format(c.Do("ZRANK", "z", "x", "WITHSCORE")))
}
