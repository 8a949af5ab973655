package replproto_test

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

// infoField returns a field of INFO's text.
func infoField(info []byte, field string) string {
	for _, line := range bytes.Split(info, []byte("\r\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(k) == field {
			return string(v)
		}
	}
	return ""
}

// TestDecideAgainstRedis compares Decide with a real Redis's answers to PSYNC after a promotion: a Redis
// replica R of a Redis primary P is promoted (REPLICAOF NO ONE) and takes writes of its own; then PSYNCs with
// either id and offsets around the edges of R's backlog and of P's history must get +CONTINUE exactly when
// Decide, given R's ids and backlog from INFO, says so.
func TestDecideAgainstRedis(t *testing.T) {
	quiet := []string{"--repl-ping-replica-period", "3600", "--repl-diskless-sync", "no"}
	pAddr := startRedis(t, quiet...)
	pHost, pPort, err := net.SplitHostPort(pAddr)
	require.NoError(t, err)
	rAddr := startRedis(t, append(quiet, "--replicaof", pHost, pPort, "--repl-backlog-size", "16kb")...)
	p, r := dial(t, pAddr), dial(t, rAddr)
	// R must be linked before the writes: P counts offsets only once it has a replica (a backlog), so writes
	// made before R's PSYNC would reach R in the RDB instead of the stream, leaving R's backlog not full.
	require.Eventually(t, func() bool {
		return infoField(do(t, r, "INFO", "replication").Str, "master_link_status") == "up"
	}, 10*time.Second, 10*time.Millisecond, "R links to P")
	big := string(bytes.Repeat([]byte("v"), 2000))
	for i := range 40 { // 80 KB: more than R's backlog holds
		require.Equal(t, "OK", string(do(t, p, "SET", "k"+strconv.Itoa(i), big).Str))
	}
	require.Eventually(t, func() bool {
		pi, ri := do(t, p, "INFO", "replication").Str, do(t, r, "INFO", "replication").Str
		return infoField(ri, "master_link_status") == "up" &&
			infoField(ri, "master_repl_offset") == infoField(pi, "master_repl_offset")
	}, 10*time.Second, 10*time.Millisecond)

	require.Equal(t, "OK", string(do(t, r, "REPLICAOF", "NO", "ONE").Str))
	for i := range 5 {
		require.Equal(t, "OK", string(do(t, r, "SET", "r"+strconv.Itoa(i), "v").Str))
	}
	info := do(t, r, "INFO", "replication").Str
	num := func(field string) int64 {
		n, err := strconv.ParseInt(infoField(info, field), 10, 64)
		require.NoError(t, err, field)
		return n
	}
	id, err := replproto.ParseID(infoField(info, "master_replid"))
	require.NoError(t, err)
	id2, err := replproto.ParseID(infoField(info, "master_replid2"))
	require.NoError(t, err)
	ids := replproto.IDs{ID: id, ID2: id2, SecondOffset: num("second_repl_offset")}
	first, histlen, offset := num("repl_backlog_first_byte_offset"), num("repl_backlog_histlen"), num("master_repl_offset")
	// Redis trims its backlog in 16 KiB blocks, so it may hold more than repl_backlog_size: size ours to hold
	// what Redis holds.
	backlog := replproto.NewBacklog(max(int(num("repl_backlog_size")), int(histlen)), first-1)
	backlog.Append(make([]byte, histlen))
	require.Equal(t, offset, backlog.Offset())
	require.Greater(t, offset, ids.SecondOffset, "R took writes after its promotion")
	require.Greater(t, first, int64(1), "R's backlog lost the oldest history")
	t.Logf("R: id %s id2 %s second %d backlog %d..%d", id, id2, ids.SecondOffset, first, offset)

	sec := ids.SecondOffset
	nexts := []int64{first - 1, first, first + 1, sec - 1, sec, sec + 1, offset, offset + 1, offset + 2}
	for _, replid := range []string{id.String(), id2.String(), idA, ""} {
		for _, next := range nexts {
			want := replproto.Decide(ids, backlog, replid, next)
			c := replproto.NewConn(dial(t, rAddr))
			reply, err := c.Handshake(replproto.HandshakeConfig{ReplID: replid, Next: next})
			require.NoError(t, err)
			assert.Equal(t, want.Continue, reply.Kind == replproto.ReplyContinue,
				"PSYNC %q %d: Redis said %q, Decide said %v (%s)", replid, next, reply.Line, want.Continue, want.Reason)
			if replid == "" {
				break
			}
		}
	}
	// Nothing above changed R's offsets.
	assert.Equal(t, infoField(info, "master_repl_offset"), infoField(do(t, r, "INFO", "replication").Str, "master_repl_offset"))
}
