// Package acl implements Redis 7's access control lists: users, the ACL SETUSER rule language, SHA-256
// password hashes compared in constant time, and the checks of commands, keys and channels.
//
// A server describes its commands once in a [Table] (names, ACL categories, the no_auth flag), then keeps a
// [User] per user. [User.SetRules] applies ACL SETUSER's rules with Redis's error texts ([RuleError],
// [ParenError]); [User.String] gives back ACL LIST's rule string, normalised as Redis 7.0 does, and
// [User.Flags], [User.Passwords] and [User.Selectors] what ACL GETUSER shows. [User.CheckPassword] checks a
// password, and [User.Check] whether the user may run a command on its keys ([Key], read or write [Access])
// and channels ([Channel]), with the reason of a denial ([Denial]) for NOPERM errors and ACL LOG.
//
// The rule language, as in
//
//	ACL SETUSER alice on >secret ~cache:* %R~db:* &news:* -@all +@read +set (~tmp:* +@write)
//
//	on, off                  enable or disable the user
//	>pass, <pass             add or remove a password (kept only as its SHA-256 hash)
//	#hash, !hash             add or remove a password by its hash (64 lower-case hex digits)
//	nopass, resetpass        any password logs in; forget all passwords and nopass
//	~pat, %R~pat, %W~pat     keys matching the glob pattern, for reading and writing, reading, or writing
//	allkeys (~*), resetkeys  all keys; no keys
//	&pat, allchannels (&*)   Pub/Sub channels; resetchannels
//	+cmd, -cmd, +cmd|sub     allow or forbid a command or a subcommand (+select|0: a first argument)
//	+@cat, -@cat             allow or forbid a category ([Categories]); +@all (allcommands), -@all (nocommands)
//	(rules), clearselectors  add a selector, a further set of permissions; drop them all
//	reset                    back to a new user's state
//
// Key and channel patterns use Redis's glob rules ([Match]). The package imports no other Carmine module, has no
// goroutines and does no logging; a User is changed by one goroutine at a time (see [User.Clone]).
package acl
