package node

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/carminedb/carmine/resp"
)

// Client-side caching (CLIENT TRACKING). In the default mode the server remembers which keys each tracking
// client read (the keys of its read-only commands) and, when one of them changes (wrote of the effects seam,
// expiry, eviction), sends that client an invalidation once and forgets the key. In BCAST mode a client gets an
// invalidation for every changed key that starts with one of its prefixes, whether it read it or not. FLUSHDB
// and FLUSHALL invalidate everything with a null. Invalidations are RESP3 push frames, or, for a client that
// redirects them to another connection subscribed under RESP2, messages on __redis__:invalidate.

var _ = register(map[string]handler{
	"client|caching":      cmdClientCaching,
	"client|getredir":     cmdClientGetRedir,
	"client|tracking":     cmdClientTracking,
	"client|trackinginfo": cmdClientTrackingInfo,
})

// trackMode is a client's tracking settings. It is replaced, never changed, so other clients may read it.
type trackMode struct {
	redirect              int64
	bcast, optin, optout  bool
	noloop                bool
	prefixes              []string
	brokenRedir           atomic.Bool
	cachingYes, cachingNo bool // CLIENT CACHING for the next command; only the client's goroutine touches these
}

// trackers is the server's tracking state.
type trackers struct {
	on       atomic.Int64 // clients with tracking on: a write costs one atomic load when there are none
	mu       sync.Mutex
	keys     map[string]map[*client]struct{} // default mode: who read each key
	maxKeys  atomic.Int64                    // tracking-table-max-keys
	prefixes map[string]map[*client]struct{} // BCAST mode: who follows each prefix ("" for every key)
	// pending are the keys changed by the running command for BCAST clients, sent when it ends, in one
	// message per client, as Redis sends them once per event loop iteration.
	pending []pendingKey
}

type pendingKey struct {
	key string
	by  *client
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
func cmdClientTracking(c *client, args [][]byte) error {
	var m trackMode
	on := false
	switch strings.ToLower(string(args[2])) {
	case "on":
		on = true
	case "off":
	default:
		return errSyntax
	}
	for i := 3; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "redirect" && i+1 < len(args):
			i++
			if m.redirect != 0 {
				return errorf("A client can only redirect to a single other client")
			}
			id, ok := parseID(args[i])
			if !ok {
				return errNotInteger
			}
			m.redirect = id
		case opt == "bcast":
			m.bcast = true
		case opt == "optin":
			m.optin = true
		case opt == "optout":
			m.optout = true
		case opt == "noloop":
			m.noloop = true
		case opt == "prefix" && i+1 < len(args):
			i++
			m.prefixes = append(m.prefixes, string(args[i]))
		default:
			return errSyntax
		}
	}
	s := c.srv
	if !on {
		c.trackingOff()
		c.w.WriteSimple("OK")
		return nil
	}
	if m.bcast && c.track.Load() != nil && !c.track.Load().bcast || !m.bcast && c.track.Load() != nil && c.track.Load().bcast {
		return errorf("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
	}
	if len(m.prefixes) > 0 && !m.bcast {
		return errorf("PREFIX option requires BCAST mode to be enabled")
	}
	if m.bcast && (m.optin || m.optout) {
		return errorf("OPTIN and OPTOUT are not compatible with BCAST")
	}
	if m.optin && m.optout {
		return errorf("You can't specify both OPTIN mode and OPTOUT mode")
	}
	for i, p := range m.prefixes {
		for j, q := range m.prefixes {
			if i != j && strings.HasPrefix(p, q) || i < j && p == q {
				return errorf("Prefix '" + q + "' overlaps with another provided prefix '" + p + "'. Prefixes for a single client must not overlap.")
			}
		}
	}
	if m.redirect != 0 {
		if m.redirect == c.id {
			return errorf("A client can only redirect to a single other client")
		}
		if s.clientByID(m.redirect) == nil {
			return errorf("The client ID you want redirect to does not exist")
		}
	}
	if old := c.track.Load(); old != nil && old.bcast {
		m.prefixes = appendNew(old.prefixes, m.prefixes)
	}
	if m.bcast && len(m.prefixes) == 0 {
		m.prefixes = []string{""}
	}
	wasOn := c.track.Load() != nil
	c.trackingOffKeepCount()
	c.track.Store(&m)
	if !wasOn {
		s.tracking.on.Add(1)
	}
	c.flags |= flagTracking
	if m.bcast {
		s.tracking.mu.Lock()
		if s.tracking.prefixes == nil {
			s.tracking.prefixes = make(map[string]map[*client]struct{})
		}
		for _, p := range m.prefixes {
			if s.tracking.prefixes[p] == nil {
				s.tracking.prefixes[p] = make(map[*client]struct{})
			}
			s.tracking.prefixes[p][c] = struct{}{}
		}
		s.tracking.mu.Unlock()
	}
	c.w.WriteSimple("OK")
	return nil
}

func appendNew(old, add []string) []string {
	out := append([]string(nil), old...)
	for _, p := range add {
		if !hasString(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseID(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// trackingOff turns tracking off and forgets the client everywhere (CLIENT TRACKING OFF, disconnect).
func (c *client) trackingOff() {
	if c.track.Load() == nil {
		return
	}
	c.trackingOffKeepCount()
	c.track.Store(nil)
	c.flags &^= flagTracking
	c.srv.tracking.on.Add(-1)
}

// trackingOffKeepCount removes the client from the prefix table and the key table.
func (c *client) trackingOffKeepCount() {
	s := c.srv
	s.tracking.mu.Lock()
	defer s.tracking.mu.Unlock()
	for p, cs := range s.tracking.prefixes {
		delete(cs, c)
		if len(cs) == 0 {
			delete(s.tracking.prefixes, p)
		}
	}
	for k, cs := range s.tracking.keys {
		if _, ok := cs[c]; ok {
			delete(cs, c)
			if len(cs) == 0 {
				delete(s.tracking.keys, k)
			}
		}
	}
}

// CLIENT CACHING YES|NO: whether the next command's keys are tracked, in OPTIN (YES) or OPTOUT (NO) mode.
func cmdClientCaching(c *client, args [][]byte) error {
	m := c.track.Load()
	if m == nil || !m.optin && !m.optout {
		return errorf("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !m.optin {
			return errorf("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
		}
		m.cachingYes = true
	case "no":
		if !m.optout {
			return errorf("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
		}
		m.cachingNo = true
	default:
		return errSyntax
	}
	c.cachingSet = true
	c.w.WriteSimple("OK")
	return nil
}

// CLIENT GETREDIR: the client invalidations are redirected to, 0 for none, -1 when tracking is off.
func cmdClientGetRedir(c *client, args [][]byte) error {
	m := c.track.Load()
	if m == nil {
		c.w.WriteInt(-1)
	} else {
		c.w.WriteInt(m.redirect)
	}
	return nil
}

// CLIENT TRACKINGINFO: flags, redirect and prefixes, as a map.
func cmdClientTrackingInfo(c *client, args [][]byte) error {
	m := c.track.Load()
	c.w.WriteMapLen(3)
	c.w.WriteBulkString("flags")
	if m == nil {
		c.w.WriteSetLen(1)
		c.w.WriteBulkString("off")
	} else {
		flags := []string{"on"}
		for _, f := range []struct {
			on   bool
			name string
		}{{m.bcast, "bcast"}, {m.optin, "optin"}, {m.optout, "optout"}, {m.cachingYes, "caching-yes"},
			{m.cachingNo, "caching-no"}, {m.noloop, "noloop"}, {m.brokenRedir.Load(), "broken_redirect"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		c.w.WriteSetLen(len(flags))
		for _, f := range flags {
			c.w.WriteBulkString(f)
		}
	}
	c.w.WriteBulkString("redirect")
	if m == nil {
		c.w.WriteInt(-1)
	} else {
		c.w.WriteInt(m.redirect)
	}
	c.w.WriteBulkString("prefixes")
	if m == nil || !m.bcast || len(m.prefixes) == 1 && m.prefixes[0] == "" {
		c.w.WriteArrayLen(0)
	} else {
		c.w.WriteArrayLen(len(m.prefixes))
		for _, p := range m.prefixes {
			c.w.WriteBulkString(p)
		}
	}
	return nil
}

// rememberKeys records the keys a read-only command read, for a client tracking in the default mode, as
// Redis's trackingRememberKeys: in OPTIN mode only after CLIENT CACHING YES, in OPTOUT mode unless CLIENT
// CACHING NO.
func (c *client) rememberKeys(cmd *command, args [][]byte) {
	m := c.track.Load()
	if m == nil || m.bcast || m.optin && !m.cachingYes || m.optout && m.cachingNo {
		return
	}
	refs, err := cmd.spec.Keys(args)
	if err != nil || len(refs) == 0 {
		return
	}
	s := c.srv
	s.tracking.mu.Lock()
	defer s.tracking.mu.Unlock()
	if s.tracking.keys == nil {
		s.tracking.keys = make(map[string]map[*client]struct{})
	}
	for _, r := range refs {
		k := string(args[r.Pos])
		if s.tracking.keys[k] == nil {
			s.tracking.keys[k] = make(map[*client]struct{})
		}
		s.tracking.keys[k][c] = struct{}{}
	}
	s.limitTrackedKeys()
}

// afterTrackedCommand ends the effect of CLIENT CACHING, which covers one command, and sends the BCAST
// invalidations the command caused.
func (c *client) afterTrackedCommand(cmd *command) {
	if c.cachingSet && cmd.name != "client|caching" {
		if m := c.track.Load(); m != nil {
			m.cachingYes, m.cachingNo = false, false
		}
		c.cachingSet = false
	}
	c.srv.flushBroadcasts()
}

// invalidateKey sends the invalidation of key, changed by the command of from (nil for expiry and eviction),
// to the clients that read it, and queues it for the BCAST clients whose prefixes it matches.
func (s *Server) invalidateKey(from *client, key []byte) {
	if s.tracking.on.Load() == 0 {
		return
	}
	s.tracking.mu.Lock()
	targets := s.takeReaders(string(key))
	if len(s.tracking.prefixes) > 0 {
		s.tracking.pending = append(s.tracking.pending, pendingKey{string(key), from})
	}
	s.tracking.mu.Unlock()
	s.sendKeyInvalidation(from, targets, key)
	if from == nil {
		s.flushBroadcasts()
	}
}

// takeReaders returns the clients that read key and forgets them; s.tracking.mu is held.
func (s *Server) takeReaders(key string) []*client {
	cs := s.tracking.keys[key]
	if cs == nil {
		return nil
	}
	targets := make([]*client, 0, len(cs))
	for t := range cs {
		targets = append(targets, t)
	}
	delete(s.tracking.keys, key)
	return targets
}

// sendKeyInvalidation sends the invalidation of key to targets, except to a NOLOOP client that changed it.
func (s *Server) sendKeyInvalidation(from *client, targets []*client, key []byte) {
	for _, t := range targets {
		if m := t.track.Load(); m != nil && !(m.noloop && t == from) {
			s.sendInvalidation(t, m, func(w *resp.Writer) {
				w.WriteArrayLen(1)
				w.WriteBulk(key)
			})
		}
	}
}

// limitTrackedKeys keeps the table of read keys within tracking-table-max-keys (0 = no limit), as Redis's
// trackingLimitUsedSlots: it forgets keys at random, sending their readers invalidations as if the keys had
// changed. BCAST clients are not told. s.tracking.mu is held; it is released and taken again to send.
func (s *Server) limitTrackedKeys() {
	max := s.tracking.maxKeys.Load()
	for max > 0 && int64(len(s.tracking.keys)) > max {
		var key string
		for k := range s.tracking.keys { // Go's map order is random
			key = k
			break
		}
		targets := s.takeReaders(key)
		s.tracking.mu.Unlock()
		s.sendKeyInvalidation(nil, targets, []byte(key))
		s.tracking.mu.Lock()
	}
}

// flushBroadcasts sends the queued BCAST invalidations, one message per client with every key it follows.
func (s *Server) flushBroadcasts() {
	if s.tracking.on.Load() == 0 {
		return
	}
	s.tracking.mu.Lock()
	pending := s.tracking.pending
	s.tracking.pending = nil
	if len(pending) == 0 {
		s.tracking.mu.Unlock()
		return
	}
	per := make(map[*client][]string)
	var order []*client
	for p, cs := range s.tracking.prefixes {
		for _, pk := range pending {
			if !strings.HasPrefix(pk.key, p) {
				continue
			}
			for t := range cs {
				if m := t.track.Load(); m != nil && m.noloop && t == pk.by {
					continue
				}
				if _, ok := per[t]; !ok {
					order = append(order, t)
				}
				per[t] = append(per[t], pk.key)
			}
		}
	}
	s.tracking.mu.Unlock()
	for _, t := range order {
		keys := per[t]
		if m := t.track.Load(); m != nil {
			s.sendInvalidation(t, m, func(w *resp.Writer) {
				w.WriteArrayLen(len(keys))
				for _, k := range keys {
					w.WriteBulkString(k)
				}
			})
		}
	}
}

// invalidateAll sends every tracking client the null invalidation of FLUSHDB and FLUSHALL and forgets every
// remembered key.
func (s *Server) invalidateAll() {
	if s.tracking.on.Load() == 0 {
		return
	}
	s.tracking.mu.Lock()
	s.tracking.keys = nil
	s.tracking.mu.Unlock()
	s.mu.Lock()
	var targets []*client
	for _, c := range s.clients {
		if c.track.Load() != nil {
			targets = append(targets, c)
		}
	}
	s.mu.Unlock()
	for _, t := range targets {
		if m := t.track.Load(); m != nil {
			proto := int(t.pub.proto.Load()) // Matches Redis: the null of the tracking client's protocol
			s.sendInvalidation(t, m, func(w *resp.Writer) {
				if proto >= 3 {
					w.WriteRaw([]byte("_\r\n"))
				} else {
					w.WriteRaw([]byte("$-1\r\n"))
				}
			})
		}
	}
}

// sendInvalidation pushes an invalidation, whose value value writes, to t or to the client it redirects to.
func (s *Server) sendInvalidation(t *client, m *trackMode, value func(w *resp.Writer)) {
	to, redirected := t, false
	if m.redirect != 0 {
		to = s.clientByID(m.redirect)
		if to == nil {
			m.brokenRedir.Store(true)
			if t.pub.proto.Load() >= 3 {
				w := resp.NewWriter(nil)
				w.SetProtocol(3)
				w.WritePushLen(2)
				w.WriteBulkString("tracking-redir-broken")
				w.WriteInt(m.redirect)
				t.push(w.Bytes())
			}
			return
		}
		redirected = true
	}
	w := resp.NewWriter(nil)
	switch {
	case to.pub.proto.Load() >= 3:
		w.SetProtocol(3)
		w.WritePushLen(2)
		w.WriteBulkString("invalidate")
	case redirected && clientFlags(to.pub.flags.Load())&flagPubSub != 0:
		w.WriteArrayLen(3)
		w.WriteBulkString("message")
		w.WriteBulkString("__redis__:invalidate")
	default:
		return // RESP2 without a subscribed redirect: nowhere to send it
	}
	value(w)
	to.push(w.Bytes())
}

// clientByID returns the connected client with id, or nil.
func (s *Server) clientByID(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}
