package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestACL72Texts checks what Redis 7.2 changed in ACL replies, which the differential tests (against 7.0)
// normalise away: NOPERM errors and ACL DRYRUN texts naming the user, ACL LOG's entry-id and timestamps, and
// INFO's acl_access_denied_* counters.
func TestACL72Texts(t *testing.T) {
	_, addr := startServer(t)
	admin := difftest.Dial(t, addr)
	do := func(c *difftest.Conn, args ...string) string { return difftest.Format(c.Do(args...)) }
	require.Equal(t, "+OK", do(admin, "ACL", "SETUSER", "alice", "on", ">pw", "~a*", "&news", "-@all", "+get", "+publish"))

	assert.Equal(t, `"User alice has no permissions to run the 'set' command"`, do(admin, "ACL", "DRYRUN", "alice", "SET", "a", "v"))
	assert.Equal(t, `"User alice has no permissions to access the 'b' key"`, do(admin, "ACL", "DRYRUN", "alice", "GET", "b"))
	assert.Equal(t, `"User alice has no permissions to access the 'x' channel"`, do(admin, "ACL", "DRYRUN", "alice", "PUBLISH", "x", "m"))

	c := difftest.Dial(t, addr)
	before := time.Now().UnixMilli()
	assert.Equal(t, "(error) WRONGPASS invalid username-password pair or user is disabled.", do(c, "AUTH", "alice", "nope"))
	require.Equal(t, "+OK", do(c, "AUTH", "alice", "pw"))
	assert.Equal(t, "(error) NOPERM User alice has no permissions to run the 'set' command", do(c, "SET", "a", "v"))
	assert.Equal(t, "(error) NOPERM No permissions to access a key", do(c, "GET", "b"))
	assert.Equal(t, "(error) NOPERM No permissions to access a channel", do(c, "PUBLISH", "x", "m"))
	assert.Equal(t, "(error) NOPERM No permissions to access a key", do(c, "GET", "b")) // grouped with the first

	stats := string(admin.Do("INFO", "stats").Str)
	for _, f := range []string{"acl_access_denied_auth:1", "acl_access_denied_cmd:1", "acl_access_denied_key:2",
		"acl_access_denied_channel:1"} {
		assert.Contains(t, stats, f+"\r\n")
	}

	log := admin.Do("ACL", "LOG")
	require.Len(t, log.Elems, 4)
	field := func(e int, name string) int64 {
		f := log.Elems[e].Elems
		for i := 0; i+1 < len(f); i += 2 {
			if string(f[i].Str) == name {
				return f[i+1].Int
			}
		}
		t.Fatalf("entry %d has no %s", e, name)
		return 0
	}
	// Newest first: the key entry (updated last, created third), channel, command, auth.
	for i, want := range []int64{2, 3, 1, 0} {
		assert.Equal(t, want, field(i, "entry-id"), "entry %d", i)
		assert.GreaterOrEqual(t, field(i, "timestamp-created"), before)
		assert.GreaterOrEqual(t, field(i, "timestamp-last-updated"), field(i, "timestamp-created"))
	}
	assert.Equal(t, int64(2), field(0, "count"))
	require.Equal(t, "+OK", do(admin, "ACL", "LOG", "RESET"))
	do(c, "GET", "b")
	log = admin.Do("ACL", "LOG")
	assert.Equal(t, int64(4), field(0, "entry-id"), "ids go on after RESET")
}
