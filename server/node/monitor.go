package node

import (
	"strconv"
	"time"
)

// MONITOR: the client receives every command that other clients run, as Redis formats it.
func cmdMonitor(c *client, args [][]byte) error {
	if c.flags&flagMonitor != 0 {
		return nil // Redis ignores a second MONITOR, without a reply
	}
	c.flags |= flagMonitor
	c.w.WriteSimple("OK")
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	s.monitorList = append(s.monitorList, c)
	s.publishMonitors()
	return nil
}

// removeMonitor drops a closing client from the monitors. Call with s.mu held.
func (s *Server) removeMonitor(c *client) {
	for i, m := range s.monitorList {
		if m == c {
			s.monitorList = append(s.monitorList[:i], s.monitorList[i+1:]...)
			s.publishMonitors()
			return
		}
	}
}

// publishMonitors makes the monitor list visible to clients running commands. Call with s.mu held.
func (s *Server) publishMonitors() {
	if len(s.monitorList) == 0 {
		s.monitors.Store(nil)
		return
	}
	list := append([]*client(nil), s.monitorList...)
	s.monitors.Store(&list)
}

// feedMonitors sends a command that ran to every monitor, after it ran, as Redis does:
// +<unix time>.<microseconds> [<db> <addr>] "arg" ... with secrets redacted.
func (c *client) feedMonitors(mons []*client, cmd *command, args [][]byte) {
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.AppendInt(nil, int64(now.Nanosecond()/1000), 10)
	b = append(b, "000000"[len(us):]...)
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.db), 10)
	b = append(b, ' ')
	b = append(b, c.addr...)
	b = append(b, ']')
	redact := redactedArgs(cmd, args)
	for i, a := range args {
		b = append(b, ' ')
		if redact(i) {
			b = append(b, `"(redacted)"`...)
		} else {
			b = appendQuoted(b, a)
		}
	}
	b = append(b, "\r\n"...)
	for _, m := range mons {
		m.push(b)
	}
}

// appendQuoted appends s in double quotes with Redis's escapes (sdscatrepr): \\ \" \n \r \t \a \b, and \xHH for
// other bytes that are not printable.
func appendQuoted(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= ' ' && ch <= '~' {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
