package node

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Matches Redis: SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

// slowlogEntry is one SLOWLOG GET entry.
type slowlogEntry struct {
	id   int64
	at   int64 // Unix seconds
	usec int64
	args []string // trimmed as Redis trims them
	addr string
	name string
}

// slowlog is the server's slow log: the newest entries first, at most slowlog-max-len of them.
type slowlog struct {
	mu      sync.Mutex
	entries []slowlogEntry // oldest first
	nextID  int64
}

// record adds the command to the slow log when it took at least slowlog-log-slower-than microseconds. The
// common case, a fast command, costs one atomic load.
func (l *slowlog) record(c *client, cmd *command, args [][]byte, took time.Duration) {
	slower := c.srv.live.slowlogSlower.Load()
	usec := took.Microseconds()
	if slower < 0 || usec < slower {
		return
	}
	e := slowlogEntry{at: time.Now().Unix(), usec: usec, args: slowlogArgs(cmd, args), addr: c.addr}
	c.mu.Lock()
	e.name = c.name
	c.mu.Unlock()
	maxLen := c.srv.live.slowlogMax.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trim(maxLen)
}

// trim drops the oldest entries beyond maxLen. l.mu must be held.
func (l *slowlog) trim(maxLen int64) {
	if over := int64(len(l.entries)) - maxLen; over > 0 {
		l.entries = append(l.entries[:0], l.entries[over:]...)
	}
}

// newest returns up to n entries, newest first (all of them when n is negative).
func (l *slowlog) newest(n int64) []slowlogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > int64(len(l.entries)) {
		n = int64(len(l.entries))
	}
	out := make([]slowlogEntry, n)
	for i := range out {
		out[i] = l.entries[len(l.entries)-1-i]
	}
	return out
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func (l *slowlog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// slowlogArgs copies a command's arguments for the slow log as Redis does: at most 32 (the last one saying how
// many more there were), each at most 128 bytes (with how many more), and secrets redacted.
func slowlogArgs(cmd *command, args [][]byte) []string {
	redact := redactedArgs(cmd, args)
	n := min(len(args), slowlogMaxArgs)
	out := make([]string, n)
	for j := 0; j < n; j++ {
		switch a := args[j]; {
		case n != len(args) && j == n-1:
			out[j] = fmt.Sprintf("... (%d more arguments)", len(args)-n+1)
		case redact(j):
			out[j] = "(redacted)"
		case len(a) > slowlogMaxString:
			out[j] = fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxString], len(a)-slowlogMaxString)
		default:
			out[j] = string(a)
		}
	}
	return out
}

// redactedArgs says which arguments of a command are secrets that the slow log must not keep, as Redis's
// redactClientCommandArgument calls do: AUTH's arguments, HELLO's AUTH credentials, CONFIG SET requirepass,
// ACL SETUSER's user and rules, MIGRATE's AUTH and AUTH2 credentials.
func redactedArgs(cmd *command, args [][]byte) func(j int) bool {
	secret := map[int]bool{}
	switch cmd.name {
	case "auth":
		for j := 1; j < len(args); j++ {
			secret[j] = true
		}
	case "acl|setuser":
		for j := 2; j < len(args); j++ {
			secret[j] = true
		}
	case "hello":
		for j := 2; j < len(args); j++ {
			if strings.EqualFold(string(args[j]), "auth") && j+2 < len(args) {
				secret[j+1], secret[j+2] = true, true
				j += 2
			}
		}
	case "migrate":
		for j := 6; j < len(args); j++ {
			switch {
			case strings.EqualFold(string(args[j]), "auth") && j+1 < len(args):
				secret[j+1] = true
				j++
			case strings.EqualFold(string(args[j]), "auth2") && j+2 < len(args):
				secret[j+1], secret[j+2] = true, true
				j += 2
			case strings.EqualFold(string(args[j]), "keys"):
				j = len(args)
			}
		}
	case "config|set":
		for j := 2; j+1 < len(args); j += 2 {
			if strings.EqualFold(string(args[j]), "requirepass") {
				secret[j+1] = true
			}
		}
	}
	return func(j int) bool { return secret[j] }
}
