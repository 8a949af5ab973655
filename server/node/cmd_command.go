package node

import (
	"slices"
	"strings"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

var _ = register(map[string]handler{
	"command":                 cmdCommand,
	"command|count":           cmdCommandCount,
	"command|docs":            cmdCommandDocs,
	"command|getkeys":         cmdCommandGetKeys,
	"command|getkeysandflags": cmdCommandGetKeysAndFlags,
	"command|help":            cmdCommandHelp,
	"command|info":            cmdCommandInfo,
	"command|list":            cmdCommandList,
})

// implementedSpecs returns the cmdspec entries of the implemented top-level commands, sorted by name.
func implementedSpecs() []*cmdspec.Spec {
	var out []*cmdspec.Spec
	for _, s := range cmdspec.All() {
		if implemented(s) {
			out = append(out, s)
		}
	}
	return out
}

// servedSpecs is implementedSpecs less the commands rename-command removed. Matches Redis: a renamed command is
// still listed under its own name.
func (s *Server) servedSpecs() []*cmdspec.Spec {
	specs := implementedSpecs()
	if s.cmdNames == nil {
		return specs
	}
	return slices.DeleteFunc(specs, func(sp *cmdspec.Spec) bool { return !s.cmdNames[sp.Name] })
}

// lookupSpec finds an implemented command by the name clients call it, "get" or "client|setname", in any case.
// Matches Redis: after rename-command, the new name finds the command (described under its own name) and the
// old one nothing.
func (s *Server) lookupSpec(name []byte) *cmdspec.Spec {
	parent, sub, isSub := strings.Cut(strings.ToLower(string(name)), "|")
	cmd := s.cmdTable[parent]
	if cmd == nil {
		return nil
	}
	full := cmd.name
	if isSub {
		full += "|" + sub
	}
	sp := cmdspec.Lookup(full)
	if sp == nil || !implemented(sp) {
		return nil
	}
	return sp
}

// COMMAND: every implemented command's details.
func cmdCommand(c *client, args [][]byte) error {
	specs := c.srv.servedSpecs()
	c.w.WriteArrayLen(len(specs))
	for _, s := range specs {
		s.WriteInfo(c.w, implemented)
	}
	return nil
}

// COMMAND COUNT
func cmdCommandCount(c *client, args [][]byte) error {
	c.w.WriteInt(int64(len(c.srv.servedSpecs())))
	return nil
}

// COMMAND INFO [command-name ...]: a null for each unknown name.
func cmdCommandInfo(c *client, args [][]byte) error {
	if len(args) == 2 {
		return cmdCommand(c, args)
	}
	c.w.WriteArrayLen(len(args) - 2)
	for _, name := range args[2:] {
		if s := c.srv.lookupSpec(name); s != nil {
			s.WriteInfo(c.w, implemented)
		} else {
			c.w.WriteNull()
		}
	}
	return nil
}

// COMMAND DOCS [command-name ...]: a map from name to docs, skipping unknown names.
func cmdCommandDocs(c *client, args [][]byte) error {
	var specs []*cmdspec.Spec
	if len(args) == 2 {
		specs = c.srv.servedSpecs()
	} else {
		for _, name := range args[2:] {
			if s := c.srv.lookupSpec(name); s != nil {
				specs = append(specs, s)
			}
		}
	}
	c.w.WriteMapLen(len(specs))
	for _, s := range specs {
		c.w.WriteBulkString(s.Name)
		s.WriteDocs(c.w, implemented)
	}
	return nil
}

// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]: the names of the
// implemented commands and subcommands.
func cmdCommandList(c *client, args [][]byte) error {
	keep := func(*cmdspec.Spec) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 5 && strings.EqualFold(string(args[2]), "filterby"):
		val := string(args[4])
		switch strings.ToLower(string(args[3])) {
		case "module":
			keep = func(*cmdspec.Spec) bool { return false } // no modules
		case "aclcat":
			keep = func(s *cmdspec.Spec) bool {
				return slices.ContainsFunc(s.ACLCategories, func(cat string) bool { return strings.EqualFold(cat, val) })
			}
		case "pattern":
			pat := []byte(strings.ToLower(val))
			keep = func(s *cmdspec.Spec) bool { return keyspace.Match(pat, []byte(s.Name)) }
		default:
			return errSyntax
		}
	default:
		return errSyntax
	}
	var names []string
	for _, s := range c.srv.servedSpecs() {
		if keep(s) {
			names = append(names, s.Name)
		}
		for _, sub := range s.Subcommands {
			if implemented(sub) && keep(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.w.WriteArrayLen(len(names))
	for _, n := range names {
		c.w.WriteBulkString(n)
	}
	return nil
}

// COMMAND HELP
func cmdCommandHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "COMMAND", []string{
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	})
	return nil
}

// commandKeys finds the keys of the command in args[2:] for COMMAND GETKEYS and GETKEYSANDFLAGS, with Redis's
// errors.
func (srv *Server) commandKeys(args [][]byte) (*cmdspec.Spec, []cmdspec.KeyRef, error) {
	cmdArgs := args[2:]
	if srv.cmdNames != nil { // rename-command: the new name stands for the command, the old one for nothing
		name := strings.ToLower(string(cmdArgs[0]))
		if cmd := srv.cmdTable[name]; cmd != nil {
			cmdArgs = append([][]byte{[]byte(cmd.name)}, cmdArgs[1:]...)
		} else if sp := cmdspec.Lookup(name); sp != nil && implemented(sp) {
			return nil, nil, errorf("Invalid command specified")
		}
	}
	s := cmdspec.LookupArgs(cmdArgs)
	// Matches Redis: any known command, implemented or not, since this only reads the table.
	if s == nil || s.IsContainer() {
		return nil, nil, errorf("Invalid command specified")
	}
	if n := len(cmdArgs); (s.Arity > 0 && n != s.Arity) || n < -s.Arity {
		return nil, nil, errorf("Invalid number of arguments specified for command")
	}
	if len(s.KeySpecs) == 0 {
		return nil, nil, errorf("The command has no key arguments")
	}
	refs, err := s.Keys(cmdArgs)
	if err != nil {
		refs = nil // Matches Redis: a key spec that cannot be followed finds no keys.
	}
	if len(refs) == 0 && !s.Has(cmdspec.FlagNoMandatoryKeys) {
		return nil, nil, errorf("Invalid arguments specified for command")
	}
	return s, refs, nil
}

// COMMAND GETKEYS command [arg ...]
func cmdCommandGetKeys(c *client, args [][]byte) error {
	_, refs, err := c.srv.commandKeys(args)
	if err != nil {
		return err
	}
	c.w.WriteArrayLen(len(refs))
	for _, r := range refs {
		c.w.WriteBulk(args[2+r.Pos])
	}
	return nil
}

// COMMAND GETKEYSANDFLAGS command [arg ...]
func cmdCommandGetKeysAndFlags(c *client, args [][]byte) error {
	s, refs, err := c.srv.commandKeys(args)
	if err != nil {
		return err
	}
	c.w.WriteArrayLen(len(refs))
	for _, r := range refs {
		c.w.WriteArrayLen(2)
		c.w.WriteBulk(args[2+r.Pos])
		flags := keyFlags(s, r.Spec, args[2:])
		c.w.WriteSetLen(len(flags))
		for _, f := range flags {
			c.w.WriteSimple(f)
		}
	}
	return nil
}

// keyFlags returns how a command uses a key, as COMMAND GETKEYSANDFLAGS shows it: the key spec's flags without
// the ones about finding keys; for the specs flagged variable_flags, the flags for these arguments.
func keyFlags(s *cmdspec.Spec, spec int, args [][]byte) []string {
	var flags []string
	for _, f := range s.KeySpecs[spec].Flags {
		switch f {
		case "incomplete", "variable_flags", "not_key":
		default:
			flags = append(flags, f)
		}
	}
	if !slices.Contains(s.KeySpecs[spec].Flags, "variable_flags") {
		return flags
	}
	// Matches Redis: SET with GET reads the old value; BITFIELD with SET or INCRBY writes.
	var words []string
	from := 2
	switch s.Name {
	case "set":
		words, from = []string{"get"}, 3 // SET key value [options]
	case "bitfield":
		words = []string{"set", "incrby"}
	}
	for _, a := range args[min(from, len(args)):] {
		for _, w := range words {
			if strings.EqualFold(string(a), w) {
				return []string{"RW", "access", "update"}
			}
		}
	}
	if s.Name == "bitfield" {
		return []string{"RO", "access"}
	}
	return []string{"OW", "update"}
}
