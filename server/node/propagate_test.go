package node

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFakeClientApply: a fake client replays commands (MULTI/EXEC and SELECT included) without ACL checks,
// propagating nothing, and reports errors, EXEC's included.
func TestFakeClientApply(t *testing.T) {
	srv, _ := startServer(t, func(c *Config) { c.RequirePass = "secret" })
	rec := &recordSink{}
	tx := srv.ks.BeginAll(0)
	srv.attachSink(toRepl, rec)
	tx.End()
	c := srv.newFakeClient()
	for _, line := range []string{"SET a 1", "MULTI", "INCR a", "SELECT 3", "SET b 2", "EXEC", "RPUSH b x"} {
		err := c.apply(argsOf(line))
		if line == "RPUSH b x" {
			require.ErrorContains(t, err, "WRONGTYPE")
		} else {
			require.NoError(t, err, line)
		}
	}
	require.ErrorContains(t, c.apply(argsOf("NOSUCHCOMMAND")), "unknown command")
	require.NoError(t, c.apply(argsOf("MULTI")))
	require.NoError(t, c.apply(argsOf("SET a x")))
	require.NoError(t, c.apply(argsOf("INCR a")))
	require.ErrorContains(t, c.apply(argsOf("EXEC")), "not an integer")

	get := func(db int, key string) string {
		tx := srv.ks.Begin(db, []byte(key))
		defer tx.End()
		e, ok := tx.Lookup([]byte(key))
		require.True(t, ok, key)
		return string(e.Bytes(nil))
	}
	require.Equal(t, "x", get(3, "a"), "the SELECT inside EXEC stays, as for any client")
	require.Equal(t, "2", get(3, "b"))
	require.Equal(t, "2", get(0, "a"))
	require.Empty(t, rec.bytes(), "a fake client propagates nothing unless told")

	c.prop.mute = toRepl // a replica's primary: its stream goes on to the AOF only
	require.NoError(t, c.apply(argsOf("SET c 1")))
	require.Empty(t, rec.bytes(), "the replication class gets nothing")
}

func argsOf(line string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(line) {
		out = append(out, []byte(f))
	}
	return out
}
