package node

import (
	"bytes"
	"fmt"

	"github.com/carminedb/carmine/clusterbus"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// Redirection in cluster mode: the dispatcher asks clusterRedirect, before running a command, whether this
// node serves the command's keys, as Redis's getNodeByQuery. The keys come from the command table's key specs.

var (
	errCrossSlot     = &resp.Error{Code: "CROSSSLOT", Msg: "Keys in request don't hash to the same slot"}
	errSlotUnbound   = &resp.Error{Code: "CLUSTERDOWN", Msg: "Hash slot not served"}
	errClusterDown   = &resp.Error{Code: "CLUSTERDOWN", Msg: "The cluster is down"}
	errClusterDownRO = &resp.Error{Code: "CLUSTERDOWN", Msg: "The cluster is down and only accepts read commands"}
	errTryAgain      = &resp.Error{Code: "TRYAGAIN", Msg: "Multiple keys request during rehashing of slot"}
	errSelectCluster = errorf("SELECT is not allowed in cluster mode")
)

// hasKeys reports whether a command can name keys, so that cluster mode has to route it.
func hasKeys(cmd *command) bool {
	return len(cmd.spec.KeySpecs) > 0 || cmd.spec.Has(cmdspec.FlagMovableKeys) || cmd.name == "exec"
}

// redirected reports whether the command goes elsewhere, with the error to reply in err. A redirection
// also ends the client's ASKING.
func (c *client) redirected(cmd *command, args [][]byte, err *error) bool {
	*err = c.clusterRedirect(cmd, args)
	if *err != nil {
		c.asking = false
	}
	return *err != nil
}

// clusterRedirect returns the error (MOVED, ASK, CROSSSLOT, CLUSTERDOWN, TRYAGAIN) that sends the client
// elsewhere, or nil when this node serves the command. EXEC checks every queued command together.
func (c *client) clusterRedirect(cmd *command, args [][]byte) error {
	if !hasKeys(cmd) {
		return nil
	}
	r := c.srv.cluster.route.Load()
	slot := -1
	var first []byte
	multi := false
	var keys [][]byte
	check := func(cmd *command, args [][]byte) error {
		refs, err := cmd.spec.Keys(args)
		if err != nil {
			return nil // the command reports its own syntax error
		}
		for _, ref := range refs {
			key := args[ref.Pos]
			s := clusterbus.KeySlot(key)
			if slot < 0 {
				slot, first = s, key
			} else if s != slot {
				return errCrossSlot
			} else if !multi && !bytes.Equal(key, first) {
				multi = true
			}
			keys = append(keys, key)
		}
		return nil
	}
	if cmd.name == "exec" {
		if c.multi == nil {
			return nil
		}
		for _, q := range c.multi.queue {
			if err := check(q.cmd, q.args); err != nil {
				return err
			}
		}
	} else if err := check(cmd, args); err != nil {
		return err
	}
	if slot < 0 {
		return nil
	}
	owner := r.owners[slot]
	if owner == nil {
		return errSlotUnbound
	}
	if !r.ok {
		if !c.srv.cfg.ClusterAllowReadsWhenDown {
			return errClusterDown
		}
		if cmd.mayWrite || cmd.name == "exec" && c.multi != nil && c.multi.mayWrite {
			return errClusterDownRO
		}
	}
	migratingTo := r.migratingTo[slot]
	importing := r.importing[slot]
	if owner.self && migratingTo != nil || importing {
		if cmd.name == "migrate" {
			return nil
		}
		missing := c.missingKeys(keys)
		if owner.self && migratingTo != nil && missing > 0 {
			return &resp.Error{Code: "ASK", Msg: fmt.Sprintf("%d %s", slot, migratingTo.endpoint)}
		}
		if importing && (c.asking || cmd.spec.Has(cmdspec.FlagAsking)) {
			if multi && missing > 0 {
				return errTryAgain
			}
			return nil
		}
	}
	if !owner.self {
		return &resp.Error{Code: "MOVED", Msg: fmt.Sprintf("%d %s", slot, owner.endpoint)}
	}
	return nil
}

// missingKeys counts the keys that do not exist in db 0.
func (c *client) missingKeys(keys [][]byte) int {
	tx := c.begin(keys...)
	defer tx.End()
	n := 0
	for _, k := range keys {
		if !tx.Exists(k) {
			n++
		}
	}
	return n
}

// keysInSlot returns up to limit keys of db 0 in slot s (limit < 0: all). It scans the keyspace: Carmine
// keeps no index of keys by slot yet.
func (s *Server) keysInSlot(slot, limit int) [][]byte {
	tx := s.ks.Begin(0)
	defer tx.End()
	var out [][]byte
	tx.Keys([]byte("*"), func(key []byte) {
		if (limit < 0 || len(out) < limit) && clusterbus.KeySlot(key) == slot {
			out = append(out, bytes.Clone(key))
		}
	})
	return out
}

// dbSize returns the number of keys in db.
func (s *Server) dbSize(db int) int {
	tx := s.ks.Begin(db)
	defer tx.End()
	return tx.Len()
}

// deleteKeysInSlots deletes the keys of db 0 in the given slots: the slots moved to another node.
func (s *Server) deleteKeysInSlots(slots []int) {
	in := make(map[int]bool, len(slots))
	for _, sl := range slots {
		in[sl] = true
	}
	tx := s.ks.BeginAll(0)
	defer tx.End()
	var keys [][]byte
	tx.Keys([]byte("*"), func(key []byte) {
		if in[clusterbus.KeySlot(key)] {
			keys = append(keys, bytes.Clone(key))
		}
	})
	for _, k := range keys {
		if tx.Delete(k) {
			s.touchWatched(0, k)
			s.invalidateKey(nil, k)
			s.notifyKeyspace(nil, 0, notifyGeneric, "del", k)
		}
	}
}
