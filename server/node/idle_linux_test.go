package node

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestTCPKeepAlive checks the keep-alive settings of accepted sockets: Redis's for tcp-keepalive 300 (the
// default), then off once CONFIG SET makes it 0, for connections accepted after the change.
func TestTCPKeepAlive(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		srv, addr := startServer(t, mode)
		sockopt := func(level, opt int) int {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			var fd int = -1
			for _, c := range srv.clients {
				if c.id == srv.nextID.Load() {
					fd = c.fd
				}
			}
			require.NotEqual(t, -1, fd)
			v, err := syscall.GetsockoptInt(fd, level, opt)
			require.NoError(t, err)
			return v
		}
		c := difftest.Dial(t, addr)
		require.Equal(t, "+PONG", difftest.Format(c.Do("PING")))
		assert.Equal(t, 1, sockopt(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE))
		assert.Equal(t, 300, sockopt(syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE))
		assert.Equal(t, 100, sockopt(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL))
		assert.Equal(t, 3, sockopt(syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT))

		require.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "SET", "tcp-keepalive", "0")))
		c2 := difftest.Dial(t, addr)
		require.Equal(t, "+PONG", difftest.Format(c2.Do("PING")))
		assert.Equal(t, 0, sockopt(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE))
	})
}
