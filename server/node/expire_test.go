package node

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// dbsize reads DBSIZE, which counts keys that expired but were not yet removed: a falling DBSIZE shows the
// active expiry cycle at work, since nothing touches the keys.
func dbsize(t *testing.T, c *difftest.Conn) int64 {
	t.Helper()
	v := c.Do("DBSIZE")
	require.Equal(t, "(integer)", difftest.Format(v)[:9])
	return v.Int
}

// TestActiveExpiry checks that keys with a TTL disappear without being touched: one key within a second of its
// expiry, and 100,000 short-lived keys within a few seconds, while the server keeps answering quickly.
func TestActiveExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		c := difftest.Dial(t, addr)

		require.Equal(t, "+OK", difftest.Format(c.Do("SET", "lonely", "v", "PX", "200")))
		set := time.Now()
		require.Eventually(t, func() bool { return dbsize(t, c) == 0 }, 1200*time.Millisecond, 10*time.Millisecond,
			"a key with a 200 ms TTL is gone within a second of expiring, untouched")
		t.Logf("one key: gone %v after SET", time.Since(set))

		const n = 100_000
		var batch bytes.Buffer
		for i := 0; i < n; i++ {
			k := "k:" + strconv.Itoa(i)
			batch.WriteString("*5\r\n$3\r\nSET\r\n$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n$1\r\nv\r\n$2\r\nPX\r\n$3\r\n" +
				strconv.Itoa(100+i%900) + "\r\n")
		}
		c.SendRaw(batch.Bytes())
		for i := 0; i < n; i++ {
			v, err := c.ReceiveErr(10 * time.Second)
			require.NoError(t, err)
			require.Equal(t, "+OK", difftest.Format(v))
		}
		loaded := time.Now()
		probe := difftest.Dial(t, addr)
		var slowest time.Duration
		require.Eventually(t, func() bool {
			start := time.Now()
			assert.Equal(t, "+PONG", difftest.Format(probe.Do("PING")))
			slowest = max(slowest, time.Since(start))
			return dbsize(t, c) == 0
		}, 5*time.Second, 20*time.Millisecond, "100,000 keys with TTLs under a second are all gone within a few seconds")
		t.Logf("100,000 keys: all gone %v after loading; slowest PING %v", time.Since(loaded), slowest)
		assert.Less(t, slowest, 250*time.Millisecond, "the server keeps answering while it expires keys")
	})
}
