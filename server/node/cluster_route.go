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

// slotCheck gathers the slot of a command's keys (of all the queued commands, for EXEC).
type slotCheck struct {
	slot  int    // -1 until a key is seen
	first []byte // the first key
	multi bool   // more than one distinct key
}

// add checks the keys of one command against the slot of the first key seen.
func (c *client) addKeys(st *slotCheck, cmd *command, args [][]byte) error {
	refs, err := cmd.spec.AppendSlotKeys(c.keyRefs[:0], args)
	c.keyRefs = refs[:0]
	if err != nil {
		return nil // the command reports its own syntax error
	}
	for _, ref := range refs {
		key := args[ref.Pos]
		s := clusterbus.KeySlot(key)
		switch {
		case st.slot < 0:
			st.slot, st.first = s, key
		case s != st.slot:
			return errCrossSlot
		case !st.multi && !bytes.Equal(key, st.first):
			st.multi = true
		}
	}
	return nil
}

// clusterRedirect returns the error (MOVED, ASK, CROSSSLOT, CLUSTERDOWN, TRYAGAIN) that sends the client
// elsewhere, or nil when this node serves the command. EXEC checks every queued command together.
func (c *client) clusterRedirect(cmd *command, args [][]byte) error {
	if !hasKeys(cmd) {
		return nil
	}
	r := c.srv.cluster.route.Load()
	st := slotCheck{slot: -1}
	if cmd.name == "exec" {
		if c.multi == nil {
			return nil
		}
		for _, q := range c.multi.queue {
			if err := c.addKeys(&st, q.cmd, q.args); err != nil {
				return err
			}
		}
	} else if err := c.addKeys(&st, cmd, args); err != nil {
		return err
	}
	if st.slot < 0 {
		return nil
	}
	slot := st.slot
	owner := r.owners[slot]
	if owner == nil {
		return errSlotUnbound
	}
	if !r.ok {
		if !c.srv.cfg.ClusterAllowReadsWhenDown {
			return errClusterDown
		}
		if cmd.mayWrite || cmd.name == "exec" && c.multi.mayWrite {
			return errClusterDownRO
		}
	}
	migratingTo := r.migratingTo[slot]
	importing := r.importing[slot]
	if owner.self && migratingTo != nil || importing {
		if cmd.name == "migrate" {
			return nil
		}
		if owner.self && migratingTo != nil {
			c.gate() // the keys found here stay here until the command ends
		}
		missing := c.missingKeys(cmd, args)
		if owner.self && migratingTo != nil && missing > 0 {
			return &resp.Error{Code: "ASK", Msg: fmt.Sprintf("%d %s", slot, migratingTo.endpoint)}
		}
		if importing && (c.asking || cmd.spec.Has(cmdspec.FlagAsking)) {
			if st.multi && missing > 0 {
				return errTryAgain
			}
			return nil
		}
	}
	if !owner.self {
		// Matches Redis: a replica serves reads of its primary's slots to a READONLY client, and sharded
		// pub/sub to anyone.
		if owner == r.myPrimary && (c.readOnly || cmd.spec.Has(cmdspec.FlagPubSub)) && !cmd.write &&
			(cmd.name != "exec" || !c.multi.mayWrite) {
			return nil
		}
		return &resp.Error{Code: "MOVED", Msg: fmt.Sprintf("%d %s", slot, owner.endpoint)}
	}
	return nil
}

// missingKeys counts the keys of the command (or of the queued commands, for EXEC) that do not exist in db 0.
func (c *client) missingKeys(cmd *command, args [][]byte) int {
	var keys [][]byte
	gather := func(cmd *command, args [][]byte) {
		refs, _ := cmd.spec.Keys(args)
		for _, r := range refs {
			keys = append(keys, args[r.Pos])
		}
	}
	if cmd.name == "exec" {
		for _, q := range c.multi.queue {
			gather(q.cmd, q.args)
		}
	} else {
		gather(cmd, args)
	}
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

// keysInSlot returns up to limit keys of db 0 in slot s (limit < 0: all), from the keyspace's slot index.
func (c *client) keysInSlot(slot, limit int) [][]byte {
	tx := c.begin()
	defer tx.End()
	var out [][]byte
	tx.KeysInSlot(slot, limit, func(key []byte) { out = append(out, bytes.Clone(key)) })
	return out
}

// countKeysInSlot returns the number of keys of db 0 in slot s.
func (c *client) countKeysInSlot(slot int) int {
	tx := c.begin()
	defer tx.End()
	return tx.CountInSlot(slot)
}

// dbSize returns the number of keys in the client's db (db 0 in cluster mode).
func (c *client) dbSize() int {
	tx := c.begin()
	defer tx.End()
	return tx.Len()
}

// deleteKeysInSlots deletes the keys of db 0 in the given slots: the slots moved to another node. It is
// called without the cluster's lock (the keyspace is locked first, as commands inside EXEC do). Matches Redis's
// delKeysInSlot: each deletion is propagated (DEL, or UNLINK under lazyfree-lazy-server-del) and notified.
func (s *Server) deleteKeysInSlots(slots []int) {
	tx := s.ks.BeginAll(0)
	defer tx.End()
	var keys [][]byte
	for _, sl := range slots {
		tx.KeysInSlot(sl, -1, func(key []byte) { keys = append(keys, bytes.Clone(key)) })
	}
	del := delName(s.config().LazyfreeLazyServerDel)
	for _, k := range keys {
		if tx.Delete(k) {
			s.stats.shard(0).dirty.Add(1)
			s.propagateKeyless(0, del, k)
			s.touchWatched(0, k)
			s.invalidateKey(nil, k)
			s.notifyKeyspace(nil, 0, notifyGeneric, "del", k)
		}
	}
}
