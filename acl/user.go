package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Errors of rules, with Redis's texts. [User.SetRules] wraps them in a [*RuleError].
var (
	ErrUnknownCommand = errors.New("Unknown command or category name in ACL")
	ErrSyntax         = errors.New("Syntax error")
	ErrKeysAfterAll   = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	ErrChansAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	ErrNoSuchPassword = errors.New("The password you are trying to remove from the user does not exist")
	ErrBadHash        = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	ErrSubFirstArg    = errors.New("Allowing first-arg of a subcommand is not supported")
	ErrBadUsername    = errors.New("Usernames can't contain spaces or null characters")
)

// RuleError is a rule that [User.SetRules] rejected: Rule as given (a whole selector for one of its rules),
// and Err, one of the Err* sentinels.
type RuleError struct {
	Rule string
	Err  error
}

// Error returns Redis's reply text to ACL SETUSER.
func (e *RuleError) Error() string {
	return fmt.Sprintf("Error in ACL SETUSER modifier '%s': %s", e.Rule, e.Err.Error())
}

// Unwrap returns Err, for errors.Is.
func (e *RuleError) Unwrap() error { return e.Err }

// ParenError is a selector whose '(' has no ')' among the rules after it. Arg is the argument that opens it.
type ParenError struct{ Arg string }

// Error returns Redis's text.
func (e *ParenError) Error() string {
	return fmt.Sprintf("Unmatched parenthesis in acl selector starting at '%s'.", e.Arg)
}

// Hash is the SHA-256 hash of a password, the only form in which users keep passwords.
type Hash [sha256.Size]byte

// HashPassword returns the hash of a password.
func HashPassword(pass []byte) Hash { return sha256.Sum256(pass) }

// String returns the hash in lower-case hex, as ACL GETUSER and ACL LIST show it.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// parseHash reads a '#' or '!' rule's hash: exactly 64 lower-case hex digits.
func parseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, ErrBadHash
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return h, ErrBadHash
		}
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

type sanitize uint8

const (
	sanitizeUnset sanitize = iota
	sanitizePayload
	sanitizeSkip
)

// User is an ACL user: whether it is enabled, its passwords, and its permissions (a root selector and any
// number of further selectors). A User is not safe for concurrent change; a server shares an unchanging User
// between connections and applies changes to a [User.Clone] that replaces it.
type User struct {
	t         *Table
	name      string
	enabled   bool
	nopass    bool
	sanitize  sanitize
	passwords []Hash
	selectors []*selector // [0] is the root selector
	pubsubAll bool        // new selectors and reset start with allchannels (SetPubSubDefault)
}

// NewUser returns a user as ACL SETUSER creates it: off, without passwords, keys, channels or commands.
func NewUser(t *Table, name string) *User {
	return &User{t: t, name: name, selectors: []*selector{newSelector(t)}}
}

// SetPubSubDefault sets the channels that the selectors u's later rules create, and the reset rule, start with:
// every channel (all, as Redis's acl-pubsub-default allchannels) or none (resetchannels, Redis's default). It
// changes none of u's selectors; a new user's root selector starts without channels, so give it "allchannels"
// after this call to make it as Redis creates users under acl-pubsub-default allchannels.
func (u *User) SetPubSubDefault(all bool) { u.pubsubAll = all }

// newSelector returns an empty selector with u's pub/sub default.
func (u *User) newSelector() *selector {
	s := newSelector(u.t)
	s.allChannels = u.pubsubAll
	return s
}

// ValidName reports whether name may name a user: Redis refuses names with spaces or NUL bytes.
func ValidName(name string) bool { return !hasSpaces(name) }

// Name returns the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports whether the user is on.
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports whether any password logs the user in.
func (u *User) NoPass() bool { return u.nopass }

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	v := *u
	v.passwords = append([]Hash(nil), u.passwords...)
	v.selectors = make([]*selector, len(u.selectors))
	for i, s := range u.selectors {
		v.selectors[i] = s.clone()
	}
	return &v
}

// CheckPassword reports whether pass logs the user in: the user is on, and it has nopass or pass hashes to
// one of its passwords. Hashes are compared in constant time.
func (u *User) CheckPassword(pass []byte) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := HashPassword(pass)
	ok := 0
	for i := range u.passwords {
		ok |= subtle.ConstantTimeCompare(h[:], u.passwords[i][:])
	}
	return ok == 1
}

// Unrestricted reports whether the user may run every command on every key and channel: its root selector
// has allcommands, allkeys and allchannels. Checks of such a user always pass.
func (u *User) Unrestricted() bool {
	s := u.selectors[0]
	return s.allCommands && s.allKeys && s.allChannels
}

// SetRules applies ACL SETUSER's rules in order, joining a selector split over several arguments ("(~a",
// "+get)") as Redis does. It stops at the first bad rule and returns a [*RuleError] or [*ParenError]; u may
// then be partly changed, so apply rules to a [User.Clone].
func (u *User) SetRules(rules ...string) error {
	merged, err := MergeSelectors(rules)
	if err != nil {
		return err
	}
	for _, r := range merged {
		if err := u.SetRule(r); err != nil {
			return &RuleError{Rule: r, Err: err}
		}
	}
	return nil
}

// MergeSelectors joins the arguments of a selector that spans several of them ("(~a", "+get)" become
// "(~a +get)"), as Redis's ACLMergeSelectorArguments does, or returns a [*ParenError].
func MergeSelectors(rules []string) ([]string, error) {
	out := make([]string, 0, len(rules))
	open := -1
	var sel string
	for i, r := range rules {
		if open < 0 && len(r) > 0 && r[0] == '(' && r[len(r)-1] != ')' {
			open, sel = i, r
			continue
		}
		if open >= 0 {
			sel += " " + r
			if len(r) > 0 && r[len(r)-1] == ')' {
				out = append(out, sel)
				open = -1
			}
			continue
		}
		out = append(out, r)
	}
	if open >= 0 {
		return nil, &ParenError{Arg: rules[open]}
	}
	return out, nil
}

// SetRule applies one rule and returns one of the Err* sentinels if it is bad. A selector "(...)" is one rule.
func (u *User) SetRule(op string) error {
	if op == "" {
		return nil // Matches Redis: an empty rule does nothing
	}
	switch {
	case strings.EqualFold(op, "on"):
		u.enabled = true
	case strings.EqualFold(op, "off"):
		u.enabled = false
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = sanitizeSkip
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = sanitizePayload
	case strings.EqualFold(op, "nopass"):
		u.nopass, u.passwords = true, nil
	case strings.EqualFold(op, "resetpass"):
		u.nopass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h, err := ruleHash(op)
		if err != nil {
			return err
		}
		if u.passwordIndex(h) < 0 {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h, err := ruleHash(op)
		if err != nil {
			return err
		}
		i := u.passwordIndex(h)
		if i < 0 {
			return ErrNoSuchPassword
		}
		u.passwords = append(u.passwords[:i], u.passwords[i+1:]...)
	case op[0] == '(' && op[len(op)-1] == ')' && len(op) >= 2:
		s := u.newSelector()
		for _, r := range splitArgs(op[1 : len(op)-1]) {
			if err := s.set(r); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		u.selectors = u.selectors[:1]
	case strings.EqualFold(op, "reset"):
		u.nopass, u.passwords = false, nil
		u.enabled = false
		u.sanitize = sanitizePayload
		u.selectors = []*selector{u.newSelector()}
	default:
		return u.selectors[0].set(op)
	}
	return nil
}

// ruleHash is the hash a password rule names: ">pass" and "<pass" hash the password, "#hash" and "!hash"
// give the hash.
func ruleHash(op string) (Hash, error) {
	if op[0] == '>' || op[0] == '<' {
		return HashPassword([]byte(op[1:])), nil
	}
	return parseHash(op[1:])
}

func (u *User) passwordIndex(h Hash) int {
	for i := range u.passwords {
		if u.passwords[i] == h {
			return i
		}
	}
	return -1
}

// hasSpaces reports whether s holds white space or NUL, which patterns and user names may not.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}
