package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestIdleTimeout sets timeout 1: an idle client is closed, while a busy one, a subscriber, a client blocked
// in BLPOP and a MONITOR stay connected, as in Redis.
func TestIdleTimeout(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode, func(c *Config) { c.Timeout = 1 })
		idle := difftest.Dial(t, addr)
		require.Equal(t, "+PONG", difftest.Format(idle.Do("PING")))
		busy := difftest.Dial(t, addr)
		sub := difftest.Dial(t, addr)
		sub.Do("SUBSCRIBE", "ch")
		blocked := difftest.Dial(t, addr)
		blocked.Send("BLPOP", "list", "0")
		// BLPOP runs before MONITOR starts, or the monitor's first line may be BLPOP instead of a PING.
		require.Eventually(t, func() bool { return replInfo(busy, "clients", "blocked_clients") == "1" },
			5*time.Second, 5*time.Millisecond, "BLPOP blocks")
		mon := difftest.Dial(t, addr)
		require.Equal(t, "+OK", difftest.Format(mon.Do("MONITOR")))

		start := time.Now()
		for time.Since(start) < 3500*time.Millisecond {
			require.Equal(t, "+PONG", difftest.Format(busy.Do("PING")), "a busy client")
			time.Sleep(250 * time.Millisecond)
		}
		assertClosed(t, idle, "an idle client")
		// The others are still served.
		require.Equal(t, "(integer) 1", difftest.Format(busy.Do("PUBLISH", "ch", "m")))
		assert.Equal(t, `["message", "ch", "m"]`, difftest.Format(sub.Receive()))
		require.Equal(t, "(integer) 1", difftest.Format(busy.Do("RPUSH", "list", "v")))
		assert.Equal(t, `["list", "v"]`, difftest.Format(blocked.Receive()))
		v, err := mon.ReceiveErr(5 * time.Second)
		require.NoError(t, err, "the monitor is still connected")
		assert.Contains(t, difftest.Format(v), "PING")
		// Timeout 0 turns it off.
		require.Equal(t, "+OK", difftest.Format(busy.Do("CONFIG", "SET", "timeout", "0")))
		quiet := difftest.Dial(t, addr)
		time.Sleep(2500 * time.Millisecond)
		assert.Equal(t, "+PONG", difftest.Format(quiet.Do("PING")))
	})
}
