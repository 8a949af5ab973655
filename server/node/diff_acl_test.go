package node

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// normRules sorts the single-command rules ("+get", "-client|kill") of every rule string in a reply, by
// command name: Redis 7.0 writes them in the order of its command hash table, which changes from run to run.
func normRules(v resp.Value) resp.Value {
	if len(v.Elems) > 0 {
		elems := make([]resp.Value, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = normRules(e)
		}
		v.Elems = elems
		return v
	}
	if v.Type != resp.TypeBulk && v.Type != resp.TypeSimple {
		return v
	}
	words := strings.Split(string(v.Str), " ")
	var at []int
	var singles []string
	flush := func() {
		sorted := append([]string(nil), singles...)
		sort.Slice(sorted, func(i, j int) bool { return strings.Trim(sorted[i], "+-()") < strings.Trim(sorted[j], "+-()") })
		for k, i := range at {
			words[i] = sorted[k]
		}
		at, singles = at[:0], singles[:0]
	}
	for i, w := range words {
		if strings.HasPrefix(w, "(") {
			flush() // a selector: its rules sort on their own
		}
		if len(w) > 1 && (w[0] == '+' || w[0] == '-') && w[1] != '@' {
			at = append(at, i)
			singles = append(singles, w)
		}
	}
	flush()
	v.Str = []byte(strings.Join(words, " "))
	return v
}

// logNorm hides what differs between two servers' ACL LOG entries: ages and client descriptions.
var logNorm = difftest.Chain(
	func(v resp.Value) resp.Value {
		elems := make([]resp.Value, len(v.Elems))
		for i, e := range v.Elems {
			e = difftest.ReplaceField("age-seconds", resp.Value{Type: resp.TypeBulk, Str: []byte("0")})(e)
			elems[i] = difftest.ReplaceField("client-info", resp.Value{Type: resp.TypeBulk, Str: []byte("-")})(e)
		}
		v.Elems = elems
		return v
	},
)

// acl72Norm maps what Redis 7.2 changed in ACL replies back to Redis 7.0, the oracle: NOPERM errors and ACL
// DRYRUN texts that name the user (7.0: "this user"), and ACL LOG's entry-id, timestamp-created and
// timestamp-last-updated fields, which 7.0 lacks. Only these differences are hidden; TestACL72Texts checks the
// 7.2 texts themselves.
func acl72Norm(v resp.Value) resp.Value {
	if len(v.Elems) > 0 {
		var elems []resp.Value
		for i := 0; i < len(v.Elems); i++ {
			e := v.Elems[i]
			if (v.Type == resp.TypeMap || v.Type == resp.TypeArray) && i%2 == 0 && i+1 < len(v.Elems) &&
				e.Type == resp.TypeBulk && acl72LogFields[string(e.Str)] {
				i++ // the field and its value
				continue
			}
			elems = append(elems, acl72Norm(e))
		}
		v.Elems = elems
		return v
	}
	if v.Type != resp.TypeError && v.Type != resp.TypeBulk {
		return v
	}
	s := string(v.Str)
	s = acl72User.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "NOPERM ") {
			return "NOPERM this user has no permissions to"
		}
		return "This user has no permissions to"
	})
	s = strings.Replace(s, "NOPERM No permissions to access a key", "NOPERM this user has no permissions to access one of the keys used as arguments", 1)
	s = strings.Replace(s, "NOPERM No permissions to access a channel", "NOPERM this user has no permissions to access one of the channels used as arguments", 1)
	v.Str = []byte(s)
	return v
}

var (
	// acl72User matches "NOPERM User alice has no permissions to" (7.0: "NOPERM this user ..."), also inside
	// EXECABORT's text, and a DRYRUN text, "User alice has no permissions to" (7.0: "This user ...").
	acl72User      = regexp.MustCompile(`(?:NOPERM )?User \S+ has no permissions to`)
	acl72LogFields = map[string]bool{"entry-id": true, "timestamp-created": true, "timestamp-last-updated": true}
)

// startACLPair starts real Redis and Carmine, and returns a pair of connections and a way to open more, both
// normalising 7.2's ACL texts to 7.0's (acl72Norm).
func startACLPair(t *testing.T, opts ...func(*Config)) (*difftest.Pair, func() *difftest.Pair) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, opts...)
	pair := func() *difftest.Pair {
		p := difftest.NewPair(t, redis.Addr, addr)
		p.Norm = acl72Norm
		return p
	}
	return pair(), pair
}

// aclUsers are the users of the differential tests, as ACL SETUSER rules.
var aclUsers = [][]string{
	{"reader", "on", ">rpass", "%R~r*", "~both*", "-@all", "+@read", "+@connection"},
	{"writer", "on", ">wpass", "%W~w*", "-@all", "+@write", "+get", "+copy"},
	{"rw", "on", ">p", "%R~r*", "%W~w*", "-@all", "+get", "+set", "+copy", "+lmove", "+mget", "+mset"},
	{"chans", "on", "nopass", "&news*", "&exact", "-@all", "+publish", "+subscribe", "+psubscribe", "+ssubscribe", "+spublish", "+unsubscribe"},
	{"cmds", "on", "nopass", "~*", "+@all", "-@dangerous", "-set", "+flushall", "-client|kill", "+select|0"},
	{"subs", "on", "nopass", "allkeys", "-@all", "+client|id", "+client|getname", "+config|get", "+select|1"},
	{"sel", "on", "nopass", "~a*", "-@all", "+get", "(~b* +set)", "(%R~c* +@string)"},
	{"off", "off", ">x", "~*", "+@all"},
	{"nopassuser", "on", "nopass", "~*", "&*", "+@all"},
}

// TestDiffACLSetUser compares ACL SETUSER with good and bad rules, and the users it leaves, as ACL GETUSER
// (RESP2 and RESP3) and ACL LIST describe them.
func TestDiffACLSetUser(t *testing.T) {
	p, _ := startACLPair(t)
	for _, u := range aclUsers {
		p.Check(append([]string{"ACL", "SETUSER"}, u...)...)
	}
	rules := [][]string{
		{"badrule"}, {"+nosuch"}, {"-nosuch"}, {"+@nosuch"}, {"-@nosuch"}, {"+get|x"}, {"+client|nosuch"},
		{"-client|id"}, {"-get|x"}, {"+select|"}, {"+|"}, {"#abc"}, {"!abc"}, {"<nopw"}, {"%X~a"}, {"%~a"}, {"%R"},
		{"%RR~a"}, {"%Rw~a"}, {"("}, {"(~a"}, {"(on)"}, {"(nopass)"}, {"(+get"}, {"()"}, {"allkeys", "~a"},
		{"&*", "&a"}, {"+@all|x"}, {"+client|id|x"}, {"+get|a|b"}, {"reset"}, {">"}, {"#"}, {"%"}, {"~"}, {"&"},
		{"+"}, {"-"}, {"+@"}, {"sanitize-payload"}, {"skip-sanitize-payload"}, {"clearselectors"},
		{"+config|get|x"}, {"~a b"}, {"('' )"}, {`(~a "b"c)`}, {"(~x", "+get", ")"}, {"%RW~*", "~a"},
		{"reset", "+@all", "-@dangerous", "+flushall"}, {"reset", "-@all", "+@hash", "+@set", "-sadd", "+get"},
		{"reset", "+select|0", "+select|1", "+SELECT|2", "+select|0"}, {"reset", "+select|0", "+@keyspace", "+@connection"},
		{"reset", ">a", ">b", ">a", "nopass"}, {"reset", ">a", ">b", "<a"}, {"reset", "+CLIENT|ID", "+GET", "-@ALL", "+@HASH"},
		{"reset", "+@all", "-@write", "-@read"}, {"reset", "-@all", "+@read", "+@write", "-@keyspace"},
		{"reset", "+@all", "-@slow"}, {"reset", "-@all", "+@fast", "+@connection"}, {"reset", "+client", "-client|kill"},
		{"reset", "-@all", "+@pubsub", "+@transaction", "+@scripting", "-eval"}, {"reset", "+@all", "-@admin", "+config|get"},
		{"reset", "on", "allchannels", "allkeys", "allcommands"}, {"reset", "nocommands", "resetkeys", "resetchannels"},
	}
	for _, r := range rules {
		p.Check(append([]string{"ACL", "SETUSER", "t"}, r...)...)
		p.CheckWith(normRules, "ACL", "GETUSER", "t")
		p.CheckWith(normRules, "ACL", "LIST")
	}
	p.Check("ACL", "SETUSER", "a b")
	p.Check("ACL", "SETUSER")
	p.Check("ACL", "GETUSER", "nosuch")
	p.Check("ACL", "USERS")
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, u := range append(aclUsers, []string{"default"}, []string{"t"}) {
			p.CheckWith(normRules, "ACL", "GETUSER", u[0])
		}
		p.CheckWith(normRules, "ACL", "LIST")
		p.Check("ACL", "GETUSER", "nosuch")
	}
	p.Check("ACL", "DELUSER", "default")
	p.Check("ACL", "DELUSER", "nosuch", "t", "off")
	p.Check("ACL", "USERS")
	p.Check("ACL", "WHOAMI")
	p.Check("ACL", "SAVE")
	p.Check("ACL", "LOAD")
	p.Check("ACL", "HELP")
	p.Check("ACL", "NOSUCH")
	p.Check("ACL", "GENPASS", "0")
	p.Check("ACL", "GENPASS", "5000")
	p.Check("ACL", "GENPASS", "x")
}

// TestDiffACLCat compares ACL CAT, and the commands of every category (sorted: Redis lists them in hash table
// order). Commands that Redis 7.2 added are left out.
func TestDiffACLCat(t *testing.T) {
	p, _ := startACLPair(t)
	p.Check("ACL", "CAT")
	p.Check("ACL", "CAT", "nosuch")
	p.Check("ACL", "CAT", "a", "b")
	added := map[string]bool{"cluster|myshardid": true}
	for _, s := range cmdspec.All() {
		for _, x := range append([]*cmdspec.Spec{s}, s.Subcommands...) {
			if x.Docs.Since >= "7.2" {
				added[x.Name] = true
			}
		}
	}
	norm := func(v resp.Value) resp.Value {
		var kept []resp.Value
		for _, e := range v.Elems {
			if !added[string(e.Str)] {
				kept = append(kept, e)
			}
		}
		v.Elems = kept
		return difftest.SortElems(v)
	}
	for _, cat := range []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
		"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
		"transaction", "scripting", "HASH"} {
		p.CheckWith(norm, "ACL", "CAT", cat)
	}
}

// TestDiffACLPermissions compares ACL DRYRUN and the NOPERM errors of commands run by users with limits on
// keys (read-only, write-only), channels, commands and categories, subcommands, first arguments and
// selectors, then the ACL LOG those denials leave.
func TestDiffACLPermissions(t *testing.T) {
	p, more := startACLPair(t)
	for _, u := range aclUsers {
		p.Check(append([]string{"ACL", "SETUSER"}, u...)...)
	}
	cases := map[string][][]string{
		"reader": {{"GET", "r1"}, {"GET", "w1"}, {"GET", "both1"}, {"SET", "r1", "v"}, {"MGET", "r1", "x"},
			{"EXISTS", "r1"}, {"PING"}, {"CLIENT", "GETNAME"}, {"CLIENT", "KILL", "ID", "99999"}, {"HGETALL", "r1"}, {"HGETALL", "x"}},
		"writer": {{"SET", "w1", "v"}, {"SET", "r1", "v"}, {"GET", "w1"}, {"SET", "w1", "v", "GET"},
			{"BITFIELD", "w1", "GET", "u8", "0"}, {"BITFIELD", "w1", "SET", "u8", "0", "1"}, {"BITFIELD", "w1", "GET", "u8"}, {"COPY", "w1", "w2"}, {"DEL", "w1"},
			{"LPUSH", "w1", "x"}, {"APPEND", "x", "y"}, {"PING"}},
		"rw": {{"GET", "r1"}, {"GET", "w1"}, {"SET", "w1", "v"}, {"SET", "r1", "v"}, {"COPY", "r1", "w1"},
			{"COPY", "w1", "r1"}, {"COPY", "r1", "r2"}, {"LMOVE", "r1", "w1", "LEFT", "RIGHT"}, {"LMOVE", "w1", "r1", "LEFT", "RIGHT"},
			{"MGET", "r1", "r2", "w1"}, {"MSET", "w1", "a", "r1", "b"}, {"MSET", "w1", "a", "w2", "b"}},
		"chans": {{"PUBLISH", "news.1", "m"}, {"PUBLISH", "other", "m"}, {"PUBLISH", "exact", "m"},
			{"SPUBLISH", "news", "m"}, {"SPUBLISH", "x", "m"}, {"PSUBSCRIBE", "news*"}, {"PSUBSCRIBE", "news.*"}},
		"cmds": {{"SET", "k", "v"}, {"GET", "k"}, {"FLUSHALL"}, {"FLUSHDB"}, {"CLIENT", "KILL", "ID", "99999"},
			{"SELECT", "0"}, {"SELECT", "1"}, {"CONFIG", "GET", "x"}, {"KEYS", "*"}},
		"subs": {{"CLIENT", "GETNAME"}, {"CLIENT", "INFO"}, {"CONFIG", "GET", "maxmemory"}, {"CONFIG", "SET", "x", "y"},
			{"SELECT", "1"}, {"SELECT", "0"}, {"GET", "x"}},
		"sel": {{"GET", "a1"}, {"GET", "b1"}, {"SET", "b1", "v"}, {"SET", "a1", "v"}, {"GET", "c1"}, {"SET", "c1", "v"},
			{"APPEND", "c1", "v"}, {"STRLEN", "c1"}, {"HGET", "a1", "f"}},
	}
	users := []string{"reader", "writer", "rw", "chans", "cmds", "subs", "sel"}
	for _, u := range users {
		for _, c := range cases[u] {
			p.Check(append([]string{"ACL", "DRYRUN", u}, c...)...)
		}
	}
	p.Check("ACL", "DRYRUN", "nosuch", "GET", "a")
	// Commands Redis knows that are not implemented here.
	p.Check("ACL", "DRYRUN", "reader", "EVAL", "return 1", "1", "r1")
	p.Check("ACL", "DRYRUN", "writer", "EVAL", "return 1", "1", "r1")
	p.Check("ACL", "DRYRUN", "rw", "SORT", "r1", "STORE", "w1")
	p.Check("ACL", "DRYRUN", "rw", "SORT", "w1", "STORE", "r1")
	p.Check("ACL", "DRYRUN", "cmds", "FUNCTION", "FLUSH")
	p.Check("ACL", "DRYRUN", "cmds", "FUNCTION", "NOSUCH")
	p.Check("ACL", "DRYRUN", "reader", "NOSUCH")
	p.Check("ACL", "DRYRUN", "reader", "GET")
	p.Check("ACL", "DRYRUN", "reader", "CLIENT")
	p.Check("ACL", "DRYRUN", "reader", "CLIENT", "NOSUCH")
	p.Check("ACL", "LOG", "RESET")
	for _, u := range users {
		q := more()
		q.Check("AUTH", u, map[string]string{"reader": "rpass", "writer": "wpass", "rw": "p"}[u]+"x-nopass")
		if u == "reader" || u == "writer" || u == "rw" {
			q.Check("AUTH", u, map[string]string{"reader": "rpass", "writer": "wpass", "rw": "p"}[u])
		}
		q.Check("ACL", "WHOAMI")
		for _, c := range cases[u] {
			if c[0] == "PSUBSCRIBE" {
				continue // subscribes on success; see TestDiffACLAuth
			}
			q.Check(c...)
		}
		// MULTI: a denied command is refused when queued, and dooms the transaction.
		q.Check("MULTI")
		q.Check(cases[u][1]...)
		q.Check("EXEC")
		q.Redis.Close()
		q.Carmine.Close()
	}
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		p.CheckWith(logNorm, "ACL", "LOG")
		p.CheckWith(logNorm, "ACL", "LOG", "2")
	}
	p.Check("ACL", "LOG", "-1")
	p.Check("ACL", "LOG", "x")
	p.Check("ACL", "LOG", "0")
	p.Check("ACL", "LOG", "RESET")
	p.Check("ACL", "LOG")
}

// TestDiffACLAuth compares AUTH and HELLO AUTH with right and wrong passwords, disabled and nopass users,
// unknown users, requirepass (the default user's password), and the NOAUTH errors before AUTH.
func TestDiffACLAuth(t *testing.T) { ioModes(t, testDiffACLAuth) }

func testDiffACLAuth(t *testing.T, mode func(*Config)) {
	p, more := startACLPair(t, mode)
	for _, u := range aclUsers {
		p.Check(append([]string{"ACL", "SETUSER"}, u...)...)
	}
	for _, c := range [][]string{
		{"AUTH", "x"}, {"AUTH", "reader", "bad"}, {"AUTH", "nosuch", "x"}, {"AUTH", "off", "x"},
		{"AUTH", "nopassuser", "anything"}, {"ACL", "WHOAMI"}, {"AUTH", "reader", "rpass"}, {"ACL", "WHOAMI"},
		{"HELLO", "2", "AUTH", "writer", "bad"}, {"ACL", "WHOAMI"}, {"HELLO", "2", "AUTH", "writer", "wpass"}, {"ACL", "WHOAMI"},
		{"HELLO", "2", "AUTH", "off", "x"}, {"AUTH", "default", "x"}, {"ACL", "WHOAMI"},
	} {
		p.CheckWith(helloNorm, c...)
	}
	// A password for the default user: new connections must AUTH first.
	p.Check("CONFIG", "SET", "requirepass", "sekret")
	p.CheckWith(normRules, "ACL", "GETUSER", "default")
	q := more()
	for _, c := range [][]string{
		{"PING"}, {"GET", "x"}, {"ACL", "WHOAMI"}, {"HELLO", "3"}, {"AUTH", "wrong"}, {"AUTH", "sekret"}, {"PING"},
		{"ACL", "WHOAMI"}, {"AUTH", "reader", "rpass"}, {"ACL", "WHOAMI"}, {"AUTH", "default", "nope"}, {"ACL", "WHOAMI"},
	} {
		q.CheckWith(helloNorm, c...)
	}
	q = more()
	q.CheckWith(helloNorm, "HELLO", "3", "AUTH", "reader", "rpass")
	q.Check("GET", "w1")
	q.Check("ACL", "WHOAMI")
	// The default user switched off: nobody gets in without AUTH, whatever requirepass says.
	p.Check("CONFIG", "SET", "requirepass", "")
	p.Check("ACL", "SETUSER", "default", "off")
	q = more()
	q.Check("PING")
	q.Check("AUTH", "nopassuser", "x")
	q.Check("PING")
	p.Check("ACL", "SETUSER", "default", "on")
	q = more()
	q.Check("PING")
	// Changing a user's rules applies to its connections at once; deleting it disconnects them.
	q.Check("AUTH", "reader", "rpass")
	q.Check("GET", "r1")
	p.Check("ACL", "SETUSER", "reader", "resetkeys", "~other")
	q.Check("GET", "r1")
	p.Check("ACL", "SETUSER", "reader", "-get")
	q.Check("GET", "other")
	p.Check("ACL", "SETUSER", "reader", "off")
	q.Check("PING") // Matches Redis: switching a user off leaves its connections alone
	p.Check("ACL", "DELUSER", "reader")
	_, rerr := q.Redis.ReceiveErr(time.Second)
	_, cerr := q.Carmine.ReceiveErr(time.Second)
	if rerr == nil || cerr == nil {
		t.Errorf("connections of a deleted user stay open: redis %v, carmine %v", rerr, cerr)
	}
	// AUTH run by EXEC: its failure is logged in the "multi" context.
	q = more()
	q.Check("MULTI")
	q.Check("AUTH", "bob", "x")
	q.Check("EXEC")
	p.CheckWith(logNorm, "ACL", "LOG", "1")
	// CLIENT KILL USER.
	q = more()
	q.Check("AUTH", "nopassuser", "x")
	p.Check("CLIENT", "KILL", "USER", "nosuch")
	p.Check("CLIENT", "KILL", "USER", "nopassuser")
	p.Check("CLIENT", "KILL", "USER", "nopassuser")
	// A transaction whose user lost rules between MULTI and EXEC.
	p.Check("ACL", "SETUSER", "m", "on", "nopass", "~k*", "&c", "+get", "+set", "+publish", "+multi", "+exec")
	q = more()
	for _, c := range [][]string{{"AUTH", "m", "x"}, {"MULTI"}, {"GET", "k1"}, {"SET", "k2", "v"}, {"PUBLISH", "c", "m"}, {"GET", "k3"}} {
		q.Check(c...)
	}
	p.Check("ACL", "SETUSER", "m", "-get", "resetkeys", "~k1", "resetchannels")
	q.Check("EXEC")
	// Channels: PSUBSCRIBE needs the pattern itself.
	q = more()
	q.Check("AUTH", "chans", "x")
	q.Check("PSUBSCRIBE", "news.*")
	q.Check("SUBSCRIBE", "news.1", "other")
	q.Check("PSUBSCRIBE", "news*")
	// Losing a channel it subscribes to disconnects a subscriber; other changes do not.
	p.Check("ACL", "SETUSER", "chans", "-ssubscribe")
	q.Check("PING", "still")
	p.Check("ACL", "SETUSER", "chans", "resetchannels", "&news.1")
	_, rerr = q.Redis.ReceiveErr(time.Second)
	_, cerr = q.Carmine.ReceiveErr(time.Second)
	if rerr == nil || cerr == nil {
		t.Errorf("a subscriber that lost its channels stays connected: redis %v, carmine %v", rerr, cerr)
	}
	p.CheckWith(logNorm, "ACL", "LOG")
}

// TestDiffACLFile compares ACL LOAD (good files, and bad ones whose errors name each line) and ACL SAVE, with
// real Redis and Carmine sharing one ACL file.
func TestDiffACLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.acl")
	write := func(s string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o600)) }
	write("user alice on >a ~* +@all\nuser bob on nopass ~b* -@all +get\n")
	redis := difftest.StartRedis(t, "--aclfile", path)
	_, addr := startServer(t, func(c *Config) { c.ACLFile = path })
	p := difftest.NewPair(t, redis.Addr, addr)
	p.Norm = acl72Norm
	p.CheckWith(normRules, "ACL", "LIST")
	for _, file := range []string{
		"user alice on >a ~* +@all +nosuch -nosuch2 badrule badrule2\nfoo bar\n\n  user  carol on\nuser bob on\n" +
			"user bob off\nuser d (~x +get\nuser e\t on\nuser f on\r\nuser\n",
		"user default on nopass ~* &* +@all\nuser x on \"quoted\" ~*\n",
		"user x on #abc\nuser y on allkeys ~a\nuser z on &* &a <nopass\n",
		"user default on nopass ~* &* +@all\nuser carol on >c %R~r* (~w* +set) -@all +get\n",
		"user default off\n",
		"",
	} {
		write(file)
		p.Check("ACL", "LOAD")
		p.CheckWith(normRules, "ACL", "LIST")
	}
	write("user default on nopass ~* &* +@all\n")
	p.Check("ACL", "LOAD")
	p.Check("ACL", "SETUSER", "zed", "on", ">z", "(~a +get)", "-@all", "+@hash", "-hset")
	p.Check("ACL", "SETUSER", "amy", "on", "nopass", "%R~x")
	saved := func(c *difftest.Conn) string {
		c.Do("ACL", "SAVE")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		return string(normRules(resp.Value{Type: resp.TypeBulk, Str: data}).Str)
	}
	assert.Equal(t, saved(p.Redis), saved(p.Carmine))
	p.Check("ACL", "LOAD")
	p.CheckWith(normRules, "ACL", "LIST")
}

// TestACLStartup checks the users of an ACL file and of user lines at start-up, and the errors that stop the
// server starting, as Redis's.
func TestACLStartup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	require.NoError(t, os.WriteFile(path, []byte("user alice on >a ~a* +@all\n"), 0o600))
	_, addr := startServer(t, func(c *Config) { c.ACLFile = path; c.RequirePass = "ignored?" })
	conn := difftest.Dial(t, addr)
	assert.Equal(t, "+OK", difftest.Format(conn.Do("AUTH", "alice", "a")))
	assert.Equal(t, `(error) NOPERM No permissions to access a key`,
		difftest.Format(conn.Do("GET", "b")))

	cfg, err := ParseArgs([]string{"x.conf"}, func(string) ([]byte, error) {
		return []byte("user bob on >b ~* +@all\nuser default on >d ~* &* +@all\n"), nil
	})
	require.NoError(t, err)
	_, addr = startServer(t, func(c *Config) { c.Users = cfg.Users })
	conn = difftest.Dial(t, addr)
	assert.Equal(t, "(error) NOAUTH Authentication required.", difftest.Format(conn.Do("PING")))
	assert.Equal(t, "+OK", difftest.Format(conn.Do("AUTH", "d")))
	assert.Equal(t, "+OK", difftest.Format(conn.Do("AUTH", "bob", "b")))
	assert.Equal(t, `"bob"`, difftest.Format(conn.Do("ACL", "WHOAMI")))
	assert.Contains(t, difftest.Format(conn.Do("CLIENT", "INFO")), " user=bob ")
	// As redis-server 7.0.15 lists them after the same configuration file.
	assert.Equal(t, `["user bob on #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d ~* resetchannels +@all", `+
		`"user default on sanitize-payload #18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4 ~* &* +@all"]`,
		difftest.Format(conn.Do("ACL", "LIST")))

	for _, tt := range []struct {
		conf, want string
	}{
		{"user alice on badrule\n", "line 1: Error in user declaration 'badrule': Syntax error"},
		{"user alice on (~a\n", "line 1: Unmatched parenthesis in acl selector starting at '(~a'."},
	} {
		_, err := ParseArgs([]string{"x.conf"}, func(string) ([]byte, error) { return []byte(tt.conf), nil })
		assert.ErrorContains(t, err, tt.want)
	}
	for _, tt := range []struct {
		opt  func(c *Config)
		want string
	}{
		{func(c *Config) { c.ACLFile = filepath.Join(dir, "nosuch.acl") },
			"Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '" + filepath.Join(dir, "nosuch.acl") + "': No such file or directory"},
		{func(c *Config) { c.ACLFile = path; c.Users = [][]string{{"bob"}} }, "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid."},
		{func(c *Config) { c.Users = [][]string{{"bob"}, {"bob"}} }, "Duplicate user found. A user can only be defined once in config files"},
	} {
		cfg := DefaultConfig()
		cfg.Port, cfg.Bind, cfg.Dir = 0, []string{"127.0.0.1"}, dir
		tt.opt(&cfg)
		_, err := New(cfg, testLogger(t))
		assert.ErrorContains(t, err, tt.want)
	}
	require.NoError(t, os.WriteFile(path, []byte("user alice on badrule\n"), 0o600))
	cfg = DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Dir, cfg.ACLFile = 0, []string{"127.0.0.1"}, dir, path
	_, err = New(cfg, testLogger(t))
	assert.EqualError(t, err, "Aborting Redis startup because of ACL errors: "+path+":1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
}

// TestDiffACLSlowlog checks that the slow log keeps no secret of ACL SETUSER (user and rules are redacted).
func TestDiffACLSlowlog(t *testing.T) {
	p, _ := startACLPair(t)
	slowNorm := func(v resp.Value) resp.Value {
		for i := range v.Elems {
			if e := &v.Elems[i]; e.Type == resp.TypeArray && len(e.Elems) == 6 {
				e.Elems[1].Int, e.Elems[2].Int = 0, 0
				e.Elems[4].Str = []byte("addr")
			}
		}
		return v
	}
	p.Check("CONFIG", "SET", "slowlog-log-slower-than", "0")
	p.Check("ACL", "SETUSER", "x", ">secret", "on")
	p.Check("ACL", "SETUSER", "x", "badrule")
	p.Check("ACL", "DRYRUN", "x", "GET", "k")
	p.CheckWith(slowNorm, "SLOWLOG", "GET", "3")
}

// TestDiffACLRandomRules compares the rule strings (ACL GETUSER's commands) of users built from random rules:
// categories, commands, subcommands and first arguments, added and taken away in any order. Redis 7.0 lacks
// the commands 7.2 added (CLIENT NO-TOUCH, WAITAOF, ...), which change how categories fit: the categories that
// hold them are left out, and so are those commands in the rule strings.
func TestDiffACLRandomRules(t *testing.T) {
	p, _ := startACLPair(t)
	newer := map[string]bool{}
	var cats []string
	for _, cat := range acl.Categories {
		in := map[string]bool{}
		for _, e := range p.Redis.Do("ACL", "CAT", cat).Elems {
			in[string(e.Str)] = true
		}
		same := true
		for _, e := range p.Carmine.Do("ACL", "CAT", cat).Elems {
			if !in[string(e.Str)] {
				newer[string(e.Str)], same = true, false
			}
		}
		if same {
			cats = append(cats, cat)
		}
	}
	require.NotEmpty(t, cats)
	norm := func(v resp.Value) resp.Value {
		v = normRules(v)
		for i, e := range v.Elems {
			if e.Type != resp.TypeBulk {
				continue
			}
			var kept []string
			for _, w := range strings.Split(string(e.Str), " ") {
				if !newer[strings.TrimLeft(w, "+-")] {
					kept = append(kept, w)
				}
			}
			v.Elems[i].Str = []byte(strings.Join(kept, " "))
		}
		return v
	}
	vocab := []string{"+@all", "-@all", "allcommands", "nocommands", "+get", "-get", "+set", "-set", "+client",
		"-client", "+client|id", "-client|kill", "+config|get", "-config|set", "+select|0", "+select|1", "+debug|object",
		"+flushall", "-flushall", "+keys", "-keys", "+lpush", "-rpop", "+xadd", "+zadd", "-zrem", "+subscribe", "+publish"}
	for _, c := range cats {
		vocab = append(vocab, "+@"+c, "-@"+c)
	}
	// A rule string that picks a category holding newer commands may differ: those are skipped.
	differs := func(v resp.Value) bool {
		f := difftest.Format(v)
		for _, cat := range acl.Categories {
			if !slices.Contains(cats, cat) && (strings.Contains(f, "@"+cat+" ") || strings.Contains(f, "@"+cat+`"`)) {
				return true
			}
		}
		return false
	}
	rng := rand.New(rand.NewPCG(7, 9))
	compared := 0
	for i := 0; i < 500; i++ {
		rules := []string{"ACL", "SETUSER", "r", "reset"}
		for n := 1 + rng.IntN(6); n > 0; n-- {
			rules = append(rules, vocab[rng.IntN(len(vocab))])
		}
		if !p.Check(rules...) {
			continue
		}
		want, got := p.Redis.Do("ACL", "GETUSER", "r"), p.Carmine.Do("ACL", "GETUSER", "r")
		if differs(want) || differs(got) {
			continue
		}
		compared++
		if w, g := difftest.Format(norm(want)), difftest.Format(norm(got)); w != g {
			t.Errorf("rules %q: ACL GETUSER differs\n  redis:   %s\n  carmine: %s", rules[4:], w, g)
		}
	}
	t.Logf("%d rule strings compared", compared)
	assert.Greater(t, compared, 300)
}
