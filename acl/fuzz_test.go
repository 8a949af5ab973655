package acl

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseRules applies random rules to a user: bad rules must be rejected without panicking, and the rule
// string of a good user must rebuild the same user (but for Redis's own quirk: "%RW~*" is described as "~*",
// which reads back as allkeys, and patterns with quotes or parentheses are written as they are).
func FuzzParseRules(f *testing.F) {
	for _, seed := range []string{
		"on >p ~k* %R~r* %W~w* &ch* -@all +get +set +client|id +select|0 (~x* +get)",
		"+@all -@dangerous +flushall allkeys allchannels",
		"reset nopass #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 <p !abc",
		"(~a +get) clearselectors %RW~* ~a resetkeys resetchannels nocommands allcommands",
		"+@hash -hget +@read -@write +client -client|kill skip-sanitize-payload",
		`("~a b" +get) (%R~'x' +@string)`,
	} {
		f.Add(seed)
	}
	tab := testTable(f)
	f.Fuzz(func(t *testing.T, in string) {
		u := NewUser(tab, "u")
		if err := u.SetRules(strings.Fields(in)...); err != nil {
			var re *RuleError
			var pe *ParenError
			if !errors.As(err, &re) && !errors.As(err, &pe) {
				t.Fatalf("error of an unknown type: %v", err)
			}
		}
		s := u.String() // panics if the command rules do not rebuild the selectors
		_ = u.Selectors()
		if unreadable(u) {
			return
		}
		v := NewUser(tab, "u")
		if err := v.SetRules(strings.Fields(s)...); err != nil {
			t.Fatalf("rule string %q does not load back: %v", s, err)
		}
		if got := v.String(); got != s {
			t.Fatalf("rule string %q loads back as %q", s, got)
		}
		u.Check(tab.Lookup("get"), args("get", in), []Key{{1, Read}}, nil)
		u.Check(tab.Lookup("publish"), args("publish", in, "m"), nil, []Channel{{1, false}})
	})
}

// FuzzMatch checks the glob matcher against a simple recursive one on small inputs.
func FuzzMatch(f *testing.F) {
	f.Add("a*b?[c-e]\\*", "axxbyd*")
	f.Add("[^a", "b")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 16 || len(s) > 16 {
			return
		}
		if got, want := Match(pat, []byte(s)), slowMatch(pat, s, true); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pat, s, got, want)
		}
	})
}

// slowMatch is the textbook recursive glob, with Redis's rules, for FuzzMatch.
func slowMatch(p, s string, top bool) bool {
	if top && s == "" {
		return p == ""
	}
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		return slowMatch(p[1:], s, false) || (s != "" && slowMatch(p, s[1:], false))
	}
	if s == "" {
		return false
	}
	next, ok := token(p, 0, s[0])
	return ok && slowMatch(p[next:], s[1:], false)
}

// unreadable reports whether u's rule string does not read back, as in Redis: a key pattern "*" (from
// "%RW~*") is written as "~*", that is allkeys, and quotes and parentheses in patterns are written as they are.
func unreadable(u *User) bool {
	for _, s := range u.selectors {
		for _, k := range s.keys {
			if k.pattern == "*" || strings.ContainsAny(k.pattern, "\"'()") {
				return true
			}
		}
		for _, c := range s.channels {
			if strings.ContainsAny(c, "\"'()") {
				return true
			}
		}
	}
	return false
}
