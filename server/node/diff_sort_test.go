package node

import (
	"strings"
	"testing"
)

// TestDiffSort compares SORT and SORT_RO with real Redis: numeric and ALPHA sorts, BY and GET patterns over
// strings and hash fields, LIMIT clamping, DESC, BY nosort, STORE, and the errors.
func TestDiffSort(t *testing.T) { ioModes(t, testDiffSort) }

func testDiffSort(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	setup := []string{
		"RPUSH nums 3 1 2 10 -5 2.5 inf", "RPUSH words banana apple cherry date", "RPUSH mixed 3 x 1",
		"SADD set 5 3 9 1", "SADD wset pear fig kiwi", "ZADD zs 3 c 1 a 2 b", "SET str v", "RPUSH empty x", "LPOP empty",
		"MSET w_3 30 w_1 10 w_2 20 w_10 5 w_-5 50 w_2.5 40 w_inf 0", "MSET name_1 one name_2 two name_3 three",
		"HSET h_banana price 3 tag b", "HSET h_apple price 1 tag a", "HSET h_cherry price 2", "MSET a_banana zz a_apple yy",
		"RPUSH sp 1 2 3", "SET bad_1 x",
	}
	for _, s := range setup {
		p.Check(strings.Fields(s)...)
	}
	for _, s := range []string{
		"SORT nums", "SORT nums DESC", "SORT nums LIMIT 1 3", "SORT nums LIMIT -5 2", "SORT nums LIMIT 2 -1", "SORT nums LIMIT 100 5",
		"SORT nums LIMIT 0 0", "SORT_RO nums DESC LIMIT 0 2", "SORT words", "SORT words ALPHA", "SORT words ALPHA DESC LIMIT 1 2",
		"SORT mixed", "SORT mixed ALPHA", "SORT set", "SORT set DESC", "SORT wset ALPHA", "SORT zs", "SORT zs ALPHA DESC",
		"SORT nums BY w_*", "SORT nums BY w_* DESC GET # GET w_*", "SORT sp BY nosort", "SORT sp BY nosort DESC", "SORT zs BY nosort",
		"SORT zs BY nosort DESC LIMIT 0 2", "SORT sp GET name_*", "SORT sp GET name_* GET # GET nothing_*", "SORT sp GET nostar",
		"SORT words BY h_*->price", "SORT words BY h_*->price GET h_*->tag GET #", "SORT words BY a_* ALPHA", "SORT words BY a_* ALPHA DESC",
		"SORT words BY h_*-> ALPHA", "SORT sp BY bad_*", "SORT nokey", "SORT str", "SORT nums LIMIT x 1", "SORT nums LIMIT 1",
		"SORT nums FOO", "SORT_RO nums STORE dst", "SORT nums BY", "SORT nums GET",
		"SORT nums STORE dst", "LRANGE dst 0 -1", "SORT words ALPHA STORE dst", "LRANGE dst 0 -1",
		"SORT sp GET nothing_* STORE dst", "LRANGE dst 0 -1", "SORT set BY nosort STORE dst", "LRANGE dst 0 -1",
		"EXPIRE dst 100", "SORT nokey STORE dst", "EXISTS dst", "SORT nokey STORE dst", "SORT str STORE dst", "SORT words STORE dst",
	} {
		p.Check(strings.Fields(s)...)
	}
	// Weights as strtod reads them: leading spaces and "" are numbers, trailing junk is not.
	p.Check("RPUSH", "odd", " 1", "", "2", "0x10", "1e2")
	p.Check("SORT", "odd")
	p.Check("RPUSH", "odd", "1 ")
	p.Check("SORT", "odd")
	p.Check("SORT", "odd", "ALPHA")
	// BY and GET patterns read any key: they need a user who may read every key.
	p.Check("ACL", "SETUSER", "sorter", "on", ">pw", "~nums", "~w_*", "+@all")
	p.Check("ACL", "SETUSER", "reader", "on", ">pw", "%R~*", "+@all")
	p.Check("AUTH", "sorter", "pw")
	for _, s := range []string{"SORT nums", "SORT nums BY w_*", "SORT nums BY nosort", "SORT nums GET #", "SORT nums GET w_*", "SORT nums LIMIT 0 1 GET # BY w_*"} {
		p.Check(strings.Fields(s)...)
	}
	p.Check("AUTH", "reader", "pw")
	p.Check("SORT", "nums", "BY", "w_*", "GET", "w_*")
}
