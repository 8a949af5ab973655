// Package acl implements Redis 7's access control lists: users, the ACL SETUSER rule language, SHA-256
// password hashes compared in constant time, and the checks of commands, keys and channels.
//
// The security work fills this module; it imports no other Carmine module.
package acl
