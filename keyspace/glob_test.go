package keyspace_test

import (
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
)

// TestMatch's expectations were checked against KEYS on redis-server 7.0.15 (besides 100,000 random patterns
// over the alphabet "ab-]^[\*?z" against all keys of up to 3 bytes of "ab-]^[\*?", which agreed).
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", false}, // only KEYS/SCAN's "*" shortcut matches the empty key
		{"", "a", false},
		{"*", "anything", true},
		{"**", "x", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*a*a", "ba", false},
		{"*a*a", "aa", true},
		{"a*?b", "aab", true},
		{"a*?b", "abcb", true},
		{"a*?b", "ab", false},
		{"?", "", false},
		{"?", "x", true},
		{"??", "x", false},
		{"h?llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"[z-a]", "c", true}, // reversed range
		{"[a-c-e]", "-", true},
		{"[a-c-e]", "e", true},
		{"[a-c-e]", "d", false},
		{"[a-]", "]", true}, // range from 'a' to ']', swapped; the set is then unclosed
		{"[a-]", "^", true},
		{"[a-]", "b", false},
		{`[\]]`, "]", true},
		{`[\]]`, `\`, false},
		{"[]", "a", false},
		{"[]", "]", false},
		{"[^]a]", "xa]", true},
		{"[^]a]", "a", false},
		{"[^", "a", true}, // unclosed negated empty set matches any byte
		{"[^", "", false},
		{"a[", "a[", false},
		{"a[b", "ab", true},
		{"x[^", "xy", true},
		{"x[", "x[", false},
		{`\`, `\`, true},
		{`a\`, `a\`, true},
		{`[\`, `\`, true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{`\?`, "?", true},
		{`\a`, "a", true},
		{"user:*:name", "user:1000:name", true},
		{"user:*:name", "user:1000:email", false},
		{"*\x00*", "a\x00b", true},
		{"A*", "abc", false}, // case sensitive
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"|"+tt.s, func(t *testing.T) {
			assert.Equal(t, tt.want, keyspace.Match([]byte(tt.pattern), []byte(tt.s)))
		})
	}
}

func TestMatchLongPatternIsFast(t *testing.T) {
	pattern := []byte("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
	s := make([]byte, 10000)
	for i := range s {
		s[i] = 'a'
	}
	assert.False(t, keyspace.Match(pattern, s))
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte("a*[b-c]?\\"), []byte("aXbY"))
	f.Add([]byte("[^"), []byte("z"))
	f.Fuzz(func(t *testing.T, pattern, s []byte) {
		keyspace.Match(pattern, s) // must not panic or hang
		if len(s) > 0 {
			assert.True(t, keyspace.Match([]byte("*"), s))
		}
		if len(s) > 0 && len(pattern) > 0 && pattern[0] != '*' {
			// A literal byte pattern matches only itself.
			lit := make([]byte, 0, 2*len(s))
			for _, c := range s {
				lit = append(lit, '\\', c)
			}
			assert.True(t, keyspace.Match(lit, s))
		}
	})
}
