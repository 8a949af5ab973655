package node

import (
	"context"
	"net"
	"time"
)

// timeout and tcp-keepalive: a client idle for longer than timeout seconds is closed, as Redis's
// clientsCronHandleTimeout does, except while it waits in a blocking command or a pause, subscribes to
// channels, or is a MONITOR (Redis exempts blocked, pub/sub and replica clients, monitors being replicas
// there). Accepted sockets get TCP keep-alive probes every tcp-keepalive seconds.

// closeIdleClients closes the clients idle for longer than the timeout, once a second as Redis's clients cron
// visits each client, until ctx is done. It returns nil.
func (s *Server) closeIdleClients(ctx context.Context) error {
	return every(ctx, time.Second, func(time.Time) time.Duration {
		if limit := s.live.timeoutMs.Load(); limit > 0 {
			for _, c := range s.idleClients(s.clock.Load(), limit) {
				s.log.Debug("closing idle client", "client-id", c.id, "addr", c.addr)
				c.kill(c)
			}
		}
		return time.Second
	})
}

// idleClients returns the clients that timeout closes at now (server clock, Unix ms): idle for longer than
// limit ms, and neither blocked, subscribed nor monitoring.
func (s *Server) idleClients(now, limit int64) []*client {
	const exempt = flagBlocked | flagPubSub | flagMonitor
	s.mu.Lock()
	defer s.mu.Unlock()
	var idle []*client
	for _, c := range s.clients {
		// Matches Redis: idle seconds must exceed timeout (server.unixtime - lastinteraction > maxidletime).
		if clientFlags(c.pub.flags.Load())&exempt == 0 && (now-c.pub.active.Load())/1000 > limit/1000 {
			idle = append(idle, c)
		}
	}
	return idle
}

// setKeepAlive turns TCP keep-alive on for conn with Redis's settings (anetKeepAlive): the first probe after
// secs idle seconds, then every secs/3 seconds, three unanswered probes ending the connection; or off for 0.
// Go turns keep-alive on for accepted connections by default, so 0 must turn it off.
func setKeepAlive(conn net.Conn, secs int64) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	if secs <= 0 {
		tc.SetKeepAlive(false)
		return
	}
	idle := time.Duration(secs) * time.Second
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: idle, Interval: max(idle/3, time.Second), Count: 3})
}
