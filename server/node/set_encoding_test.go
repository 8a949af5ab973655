package node

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestSetEncodings72 checks OBJECT ENCODING of sets where Redis 7.2 differs from the 7.0 the differential test
// runs against: 7.2 keeps small sets of strings in a listpack (set-max-listpack-entries 128, -value 64), and
// the sets that SINTERSTORE, SUNIONSTORE, SDIFFSTORE, SMOVE and SPOP build follow t_set.c's rules.
func TestSetEncodings72(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	do := func(args ...string) string { return difftest.Format(c.Do(args...)) }
	enc := func(key string) string { return string(c.Do("OBJECT", "ENCODING", key).Str) }
	many := func(cmd, key, prefix string, n int) {
		args := []string{cmd, key}
		for i := 0; i < n; i++ {
			args = append(args, fmt.Sprint(prefix, i))
		}
		require.Equal(t, fmt.Sprintf("(integer) %d", n), do(args...))
	}

	do("SADD", "s", "a", "b")
	assert.Equal(t, "listpack", enc("s"))
	do("SADD", "i", "1", "2")
	assert.Equal(t, "intset", enc("i"))
	do("SADD", "i", "x")
	assert.Equal(t, "listpack", enc("i"), "a string joins a small intset")
	do("SREM", "i", "x")
	assert.Equal(t, "listpack", enc("i"), "no conversion back")
	do("SADD", "mixed", "1", "a")
	assert.Equal(t, "listpack", enc("mixed"), "the first member decides: an intset, then a listpack")

	many("SADD", "l128", "m", 128)
	assert.Equal(t, "listpack", enc("l128"))
	do("SADD", "l128", "one-more")
	assert.Equal(t, "hashtable", enc("l128"))
	many("SADD", "l129", "m", 129)
	assert.Equal(t, "hashtable", enc("l129"), "SADD of more than 128 members at once")
	do("SADD", "long", strings.Repeat("v", 64))
	assert.Equal(t, "listpack", enc("long"))
	do("SADD", "long", strings.Repeat("v", 65))
	assert.Equal(t, "hashtable", enc("long"))
	many("SADD", "i200", "", 200)
	do("SADD", "i200", "x")
	assert.Equal(t, "hashtable", enc("i200"), "too many for a listpack: an intset of 200 becomes a hashtable")

	// Results built by commands.
	do("SINTERSTORE", "d", "s", "s")
	assert.Equal(t, "listpack", enc("d"))
	do("SADD", "n1", "1", "2", "3", "a")
	do("SADD", "n2", "1", "2", "b")
	do("SINTERSTORE", "d", "n1", "n2")
	assert.Equal(t, "intset", enc("d"), "an intersection of integers only becomes an intset")
	do("SUNIONSTORE", "d", "n1", "n2")
	assert.Equal(t, "listpack", enc("d"))
	do("SDIFFSTORE", "d", "n1", "s")
	assert.Equal(t, "intset", enc("d"), "a difference of integers only is built as an intset")
	do("SDIFFSTORE", "d", "n1", "n2")
	assert.Equal(t, "listpack", enc("d"))
	do("SUNIONSTORE", "d", "i200")
	assert.Equal(t, "hashtable", enc("d"))
	do("SMOVE", "s", "new", "a")
	assert.Equal(t, "listpack", enc("new"))
	do("SMOVE", "n1", "newi", "3")
	assert.Equal(t, "intset", enc("newi"))

	// SPOP with a count near the size rebuilds the rest: a hashtable of strings becomes a listpack again.
	many("SADD", "pop", "m", 300)
	require.Equal(t, "hashtable", enc("pop"))
	do("SPOP", "pop", "290")
	assert.Equal(t, "(integer) 10", do("SCARD", "pop"))
	assert.Equal(t, "listpack", enc("pop"))
	many("SADD", "pop2", "m", 300)
	do("SPOP", "pop2", "10")
	assert.Equal(t, "hashtable", enc("pop2"), "popping a few keeps the hashtable")
}
