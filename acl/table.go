package acl

import (
	"fmt"
	"sort"
	"strings"
)

// Categories lists Redis's ACL command categories in Redis's order (the order of ACL CAT, and the order in
// which a user's rule string tries them).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
	"stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction",
	"scripting",
}

// categoryBit returns the bit of a category name (any case, without '@'), or 0 if there is none.
func categoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// CommandInfo describes one command or subcommand to a [Table].
type CommandInfo struct {
	// Name is the lower-case full name: "get", or "client|id" for a subcommand.
	Name string
	// Categories are the command's ACL categories, without '@': "read", "string", "fast".
	Categories []string
	// NoAuth marks commands any user may run (Redis's no_auth flag: AUTH, HELLO).
	NoAuth bool
}

// Command is a command of a [Table], as the checks of [User.Check] take it.
type Command struct {
	id     int
	name   string // full name
	cats   uint32
	noAuth bool
	parent *Command
	subs   []*Command // sorted by name
	sub    map[string]*Command
}

// Name returns the command's full lower-case name ("client|id").
func (c *Command) Name() string { return c.name }

// Table is the set of commands that users' rules name and that the checks see. It never changes after
// [NewTable] and may be shared.
type Table struct {
	all []*Command // by id
	top []*Command // sorted by name
	by  map[string]*Command
}

// NewTable builds a table of cmds. A subcommand ("client|id") needs its container ("client") in cmds too.
func NewTable(cmds []CommandInfo) (*Table, error) {
	t := &Table{by: make(map[string]*Command, len(cmds))}
	sorted := append([]CommandInfo(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, ci := range sorted {
		c := &Command{id: len(t.all), name: ci.Name, noAuth: ci.NoAuth}
		for _, cat := range ci.Categories {
			bit := categoryBit(cat)
			if bit == 0 {
				return nil, fmt.Errorf("acl: command %q: unknown category %q", ci.Name, cat)
			}
			c.cats |= bit
		}
		if _, dup := t.by[ci.Name]; dup {
			return nil, fmt.Errorf("acl: command %q listed twice", ci.Name)
		}
		if parent, sub, ok := strings.Cut(ci.Name, "|"); ok {
			p := t.by[parent]
			if p == nil || p.parent != nil || strings.Contains(sub, "|") {
				return nil, fmt.Errorf("acl: subcommand %q without its container", ci.Name)
			}
			c.parent = p
			p.subs = append(p.subs, c)
			if p.sub == nil {
				p.sub = make(map[string]*Command)
			}
			p.sub[sub] = c
		} else {
			t.top = append(t.top, c)
		}
		t.all = append(t.all, c)
		t.by[ci.Name] = c
	}
	return t, nil
}

// Lookup returns the command with the full name name ("get", "client|id"), in any case, or nil.
func (t *Table) Lookup(name string) *Command {
	if c := t.by[name]; c != nil {
		return c
	}
	return t.by[strings.ToLower(name)]
}

// CommandsIn returns the full names of the commands in a category (any case, without '@'), containers
// before their subcommands, sorted, as ACL CAT lists them. ok is false when there is no such category.
func (t *Table) CommandsIn(category string) (names []string, ok bool) {
	bit := categoryBit(category)
	if bit == 0 {
		return nil, false
	}
	for _, c := range t.all {
		if c.cats&bit != 0 {
			names = append(names, c.name)
		}
	}
	return names, true
}
