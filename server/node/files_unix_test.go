//go:build unix

package node

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// limitFiles sets the process's limit of open files: soft, and hard at most.
func limitFiles(soft, hard int) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: uint64(soft), Max: uint64(hard)})
}

// raiseFileLimit raises this process's limit of open files to n at least, within its hard limit.
func raiseFileLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= uint64(n) {
		return nil
	}
	if lim.Max < uint64(n) {
		return fmt.Errorf("the hard limit of open files is %d", lim.Max)
	}
	lim.Cur = uint64(n)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
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

// TestFitMaxClients starts a server under a low limit of open files: maxclients is lowered to fit it, as
// Redis does, and connections beyond it are refused with Redis's error instead of failing to be accepted.
func TestFitMaxClients(t *testing.T) {
	addr := startChildServer(t, 1, childNoFileAtStartEnv+"=100")
	c := difftest.Dial(t, addr)
	require.Contains(t, string(c.Do("INFO", "clients").Str), "maxclients:68\r\n")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	refused := ""
	for i := 0; i < 80 && refused == ""; i++ {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, conn)
		conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 64)
		if n, _ := conn.Read(buf); n > 0 {
			refused = fmt.Sprintf("after %d more: %q", i, buf[:n])
		}
	}
	require.Equal(t, "after 67 more: \"-ERR max number of clients reached\\r\\n\"", refused)
	require.Contains(t, string(c.Do("INFO", "stats").Str), "rejected_connections:1\r\n")
}

// TestConfigSetMaxClientsRaisesFileLimit raises maxclients at run time past the soft limit of open files: the
// limit is raised to fit, as Redis does, and a value beyond the hard limit is refused with Redis's error.
func TestConfigSetMaxClientsRaisesFileLimit(t *testing.T) {
	addr := startChildServer(t, 1, childNoFileAtStartEnv+"=100:1000", childMaxClientsEnv+"=50")
	c := difftest.Dial(t, addr)
	require.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "SET", "maxclients", "500")))
	var conns []*difftest.Conn
	for i := 0; i < 300; i++ { // three times the limit the server started with
		conns = append(conns, difftest.Dial(t, addr))
	}
	for _, cc := range conns {
		require.Equal(t, "+PONG", difftest.Format(cc.Do("PING")))
	}
	require.Equal(t, "(error) ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - The operating system "+
		"is not able to handle the specified number of clients, try with 968",
		difftest.Format(c.Do("CONFIG", "SET", "MAXCLIENTS", "5000")))
	require.Equal(t, `["maxclients", "500"]`, difftest.Format(c.Do("CONFIG", "GET", "maxclients")))
}
