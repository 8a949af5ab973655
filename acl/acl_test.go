package acl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTable is a small command table in the shape of Redis's.
func testTable(t testing.TB) *Table {
	t.Helper()
	tab, err := NewTable([]CommandInfo{
		{Name: "get", Categories: []string{"read", "string", "fast"}},
		{Name: "set", Categories: []string{"write", "string", "slow"}},
		{Name: "append", Categories: []string{"write", "string", "fast"}},
		{Name: "strlen", Categories: []string{"read", "string", "fast"}},
		{Name: "copy", Categories: []string{"keyspace", "write", "slow"}},
		{Name: "del", Categories: []string{"keyspace", "write", "slow"}},
		{Name: "exists", Categories: []string{"keyspace", "read", "fast"}},
		{Name: "hset", Categories: []string{"write", "hash", "fast"}},
		{Name: "hget", Categories: []string{"read", "hash", "fast"}},
		{Name: "select", Categories: []string{"fast", "connection"}},
		{Name: "auth", Categories: []string{"fast", "connection"}, NoAuth: true},
		{Name: "publish", Categories: []string{"pubsub", "fast"}},
		{Name: "subscribe", Categories: []string{"pubsub", "slow"}},
		{Name: "psubscribe", Categories: []string{"pubsub", "slow"}},
		{Name: "flushall", Categories: []string{"keyspace", "write", "slow", "dangerous"}},
		{Name: "client", Categories: []string{"slow"}},
		{Name: "client|id", Categories: []string{"slow", "connection"}},
		{Name: "client|kill", Categories: []string{"admin", "slow", "dangerous", "connection"}},
		{Name: "client|list", Categories: []string{"admin", "slow", "dangerous", "connection"}},
	})
	require.NoError(t, err)
	return tab
}

func TestRuleString(t *testing.T) {
	tab := testTable(t)
	tests := []struct {
		name  string
		rules []string
		want  string
	}{
		// Matches Redis: "%RW~*" is the pattern "*", not allkeys, and the string it gives does not load back.
		{"new user", nil, "off resetchannels -@all"},
		{"reset", []string{"reset"}, "off sanitize-payload resetchannels -@all"},
		{"default", []string{"on", "nopass", "~*", "&*", "+@all"}, "on nopass ~* &* +@all"},
		{"patterns", []string{"~k*", "%R~r*", "%W~w*", "%RW~b", "%R~m", "%w~m", "&ch*"},
			"off ~k* %R~r* %W~w* ~b ~m resetchannels &ch* -@all"},
		{"pattern star is not allkeys", []string{"%RW~*", "~a"}, "off ~* ~a resetchannels -@all"},
		{"duplicate patterns", []string{"~a", "~a", "&c", "&c"}, "off ~a resetchannels &c -@all"},
		{"password", []string{">a", ">b", ">a", "<a"},
			"off #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d resetchannels -@all"},
		{"nopass drops passwords", []string{">a", "nopass"}, "off nopass resetchannels -@all"},
		{"password drops nopass", []string{"nopass", ">b"},
			"off #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d resetchannels -@all"},
		{"single commands", []string{"+set", "+get"}, "off resetchannels -@all +get +set"},
		{"category", []string{"+@string"}, "off resetchannels -@all +@string"},
		{"category minus command", []string{"+@string", "-append"}, "off resetchannels -@all +@string -append"},
		{"all minus", []string{"+@all", "-flushall"}, "off resetchannels +@all -flushall"},
		{"subcommand", []string{"+client|id"}, "off resetchannels -@all +client|id"},
		{"container minus sub", []string{"+client", "-client|kill"}, "off resetchannels -@all +client -client|kill"},
		{"first arg", []string{"+select|0", "+SELECT|1", "+select|0"}, "off resetchannels -@all +select|0 +select|1"},
		{"first arg then command", []string{"+select|0", "+select"}, "off resetchannels -@all +select"},
		{"first arg then -command", []string{"+select|0", "-select"}, "off resetchannels -@all"},
		{"selectors", []string{"(~a", "+get)", "(%R~b +@read)"},
			"off resetchannels -@all (~a resetchannels -@all +get) (%R~b resetchannels -@all +@read)"},
		{"clearselectors", []string{"(~a +get)", "clearselectors", "~b"}, "off ~b resetchannels -@all"},
		{"flags", []string{"on", "skip-sanitize-payload"}, "on skip-sanitize-payload resetchannels -@all"},
		{"empty rule", []string{""}, "off resetchannels -@all"},
		{"case", []string{"ON", "+GET", "+@HASH", "ALLKEYS"}, "on ~* resetchannels -@all +@hash +get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUser(tab, "u")
			require.NoError(t, u.SetRules(tt.rules...))
			assert.Equal(t, tt.want, u.String())
			if tt.name == "pattern star is not allkeys" {
				return
			}
			// The string rebuilds the same user.
			v := NewUser(tab, "u")
			require.NoError(t, v.SetRules(splitArgs(u.String())...))
			assert.Equal(t, u.String(), v.String())
		})
	}
}

func TestRuleErrors(t *testing.T) {
	tab := testTable(t)
	tests := []struct {
		rules   []string
		bad     string
		wantErr error
	}{
		{[]string{"badrule"}, "badrule", ErrSyntax},
		{[]string{"+nosuch"}, "+nosuch", ErrUnknownCommand},
		{[]string{"-@nosuch"}, "-@nosuch", ErrUnknownCommand},
		{[]string{"-get|x"}, "-get|x", ErrUnknownCommand},
		{[]string{"+client|nosuch"}, "+client|nosuch", ErrUnknownCommand},
		{[]string{"+client|id|x"}, "+client|id|x", ErrSubFirstArg},
		{[]string{"+select|"}, "+select|", ErrSyntax},
		{[]string{"+get|a|b"}, "+get|a|b", ErrUnknownCommand},
		{[]string{"#abc"}, "#abc", ErrBadHash},
		{[]string{"<nopw"}, "<nopw", ErrNoSuchPassword},
		{[]string{"%X~a"}, "%X~a", ErrSyntax},
		{[]string{"%~a"}, "%~a", ErrSyntax},
		{[]string{"%RR~a"}, "%RR~a", ErrSyntax},
		{[]string{"~a b"}, "~a b", ErrSyntax},
		{[]string{"allkeys", "~a"}, "~a", ErrKeysAfterAll},
		{[]string{"&*", "&a"}, "&a", ErrChansAfterAll},
		{[]string{"(on)"}, "(on)", ErrSyntax},
		{[]string{"(~a", "nopass)"}, "(~a nopass)", ErrSyntax},
	}
	for _, tt := range tests {
		u := NewUser(tab, "u")
		err := u.SetRules(tt.rules...)
		var re *RuleError
		require.ErrorAs(t, err, &re, "%q", tt.rules)
		assert.Equal(t, tt.bad, re.Rule)
		assert.ErrorIs(t, err, tt.wantErr, "%q", tt.rules)
	}
	err := NewUser(tab, "u").SetRules("(~a", "+get")
	var pe *ParenError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Unmatched parenthesis in acl selector starting at '(~a'.", err.Error())
	assert.Equal(t, "Error in ACL SETUSER modifier 'x': Syntax error", (&RuleError{"x", ErrSyntax}).Error())
}

func TestPasswords(t *testing.T) {
	tab := testTable(t)
	u := NewUser(tab, "u")
	require.NoError(t, u.SetRules(">secret", "#"+HashPassword([]byte("other")).String()))
	assert.False(t, u.CheckPassword([]byte("secret")), "off")
	require.NoError(t, u.SetRule("on"))
	assert.True(t, u.CheckPassword([]byte("secret")))
	assert.True(t, u.CheckPassword([]byte("other")))
	assert.False(t, u.CheckPassword([]byte("nope")))
	require.NoError(t, u.SetRule("!"+HashPassword([]byte("other")).String()))
	assert.False(t, u.CheckPassword([]byte("other")))
	require.NoError(t, u.SetRule("resetpass"))
	assert.False(t, u.CheckPassword([]byte("secret")))
	require.NoError(t, u.SetRule("nopass"))
	assert.True(t, u.CheckPassword([]byte("anything")))
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func TestCheck(t *testing.T) {
	tab := testTable(t)
	u := NewUser(tab, "u")
	require.NoError(t, u.SetRules("on", "%R~r*", "%W~w*", "~rw*", "&ch*", "&p?",
		"+get", "+set", "+copy", "+exists", "+publish", "+subscribe", "+psubscribe", "+client|id", "+select|0",
		"(~x* +hget)"))
	get, set, cp := tab.Lookup("get"), tab.Lookup("set"), tab.Lookup("copy")
	rd, wr := []Key{{1, Read}}, []Key{{1, Write}}
	tests := []struct {
		name string
		cmd  *Command
		args [][]byte
		keys []Key
		chs  []Channel
		want Denial
	}{
		{"read allowed", get, args("get", "r1"), rd, nil, Denial{}},
		{"read of write-only", get, args("get", "w1"), rd, nil, Denial{DeniedKey, 1}},
		{"write allowed", set, args("set", "w1", "v"), wr, nil, Denial{}},
		{"write of read-only", set, args("set", "r1", "v"), wr, nil, Denial{DeniedKey, 1}},
		{"rw pattern", set, args("set", "rw1", "v"), wr, nil, Denial{}},
		{"no access needed", tab.Lookup("exists"), args("exists", "w1"), []Key{{1, 0}}, nil, Denial{}},
		{"copy", cp, args("copy", "r1", "w1"), []Key{{1, Read}, {2, Write}}, nil, Denial{}},
		{"copy wrong way", cp, args("copy", "w1", "r1"), []Key{{1, Read}, {2, Write}}, nil, Denial{DeniedKey, 1}},
		{"command", tab.Lookup("hset"), args("hset", "r1", "f", "v"), wr, nil, Denial{DeniedCommand, 0}},
		{"selector command", tab.Lookup("hget"), args("hget", "x1", "f"), rd, nil, Denial{}},
		{"selector key denied", tab.Lookup("hget"), args("hget", "r1", "f"), rd, nil, Denial{DeniedKey, 1}},
		{"no_auth", tab.Lookup("auth"), args("auth", "p"), nil, nil, Denial{}},
		{"subcommand", tab.Lookup("client|id"), args("client", "id"), nil, nil, Denial{}},
		{"other subcommand", tab.Lookup("client|kill"), args("client", "kill", "x"), nil, nil, Denial{DeniedCommand, 0}},
		{"first arg", tab.Lookup("select"), args("select", "0"), nil, nil, Denial{}},
		{"other first arg", tab.Lookup("select"), args("select", "1"), nil, nil, Denial{DeniedCommand, 0}},
		{"publish", tab.Lookup("publish"), args("publish", "ch1", "m"), nil, []Channel{{1, false}}, Denial{}},
		{"publish denied", tab.Lookup("publish"), args("publish", "x", "m"), nil, []Channel{{1, false}}, Denial{DeniedChannel, 1}},
		{"subscribe second", tab.Lookup("subscribe"), args("subscribe", "ch", "no"), nil, []Channel{{1, false}, {2, false}}, Denial{DeniedChannel, 2}},
		{"psubscribe literal", tab.Lookup("psubscribe"), args("psubscribe", "ch*"), nil, []Channel{{1, true}}, Denial{}},
		{"psubscribe narrower", tab.Lookup("psubscribe"), args("psubscribe", "ch1*"), nil, []Channel{{1, true}}, Denial{DeniedChannel, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, u.Check(tt.cmd, tt.args, tt.keys, tt.chs))
		})
	}
	assert.False(t, u.Unrestricted())
	all := NewUser(tab, "all")
	require.NoError(t, all.SetRules("on", "~*", "&*", "+@all"))
	assert.True(t, all.Unrestricted())
	require.NoError(t, all.SetRule("-get"))
	assert.False(t, all.Unrestricted())
	assert.Equal(t, Denial{DeniedCommand, 0}, all.Check(get, args("get", "k"), rd, nil))
	assert.True(t, u.CheckKey([]byte("x1"), Read|Write))
	assert.False(t, u.CheckKey([]byte("r1"), Write))
	assert.True(t, u.CheckChannel([]byte("pq"), false))
}

func TestFullKeyAccess(t *testing.T) {
	tab := testTable(t)
	get := tab.Lookup("get")
	k := []Key{{1, Read}}
	u := NewUser(tab, "u")
	require.NoError(t, u.SetRules("on", "~a*", "+get", "(%R~* +get)", "(allkeys +set)"))
	assert.True(t, u.FullKeyAccess(get, args("get", "a1"), k, nil, Read), "the %R~* selector")
	assert.False(t, u.FullKeyAccess(get, args("get", "a1"), k, nil, Read|Write), "%R~* is not for writing")
	assert.True(t, u.FullKeyAccess(tab.Lookup("set"), args("set", "a1", "v"), []Key{{1, Write}}, nil, Read|Write))
	v := NewUser(tab, "v")
	require.NoError(t, v.SetRules("on", "~a*", "+get"))
	assert.False(t, v.FullKeyAccess(get, args("get", "a1"), k, nil, Read))
}

func TestCloneIsDeep(t *testing.T) {
	tab := testTable(t)
	u := NewUser(tab, "u")
	require.NoError(t, u.SetRules("~a", "&b", "+get", ">p", "+select|0", "(~c)"))
	v := u.Clone()
	require.NoError(t, v.SetRules("%R~a", "&c", "-get", ">q", "+select|1", "(~d)"))
	assert.Equal(t, "off #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~a resetchannels &b -@all +get +select|0 (~c resetchannels -@all)", u.String())
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "abc", true}, {"*", "", false}, {"", "", true}, {"a*", "abc", true}, {"a*c", "abbbc", true},
		{"a*c", "abbb", false}, {"?", "a", true}, {"?", "ab", false}, {"a?c", "abc", true},
		{"[abc]", "b", true}, {"[abc]", "d", false}, {"[^abc]", "d", true}, {"[^abc]", "a", false},
		{"[a-c]x", "bx", true}, {"[c-a]", "b", true}, {"[a-c]", "d", false}, {`\*`, "*", true}, {`\*`, "a", false},
		{`[\]]`, "]", true}, {"[abc", "c", true}, {"[^", "x", true}, {`a\`, `a\`, true},
		{"*a*b", "xxaxxb", true}, {"*a*b", "xxaxxc", false}, {"h[ae]llo", "hello", true}, {"**", "x", true},
		{"a*", "a", true}, {"a**b", "ab", true}, {"[a-]", "]", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Match(tt.pat, []byte(tt.s)), "%q %q", tt.pat, tt.s)
	}
}

func TestNewTableErrors(t *testing.T) {
	_, err := NewTable([]CommandInfo{{Name: "x", Categories: []string{"nosuch"}}})
	assert.Error(t, err)
	_, err = NewTable([]CommandInfo{{Name: "x|y"}})
	assert.Error(t, err)
	_, err = NewTable([]CommandInfo{{Name: "x"}, {Name: "x"}})
	assert.Error(t, err)
}

func TestCommandsIn(t *testing.T) {
	tab := testTable(t)
	got, ok := tab.CommandsIn("HASH")
	require.True(t, ok)
	assert.Equal(t, []string{"hget", "hset"}, got)
	_, ok = tab.CommandsIn("nosuch")
	assert.False(t, ok)
}

func TestSplitArgs(t *testing.T) {
	assert.Equal(t, []string{"a", "b c", "d'e", "\n"}, splitArgs(` a  "b c" 'd\'e' "\x0a" `))
	assert.Nil(t, splitArgs(`"abc`))
	assert.Nil(t, splitArgs(`"a"b`))
	assert.True(t, errors.Is(&RuleError{"x", ErrSyntax}, ErrSyntax))
}

func TestPubSubDefault(t *testing.T) {
	tab := testTable(t)
	u := NewUser(tab, "u")
	u.SetPubSubDefault(true)
	assert.Equal(t, "off resetchannels -@all", u.String(), "the root selector is left alone")
	require.NoError(t, u.SetRules("(~a +get)", "&x"))
	assert.Equal(t, "off resetchannels &x -@all (~a &* -@all +get)", u.String())
	require.NoError(t, u.SetRules("reset"))
	assert.Equal(t, "off sanitize-payload &* -@all", u.String())
	u.SetPubSubDefault(false)
	require.NoError(t, u.SetRules("reset", "(~b)"))
	assert.Equal(t, "off sanitize-payload resetchannels -@all (~b resetchannels -@all)", u.String())
}
