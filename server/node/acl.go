package node

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// aclTable is every command of the command table (implemented or not, as Redis knows them all), as the acl
// module sees them.
var aclTable = func() *acl.Table {
	var infos []acl.CommandInfo
	var add func(s *cmdspec.Spec)
	add = func(s *cmdspec.Spec) {
		infos = append(infos, acl.CommandInfo{Name: s.Name, Categories: s.ACLCategories, NoAuth: s.Has(cmdspec.FlagNoAuth)})
		for _, sub := range s.Subcommands {
			add(sub)
		}
	}
	for _, s := range cmdspec.All() {
		add(s)
	}
	t, err := acl.NewTable(infos)
	if err != nil {
		panic("node: ACL command table: " + err.Error()) // a bug in the command table, caught by the tests
	}
	return t
}()

// aclCommand is what the ACL check needs of a command, worked out once from its key specs.
type aclCommand struct {
	cmd      *acl.Command
	access   []acl.Access // by key spec index: what the command does with the keys the spec finds
	channels chanArgs     // which arguments are channels it publishes or subscribes to
	// variable works out the access to the first key of the commands whose key spec has variable_flags.
	variable func(args [][]byte) acl.Access
}

// chanArgs says where a command's channels are, for the ACL.
type chanArgs uint8

const (
	chanNone     chanArgs = iota
	chanFirst             // PUBLISH, SPUBLISH: the first argument
	chanAll               // SUBSCRIBE, SSUBSCRIBE: every argument
	chanPatterns          // PSUBSCRIBE: every argument, a pattern
)

func newACLCommand(spec *cmdspec.Spec) aclCommand {
	ac := aclCommand{cmd: aclTable.Lookup(spec.Name)}
	ac.access = make([]acl.Access, len(spec.KeySpecs))
	for i, ks := range spec.KeySpecs {
		// Matches Redis: "access" needs read permission; "insert", "update" and "delete" need write permission.
		for _, f := range ks.Flags {
			switch f {
			case "access":
				ac.access[i] |= acl.Read
			case "insert", "update", "delete":
				ac.access[i] |= acl.Write
			}
		}
	}
	switch spec.Name {
	case "set":
		ac.variable = setKeyAccess
	case "bitfield":
		ac.variable = bitfieldKeyAccess
	case "publish", "spublish":
		ac.channels = chanFirst
	case "subscribe", "ssubscribe":
		ac.channels = chanAll
	case "psubscribe":
		ac.channels = chanPatterns
	}
	return ac
}

// setKeyAccess is SET's access to its key. Matches Redis (setGetKeys): it reads the key only with GET.
func setKeyAccess(args [][]byte) acl.Access {
	for _, a := range args[min(3, len(args)):] {
		if strings.EqualFold(string(a), "get") {
			return acl.Read | acl.Write
		}
	}
	return acl.Write
}

// bitfieldKeyAccess is BITFIELD's access to its key. Matches Redis (bitfieldGetKeys): only GET and OVERFLOW
// operations, complete, leave the key read-only.
func bitfieldKeyAccess(args [][]byte) acl.Access {
	for i := 2; i < len(args); i++ {
		rem := len(args) - i - 1
		switch op := strings.ToLower(string(args[i])); {
		case op == "get" && rem >= 2:
			i += 2
		case op == "overflow" && rem >= 1:
			i++
		default: // SET, INCRBY, or a syntax error: assume it writes
			return acl.Read | acl.Write
		}
	}
	return acl.Read
}

// aclUser is a user as the server holds it. Clients keep a pointer to it, so that a change of the user's rules
// applies to them at once: each change stores a new acl.User, never changed after.
type aclUser struct {
	name         string
	cur          atomic.Pointer[acl.User]
	unrestricted atomic.Bool // cur may run everything: the dispatcher skips the check
}

func (u *aclUser) store(v *acl.User) {
	// Ordered so that no command that starts after the change skips the check of a newly limited user.
	if v.Unrestricted() {
		u.cur.Store(v)
		u.unrestricted.Store(true)
	} else {
		u.unrestricted.Store(false)
		u.cur.Store(v)
	}
}

// aclState is the server's users and its ACL LOG.
type aclState struct {
	mu    sync.Mutex // guards users and serializes changes
	users map[string]*aclUser
	def   *aclUser
	// open is set while the default user is on and has nopass: clients need no AUTH (Redis's authRequired).
	open atomic.Bool

	logMu  sync.Mutex
	log    []*aclLogEntry // newest first
	logSeq int64          // the id of the next new entry (ACL LOG RESET keeps counting)
}

// newDefaultUser returns the default user as Redis creates it: on, nopass, ~*, &*, +@all.
func newDefaultUser() *acl.User {
	u := acl.NewUser(aclTable, "default")
	if err := u.SetRules("+@all", "~*", "&*", "on", "nopass"); err != nil {
		panic(err)
	}
	return u
}

// newUser returns a user as Redis creates one (ACL SETUSER, user lines, the ACL file): off, without passwords,
// keys or commands, and without channels or, under acl-pubsub-default allchannels, with all of them.
func newUser(name string, pubsubAll bool) *acl.User {
	u := acl.NewUser(aclTable, name)
	u.SetPubSubDefault(pubsubAll)
	if pubsubAll {
		u.SetRule("allchannels")
	}
	return u
}

// initACL creates the default user, gives it requirepass, then loads the users of the configuration file or
// the ACL file.
func (s *Server) initACL() error {
	a := &s.acl
	a.users = make(map[string]*aclUser)
	a.def = &aclUser{name: "default"}
	a.def.store(newDefaultUser())
	a.users["default"] = a.def
	if s.cfg.RequirePass != "" {
		s.setRequirePass(s.cfg.RequirePass)
	}
	if len(s.cfg.Users) > 0 && s.cfg.ACLFile != "" {
		return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	for _, line := range s.cfg.Users {
		u := newUser(line[0], s.cfg.ACLPubsubDefault == "allchannels")
		if old := a.users[line[0]]; old != nil {
			if line[0] != "default" {
				return fmt.Errorf("Duplicate user found. A user can only be defined once in config files")
			}
			u.SetRule("reset") // Matches Redis: a user line for default starts from a reset default user
		}
		if err := u.SetRules(line[1:]...); err != nil {
			return fmt.Errorf("user %s: %w", line[0], err)
		}
		s.putUser(u)
	}
	if s.cfg.ACLFile != "" {
		if err := s.loadACLFile(nil); err != nil {
			return fmt.Errorf("Aborting Redis startup because of ACL errors: %w", err)
		}
	}
	s.aclChanged()
	return nil
}

// putUser stores u as the new state of its user, creating the user if needed. The caller holds a.mu or is
// starting the server.
func (s *Server) putUser(u *acl.User) *aclUser {
	a := &s.acl
	au := a.users[u.Name()]
	if au == nil {
		au = &aclUser{name: u.Name()}
		a.users[u.Name()] = au
	}
	au.store(u)
	return au
}

// aclChanged updates what depends on the default user.
func (s *Server) aclChanged() {
	d := s.acl.def.cur.Load()
	s.acl.open.Store(d.Enabled() && d.NoPass())
}

// setRequirePass gives the default user the password, or nopass when it is "", as Redis does for requirepass.
func (s *Server) setRequirePass(pass string) {
	a := &s.acl
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.def.cur.Load().Clone()
	rule := "nopass"
	if pass != "" {
		rule = ">" + pass
	}
	u.SetRules("resetpass", rule)
	a.def.store(u)
	s.aclChanged()
}

// lookupUser returns the user called name, or nil.
func (s *Server) lookupUser(name string) *aclUser {
	s.acl.mu.Lock()
	defer s.acl.mu.Unlock()
	return s.acl.users[name]
}

// authenticate logs the client in as user if pass is one of its passwords (compared in constant time) and the
// user is on. A failure goes to ACL LOG.
func (c *client) authenticate(user, pass []byte) error {
	u := c.srv.lookupUser(string(user))
	if u == nil {
		acl.HashPassword(pass) // as long as for a user that exists: the time does not tell which names exist
	}
	if u == nil || !u.cur.Load().CheckPassword(pass) {
		c.srv.aclLogAdd(c, acl.DeniedAuth, c.logContext(), string(user))
		return errWrongPass
	}
	c.setUser(u)
	c.authed = true
	if c.rd != nil {
		c.readLimits() // the next command, maybe parsed already, is read without the unauthenticated limits
	}
	return nil
}

// setUser makes u the client's user.
func (c *client) setUser(u *aclUser) {
	c.user = u
	c.pub.user.Store(u)
}

// userName returns the name of the client's user, for any goroutine.
func (c *client) userName() string {
	if u := c.pub.user.Load(); u != nil {
		return u.name
	}
	return "default"
}

// denied checks a command against the client's user (one who is not unrestricted), and reports whether the
// user may not run it; then *err is the NOPERM error.
func (c *client) denied(cmd *command, args [][]byte, err *error) bool {
	*err = c.checkACL(cmd, args)
	return *err != nil
}

// checkACL checks a command against the client's user. A denial goes to ACL LOG and comes back as the NOPERM
// error.
func (c *client) checkACL(cmd *command, args [][]byte) error {
	if r := c.aclDenial(cmd, args, c.logContext()); r != acl.Allowed {
		return nopermError(r, c.user.name, cmd.name)
	}
	return nil
}

// checkACLInExec checks a queued command again when EXEC runs it, as Redis does: the user's rules may have
// changed since it was queued.
func (c *client) checkACLInExec(cmd *command, args [][]byte) error {
	r := c.aclDenial(cmd, args, "multi")
	if r == acl.Allowed {
		return nil
	}
	why := "no permission to execute the command or subcommand"
	switch r {
	case acl.DeniedKey:
		why = "no permission to touch the specified keys"
	case acl.DeniedChannel:
		why = "no permission to access one of the channels used as arguments"
	}
	return &resp.Error{Code: "NOPERM", Msg: "ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why}
}

// aclDenial checks a command against the client's user and returns why the user may not run it, after
// recording that in ACL LOG, or acl.Allowed.
func (c *client) aclDenial(cmd *command, args [][]byte, context string) acl.Reason {
	u := c.user.cur.Load()
	var kbuf [8]acl.Key
	var cbuf [4]acl.Channel
	keys, chans := aclArgs(kbuf[:0], cbuf[:0], cmd.spec, &cmd.acl, args)
	d := u.Check(cmd.acl.cmd, args, keys, chans)
	if d.Reason == acl.Allowed {
		return acl.Allowed
	}
	object := cmd.name
	if d.Reason != acl.DeniedCommand {
		object = string(args[d.Pos])
	}
	c.srv.aclLogAdd(c, d.Reason, context, object)
	return d.Reason
}

// fullKeyAccess reports whether the client's user may read every key with the running command, as SORT's BY
// and GET patterns need (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess).
func (c *client) fullKeyAccess(args [][]byte) bool {
	if c.user.unrestricted.Load() {
		return true
	}
	var kbuf [8]acl.Key
	var cbuf [4]acl.Channel
	keys, chans := aclArgs(kbuf[:0], cbuf[:0], c.cmd.spec, &c.cmd.acl, args)
	return c.user.cur.Load().FullKeyAccess(c.cmd.acl.cmd, args, keys, chans, acl.Read)
}

// logContext is the context of an ACL LOG entry about the client's command.
func (c *client) logContext() string {
	if c.multi != nil || c.exec != nil { // queued, or run by EXEC (AUTH)
		return "multi"
	}
	return "toplevel"
}

// aclArgs appends the keys and channels of a command, as the ACL check takes them, to keys and chans.
func aclArgs(keys []acl.Key, chans []acl.Channel, spec *cmdspec.Spec, ac *aclCommand, args [][]byte) ([]acl.Key, []acl.Channel) {
	if len(ac.access) > 0 {
		refs, err := spec.Keys(args)
		if err == nil { // Matches Redis: arguments that do not fit the key specs have no keys
			for _, r := range refs {
				k := acl.Key{Pos: r.Pos}
				if r.Spec < len(ac.access) {
					k.Access = ac.access[r.Spec]
				}
				keys = append(keys, k)
			}
			if ac.variable != nil && len(keys) > 0 {
				keys[0].Access = ac.variable(args)
			}
		}
	}
	switch ac.channels {
	case chanFirst:
		chans = append(chans, acl.Channel{Pos: 1})
	case chanAll, chanPatterns:
		for i := 1; i < len(args); i++ {
			chans = append(chans, acl.Channel{Pos: i, Pattern: ac.channels == chanPatterns})
		}
	}
	return keys, chans
}

// Matches Redis 7.2 (getAclErrorMessage), whose texts name the user where 7.0's said "this user", and say
// "a key" where 7.0 said "one of the keys used as arguments". The differential tests, whose oracle is Redis
// 7.0, map 7.2's texts back to 7.0's (see acl72Norm).

// nopermError is the NOPERM error for a denial of a command run by user.
func nopermError(r acl.Reason, user, cmdName string) error {
	switch r {
	case acl.DeniedKey:
		return &resp.Error{Code: "NOPERM", Msg: "No permissions to access a key"}
	case acl.DeniedChannel:
		return &resp.Error{Code: "NOPERM", Msg: "No permissions to access a channel"}
	}
	return &resp.Error{Code: "NOPERM", Msg: fmt.Sprintf("User %s has no permissions to run the '%s' command", user, cmdName)}
}

// denialText is the text of a denial as ACL DRYRUN gives it, naming the key or channel denied.
func denialText(r acl.Reason, user, cmdName, object string) string {
	switch r {
	case acl.DeniedKey:
		return fmt.Sprintf("User %s has no permissions to access the '%s' key", user, object)
	case acl.DeniedChannel:
		return fmt.Sprintf("User %s has no permissions to access the '%s' channel", user, object)
	}
	return fmt.Sprintf("User %s has no permissions to run the '%s' command", user, cmdName)
}

// aclLogEntry is an entry of ACL LOG.
type aclLogEntry struct {
	count    int64
	reason   acl.Reason
	context  string // "toplevel", "multi"
	object   string
	username string
	created  time.Time // of the latest occurrence
	first    time.Time // of the first occurrence
	id       int64     // the entry's sequence number since the server started, from 0
	info     string    // CLIENT INFO of the client, at the latest occurrence
}

// aclLogGrouping is how close in time a denial must be to an equal one for ACL LOG to count them in one
// entry (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const aclLogGrouping = 60 * time.Second

// aclLogAdd records a denial in ACL LOG: a new entry, or one more of an equal recent entry, which moves to the
// front.
func (s *Server) aclLogAdd(c *client, r acl.Reason, context, object string) {
	s.stats.aclDenied[r].Add(1) // Redis 7.2's INFO acl_access_denied_*, counted as it adds to the log
	now := time.Now()
	info := string(c.appendInfo(nil, c, now.UnixMilli()))
	user := c.userName()
	if r == acl.DeniedAuth { // Matches Redis: the object is the command as sent (AUTH or HELLO), the user tried
		user, object = object, string(c.argv[0])
	}
	a := &s.acl
	a.logMu.Lock()
	defer a.logMu.Unlock()
	for i, e := range a.log {
		if e.reason == r && e.context == context && e.object == object && e.username == user &&
			now.Sub(e.created) < aclLogGrouping {
			e.count++
			e.created, e.info = now, info
			copy(a.log[1:i+1], a.log[:i])
			a.log[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: r, context: context, object: object, username: user, created: now,
		first: now, id: a.logSeq, info: info}
	a.logSeq++
	a.log = append([]*aclLogEntry{e}, a.log...)
	if max := int(s.config().ACLLogMaxLen); len(a.log) > max {
		a.log = a.log[:max]
	}
}

// aclLogEntries returns the newest n entries of ACL LOG.
func (s *Server) aclLogEntries(n int) []aclLogEntry {
	a := &s.acl
	a.logMu.Lock()
	defer a.logMu.Unlock()
	n = min(n, len(a.log))
	out := make([]aclLogEntry, n)
	for i := range out {
		out[i] = *a.log[i]
	}
	return out
}

// killUserClients closes the connections of the clients logged in as u, but for self (nil for none), which
// closes itself after its reply.
func (s *Server) killUserClients(u *aclUser, self *client) {
	s.mu.Lock()
	var victims []*client
	for _, c := range s.clients {
		if c != self && c.pub.user.Load() == u {
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		s.killClient(c)
	}
}

// userLines returns every user as ACL LIST and ACL SAVE write them, sorted by name.
func (s *Server) userLines() []string {
	a := &s.acl
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, 0, len(a.users))
	for name := range a.users {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		names[i] = "user " + name + " " + a.users[name].cur.Load().String()
	}
	return names
}

// parseACLFile reads the users of an ACL file, as Redis's ACLLoadFromFile does: one "user <name> <rules>"
// line each, words split at single spaces. Errors name the file and line, all of them.
func parseACLFile(path string, data []byte, pubsubAll bool) (map[string]*acl.User, error) {
	users := make(map[string]*acl.User)
	var errs strings.Builder
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		name := argv[1]
		if !acl.ValidName(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, n, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		u := newUser(name, pubsubAll)
		users[name] = u
		rules, err := acl.MergeSelectors(argv[2:])
		if err != nil {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
			continue
		}
		syntax := false
		for _, r := range rules {
			r = strings.Trim(r, "\t\r\n")
			if err := u.SetRule(r); err != nil {
				if errors.Is(err, acl.ErrUnknownCommand) {
					fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, n, r, err)
				} else if !syntax {
					fmt.Fprintf(&errs, "%s:%d: %s. ", path, n, err)
					syntax = true
				}
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, errors.New(errs.String())
	}
	return users, nil
}

// loadACLFile replaces the users with those of the ACL file, all or (on any error) none. Users that remain
// keep their clients, who get the new rules; clients of users that are gone are disconnected.
func (s *Server) loadACLFile(self *client) error {
	path := s.cfg.ACLFile
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, rewriteErrText(err))
	}
	users, err := parseACLFile(path, data, s.config().ACLPubsubDefault == "allchannels")
	if err != nil {
		return err
	}
	if users["default"] == nil {
		users["default"] = newDefaultUser()
	}
	a := &s.acl
	a.mu.Lock()
	var gone []*aclUser
	for name, au := range a.users {
		if users[name] == nil {
			delete(a.users, name)
			gone = append(gone, au)
		}
	}
	var kept []*aclUser
	for _, u := range users {
		kept = append(kept, s.putUser(u))
	}
	s.aclChanged()
	a.mu.Unlock()
	for _, au := range kept {
		s.killLostSubscribers(au, self)
	}
	for _, au := range gone {
		if self != nil && self.user == au {
			self.closing = true // after this reply
		}
		s.killUserClients(au, self)
	}
	return nil
}

// saveACLFile writes every user to the ACL file, through a temporary file renamed over it.
func (s *Server) saveACLFile() error {
	var b strings.Builder
	for _, l := range s.userLines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return writeFileAtomic(s.cfg.ACLFile, []byte(b.String()))
}

// configUsers returns the "user" lines CONFIG REWRITE writes, as words: every user, unless there is an ACL
// file (then none, as in Redis).
func (s *Server) configUsers() [][]string {
	if s.cfg.ACLFile != "" {
		return nil
	}
	lines := s.userLines()
	users := make([][]string, len(lines))
	for i, l := range lines {
		users[i] = strings.Split(strings.TrimPrefix(l, "user "), " ")
	}
	return users
}

// addUser takes a "user <name> <rules>..." line of the configuration file, checking its rules as Redis does.
func (c *Config) addUser(v []string) error {
	if len(v) < 1 {
		return errors.New("wrong number of arguments")
	}
	if !acl.ValidName(v[0]) {
		return errors.New("Error in user declaration '" + v[0] + "': " + acl.ErrBadUsername.Error())
	}
	rules, err := acl.MergeSelectors(v[1:])
	if err != nil {
		return err
	}
	u := acl.NewUser(aclTable, v[0])
	for _, r := range rules {
		if err := u.SetRule(r); err != nil {
			return fmt.Errorf("Error in user declaration '%s': %s", r, err.Error())
		}
	}
	c.Users = append(c.Users, append([]string(nil), v...))
	return nil
}

// killLostSubscribers disconnects the clients of a user whose subscriptions its new rules no longer allow, as
// Redis does after ACL SETUSER. The caller's own client (self) closes after its reply instead.
func (s *Server) killLostSubscribers(au *aclUser, self *client) {
	u := au.cur.Load()
	if u.AllChannels() {
		return
	}
	victims := make(map[*client]bool)
	ps := &s.pubsub
	ps.mu.RLock()
	for k := range ps.subs {
		for name, clients := range ps.subs[k] {
			for c := range clients {
				if !victims[c] && c.pub.user.Load() == au && !u.CheckChannel([]byte(name), subKind(k) == subPattern) {
					victims[c] = true
				}
			}
		}
	}
	ps.mu.RUnlock()
	for c := range victims {
		if c == self {
			c.closing = true
			continue
		}
		s.killClient(c)
	}
}
