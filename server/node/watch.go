package node

import (
	"sync"
	"sync/atomic"
)

// WATCH: optimistic locking for MULTI/EXEC. A client registers keys; any change to one of them (by any client,
// itself included: every wrote of the effects seam), its expiry, or a FLUSHDB, FLUSHALL or SWAPDB that affects
// it marks the client dirty, and its next EXEC replies null without running anything. EXEC and DISCARD unwatch
// everything.

var _ = register(map[string]handler{
	"unwatch": cmdUnwatch,
	"watch":   cmdWatch,
})

// watchers is the server's registry of watched keys.
type watchers struct {
	count atomic.Int64 // keys watched, over all clients: wrote costs one atomic load when nobody watches
	mu    sync.Mutex
	byKey map[blockKey][]*client
}

// watchedKey is one key a client watches, and when it was going to expire as WATCH saw it (0: never, or
// missing), so that EXEC can tell that it expired since.
type watchedKey struct {
	blockKey
	expireAt int64
}

// WATCH key [key ...]
func cmdWatch(c *client, args [][]byte) error {
	if c.multi != nil {
		return errorf("WATCH inside MULTI is not allowed")
	}
	s := c.srv
	for _, key := range args[1:] {
		k := blockKey{c.db, string(key)}
		if c.watches(k) {
			continue
		}
		tx := c.begin(key)
		at := tx.ExpireTime(key)
		tx.End()
		s.watch.mu.Lock()
		if s.watch.byKey == nil {
			s.watch.byKey = make(map[blockKey][]*client)
		}
		s.watch.byKey[k] = append(s.watch.byKey[k], c)
		s.watch.count.Add(1)
		s.watch.mu.Unlock()
		c.watched = append(c.watched, watchedKey{k, max(at, 0)})
	}
	c.w.WriteSimple("OK")
	return nil
}

// UNWATCH
func cmdUnwatch(c *client, args [][]byte) error {
	c.unwatchAll()
	c.w.WriteSimple("OK")
	return nil
}

func (c *client) watches(k blockKey) bool {
	for _, w := range c.watched {
		if w.blockKey == k {
			return true
		}
	}
	return false
}

// unwatchAll forgets the client's watched keys and its dirty mark.
func (c *client) unwatchAll() {
	if len(c.watched) > 0 {
		s := c.srv
		s.watch.mu.Lock()
		for _, w := range c.watched {
			q := s.watch.byKey[w.blockKey]
			for i, o := range q {
				if o == c {
					q = append(q[:i:i], q[i+1:]...)
					break
				}
			}
			if len(q) == 0 {
				delete(s.watch.byKey, w.blockKey)
			} else {
				s.watch.byKey[w.blockKey] = q
			}
		}
		s.watch.count.Add(-int64(len(c.watched)))
		s.watch.mu.Unlock()
		c.watched = c.watched[:0]
	}
	c.dirty.Store(false)
}

// touchWatched marks dirty the clients that watch key in db.
func (s *Server) touchWatched(db int, key []byte) {
	if s.watch.count.Load() == 0 {
		return
	}
	s.watch.mu.Lock()
	for _, o := range s.watch.byKey[blockKey{db, string(key)}] {
		o.dirty.Store(true)
	}
	s.watch.mu.Unlock()
}

// touchWatchedIn marks dirty the clients that watch a key of one of dbs for which exists reports true: what
// FLUSHDB, FLUSHALL and SWAPDB change. The caller holds every shard lock.
func (s *Server) touchWatchedIn(exists func(k blockKey) bool, dbs ...int) {
	if s.watch.count.Load() == 0 {
		return
	}
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	for k, cs := range s.watch.byKey {
		for _, db := range dbs {
			if k.db == db && exists(k) {
				for _, o := range cs {
					o.dirty.Store(true)
				}
				break
			}
		}
	}
}

// watchFailed reports whether EXEC must not run: a watched key changed, or expired since WATCH. now is the
// transaction's time.
func (c *client) watchFailed(now int64) bool {
	if c.dirty.Load() {
		return true
	}
	for _, w := range c.watched {
		if w.expireAt > 0 && w.expireAt < now {
			return true
		}
	}
	return false
}
