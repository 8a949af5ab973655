package keyspace

import (
	"fmt"
	"math/bits"
	"time"
)

// MaxShards is the largest number of shards a [Keyspace] can be split into.
const MaxShards = 256

// Config configures a [Keyspace]. The zero value of each field selects its default (see [DefaultConfig]).
type Config struct {
	// Databases is the number of logical databases (SELECT 0 to Databases-1). Default 16.
	Databases int
	// Shards is the number of lock shards the keyspace is split into, a power of two from 1 to [MaxShards].
	// Each shard holds its part of every database. Default 256.
	Shards int
	// Clock returns the current time in Unix milliseconds. It decides which keys are expired.
	// Default: the wall clock. Tests inject their own.
	Clock func() int64
	// OnExpired, when set, is called for every key removed because its TTL passed, lazily on access or by
	// [Keyspace.ActiveExpireCycle]. It runs while the key's shard lock is held: it must be quick, must not keep
	// key (the slice is only valid during the call) and must not call back into the keyspace.
	OnExpired func(db int, key []byte)
	// OnEvicted, when set, is called for every key that [Keyspace.Evict] removes, under the same rules as
	// OnExpired.
	OnEvicted func(db int, key []byte)
	// OnNew, when set, is called for every key added to a database where it did not exist (a write, RENAME,
	// COPY, MOVE ...), under the same rules as OnExpired: Redis's "new" keyspace event.
	OnNew func(db int, key []byte)
	// SlotOf, when set, maps each key to a slot from 0 to 65535 (Redis Cluster's hash slot of the key), and
	// every database keeps an index of its keys by slot for [Txn.CountInSlot] and [Txn.KeysInSlot]. It must be
	// a pure function of the key. Default nil: no index, and no cost.
	SlotOf func(key []byte) int
	// Policy is Redis's maxmemory-policy: which keys Evict removes. It also selects what the 24-bit access
	// field of each key means: the LFU counter under an LFU policy (OBJECT FREQ), else the LRU clock (OBJECT
	// IDLETIME). Default NoEviction. See [Keyspace.SetEvictionPolicy].
	Policy Policy
	// Samples is Redis's maxmemory-samples: how many keys each eviction round samples. Default 5.
	Samples int
	// LFULogFactor is Redis's lfu-log-factor. Default 10. Being a zero field, 0 selects the default here;
	// [Keyspace.SetLFUTuning] can set 0.
	LFULogFactor int
	// LFUDecayTime is Redis's lfu-decay-time, in minutes. Default 1. A decay time of 0 (the counter never
	// decays) is set with [Keyspace.SetLFUTuning].
	LFUDecayTime int
}

// DefaultConfig returns the configuration Redis starts with: 16 databases, no eviction (and so LRU access
// tracking), 5 samples per eviction round, lfu-log-factor 10 and lfu-decay-time 1.
func DefaultConfig() Config {
	return Config{
		Databases:    16,
		Shards:       MaxShards,
		Clock:        wallClock,
		Samples:      5,
		LFULogFactor: 10,
		LFUDecayTime: 1,
	}
}

func wallClock() int64 { return time.Now().UnixMilli() }

// withDefaults fills the zero fields of c from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Databases == 0 {
		c.Databases = d.Databases
	}
	if c.Shards == 0 {
		c.Shards = d.Shards
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.Samples == 0 {
		c.Samples = d.Samples
	}
	if c.LFULogFactor == 0 {
		c.LFULogFactor = d.LFULogFactor
	}
	if c.LFUDecayTime == 0 {
		c.LFUDecayTime = d.LFUDecayTime
	}
	return c
}

// Validate reports whether c, after defaults are applied to its zero fields, can be used by [New].
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Databases < 1 || c.Databases > 1<<14 {
		return fmt.Errorf("keyspace: databases must be between 1 and %d, got %d", 1<<14, c.Databases)
	}
	if c.Shards < 1 || c.Shards > MaxShards || bits.OnesCount(uint(c.Shards)) != 1 {
		return fmt.Errorf("keyspace: shards must be a power of two between 1 and %d, got %d", MaxShards, c.Shards)
	}
	if c.Policy > VolatileTTL {
		return fmt.Errorf("keyspace: unknown eviction policy %d", c.Policy)
	}
	if c.Samples < 1 {
		return fmt.Errorf("keyspace: samples must be at least 1, got %d", c.Samples)
	}
	if c.LFULogFactor < 0 {
		return fmt.Errorf("keyspace: lfu log factor must not be negative, got %d", c.LFULogFactor)
	}
	if c.LFUDecayTime < 0 {
		return fmt.Errorf("keyspace: lfu decay time must not be negative, got %d", c.LFUDecayTime)
	}
	return nil
}
