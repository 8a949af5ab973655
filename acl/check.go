package acl

// Reason says why a check failed, in Redis's order of relevance: when no selector allows a command, the
// denial reported is the one with the greatest reason (then the greatest argument index).
type Reason uint8

// Reasons of a [Denial].
const (
	Allowed       Reason = iota // the check passed
	DeniedCommand               // the command (or subcommand, or first argument) is not allowed
	DeniedKey                   // a key is not allowed, with the access the command needs
	DeniedAuth                  // a failed AUTH: not a result of Check, but a reason ACL LOG records
	DeniedChannel               // a channel is not allowed
)

// String returns the reason as ACL LOG names it: "command", "key", "auth" or "channel".
func (r Reason) String() string {
	switch r {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedAuth:
		return "auth"
	case DeniedChannel:
		return "channel"
	}
	return "allowed"
}

// Key is a key argument of a command: its index in the arguments and the access the command needs.
type Key struct {
	Pos    int
	Access Access
}

// Channel is a channel argument of a command that publishes to it or subscribes to it (not one that
// unsubscribes): its index in the arguments, and whether it is a pattern (PSUBSCRIBE), which must then equal
// one of the user's channel patterns.
type Channel struct {
	Pos     int
	Pattern bool
}

// Denial is the result of [User.Check]: Allowed, or why not and (for keys and channels) the index of the
// argument that is not allowed.
type Denial struct {
	Reason Reason
	Pos    int
}

// Check reports whether the user may run cmd with args (args[0] the command's name, args[1] a subcommand's
// name), touching keys with the given access and publishing or subscribing to channels. It needs keys and
// channels only when the user is not [User.Unrestricted]. Matches Redis: commands flagged no_auth (AUTH,
// HELLO) are always allowed, and a denial names the most relevant failure over all selectors.
func (u *User) Check(cmd *Command, args [][]byte, keys []Key, channels []Channel) Denial {
	best := Denial{Reason: DeniedCommand}
	for _, s := range u.selectors {
		d := s.check(cmd, args, keys, channels)
		if d.Reason == Allowed {
			return d
		}
		if d.Reason > best.Reason || (d.Reason == best.Reason && d.Pos > best.Pos) {
			best = d
		}
	}
	return best
}

func (s *selector) check(cmd *Command, args [][]byte, keys []Key, channels []Channel) Denial {
	if !s.allCommands && !cmd.noAuth && !s.cmds.has(cmd.id) {
		allowed := false
		if len(args) >= 2 {
			for _, a := range s.firstArgs[cmd.id] {
				if equalFold(a, args[1]) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return Denial{Reason: DeniedCommand}
		}
	}
	if !s.allKeys {
		for _, k := range keys {
			if !s.keyAllowed(args[k.Pos], k.Access) {
				return Denial{Reason: DeniedKey, Pos: k.Pos}
			}
		}
	}
	if !s.allChannels {
		for _, c := range channels {
			if !s.channelAllowed(args[c.Pos], c.Pattern) {
				return Denial{Reason: DeniedChannel, Pos: c.Pos}
			}
		}
	}
	return Denial{}
}

func (s *selector) keyAllowed(key []byte, access Access) bool {
	for _, k := range s.keys {
		if k.perm&access == access && Match(k.pattern, key) {
			return true
		}
	}
	return false
}

func (s *selector) channelAllowed(ch []byte, pattern bool) bool {
	for _, c := range s.channels {
		if pattern && c == string(ch) || !pattern && Match(c, ch) {
			return true
		}
	}
	return false
}

// FullKeyAccess reports whether a selector of the user that allows the command (as [User.Check]) also allows
// access to every key: allkeys, or the key pattern "*" with that access. Matches Redis
// (ACLUserCheckCmdWithUnrestrictedKeyAccess): SORT needs it for its BY and GET patterns.
func (u *User) FullKeyAccess(cmd *Command, args [][]byte, keys []Key, channels []Channel, access Access) bool {
	for _, s := range u.selectors {
		if s.check(cmd, args, keys, channels).Reason != Allowed {
			continue
		}
		if s.allKeys {
			return true
		}
		for _, k := range s.keys {
			if k.perm&access == access && k.pattern == "*" {
				return true
			}
		}
	}
	return false
}

// CheckKey reports whether some selector of the user allows access to key, whatever the command (the check
// of a key alone, as Redis's modules and scripts ask it).
func (u *User) CheckKey(key []byte, access Access) bool {
	for _, s := range u.selectors {
		if s.allKeys || s.keyAllowed(key, access) {
			return true
		}
	}
	return false
}

// AllChannels reports whether some selector of the user allows every channel.
func (u *User) AllChannels() bool {
	for _, s := range u.selectors {
		if s.allChannels {
			return true
		}
	}
	return false
}

// CheckChannel reports whether some selector of the user allows channel (a pattern when pattern is set,
// compared literally).
func (u *User) CheckChannel(channel []byte, pattern bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || s.channelAllowed(channel, pattern) {
			return true
		}
	}
	return false
}

func equalFold(a string, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
