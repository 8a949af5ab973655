package node

import (
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// remoteConn is one end of a pipe that claims to come from addr.
type remoteConn struct {
	net.Conn
	addr net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.addr }

// TestProtectedMode checks that protected mode turns away non-loopback clients with Redis's message while the
// default user has no password, and only then.
func TestProtectedMode(t *testing.T) {
	srv, _ := startServer(t)
	outside := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 5000}
	try := func(addr net.Addr) (denied bool, msg string) {
		a, b := net.Pipe()
		defer b.Close()
		done := make(chan []byte)
		go func() { data, _ := io.ReadAll(b); done <- data }()
		srv.connected.Add(1)
		denied = srv.deniedByProtectedMode(remoteConn{a, addr})
		if !denied {
			srv.connected.Add(-1)
			a.Close()
		}
		return denied, string(<-done)
	}
	denied, msg := try(outside)
	assert.True(t, denied)
	assert.Equal(t, errProtectedMode, msg)
	denied, _ = try(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5000})
	assert.False(t, denied, "loopback")
	denied, _ = try(&net.TCPAddr{IP: net.ParseIP("::1"), Port: 5000})
	assert.False(t, denied, "loopback v6")

	require.NoError(t, srv.configSet([][]byte{[]byte("requirepass"), []byte("x")}))
	denied, _ = try(outside)
	assert.False(t, denied, "with a password")
	require.NoError(t, srv.configSet([][]byte{[]byte("requirepass"), []byte(""), []byte("protected-mode"), []byte("no")}))
	denied, _ = try(outside)
	assert.False(t, denied, "protected-mode no")
	cfg := srv.config()
	v, _ := cfg.Get("protected-mode")
	assert.Equal(t, "no", v)
}
