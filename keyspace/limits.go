package keyspace

// Limits are the thresholds at which a small value moves from its compact encoding (listpack, intset, sparse
// HyperLogLog) to its large one (hashtable, skiplist, dense), as Redis's *-max-listpack-* parameters set them.
// Values read them through [Txn.Limits] when they grow; a change applies to values as they next grow, never
// converting existing ones, as in Redis.
type Limits struct {
	HashListpackEntries int // hash-max-listpack-entries
	HashListpackValue   int // hash-max-listpack-value: longest field or value, in bytes
	SetIntsetEntries    int // set-max-intset-entries
	SetListpackEntries  int // set-max-listpack-entries (Redis 7.2)
	SetListpackValue    int // set-max-listpack-value (Redis 7.2)
	ZSetListpackEntries int // zset-max-listpack-entries
	ZSetListpackValue   int // zset-max-listpack-value
	HLLSparseMaxBytes   int // hll-sparse-max-bytes
	StreamNodeBytes     int // stream-node-max-bytes: the largest node of a stream, in bytes (0: no limit)
	StreamNodeEntries   int // stream-node-max-entries: the most entries in a node of a stream (0: no limit)
}

// DefaultLimits returns the limits Redis 7 starts with.
func DefaultLimits() Limits {
	return Limits{
		HashListpackEntries: 512, // Matches Redis 7.0.15 as Debian ships it (CONFIG GET reports 512).
		HashListpackValue:   64,
		SetIntsetEntries:    512,
		SetListpackEntries:  128,
		SetListpackValue:    64,
		ZSetListpackEntries: 128,
		ZSetListpackValue:   64,
		HLLSparseMaxBytes:   3000,
		StreamNodeBytes:     4096,
		StreamNodeEntries:   100,
	}
}

// SetLimits replaces the encoding limits. It is safe to call while the keyspace is in use.
func (ks *Keyspace) SetLimits(l Limits) { ks.limits.Store(&l) }

// Limits returns the encoding limits in force. The result must not be changed.
func (ks *Keyspace) Limits() *Limits { return ks.limits.Load() }

// Limits returns the encoding limits in force, for values that grow in this Txn.
func (tx *Txn) Limits() *Limits { return tx.ks.limits.Load() }
