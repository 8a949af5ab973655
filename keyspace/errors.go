package keyspace

import "errors"

// Sentinel errors returned by the keyspace. The server maps each one to the exact Redis reply text in one table;
// the texts below are for logs and tests only.
var (
	// ErrWrongType is returned when a key holds a value of another type.
	// Matches Redis: "WRONGTYPE Operation against a key holding the wrong kind of value".
	ErrWrongType = errors.New("keyspace: wrong type")
	// ErrNotInteger is returned when a value cannot be used as a 64-bit integer.
	// Matches Redis: "ERR value is not an integer or out of range".
	ErrNotInteger = errors.New("keyspace: value is not an integer")
	// ErrOverflow is returned when an increment or decrement would overflow a 64-bit integer.
	// Matches Redis: "ERR increment or decrement would overflow".
	ErrOverflow = errors.New("keyspace: increment or decrement would overflow")
	// ErrNoSuchKey is returned by Rename and RenameNX when the source key does not exist.
	// Matches Redis: "ERR no such key".
	ErrNoSuchKey = errors.New("keyspace: no such key")
	// ErrSameObject is returned by Move and Copy when source and destination are the same key in the same database.
	// Matches Redis: "ERR source and destination objects are the same".
	ErrSameObject = errors.New("keyspace: source and destination objects are the same")
	// ErrDBIndex is returned when a database index is out of range.
	// Matches Redis: "ERR DB index is out of range".
	ErrDBIndex = errors.New("keyspace: DB index is out of range")
	// ErrOOM is returned by Evict when memory stays above the target: the policy is NoEviction or nothing is
	// left to evict. Matches Redis: "OOM command not allowed when used memory > 'maxmemory'.".
	ErrOOM = errors.New("keyspace: out of memory")
)
