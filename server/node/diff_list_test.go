package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestDiffLists runs the list commands with valid and invalid arguments against real Redis and Carmine and
// compares every reply, then a seeded random sequence over a few keys, some of them strings.
func TestDiffLists(t *testing.T) { ioModes(t, testDiffLists) }

func testDiffLists(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	big := strings.Repeat("b", 300)
	for _, c := range [][]string{
		{"LPUSH", "l"}, {"LPUSH", "l", "a"}, {"RPUSH", "l", "b", "c", "d"}, {"LPUSH", "l", "x", "y"}, {"LRANGE", "l", "0", "-1"},
		{"LPUSHX", "nol", "a"}, {"RPUSHX", "nol", "a"}, {"LPUSHX", "l", "p"}, {"RPUSHX", "l", "q", "r"}, {"EXISTS", "nol"},
		{"SET", "s", "v"}, {"LPUSH", "s", "a"}, {"RPUSHX", "s", "a"}, {"LLEN", "s"}, {"LPOP", "s"}, {"LRANGE", "s", "0", "1"},
		{"LLEN", "l"}, {"LLEN", "nol"}, {"TYPE", "l"},
		{"LINDEX", "l", "0"}, {"LINDEX", "l", "-1"}, {"LINDEX", "l", "100"}, {"LINDEX", "l", "-100"}, {"LINDEX", "l", "x"},
		{"LINDEX", "nol", "0"}, {"LINDEX", "l", "9223372036854775807"}, {"LINDEX", "l", "-9223372036854775808"},
		{"LSET", "l", "0", "first"}, {"LSET", "l", "-1", "last"}, {"LSET", "l", "99", "x"}, {"LSET", "nol", "0", "x"},
		{"LSET", "l", "x", "y"}, {"LSET", "s", "0", "x"}, {"LRANGE", "l", "0", "-1"},
		{"LINSERT", "l", "BEFORE", "b", "bb"}, {"LINSERT", "l", "after", "b", "ba"}, {"LINSERT", "l", "after", "zz", "x"},
		{"LINSERT", "nol", "after", "b", "x"}, {"LINSERT", "l", "middle", "b", "x"}, {"LINSERT", "s", "after", "b", "x"},
		{"LRANGE", "l", "0", "-1"}, {"LRANGE", "l", "-3", "-1"}, {"LRANGE", "l", "5", "2"}, {"LRANGE", "l", "-100", "100"},
		{"LRANGE", "l", "x", "1"}, {"LRANGE", "l", "1", "y"}, {"LRANGE", "nol", "0", "-1"}, {"LRANGE", "l", "100", "200"},
		{"RPUSH", "r", "a", "b", "a", "c", "a", "b", "a"}, {"LREM", "r", "2", "a"}, {"LRANGE", "r", "0", "-1"},
		{"LREM", "r", "-1", "a"}, {"LRANGE", "r", "0", "-1"}, {"LREM", "r", "0", "b"}, {"LREM", "r", "0", "zz"},
		{"LREM", "r", "x", "a"}, {"LREM", "nol", "0", "a"}, {"LREM", "r", "0", "a"}, {"LREM", "r", "0", "c"}, {"EXISTS", "r"},
		{"RPUSH", "t", "1", "2", "3", "4", "5", "6"}, {"LTRIM", "t", "1", "-2"}, {"LRANGE", "t", "0", "-1"},
		{"LTRIM", "t", "x", "1"}, {"LTRIM", "t", "-100", "100"}, {"LRANGE", "t", "0", "-1"}, {"LTRIM", "t", "3", "1"},
		{"EXISTS", "t"}, {"LTRIM", "nol", "0", "1"}, {"LTRIM", "s", "0", "1"},
		{"RPUSH", "p", "a", "b", "c", "a", "b", "a"}, {"LPOS", "p", "a"}, {"LPOS", "p", "a", "RANK", "2"},
		{"LPOS", "p", "a", "RANK", "-1"}, {"LPOS", "p", "a", "RANK", "-2", "COUNT", "0"}, {"LPOS", "p", "a", "COUNT", "2"},
		{"LPOS", "p", "a", "COUNT", "0"}, {"LPOS", "p", "a", "COUNT", "0", "MAXLEN", "4"}, {"LPOS", "p", "zz"},
		{"LPOS", "p", "zz", "COUNT", "1"}, {"LPOS", "p", "a", "RANK", "0"}, {"LPOS", "p", "a", "COUNT", "-1"},
		{"LPOS", "p", "a", "MAXLEN", "-1"}, {"LPOS", "p", "a", "RANK", "-9223372036854775808"}, {"LPOS", "p", "a", "RANK"},
		{"LPOS", "p", "a", "foo", "1"}, {"LPOS", "p", "a", "RANK", "x"}, {"LPOS", "p", "a", "RANK", "9"}, {"LPOS", "nol", "a"},
		{"LPOS", "nol", "a", "COUNT", "0"}, {"LPOS", "s", "a"}, {"LPOS", "p", "b", "RANK", "-9223372036854775807"},
		{"LPOP", "p"}, {"RPOP", "p"}, {"LPOP", "p", "2"}, {"RPOP", "p", "0"}, {"LPOP", "p", "100"}, {"EXISTS", "p"},
		{"LPOP", "nol"}, {"LPOP", "nol", "2"}, {"LPOP", "l", "-1"}, {"LPOP", "l", "x"}, {"LPOP", "l", "1", "2"},
		{"RPOP", "s"}, {"RPOP", "s", "1"},
		{"RPUSH", "m", "1", "2", "3"}, {"LMOVE", "m", "m2", "LEFT", "RIGHT"}, {"LMOVE", "m", "m2", "right", "left"},
		{"LRANGE", "m2", "0", "-1"}, {"LMOVE", "m", "m", "LEFT", "RIGHT"}, {"LMOVE", "nol", "m2", "LEFT", "LEFT"},
		{"LMOVE", "m", "m2", "up", "left"}, {"LMOVE", "m", "s", "LEFT", "LEFT"}, {"LMOVE", "s", "m", "LEFT", "LEFT"},
		{"RPOPLPUSH", "m2", "m"}, {"RPOPLPUSH", "m2", "m"}, {"RPOPLPUSH", "m2", "m"}, {"EXISTS", "m2"}, {"LRANGE", "m", "0", "-1"},
		{"RPOPLPUSH", "nol", "m"}, {"RPOPLPUSH", "m", "s"},
		{"LMPOP", "2", "nol", "m", "LEFT"}, {"LMPOP", "2", "nol", "m", "RIGHT", "COUNT", "10"}, {"LMPOP", "1", "nol", "LEFT"},
		{"LMPOP", "0", "m", "LEFT"}, {"LMPOP", "x", "m", "LEFT"}, {"LMPOP", "1", "m", "up"}, {"LMPOP", "2", "m", "LEFT"},
		{"LMPOP", "1", "m", "LEFT", "COUNT", "0"}, {"LMPOP", "1", "m", "LEFT", "COUNT", "-1"}, {"LMPOP", "1", "m", "LEFT", "COUNT"},
		{"LMPOP", "1", "m", "LEFT", "COUNT", "1", "COUNT", "2"}, {"LMPOP", "1", "m", "LEFT", "foo", "1"}, {"LMPOP", "1", "s", "LEFT"},
		{"LMPOP", "5", "m", "LEFT"},
		{"RPUSH", "big", big, big, big}, {"LRANGE", "big", "0", "-1"}, {"LINDEX", "big", "1"}, {"LPOP", "big"},
		{"RPUSH", "e", ""}, {"LRANGE", "e", "0", "-1"}, {"LPOS", "e", ""}, {"LREM", "e", "0", ""}, {"EXISTS", "e"},
	} {
		p.Check(c...)
	}
	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{{"LPOP", "nol"}, {"LPOP", "nol", "1"}, {"LMPOP", "1", "nol", "LEFT"},
			{"LMOVE", "nol", "x", "LEFT", "LEFT"}, {"LPOS", "nol", "a"}, {"LINDEX", "nol", "1"}} {
			p.Check(c...)
		}
	}

	// A seeded random sequence over a few keys, one of them a string.
	rng := rand.New(rand.NewPCG(3, 5))
	keys := []string{"l1", "l2", "l3", "str"}
	p.Check("SET", "str", "x")
	key := func() string { return keys[rng.IntN(len(keys))] }
	vals := []string{"a", "b", "c", "", "1", strings.Repeat("v", 70), strings.Repeat("w", 3000)}
	val := func() string { return vals[rng.IntN(len(vals))] }
	idx := func() string { return strconv.Itoa(rng.IntN(14) - 7) }
	side := func() string { return []string{"LEFT", "RIGHT", "left", "middle"}[rng.IntN(4)] }
	for i := 0; i < 3000; i++ {
		var c []string
		switch rng.IntN(16) {
		case 0, 1:
			c = []string{[]string{"LPUSH", "RPUSH", "LPUSHX", "RPUSHX"}[rng.IntN(4)], key(), val(), val()}
		case 2:
			c = []string{[]string{"LPOP", "RPOP"}[rng.IntN(2)], key()}
			if rng.IntN(2) == 0 {
				c = append(c, strconv.Itoa(rng.IntN(4)))
			}
		case 3:
			c = []string{"LRANGE", key(), idx(), idx()}
		case 4:
			c = []string{"LINDEX", key(), idx()}
		case 5:
			c = []string{"LSET", key(), idx(), val()}
		case 6:
			c = []string{"LINSERT", key(), []string{"BEFORE", "AFTER"}[rng.IntN(2)], val(), val()}
		case 7:
			c = []string{"LREM", key(), idx(), val()}
		case 8:
			c = []string{"LTRIM", key(), idx(), idx()}
		case 9:
			c = []string{"LPOS", key(), val()}
			for range rng.IntN(3) {
				c = append(c, []string{"RANK", "COUNT", "MAXLEN"}[rng.IntN(3)], idx())
			}
		case 10:
			c = []string{"LMOVE", key(), key(), side(), side()}
		case 11:
			c = []string{"RPOPLPUSH", key(), key()}
		case 12:
			c = []string{"LMPOP", "2", key(), key(), side()}
			if rng.IntN(2) == 0 {
				c = append(c, "COUNT", strconv.Itoa(rng.IntN(4)))
			}
		case 13:
			c = []string{"LLEN", key()}
		case 14:
			c = []string{"EXISTS", key()}
		case 15:
			c = []string{"DEL", key()}
		}
		if !p.Check(c...) {
			t.Fatalf("stopping at random command %d (seed 3,5): %s", i, fmt.Sprint(c))
		}
	}
}
