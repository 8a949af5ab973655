package node

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

var _ = register(map[string]handler{
	"acl|cat":     cmdACLCat,
	"acl|deluser": cmdACLDelUser,
	"acl|dryrun":  cmdACLDryRun,
	"acl|genpass": cmdACLGenPass,
	"acl|getuser": cmdACLGetUser,
	"acl|help":    cmdACLHelp,
	"acl|list":    cmdACLList,
	"acl|load":    cmdACLLoad,
	"acl|log":     cmdACLLog,
	"acl|save":    cmdACLSave,
	"acl|setuser": cmdACLSetUser,
	"acl|users":   cmdACLUsers,
	"acl|whoami":  cmdACLWhoAmI,
})

var errNoACLFile = errorf("This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")

// ACL SETUSER username [rule ...]: the rules apply to a copy of the user, which replaces it only if all of
// them are good, so that connected clients see the change whole and at once.
func cmdACLSetUser(c *client, args [][]byte) error {
	name := string(args[2])
	if !acl.ValidName(name) {
		return errorf(acl.ErrBadUsername.Error())
	}
	rules := make([]string, len(args)-3)
	for i, r := range args[3:] {
		rules[i] = string(r)
	}
	s := c.srv
	a := &s.acl
	a.mu.Lock()
	var u *acl.User
	all := s.config().ACLPubsubDefault == "allchannels"
	if old := a.users[name]; old != nil {
		u = old.cur.Load().Clone()
		u.SetPubSubDefault(all) // Matches Redis: the setting at the time of the rules applies
	} else {
		u = newUser(name, all)
	}
	if err := u.SetRules(rules...); err != nil {
		a.mu.Unlock()
		return errorf(err.Error())
	}
	au := s.putUser(u)
	s.aclChanged()
	a.mu.Unlock()
	s.killLostSubscribers(au, c)
	c.w.WriteSimple("OK")
	return nil
}

// ACL GETUSER username
func cmdACLGetUser(c *client, args [][]byte) error {
	au := c.srv.lookupUser(string(args[2]))
	if au == nil {
		c.w.WriteNull()
		return nil
	}
	u := au.cur.Load()
	w := c.w
	sels := u.Selectors()
	writeSelector := func(d acl.SelectorDescription) {
		w.WriteBulkString("commands")
		w.WriteBulkString(d.Commands)
		w.WriteBulkString("keys")
		w.WriteBulkString(d.Keys)
		w.WriteBulkString("channels")
		w.WriteBulkString(d.Channels)
	}
	w.WriteMapLen(6)
	w.WriteBulkString("flags")
	flags := u.Flags()
	w.WriteSetLen(len(flags))
	for _, f := range flags {
		w.WriteBulkString(f)
	}
	w.WriteBulkString("passwords")
	pw := u.Passwords()
	w.WriteArrayLen(len(pw))
	for _, h := range pw {
		w.WriteBulkString(h.String())
	}
	writeSelector(sels[0])
	w.WriteBulkString("selectors")
	w.WriteArrayLen(len(sels) - 1)
	for _, d := range sels[1:] {
		w.WriteMapLen(3)
		writeSelector(d)
	}
	return nil
}

// ACL DELUSER username [username ...]: clients logged in as a deleted user are disconnected.
func cmdACLDelUser(c *client, args [][]byte) error {
	for _, name := range args[2:] {
		if string(name) == "default" {
			return errorf("The 'default' user cannot be removed")
		}
	}
	s := c.srv
	a := &s.acl
	var gone []*aclUser
	a.mu.Lock()
	for _, name := range args[2:] {
		if au := a.users[string(name)]; au != nil {
			delete(a.users, string(name))
			gone = append(gone, au)
		}
	}
	a.mu.Unlock()
	for _, au := range gone {
		if c.user == au {
			c.closing = true // after this reply
		}
		s.killUserClients(au, c)
	}
	c.w.WriteInt(int64(len(gone)))
	return nil
}

// ACL LIST
func cmdACLList(c *client, args [][]byte) error {
	lines := c.srv.userLines()
	c.w.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.w.WriteBulkString(l)
	}
	return nil
}

// ACL USERS
func cmdACLUsers(c *client, args [][]byte) error {
	lines := c.srv.userLines()
	c.w.WriteArrayLen(len(lines))
	for _, l := range lines {
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "user "), " ")
		c.w.WriteBulkString(name)
	}
	return nil
}

// ACL WHOAMI
func cmdACLWhoAmI(c *client, args [][]byte) error {
	c.w.WriteBulkString(c.user.name)
	return nil
}

// ACL CAT [category]
func cmdACLCat(c *client, args [][]byte) error {
	if len(args) > 3 {
		return subcommandSyntaxError("ACL", args[1])
	}
	if len(args) == 2 {
		c.w.WriteArrayLen(len(acl.Categories))
		for _, cat := range acl.Categories {
			c.w.WriteBulkString(cat)
		}
		return nil
	}
	names, ok := aclTable.CommandsIn(string(args[2]))
	if !ok {
		return errorf(fmt.Sprintf("Unknown category '%.128s'", args[2]))
	}
	c.w.WriteArrayLen(len(names))
	for _, n := range names {
		c.w.WriteBulkString(n)
	}
	return nil
}

// ACL GENPASS [bits]
func cmdACLGenPass(c *client, args [][]byte) error {
	if len(args) > 3 {
		return subcommandSyntaxError("ACL", args[1])
	}
	bits := int64(256)
	if len(args) == 3 {
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			return errNotInteger
		}
		if n <= 0 || n > 4096 {
			return errorf("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		}
		bits = n
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.w.WriteBulkString(hex.EncodeToString(buf)[:chars])
	return nil
}

// ACL DRYRUN username command [arg ...]
func cmdACLDryRun(c *client, args [][]byte) error {
	au := c.srv.lookupUser(string(args[2]))
	if au == nil {
		return errorf(fmt.Sprintf("User '%s' not found", args[2]))
	}
	// Matches Redis: any command Redis knows, implemented here or not.
	cargs := args[3:]
	spec := cmdspec.LookupArgs(cargs)
	if spec != nil && spec.IsContainer() && len(cargs) >= 2 && spec.Sub(string(cargs[1])) == nil {
		spec = nil
	}
	if spec == nil {
		return errorf(fmt.Sprintf("Command '%s' not found", cargs[0]))
	}
	if n := len(cargs); (spec.Arity > 0 && n != spec.Arity) || n < -spec.Arity {
		return arityError(spec.Name)
	}
	ac := newACLCommand(spec)
	keys, chans := aclArgs(nil, nil, spec, &ac, cargs)
	d := au.cur.Load().Check(ac.cmd, cargs, keys, chans)
	if d.Reason == acl.Allowed {
		c.w.WriteSimple("OK")
		return nil
	}
	c.w.WriteBulkString(denialText(d.Reason, au.name, spec.Name, string(cargs[d.Pos])))
	return nil
}

// ACL LOG [count | RESET]
func cmdACLLog(c *client, args [][]byte) error {
	if len(args) > 3 {
		return subcommandSyntaxError("ACL", args[1])
	}
	n := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			a := &c.srv.acl
			a.logMu.Lock()
			a.log = nil
			a.logMu.Unlock()
			c.w.WriteSimple("OK")
			return nil
		}
		v, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			return errNotInteger
		}
		n = max(v, 0)
	}
	entries := c.srv.aclLogEntries(int(min(n, 1<<30)))
	now := time.Now()
	w := c.w
	w.WriteArrayLen(len(entries))
	for _, e := range entries {
		w.WriteMapLen(10)
		w.WriteBulkString("count")
		w.WriteInt(e.count)
		w.WriteBulkString("reason")
		w.WriteBulkString(e.reason.String())
		w.WriteBulkString("context")
		w.WriteBulkString(e.context)
		w.WriteBulkString("object")
		w.WriteBulkString(e.object)
		w.WriteBulkString("username")
		w.WriteBulkString(e.username)
		w.WriteBulkString("age-seconds")
		w.WriteDouble(float64(now.Sub(e.created).Milliseconds()) / 1000)
		w.WriteBulkString("client-info")
		w.WriteBulkString(e.info)
		// Redis 7.2's fields.
		w.WriteBulkString("entry-id")
		w.WriteInt(e.id)
		w.WriteBulkString("timestamp-created")
		w.WriteInt(e.first.UnixMilli())
		w.WriteBulkString("timestamp-last-updated")
		w.WriteInt(e.created.UnixMilli())
	}
	return nil
}

// ACL SAVE
func cmdACLSave(c *client, args [][]byte) error {
	if c.srv.cfg.ACLFile == "" {
		return errNoACLFile
	}
	if err := c.srv.saveACLFile(); err != nil {
		c.srv.log.Warn("saving the ACL file failed", "error", err)
		return errorf("There was an error trying to save the ACLs. Please check the server logs for more information")
	}
	c.w.WriteSimple("OK")
	return nil
}

// ACL LOAD
func cmdACLLoad(c *client, args [][]byte) error {
	if c.srv.cfg.ACLFile == "" {
		return errNoACLFile
	}
	if err := c.srv.loadACLFile(c); err != nil {
		return errorf(err.Error())
	}
	c.w.WriteSimple("OK")
	return nil
}

// ACL HELP
func cmdACLHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "ACL", []string{
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	})
	return nil
}
