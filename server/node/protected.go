package node

import (
	"net"
	"time"
)

// errProtectedMode is Redis 7.0's refusal of a connection from outside in protected mode, word for word.
const errProtectedMode = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// deniedByProtectedMode turns away a connection from a non-loopback address while protected-mode is yes and the
// default user has no password (nopass), as Redis does, and reports whether it did. A server bound to loopback
// addresses only never sees such connections.
func (s *Server) deniedByProtectedMode(conn net.Conn) bool {
	if !s.protectedMode.Load() || !s.acl.def.cur.Load().NoPass() || isLoopback(conn.RemoteAddr()) {
		return false
	}
	s.connected.Add(-1)
	s.stats.rejected.Add(1)
	conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	conn.Write([]byte(errProtectedMode))
	conn.Close()
	return true
}

// isLoopback reports whether a peer is local: a loopback IP address, or not an IP address at all (a Unix
// socket).
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return !ok || tcp.IP.IsLoopback()
}
