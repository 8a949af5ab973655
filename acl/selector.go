package acl

import (
	"strings"
)

// Key permissions of a key pattern, and the access a command needs to a key.
const (
	Read Access = 1 << iota
	Write
)

// Access is what a command does with a key: [Read], [Write], both, or neither (it only looks at the key's
// existence, type or the like, which any matching pattern allows).
type Access uint8

type keyPattern struct {
	pattern string
	perm    Access
}

// selector is a set of permissions: commands, keys and channels. A user may run a command when any of its
// selectors allows all of it.
type selector struct {
	t           *Table
	allKeys     bool
	allChannels bool
	allCommands bool // every command may run (cleared by taking any command away)
	future      bool // commands that do not exist yet would be allowed: set by +@all, cleared by -@all
	keys        []keyPattern
	channels    []string
	cmds        bitset
	firstArgs   map[int][]string // by command id: first arguments allowed although the command is not
}

func newSelector(t *Table) *selector {
	return &selector{t: t, cmds: newBitset(len(t.all))}
}

func (s *selector) clone() *selector {
	v := *s
	v.keys = append([]keyPattern(nil), s.keys...)
	v.channels = append([]string(nil), s.channels...)
	v.cmds = append(bitset(nil), s.cmds...)
	if s.firstArgs != nil {
		v.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, args := range s.firstArgs {
			v.firstArgs[id] = append([]string(nil), args...)
		}
	}
	return &v
}

// set applies one rule of a selector.
func (s *selector) set(op string) error {
	switch {
	case op == "":
		return ErrSyntax // Matches Redis: only a user-level empty rule is a no-op
	case strings.EqualFold(op, "allkeys") || op == "~*":
		s.allKeys, s.keys = true, nil
	case strings.EqualFold(op, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case strings.EqualFold(op, "allchannels") || op == "&*":
		s.allChannels, s.channels = true, nil
	case strings.EqualFold(op, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case strings.EqualFold(op, "allcommands") || strings.EqualFold(op, "+@all"):
		s.cmds.fill(true)
		s.allCommands, s.future, s.firstArgs = true, true, nil
	case strings.EqualFold(op, "nocommands") || strings.EqualFold(op, "-@all"):
		s.cmds.fill(false)
		s.allCommands, s.future, s.firstArgs = false, false, nil
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return ErrChansAfterAll
		}
		if hasSpaces(op[1:]) {
			return ErrSyntax
		}
		for _, c := range s.channels {
			if c == op[1:] {
				return nil
			}
		}
		s.channels = append(s.channels, op[1:])
	case len(op) >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		bit := categoryBit(op[2:])
		if bit == 0 {
			return ErrUnknownCommand
		}
		s.setCategory(bit, op[0] == '+')
	case op[0] == '+':
		return s.allow(op[1:])
	case op[0] == '-':
		c := s.t.lookupRule(op[1:])
		if c == nil {
			return ErrUnknownCommand
		}
		s.change(c, false)
	default:
		return ErrSyntax
	}
	return nil
}

// addKeyPattern applies "~pattern" or "%R~pattern", "%W~pattern", "%RW~pattern".
func (s *selector) addKeyPattern(op string) error {
	if s.allKeys {
		return ErrKeysAfterAll
	}
	perm, off := Read|Write, 1
	if op[0] == '%' {
		perm = 0
	loop:
		for ; off < len(op); off++ {
			switch {
			case (op[off] == 'R' || op[off] == 'r') && perm&Read == 0:
				perm |= Read
			case (op[off] == 'W' || op[off] == 'w') && perm&Write == 0:
				perm |= Write
			case op[off] == '~':
				off++
				break loop
			default:
				return ErrSyntax
			}
		}
		if perm == 0 {
			return ErrSyntax
		}
	}
	pat := op[off:]
	if hasSpaces(pat) {
		return ErrSyntax
	}
	for i := range s.keys {
		if s.keys[i].pattern == pat {
			s.keys[i].perm |= perm
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pattern: pat, perm: perm})
	return nil
}

// allow applies "+cmd", "+container|sub" or "+cmd|firstarg" (without the '+').
func (s *selector) allow(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		c := s.t.Lookup(name)
		if c == nil {
			return ErrUnknownCommand
		}
		s.change(c, true)
		return nil
	}
	c := s.t.lookupRule(name[:i])
	switch {
	case c == nil:
		return ErrUnknownCommand
	case c.parent != nil:
		return ErrSubFirstArg
	case i == len(name)-1:
		return ErrSyntax
	case c.subs != nil:
		sub := s.t.lookupRule(name)
		if sub == nil {
			return ErrUnknownCommand
		}
		s.change(sub, true)
	default:
		// Matches Redis (deprecated there): +select|0 allows SELECT with that first argument only.
		arg := name[i+1:]
		for _, a := range s.firstArgs[c.id] {
			if strings.EqualFold(a, arg) {
				return nil
			}
		}
		if s.firstArgs == nil {
			s.firstArgs = make(map[int][]string)
		}
		s.firstArgs[c.id] = append(s.firstArgs[c.id], arg)
	}
	return nil
}

// lookupRule finds the command a rule names: "get", or "client|id" (a container's subcommand only).
func (t *Table) lookupRule(name string) *Command {
	c := t.Lookup(name)
	if c == nil || (c.parent == nil && strings.IndexByte(name, '|') >= 0) {
		return nil
	}
	return c
}

// change allows or forbids a command and all its subcommands, forgetting the first arguments allowed.
func (s *selector) change(c *Command, allow bool) {
	s.setBit(c.id, allow)
	delete(s.firstArgs, c.id)
	for _, sub := range c.subs {
		s.setBit(sub.id, allow)
	}
}

func (s *selector) setBit(id int, allow bool) {
	s.cmds.set(id, allow)
	if !allow {
		s.allCommands = false
	}
}

// setCategory allows or forbids the commands of a category: a container of the category with all its
// subcommands, and the subcommands of the category of other containers.
func (s *selector) setCategory(bit uint32, allow bool) {
	for _, c := range s.t.top {
		if c.cats&bit != 0 {
			s.change(c, allow)
		}
		for _, sub := range c.subs {
			if sub.cats&bit != 0 {
				s.change(sub, allow)
			}
		}
	}
}

// bitset is a set of command ids.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

func (b bitset) set(i int, v bool) {
	if v {
		b[i>>6] |= 1 << (i & 63)
	} else {
		b[i>>6] &^= 1 << (i & 63)
	}
}

func (b bitset) fill(v bool) {
	var w uint64
	if v {
		w = ^w
	}
	for i := range b {
		b[i] = w
	}
}

func (b bitset) equal(o bitset) bool {
	for i := range b {
		if b[i] != o[i] {
			return false
		}
	}
	return true
}

// splitArgs splits a selector's inside into rules as Redis's sdssplitargs does: words separated by white
// space, "double quoted" with escapes, or 'single quoted'. Unbalanced quotes give no rules at all.
func splitArgs(line string) []string {
	var out []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return out
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			if i >= len(line) {
				if inq || insq {
					return nil // unbalanced quotes
				}
				break
			}
			ch := line[i]
			switch {
			case inq:
				if ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]) {
					cur = append(cur, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				} else if ch == '\\' && i+1 < len(line) {
					i++
					switch c := line[i]; c {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, c)
					}
				} else if ch == '"' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil // closing quote must be followed by a space
					}
					done = true
				} else {
					cur = append(cur, ch)
				}
			case insq:
				if ch == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if ch == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil
					}
					done = true
				} else {
					cur = append(cur, ch)
				}
			default:
				switch ch {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, ch)
				}
			}
			if i < len(line) {
				i++
			}
		}
		out = append(out, string(cur))
	}
}

func isSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

func isHex(ch byte) bool {
	return '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F'
}

func unhex(ch byte) byte {
	switch {
	case ch <= '9':
		return ch - '0'
	case ch <= 'F':
		return ch - 'A' + 10
	}
	return ch - 'a' + 10
}
