//go:build unix

package node

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// limitFiles lowers the process's limit of open files to n.
func limitFiles(n int) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)})
}

// TestOutOfFileDescriptors runs out of file descriptors in the server: connections beyond its limit wait or
// fail, the clients it has keep being served, and once connections close new ones are served again. Redis,
// too, logs the failed accept and goes on.
func TestOutOfFileDescriptors(t *testing.T) {
	for _, loops := range []int{1, 0} {
		t.Run("loops="+strconv.Itoa(loops), func(t *testing.T) {
			addr := startChildServer(t, loops, childNoFileEnv+"=64")
			first := difftest.Dial(t, addr)
			require.Equal(t, "+PONG", difftest.Format(first.Do("PING")))
			var extra []net.Conn
			for i := 0; i < 100; i++ { // more than the server may hold open
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					break
				}
				extra = append(extra, c)
			}
			time.Sleep(100 * time.Millisecond) // let the server hit the limit
			require.Equal(t, "+PONG", difftest.Format(first.Do("PING")), "a connected client while out of descriptors")
			for _, c := range extra {
				c.Close()
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err == nil {
					c.SetDeadline(time.Now().Add(2 * time.Second))
					_, err = c.Write([]byte("PING\r\n"))
					buf := make([]byte, 7)
					if err == nil {
						_, err = c.Read(buf)
					}
					c.Close()
					if err == nil && string(buf) == "+PONG\r\n" {
						break
					}
				}
				require.True(t, time.Now().Before(deadline), "no new connection was served after the others closed: %v", err)
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
