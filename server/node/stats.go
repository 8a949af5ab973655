package node

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// Statistics for INFO. Counters that every command touches live in statShards: each client writes to one shard
// (chosen by its id), so clients served by different goroutines rarely share a counter's cache line, and INFO
// sums the shards. Rare events (connections, errors, expiries) use plain server-wide counters.

// cmdStat is one command's counters in one shard, the fields of INFO commandstats.
type cmdStat struct {
	calls    atomic.Int64
	ns       atomic.Int64 // time spent in the handler
	rejected atomic.Int64 // refused before running: arity, authentication
	failed   atomic.Int64 // ran and replied with an error
}

// statShard holds the per-command counters and the hot server-wide counters of some clients.
type statShard struct {
	cmds   []cmdStat // by command.idx
	hits   atomic.Int64
	misses atomic.Int64
	dirty  atomic.Int64 // changes to keys, Redis's server.dirty (see rdb.go)
	_      [64]byte     // keeps the next shard's counters off this shard's last cache line
}

// stats is the server's statistics.
type stats struct {
	shards    []*statShard
	latency   []atomic.Pointer[latencyHist] // by command.idx, nil until called while latency-tracking is yes
	latencyOn atomic.Bool                   // latency-tracking

	connections atomic.Int64                        // total_connections_received
	rejected    atomic.Int64                        // rejected_connections: refused for maxclients
	expired     atomic.Int64                        // expired_keys
	queryKills  atomic.Int64                        // client_query_buffer_limit_disconnections
	outputKills atomic.Int64                        // client_output_buffer_limit_disconnections
	aclDenied   [acl.DeniedChannel + 1]atomic.Int64 // acl_access_denied_*, by acl.Reason
	resetAt     atomic.Int64                        // Unix ms of the last CONFIG RESETSTAT, or the start

	errMu  sync.Mutex
	errors map[string]int64 // errorstats, by error code ("ERR", "WRONGTYPE")
	errAll int64            // total_error_replies

	opsMu      sync.Mutex
	opsSamples [16]int64 // instantaneous_ops_per_sec samples, as Redis's STATS_METRIC_SAMPLES
	opsIdx     int
	opsLast    int64 // total_commands_processed at the last sample
	opsLastAt  time.Time
	peakMemory atomic.Uint64
}

// maxErrorCodes bounds errorstats as Redis does (ERRORSTATS_LIMIT): codes beyond it are not tracked one by one.
const maxErrorCodes = 128

func newStats(commands int) *stats {
	n := 1
	for n < 2*runtime.GOMAXPROCS(0) {
		n *= 2
	}
	st := &stats{shards: make([]*statShard, n), errors: make(map[string]int64),
		latency: make([]atomic.Pointer[latencyHist], commands)}
	for i := range st.shards {
		st.shards[i] = &statShard{cmds: make([]cmdStat, commands)}
	}
	st.resetAt.Store(time.Now().UnixMilli())
	return st
}

// shard returns the shard of the client with the given id.
func (st *stats) shard(id int64) *statShard { return st.shards[uint64(id)&uint64(len(st.shards)-1)] }

// sum adds up one counter over the shards.
func (st *stats) sum(f func(sh *statShard) int64) int64 {
	var n int64
	for _, sh := range st.shards {
		n += f(sh)
	}
	return n
}

// processed is total_commands_processed: the calls of every command.
func (st *stats) processed() int64 {
	var n int64
	for _, sh := range st.shards {
		for i := range sh.cmds {
			n += sh.cmds[i].calls.Load()
		}
	}
	return n
}

// countError records an error reply with the given code.
func (st *stats) countError(code string) {
	st.errMu.Lock()
	st.errAll++
	if _, ok := st.errors[code]; ok || len(st.errors) < maxErrorCodes {
		st.errors[code]++
	}
	st.errMu.Unlock()
}

// errorCounts returns the error codes seen, sorted, with their counts, and the total.
func (st *stats) errorCounts() ([]string, map[string]int64, int64) {
	st.errMu.Lock()
	defer st.errMu.Unlock()
	codes := make([]string, 0, len(st.errors))
	counts := make(map[string]int64, len(st.errors))
	for code, n := range st.errors {
		codes = append(codes, code)
		counts[code] = n
	}
	sort.Strings(codes)
	return codes, counts, st.errAll
}

// cmdTotals is one command's counters summed over the shards.
type cmdTotals struct{ calls, ns, rejected, failed int64 }

func (st *stats) command(idx int) cmdTotals {
	var t cmdTotals
	for _, sh := range st.shards {
		cs := &sh.cmds[idx]
		t.calls += cs.calls.Load()
		t.ns += cs.ns.Load()
		t.rejected += cs.rejected.Load()
		t.failed += cs.failed.Load()
	}
	return t
}

// reset zeroes the statistics, for CONFIG RESETSTAT.
func (st *stats) reset() {
	for _, sh := range st.shards {
		for i := range sh.cmds {
			cs := &sh.cmds[i]
			cs.calls.Store(0)
			cs.ns.Store(0)
			cs.rejected.Store(0)
			cs.failed.Store(0)
		}
		sh.hits.Store(0)
		sh.misses.Store(0)
	}
	for i := range st.latency {
		st.latency[i].Store(nil)
	}
	st.connections.Store(0)
	st.rejected.Store(0)
	st.queryKills.Store(0)
	st.outputKills.Store(0)
	for i := range st.aclDenied {
		st.aclDenied[i].Store(0)
	}
	st.expired.Store(0)
	st.peakMemory.Store(0)
	st.errMu.Lock()
	clear(st.errors)
	st.errAll = 0
	st.errMu.Unlock()
	st.opsMu.Lock()
	st.opsSamples = [16]int64{}
	st.opsLast = 0
	st.opsMu.Unlock()
	st.resetAt.Store(time.Now().UnixMilli())
}

// sampleOps records the operations per second since the last sample, as Redis's trackInstantaneousMetric does
// every 100 milliseconds.
func (st *stats) sampleOps(now time.Time) {
	total := st.processed()
	st.opsMu.Lock()
	defer st.opsMu.Unlock()
	if !st.opsLastAt.IsZero() {
		if ms := now.Sub(st.opsLastAt).Milliseconds(); ms > 0 {
			st.opsSamples[st.opsIdx] = max(total-st.opsLast, 0) * 1000 / ms
			st.opsIdx = (st.opsIdx + 1) % len(st.opsSamples)
		}
	}
	st.opsLast, st.opsLastAt = total, now
}

// opsPerSec is the mean of the samples: instantaneous_ops_per_sec.
func (st *stats) opsPerSec() int64 {
	st.opsMu.Lock()
	defer st.opsMu.Unlock()
	var sum int64
	for _, v := range st.opsSamples {
		sum += v
	}
	return sum / int64(len(st.opsSamples))
}

// countRead is countLookup for helpers that both read and write commands use: only a read-only command's
// lookup counts, as only those use Redis's lookupKeyRead.
func (c *client) countRead(key []byte, found bool) {
	if c.cmd != nil && c.cmd.spec.Has(cmdspec.FlagReadonly) {
		c.countLookup(key, found)
	}
}

// countLookup records a read lookup of key, a keyspace hit or miss, as Redis's lookupKeyRead does: a miss
// also raises the keymiss event.
func (c *client) countLookup(key []byte, found bool) {
	if found {
		c.stats.hits.Add(1)
	} else {
		c.stats.misses.Add(1)
		c.notify(notifyKeyMiss, "keymiss", key)
	}
}
