package acl

import (
	"strings"
)

// String returns the user's rules as ACL LIST shows them after "user <name> ": flags, password hashes, the
// root selector, then each further selector in parentheses. Applied to a new user, the string gives back the
// same user.
func (u *User) String() string {
	var b strings.Builder
	for _, f := range u.Flags() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, h := range u.passwords {
		b.WriteByte('#')
		b.WriteString(h.String())
		b.WriteByte(' ')
	}
	for i, s := range u.selectors {
		if i == 0 {
			b.WriteString(s.describe())
		} else {
			b.WriteString(" (")
			b.WriteString(s.describe())
			b.WriteByte(')')
		}
	}
	return b.String()
}

// Flags returns the user's flags as ACL GETUSER lists them: "on" or "off", then "nopass",
// "skip-sanitize-payload" or "sanitize-payload" when set.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.enabled {
		f[0] = "on"
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case sanitizeSkip:
		f = append(f, "skip-sanitize-payload")
	case sanitizePayload:
		f = append(f, "sanitize-payload")
	}
	return f
}

// Passwords returns the hashes of the user's passwords, in the order they were added.
func (u *User) Passwords() []Hash { return append([]Hash(nil), u.passwords...) }

// SelectorDescription is a selector as ACL GETUSER shows it.
type SelectorDescription struct {
	Commands string // "-@all +get", as in the rule string
	Keys     string // "~k* %R~r*", "~*" for allkeys, "" for none
	Channels string // "&ch*", "&*" for allchannels, "" for none
}

// Selectors describes the root selector, then the others.
func (u *User) Selectors() []SelectorDescription {
	out := make([]SelectorDescription, len(u.selectors))
	for i, s := range u.selectors {
		d := &out[i]
		d.Commands = s.describeCommands()
		if s.allKeys {
			d.Keys = "~*"
		} else {
			parts := make([]string, len(s.keys))
			for j, k := range s.keys {
				parts[j] = k.String()
			}
			d.Keys = strings.Join(parts, " ")
		}
		if s.allChannels {
			d.Channels = "&*"
		} else {
			parts := make([]string, len(s.channels))
			for j, c := range s.channels {
				parts[j] = "&" + c
			}
			d.Channels = strings.Join(parts, " ")
		}
	}
	return out
}

// String returns the rule that adds the pattern: "~p", "%R~p" or "%W~p".
func (k keyPattern) String() string {
	switch k.perm {
	case Read:
		return "%R~" + k.pattern
	case Write:
		return "%W~" + k.pattern
	}
	return "~" + k.pattern
}

// describe returns a selector's rules: keys, channels, commands.
func (s *selector) describe() string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteByte('&')
			b.WriteString(c)
			b.WriteByte(' ')
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}

// describeCommands returns the command rules that rebuild the selector's commands, as Redis 7.0 writes them:
// "+@all" or "-@all", then the categories that fit best, one at a time, then single commands and first
// arguments. Redis lists the single commands in the order of its hash table; here they are sorted by name.
func (s *selector) describeCommands() string {
	t := s.t
	var rules []string
	fake := newSelector(t)
	additive := !s.future
	if additive {
		rules = append(rules, "-@all")
		fake.set("-@all")
	} else {
		rules = append(rules, "+@all")
		fake.set("+@all")
	}
	// Categories: each round, apply the category that best fits what is left to explain.
	tmp := &selector{t: t, cmds: append(bitset(nil), s.cmds...)}
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := tmp.countCategory(1 << j)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		bit := uint32(1) << best
		fake.setCategory(bit, additive)
		tmp.setCategory(bit, !additive)
		if additive {
			rules = append(rules, "+@"+Categories[best])
		} else {
			rules = append(rules, "-@"+Categories[best])
		}
		applied[best] = true
	}
	// Single commands, containers before their subcommands, then first arguments.
	var single func(c *Command)
	single = func(c *Command) {
		user, have := s.cmds.has(c.id), fake.cmds.has(c.id)
		if user != have {
			if user {
				rules = append(rules, "+"+c.name)
			} else {
				rules = append(rules, "-"+c.name)
			}
			fake.change(c, user)
		}
		for _, sub := range c.subs {
			single(sub)
		}
		if !user {
			for _, a := range s.firstArgs[c.id] {
				rules = append(rules, "+"+c.name+"|"+a)
			}
		}
	}
	for _, c := range t.top {
		single(c)
	}
	if !fake.cmds.equal(s.cmds) {
		panic("acl: the rule string does not rebuild the selector's commands") // a bug
	}
	return strings.Join(rules, " ")
}

// countCategory counts the commands of a category that the selector allows (on) and forbids (off).
func (s *selector) countCategory(bit uint32) (on, off int) {
	for _, c := range s.t.all {
		if c.cats&bit != 0 {
			if s.cmds.has(c.id) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}
