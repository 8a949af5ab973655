package node

import (
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// errMisconfRDB is the reply to writes while the last BGSAVE failed and stop-writes-on-bgsave-error is yes.
var errMisconfRDB = &resp.Error{Code: "MISCONF", Msg: "Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."}

// checkDiskError refuses cmd with a MISCONF error when writes are stopped because the last background save
// failed (stop-writes-on-bgsave-error is yes, save points are configured, and rdb_last_bgsave_status is err) or
// the append-only file cannot be written.
// Matches Redis: the writes refused are the commands flagged write, EXEC of a transaction holding one, and
// PING; a fake client (a replication or AOF stream) is never refused. The fast path is one atomic load.
func (c *client) checkDiskError(cmd *command) error {
	rdbFailed, aofErr := c.srv.rdb.failed.Load(), c.srv.aof.writeErr.Load()
	if (!rdbFailed && aofErr == nil) || c.fake {
		return nil
	}
	write := cmd.spec.Has(cmdspec.FlagWrite) || cmd.name == "ping"
	if cmd.name == "exec" && c.multi != nil {
		for _, q := range c.multi.queue {
			write = write || q.cmd.spec.Has(cmdspec.FlagWrite)
		}
	}
	if !write {
		return nil
	}
	if cfg := c.srv.config(); rdbFailed && cfg.StopWritesOnBgsaveError && len(cfg.Save) > 0 {
		c.srv.rdb.mu.Lock()
		failed := !c.srv.rdb.lastOK
		c.srv.rdb.mu.Unlock()
		if failed {
			return errMisconfRDB
		}
	}
	if aofErr != nil {
		return aofMisconf(*aofErr)
	}
	return nil
}
