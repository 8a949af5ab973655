package difftest

import "strings"

// Transcript records a scenario run on several connections as text, to compare what two servers sent: the
// replies to commands and what connections received unasked (blocked commands' replies, pushes).
type Transcript struct{ strings.Builder }

// Note records what c receives next, as who received it.
func (t *Transcript) Note(who string, c *Conn) {
	t.WriteString(who + ": " + Format(c.Receive()) + "\n")
}

// Do runs a command on c and records it with its reply.
func (t *Transcript) Do(c *Conn, args ...string) {
	t.WriteString(strings.Join(args, " ") + ": " + Format(c.Do(args...)) + "\n")
}
