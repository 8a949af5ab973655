package node

import (
	"sort"
	"strings"
	"sync"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// Pub/sub: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE register a client in the server's registry; PUBLISH and
// SPUBLISH build each message once per protocol and push it to every subscriber with c.push, so that a slow
// subscriber holds up only itself. A client with a subscription is in subscribed mode: under RESP2 it may then
// run only the subscription commands, PING, QUIT and RESET (see dispatch); under RESP3 anything, its messages
// arriving as push frames between replies.

var _ = register(map[string]handler{
	"psubscribe":           cmdPSubscribe,
	"publish":              cmdPublish,
	"pubsub|channels":      cmdPubsubChannels,
	"pubsub|help":          cmdPubsubHelp,
	"pubsub|numpat":        cmdPubsubNumPat,
	"pubsub|numsub":        cmdPubsubNumSub,
	"pubsub|shardchannels": cmdPubsubChannels,
	"pubsub|shardnumsub":   cmdPubsubNumSub,
	"punsubscribe":         cmdPUnsubscribe,
	"spublish":             cmdPublish,
	"ssubscribe":           cmdSSubscribe,
	"subscribe":            cmdSubscribe,
	"sunsubscribe":         cmdSUnsubscribe,
	"unsubscribe":          cmdUnsubscribe,
})

// subKind is one of the three namespaces of subscriptions.
type subKind int

const (
	subChannel subKind = iota // SUBSCRIBE
	subPattern                // PSUBSCRIBE
	subShard                  // SSUBSCRIBE
)

// Each kind's reply words: the subscribe and unsubscribe confirmations and the message type.
var subWords = [...]struct{ sub, unsub, msg string }{
	subChannel: {"subscribe", "unsubscribe", "message"},
	subPattern: {"psubscribe", "punsubscribe", "pmessage"},
	subShard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// pubsub is the server's registry of subscriptions: for each kind, who subscribes to each name.
type pubsub struct {
	mu   sync.RWMutex
	subs [3]map[string]map[*client]struct{}
}

// clientSubs is a client's own subscriptions. Only its goroutine changes them, under the registry's lock, so
// that killClient may read them there (see dropKilled); its goroutine reads them without the lock.
type clientSubs [3]map[string]struct{}

// count is the number Redis reports in subscription replies: channels and patterns together, or shard channels
// on their own.
func (cs *clientSubs) count(k subKind) int {
	if k == subShard {
		return len(cs[subShard])
	}
	return len(cs[subChannel]) + len(cs[subPattern])
}

func (cs *clientSubs) total() int { return len(cs[0]) + len(cs[1]) + len(cs[2]) }

func cmdSubscribe(c *client, args [][]byte) error  { return c.subscribe(subChannel, args[1:]) }
func cmdPSubscribe(c *client, args [][]byte) error { return c.subscribe(subPattern, args[1:]) }
func cmdSSubscribe(c *client, args [][]byte) error { return c.subscribe(subShard, args[1:]) }

func cmdUnsubscribe(c *client, args [][]byte) error  { return c.unsubscribe(subChannel, args[1:]) }
func cmdPUnsubscribe(c *client, args [][]byte) error { return c.unsubscribe(subPattern, args[1:]) }
func cmdSUnsubscribe(c *client, args [][]byte) error { return c.unsubscribe(subShard, args[1:]) }

// subscribe adds subscriptions and confirms each one.
func (c *client) subscribe(k subKind, names [][]byte) error {
	ps := &c.srv.pubsub
	c.pub.proto.Store(int32(c.w.Protocol())) // publishers read it now, not at the end of the batch
	for _, n := range names {
		name := string(n)
		if _, ok := c.subs[k][name]; !ok {
			ps.mu.Lock()
			if c.subs[k] == nil {
				c.subs[k] = make(map[string]struct{})
			}
			c.subs[k][name] = struct{}{}
			if ps.subs[k] == nil {
				ps.subs[k] = make(map[string]map[*client]struct{})
			}
			m := ps.subs[k][name]
			if m == nil {
				m = make(map[*client]struct{})
				ps.subs[k][name] = m
			}
			m[c] = struct{}{}
			ps.mu.Unlock()
		}
		c.flags |= flagPubSub
		c.writeSubReply(subWords[k].sub, n, c.subs.count(k))
	}
	return nil
}

// unsubscribe drops the named subscriptions, or all of the kind when names is empty, confirming each one (or
// once, with a null name, when there was none).
func (c *client) unsubscribe(k subKind, names [][]byte) error {
	if len(names) == 0 {
		for _, name := range sortedNames(c.subs[k]) {
			names = append(names, []byte(name))
		}
		if len(names) == 0 {
			c.writeSubReply(subWords[k].unsub, nil, c.subs.count(k))
			c.updatePubSubFlag()
			return nil
		}
	}
	for _, n := range names {
		c.dropSub(k, string(n))
		c.writeSubReply(subWords[k].unsub, n, c.subs.count(k))
	}
	c.updatePubSubFlag()
	return nil
}

func (c *client) dropSub(k subKind, name string) {
	if _, ok := c.subs[k][name]; !ok {
		return
	}
	ps := &c.srv.pubsub
	ps.mu.Lock()
	delete(c.subs[k], name)
	ps.leave(k, name, c)
	ps.mu.Unlock()
}

// leave removes c from the subscribers of name. Call with mu held.
func (ps *pubsub) leave(k subKind, name string, c *client) {
	if m := ps.subs[k][name]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(ps.subs[k], name)
		}
	}
}

// dropKilled takes a client killed by another out of the registry at once, as Redis frees it before CLIENT
// KILL replies: a PUBLISH right after the kill neither counts it nor queues it a message. Its own subscriptions
// stay until its goroutine ends (unsubscribeAll), where leaving again does nothing.
func (ps *pubsub) dropKilled(c *client) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for k, names := range c.subs {
		for name := range names {
			ps.leave(subKind(k), name, c)
		}
	}
}

// unsubscribeAll drops every subscription of a closing client.
func (c *client) unsubscribeAll() {
	for k := range c.subs {
		for name := range c.subs[k] {
			c.dropSub(subKind(k), name)
		}
	}
}

func (c *client) updatePubSubFlag() {
	if c.subs.total() == 0 {
		c.flags &^= flagPubSub
	}
}

// writeSubReply writes a subscription confirmation: [word, name, count], a push frame under RESP3.
func (c *client) writeSubReply(word string, name []byte, count int) {
	c.w.WritePushLen(3)
	c.w.WriteBulkString(word)
	if name == nil {
		c.w.WriteNull()
	} else {
		c.w.WriteBulk(name)
	}
	c.w.WriteInt(int64(count))
}

func sortedNames(m map[string]struct{}) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PUBLISH channel message, SPUBLISH shardchannel message: how many subscribers received it.
func cmdPublish(c *client, args [][]byte) error {
	k := subChannel
	if args[0][0] == 's' || args[0][0] == 'S' {
		k = subShard
	}
	c.w.WriteInt(int64(c.srv.publish(c, k, args[1], args[2])))
	if cl := c.srv.cluster; cl != nil {
		cl.propagatePublish(k == subShard, args[1], args[2]) // Matches Redis: the reply counts ours only
	}
	return nil
}

// frameWriters hold the buffers publish builds its message frames in; push copies a frame, so the buffer is
// free again once publish returns.
var frameWriters = sync.Pool{New: func() any { return resp.NewWriter(nil) }}

// publish delivers message on channel to its subscribers of kind k and, for plain channels, to the subscribers
// of every matching pattern. The publishing client, when it is a subscriber, gets its message in its own reply
// stream before the reply to PUBLISH, as in Redis.
func (s *Server) publish(from *client, k subKind, channel, message []byte) int {
	ps := &s.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	n := 0
	var frames [4][]byte // by protocol
	var writers [4]*resp.Writer
	defer func() {
		for _, w := range writers {
			if w != nil && cap(w.Bytes()) <= 64<<10 { // a huge message's buffer is left to the GC
				frameWriters.Put(w)
			}
		}
	}()
	deliver := func(to *client, build func(w *resp.Writer)) {
		n++
		if to == from {
			build(from.w)
			return
		}
		p := int(to.pub.proto.Load())
		if frames[p] == nil {
			w := writers[p]
			if w == nil {
				w = frameWriters.Get().(*resp.Writer)
				writers[p] = w
			}
			w.Reset(nil)
			w.SetProtocol(p)
			build(w)
			frames[p] = w.Bytes()
		}
		to.push(frames[p]) // push copies the frame
	}
	word := subWords[k].msg
	for to := range ps.subs[k][string(channel)] {
		deliver(to, func(w *resp.Writer) {
			w.WritePushLen(3)
			w.WriteBulkString(word)
			w.WriteBulk(channel)
			w.WriteBulk(message)
		})
	}
	if k == subChannel {
		for pat, subs := range ps.subs[subPattern] {
			if !keyspace.Match([]byte(pat), channel) {
				continue
			}
			frames = [4][]byte{}
			for to := range subs {
				deliver(to, func(w *resp.Writer) {
					w.WritePushLen(4)
					w.WriteBulkString("pmessage")
					w.WriteBulkString(pat)
					w.WriteBulk(channel)
					w.WriteBulk(message)
				})
			}
		}
	}
	return n
}

// PUBSUB CHANNELS [pattern], PUBSUB SHARDCHANNELS [pattern]: the channels with subscribers.
func cmdPubsubChannels(c *client, args [][]byte) error {
	if len(args) > 3 {
		return subcommandSyntaxError("PUBSUB", args[1])
	}
	k := subChannel
	if strings.EqualFold(string(args[1]), "shardchannels") {
		k = subShard
	}
	ps := &c.srv.pubsub
	ps.mu.RLock()
	var out []string
	for name := range ps.subs[k] {
		if len(args) < 3 || keyspace.Match(args[2], []byte(name)) {
			out = append(out, name)
		}
	}
	ps.mu.RUnlock()
	c.w.WriteArrayLen(len(out))
	for _, name := range out {
		c.w.WriteBulkString(name)
	}
	return nil
}

// PUBSUB NUMSUB [channel ...], PUBSUB SHARDNUMSUB [channel ...]: each channel and its number of subscribers.
func cmdPubsubNumSub(c *client, args [][]byte) error {
	k := subChannel
	if strings.EqualFold(string(args[1]), "shardnumsub") {
		k = subShard
	}
	ps := &c.srv.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	c.w.WriteMapLen(len(args) - 2)
	for _, name := range args[2:] {
		c.w.WriteBulk(name)
		c.w.WriteInt(int64(len(ps.subs[k][string(name)])))
	}
	return nil
}

// PUBSUB NUMPAT: the number of patterns subscribed to.
func cmdPubsubNumPat(c *client, args [][]byte) error {
	ps := &c.srv.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	c.w.WriteInt(int64(len(ps.subs[subPattern])))
	return nil
}

func cmdPubsubHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
	return nil
}

// allowedSubscribed reports whether a RESP2 client in subscribed mode may run cmd.
func allowedSubscribed(cmd *command) bool {
	switch cmd.name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}
