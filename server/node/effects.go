package node

// The effects seam (see ARCHITECTURE.md): every handler that changes a key reports it here, in the order it
// applies its changes, while it still holds the key's lock. WATCH (watch.go), client tracking and keyspace
// notifications (issue 6) hang on wrote and notify; blocking commands on signalReady (block.go); replication and the AOF will
// hang on the command's propagation. Handlers never talk to those features directly.
//
// Report what Redis reports: one wrote per key a command changes, with the event name Redis's
// notifyKeyspaceEvent uses for that command ("hset", "lpush", "zadd", ...), and a further notify(notifyGeneric,
// "del", key) when the change emptied and so removed the key. A command that changes nothing reports nothing.

// notifyClass is the class of a keyspace event, one bit per flag letter of notify-keyspace-events.
type notifyClass uint16

// The event classes, as Redis's NOTIFY_* flags.
const (
	notifyGeneric notifyClass = 1 << iota // g: DEL, EXPIRE, RENAME, ...
	notifyString                          // $
	notifyList                            // l
	notifySet                             // s
	notifyHash                            // h
	notifyZSet                            // z
	notifyExpired                         // x
	notifyEvicted                         // e
	notifyStream                          // t
	notifyKeyMiss                         // m
	notifyNew                             // n
)

// wrote records that the client's command changed key in the client's current database: event of class is
// the keyspace notification it raises. It marks the key modified for WATCH and client tracking.
func (c *client) wrote(class notifyClass, event string, key []byte) {
	c.wroteIn(c.db, class, event, key)
}

// wroteIn is wrote for a key of another database (MOVE, COPY ... DB, SWAPDB).
func (c *client) wroteIn(db int, class notifyClass, event string, key []byte) {
	c.srv.touchWatched(db, key)
	c.notifyIn(db, class, event, key)
}

// notify raises a keyspace event for key in the client's current database without marking the key modified
// again: the further events of one change ("del" after the "hdel" that emptied a hash).
func (c *client) notify(class notifyClass, event string, key []byte) {
	c.notifyIn(c.db, class, event, key)
}

// notifyIn is notify for a key of another database.
//
// Not yet delivered: keyspace notifications and client tracking arrive with issue 6; WATCH already hangs on
// wroteIn.
func (c *client) notifyIn(db int, class notifyClass, event string, key []byte) {}
