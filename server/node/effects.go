package node

import (
	"strconv"

	"github.com/carminedb/carmine/keyspace"
)

// The effects seam (see ARCHITECTURE.md): every handler that changes a key reports it here, in the order it
// applies its changes, while it still holds the key's lock. WATCH (watch.go), client tracking (tracking.go)
// and keyspace notifications hang on wrote and notify; blocking commands on signalReady (block.go); replication and the AOF will
// hang on the command's propagation. Handlers never talk to those features directly.
//
// Report what Redis reports: one wrote per key a command changes, with the event name Redis's
// notifyKeyspaceEvent uses for that command ("hset", "lpush", "zadd", ...), and a further notify(notifyGeneric,
// "del", key) when the change emptied and so removed the key. A command that changes nothing reports nothing.

// notifyClass is the class of a keyspace event, one bit per flag letter of notify-keyspace-events.
type notifyClass uint16

// The event classes, as Redis's NOTIFY_* flags.
const (
	notifyGeneric  notifyClass = 1 << iota // g: DEL, EXPIRE, RENAME, ...
	notifyString                           // $
	notifyList                             // l
	notifySet                              // s
	notifyHash                             // h
	notifyZSet                             // z
	notifyExpired                          // x
	notifyEvicted                          // e
	notifyStream                           // t
	notifyKeyMiss                          // m
	notifyNew                              // n
	notifyModule                           // d
	notifyKeyspace                         // K: publish to __keyspace@<db>__:<key>
	notifyKeyevent                         // E: publish to __keyevent@<db>__:<event>

	// notifyAll is A: every class but m and n.
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet | notifyExpired |
		notifyEvicted | notifyStream | notifyModule
)

// notifyLetters are the flag letters of notify-keyspace-events, in the order Redis writes them back.
var notifyLetters = []struct {
	class  notifyClass
	letter byte
}{
	{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'}, {notifyHash, 'h'},
	{notifyZSet, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'}, {notifyStream, 't'}, {notifyModule, 'd'},
	{notifyNew, 'n'}, {notifyKeyspace, 'K'}, {notifyKeyevent, 'E'}, {notifyKeyMiss, 'm'},
}

// parseNotifyFlags reads a notify-keyspace-events value.
func parseNotifyFlags(s string) (notifyClass, bool) {
	var f notifyClass
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			f |= notifyAll
			continue
		}
		found := false
		for _, l := range notifyLetters {
			if l.letter == s[i] {
				f |= l.class
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return f, true
}

// String writes flags back as Redis does: A for all the classes it covers, then K, E and m.
func (f notifyClass) String() string {
	var b []byte
	if f&notifyAll == notifyAll {
		b = append(b, 'A')
	}
	for _, l := range notifyLetters {
		all := f&notifyAll == notifyAll && (l.class&notifyAll != 0 || l.class == notifyNew)
		if f&l.class != 0 && !all {
			b = append(b, l.letter)
		}
	}
	return string(b)
}

// wrote records that the client's command changed key in the client's current database: event of class is
// the keyspace notification it raises. It marks the key modified for WATCH and client tracking.
func (c *client) wrote(class notifyClass, event string, key []byte) {
	c.wroteIn(c.db, class, event, key)
}

// wroteIn is wrote for a key of another database (MOVE, COPY ... DB, SWAPDB).
func (c *client) wroteIn(db int, class notifyClass, event string, key []byte) {
	c.stats.dirty.Add(1)
	c.prop.dirty++
	c.modified(db, key)
	c.notifyIn(db, class, event, key)
}

// changes counts n more changes in Redis's server.dirty (INFO rdb_changes_since_last_save, the save points)
// for a command whose one wrote stands for 1+n of them: Redis counts the elements LPUSH, SADD and HSET add.
func (c *client) changes(n int) {
	c.stats.dirty.Add(int64(n))
	c.prop.dirty += n
}

// modified marks key of db changed for WATCH and client tracking, without a keyspace event: Redis's
// signalModifiedKey on its own (PFCOUNT's update of its cached count).
func (c *client) modified(db int, key []byte) {
	c.signalChanged(db, key)
	c.srv.touchWatched(db, key)
	c.srv.invalidateKey(c, key)
}

// shrank finishes a command that removed elements from the collection at key: it reports event of class,
// then deletes the key when the removal emptied it (Redis keeps no empty collections) and raises "del", or
// else updates the key's size. Call it once per command, only when something was removed.
func (c *client) shrank(tx *keyspace.Txn, key []byte, emptied bool, class notifyClass, event string) {
	c.wrote(class, event, key)
	if emptied {
		tx.Delete(key)
		c.notify(notifyGeneric, "del", key)
		return
	}
	tx.UpdateSize(key)
}

// notify raises a keyspace event for key in the client's current database without marking the key modified
// again: the further events of one change ("del" after the "hdel" that emptied a hash).
func (c *client) notify(class notifyClass, event string, key []byte) {
	c.notifyIn(c.db, class, event, key)
}

// notifyIn is notify for a key of another database.
func (c *client) notifyIn(db int, class notifyClass, event string, key []byte) {
	c.srv.notifyKeyspace(c, db, class, event, key)
}

// notifyKeyspace publishes a keyspace event, as notify-keyspace-events selects: the event name to
// __keyspace@<db>__:<key> (K) and the key to __keyevent@<db>__:<event> (E). from is the client whose command
// raised it, nil for expiry and eviction.
func (s *Server) notifyKeyspace(from *client, db int, class notifyClass, event string, key []byte) {
	f := notifyClass(s.notifyFlags.Load())
	if f&class == 0 || f&(notifyKeyspace|notifyKeyevent) == 0 {
		return
	}
	prefix := func(kind string) []byte {
		b := make([]byte, 0, 24+len(key)+len(event))
		b = append(b, "__"...)
		b = append(b, kind...)
		b = append(b, '@')
		b = strconv.AppendInt(b, int64(db), 10)
		return append(b, "__:"...)
	}
	if f&notifyKeyspace != 0 {
		s.publish(from, subChannel, append(prefix("keyspace"), key...), []byte(event))
	}
	if f&notifyKeyevent != 0 {
		s.publish(from, subChannel, append(prefix("keyevent"), event...), key)
	}
}
