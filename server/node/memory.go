package node

import "github.com/carminedb/carmine/server/internal/cmdspec"

// baseMemory is what Carmine counts as used besides its keys (runtime, shard tables, connections), about what
// an empty Redis reports as used_memory. It makes a tiny maxmemory (such as 1) refuse writes even on an empty
// server, as in Redis.
const baseMemory = 800 << 10

// applyLiveConfig hands the parameters that take effect at once (memory, encoding limits, keyspace events) of
// the live configuration to the keyspace and the dispatcher.
// It runs at start and after every CONFIG SET.
func (s *Server) applyLiveConfig() {
	cfg := s.config()
	s.maxMemory.Store(cfg.MaxMemory)
	if s.cfg.ManageMemory {
		applyMemoryLimit(cfg.MaxMemory)
	}
	s.ks.SetEvictionPolicy(cfg.MaxMemoryPolicy)
	s.ks.SetEvictionSamples(cfg.MaxMemorySamples)
	s.ks.SetLFUTuning(cfg.LFULogFactor, cfg.LFUDecayTime)
	s.ks.SetLimits(cfg.Limits)
	s.notifyFlags.Store(cfg.NotifyKeyspaceEvents)
	limits := cfg.OutputLimits
	s.outputLimits.Store(&limits)
	s.protectedMode.Store(cfg.ProtectedMode == "yes")
	s.repl.readOnly.Store(cfg.ReplicaReadOnly)
	s.repl.serveStale.Store(cfg.ReplicaServeStaleData)
	s.repl.minReplicas.Store(int64(cfg.MinReplicas))
	s.resizeBacklog(cfg.ReplBacklogSize)
	s.tracking.maxKeys.Store(cfg.TrackingTableMaxKeys)
	s.stats.latencyOn.Store(cfg.LatencyTracking)
}

// usedMemory is the estimate that INFO reports as used_memory and that maxmemory limits.
func (s *Server) usedMemory() int64 { return s.ks.UsedMemory() + baseMemory }

// checkMemory runs before every command while maxmemory is set, as Redis's performEvictions does: it evicts
// keys until the used memory is within maxmemory, and when that fails, refuses a command flagged denyoom with
// the OOM error, and a script that may write without the allow-oom flag (see scriptDeniesOOM). Other commands
// (reads, DEL) still run; a script without a shebang has its first denyoom command refused instead.
func (c *client) checkMemory(cmd *command, args [][]byte) error {
	s := c.srv
	limit := s.maxMemory.Load()
	if limit == 0 {
		return nil
	}
	_, err := s.ks.Evict(limit - baseMemory)
	c.oomAtStart = err != nil
	if err != nil && (cmd.spec.Has(cmdspec.FlagDenyOOM) || c.scriptDeniesOOM(cmd, args)) {
		return err
	}
	return nil
}
