package node

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

var _ = register(map[string]handler{
	"xadd":                  cmdXAdd,
	"xlen":                  cmdXLen,
	"xrange":                cmdXRange,
	"xrevrange":             cmdXRange,
	"xdel":                  cmdXDel,
	"xtrim":                 cmdXTrim,
	"xread":                 cmdXRead,
	"xreadgroup":            cmdXRead,
	"xsetid":                cmdXSetID,
	"xack":                  cmdXAck,
	"xpending":              cmdXPending,
	"xclaim":                cmdXClaim,
	"xautoclaim":            cmdXAutoClaim,
	"xgroup|create":         cmdXGroup,
	"xgroup|createconsumer": cmdXGroup,
	"xgroup|delconsumer":    cmdXGroup,
	"xgroup|destroy":        cmdXGroup,
	"xgroup|setid":          cmdXGroup,
	"xgroup|help":           cmdXGroupHelp,
	"xinfo|stream":          cmdXInfoStream,
	"xinfo|groups":          cmdXInfoGroups,
	"xinfo|consumers":       cmdXInfoConsumers,
	"xinfo|help":            cmdXInfoHelp,
})

var (
	errStreamID       = errorf("Invalid stream ID specified as stream command argument")
	errStartInterval  = errorf("invalid start ID for the interval")
	errEndInterval    = errorf("invalid end ID for the interval")
	errNoSuchKey      = errorf("no such key")
	errXAddZero       = errorf("The ID specified in XADD must be greater than 0-0")
	errXAddSmaller    = errorf("The ID specified in XADD is equal or smaller than the target stream top item")
	errXAddTooLarge   = errorf("Elements are too large to be stored")
	errXAddExhausted  = errorf("The stream has exhausted the last possible ID, unable to add more items")
	errEntriesReadArg = errorf("value for ENTRIESREAD must be positive or -1")
	errBusyGroup      = &resp.Error{Code: "BUSYGROUP", Msg: "Consumer Group name already exists"}
	errXGroupNoKey    = errorf("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
)

// parseStreamID reads "<ms>-<seq>", "<ms>" (seq missingSeq), and unless strict "-" and "+"; with seqStar
// it also reads "<ms>-*" and reports seqGiven false. Numbers are read as Redis's string2ull does (strtoull:
// leading spaces, a sign, leading zeros).
func parseStreamID(b []byte, missingSeq uint64, strict, seqStar bool) (id keyspace.StreamID, seqGiven, ok bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i] // Redis parses a C string
	}
	if len(b) > 127 {
		return id, false, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '+' {
			return keyspace.MaxStreamID, true, true
		}
		return id, true, true
	}
	msPart, seqPart, dash := bytes.Cut(b, []byte("-"))
	if id.Ms, ok = parseULL(msPart); !ok {
		return id, false, false
	}
	if !dash {
		id.Seq = missingSeq
		return id, true, true
	}
	if seqStar && len(seqPart) == 1 && seqPart[0] == '*' {
		return id, false, true
	}
	if id.Seq, ok = parseULL(seqPart); !ok {
		return id, false, false
	}
	return id, true, true
}

// parseULL is Redis's string2ull: a canonical int64 must not be negative; anything else goes to strtoull.
func parseULL(b []byte) (uint64, bool) {
	if v, ok := keyspace.ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseStrictID(b []byte) (keyspace.StreamID, error) {
	id, _, ok := parseStreamID(b, 0, true, false)
	if !ok {
		return id, errStreamID
	}
	return id, nil
}

// parseIntervalID reads a range bound: an id, "-" or "+", or "(" and a strict id (exclusive), moved to the
// next id (start) or the previous one (end).
func parseIntervalID(b []byte, end bool) (keyspace.StreamID, error) {
	missing := uint64(0)
	if end {
		missing = math.MaxUint64
	}
	if len(b) > 1 && b[0] == '(' {
		id, _, ok := parseStreamID(b[1:], missing, true, false)
		if !ok {
			return id, errStreamID
		}
		if end {
			if id, ok = id.Prev(); !ok {
				return id, errEndInterval
			}
		} else if id, ok = id.Next(); !ok {
			return id, errStartInterval
		}
		return id, nil
	}
	id, _, ok := parseStreamID(b, missing, false, false)
	if !ok {
		return id, errStreamID
	}
	return id, nil
}

func writeStreamID(w *resp.Writer, id keyspace.StreamID) {
	var buf [41]byte
	// Through a string, which does not escape (WriteBulk's slice does): the bytes stay on the stack.
	w.WriteBulkString(string(keyspace.AppendStreamID(buf[:0], id)))
}

func writeStreamEntry(w *resp.Writer, e keyspace.StreamEntry) {
	w.WriteArrayLen(2)
	writeStreamID(w, e.ID)
	w.WriteArrayLen(len(e.Fields))
	for _, f := range e.Fields {
		w.WriteBulk(f)
	}
}

// streamNeed says how withStream looks its key up.
type streamNeed uint8

const (
	streamWrite  streamNeed = iota // a write: the stream or nil, the lookup not counted
	streamRead                     // a read: the stream or nil, counted as a keyspace hit or miss
	streamExists                   // a read of a key that must exist (XINFO): "no such key" when missing
)

// withStream runs fn with the stream at key under the key's lock, looked up as need says; a key of another
// kind is a WRONGTYPE error.
func (c *client) withStream(key []byte, need streamNeed, fn func(tx *keyspace.Txn, s *keyspace.Stream) error) error {
	tx := &c.txSlot
	if c.txBusy {
		tx = new(keyspace.Txn)
	}
	busy := c.txBusy
	c.txBusy = true
	*tx = c.begin(key)
	defer func() {
		tx.End()
		*tx = keyspace.Txn{}
		c.txBusy = busy
	}()
	s, err := tx.StreamOf(key)
	if need != streamWrite {
		c.countLookup(key, s != nil || err != nil)
	}
	if err != nil {
		return err
	}
	if s == nil && need == streamExists {
		return errNoSuchKey
	}
	return fn(tx, s)
}

// withStreamGroup runs fn as withStream does for a read, with the stream's group called name, or fails with
// the NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM when either is missing.
func (c *client) withStreamGroup(key, name []byte, fn func(tx *keyspace.Txn, s *keyspace.Stream, g *keyspace.StreamGroup) error) error {
	return c.withStream(key, streamRead, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		var g *keyspace.StreamGroup
		if s != nil {
			g = s.Group(name)
		}
		if g == nil {
			return noGroupError(key, name)
		}
		return fn(tx, s, g)
	})
}

// trimArgs are the trimming options of XADD and XTRIM.
type trimArgs struct {
	strategy   byte // 0, 'm' (MAXLEN) or 'i' (MINID)
	approx     bool
	maxLen     int64
	minID      keyspace.StreamID
	limit      int64
	noMkStream bool
	id         keyspace.StreamID
	idGiven    bool
	seqGiven   bool
	nodeSize   int // stream-node-max-entries, for the default LIMIT of an approximate trim
}

// parseTrimArgs reads XADD's or XTRIM's options from args[2:]; for XADD it returns the index of the id.
func parseTrimArgs(args [][]byte, xadd bool, lim *keyspace.Limits) (trimArgs, int, error) {
	t := trimArgs{nodeSize: lim.StreamNodeEntries}
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		is := func(name string) bool { return strings.EqualFold(string(args[i]), name) } // no allocation
		switch {
		case xadd && is("*"):
			return t.finish(limitGiven, xadd, i)
		case (is("maxlen") || is("minid")) && more > 0:
			maxLen := is("maxlen")
			if t.strategy != 0 {
				return t, 0, errorf("syntax error, MAXLEN and MINID options at the same time are not compatible")
			}
			t.approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				t.approx = next[0] == '~'
				i++
			}
			i++
			if maxLen {
				n, ok := keyspace.ParseInt(args[i])
				if !ok {
					return t, 0, errNotInteger
				}
				if n < 0 {
					return t, 0, errorf("The MAXLEN argument must be >= 0.")
				}
				t.strategy, t.maxLen = 'm', n
			} else {
				id, err := parseStrictID(args[i])
				if err != nil {
					return t, 0, err
				}
				t.strategy, t.minID = 'i', id
			}
		case is("limit") && more > 0:
			n, ok := keyspace.ParseInt(args[i+1])
			if !ok {
				return t, 0, errNotInteger
			}
			if n < 0 {
				return t, 0, errorf("The LIMIT argument must be >= 0.")
			}
			t.limit, limitGiven = n, true
			i++
		case xadd && is("nomkstream"):
			t.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(args[i], 0, true, true)
			if !ok {
				return t, 0, errStreamID
			}
			t.id, t.idGiven, t.seqGiven = id, true, seqGiven
			return t.finish(limitGiven, xadd, i)
		default:
			return t, 0, errSyntax
		}
	}
	return t.finish(limitGiven, xadd, i)
}

func (t trimArgs) finish(limitGiven, xadd bool, i int) (trimArgs, int, error) {
	if t.limit != 0 && t.strategy == 0 {
		return t, 0, errorf("syntax error, LIMIT cannot be used without specifying a trimming strategy")
	}
	if !xadd && t.strategy == 0 {
		return t, 0, errorf("syntax error, XTRIM must be called with a trimming strategy")
	}
	if limitGiven {
		if !t.approx {
			return t, 0, errorf("syntax error, LIMIT cannot be used without the special ~ option")
		}
	} else if t.approx {
		// Matches Redis: 100 nodes' worth, 10000 when nodes are unlimited, at most a million.
		t.limit = 100 * int64(t.nodeSize)
		if t.limit <= 0 {
			t.limit = 10000
		}
		t.limit = min(t.limit, 1000000)
	} else {
		t.limit = 0
	}
	return t, i, nil
}

func (t trimArgs) trim(s *keyspace.Stream) int64 {
	switch t.strategy {
	case 'm':
		return s.TrimMaxLen(t.maxLen, t.approx, t.limit)
	case 'i':
		return s.TrimMinID(t.minID, t.approx, t.limit)
	}
	return 0
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]: the
// new entry's id, or a null reply when NOMKSTREAM finds no key.
func cmdXAdd(c *client, args [][]byte) error {
	t, idPos, err := parseTrimArgs(args, true, c.srv.ks.Limits())
	if err != nil {
		return err
	}
	fields := args[min(idPos+1, len(args)):]
	if idPos+1 > len(args) || len(fields) < 2 || len(fields)%2 == 1 {
		return arityError("xadd")
	}
	if t.idGiven && t.seqGiven && t.id.IsZero() {
		return errXAddZero
	}
	key := args[1]
	return c.withStream(key, streamWrite, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil {
			if t.noMkStream {
				c.w.WriteNull()
				return nil
			}
			s = keyspace.NewStream()
			tx.SetObject(key, s, 0)
		}
		last := s.LastID()
		if last == keyspace.MaxStreamID {
			return errXAddExhausted
		}
		var id keyspace.StreamID
		switch {
		case !t.idGiven:
			id, _ = s.NextID(tx.Now())
		case t.seqGiven:
			id = t.id
		case t.id.Ms == last.Ms:
			if last.Seq == math.MaxUint64 {
				return errXAddTooLarge // Matches Redis 7.0: this overflow reports ERANGE
			}
			id = keyspace.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
		default:
			id = t.id
		}
		if id.Compare(last) <= 0 {
			return errXAddSmaller
		}
		lim := tx.Limits()
		s.Add(id, fields, lim.StreamNodeBytes, lim.StreamNodeEntries)
		writeStreamID(c.w, id)
		c.wrote(notifyStream, "xadd", key)
		if t.trim(s) > 0 {
			c.notify(notifyStream, "xtrim", key)
		}
		if c.propagating() {
			argv := exactTrim(args[:idPos], t, s)
			argv = append(append(argv, keyspace.AppendStreamID(nil, id)), args[idPos+1:]...)
			c.propagate(argv...)
		}
		tx.UpdateSize(key)
		c.signalReady(key)
		return nil
	})
}

// exactTrim returns a copy of args (XTRIM's, or XADD's up to its id) with an approximate trim ("~") made exact
// for replicas and the AOF, as Redis rewrites it: "=" and, as the threshold, the length (MAXLEN) or first id
// (MINID) the trim left; without LIMIT, which an exact trim does not take.
func exactTrim(args [][]byte, t trimArgs, s *keyspace.Stream) [][]byte {
	argv := make([][]byte, 0, len(args)+1)
	for i := 0; i < len(args); i++ {
		switch {
		case i < 2 || !t.approx:
		case len(args[i]) == 1 && args[i][0] == '~' && i+1 < len(args):
			threshold := strconv.AppendInt(nil, int64(s.Len()), 10)
			if t.strategy == 'i' {
				threshold = keyspace.AppendStreamID(nil, s.FirstID())
			}
			argv = append(argv, []byte("="), threshold)
			i++
			continue
		case eqFold(args[i], "limit") && i+1 < len(args):
			i++
			continue
		}
		argv = append(argv, args[i])
	}
	return argv
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: the number of entries removed.
func cmdXTrim(c *client, args [][]byte) error {
	t, _, err := parseTrimArgs(args, false, c.srv.ks.Limits())
	if err != nil {
		return err
	}
	key := args[1]
	return c.withStream(key, streamWrite, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil {
			c.w.WriteInt(0)
			return nil
		}
		n := t.trim(s)
		if n > 0 {
			tx.UpdateSize(key)
			c.wrote(notifyStream, "xtrim", key)
			if c.propagating() && t.approx {
				c.propagate(exactTrim(args, t, s)...)
			}
		}
		c.w.WriteInt(n)
		return nil
	})
}

// XLEN key: the number of entries.
func cmdXLen(c *client, args [][]byte) error {
	return c.withStream(args[1], streamRead, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		n := 0
		if s != nil {
			n = s.Len()
		}
		c.w.WriteInt(int64(n))
		return nil
	})
}

// XRANGE key start end [COUNT count], XREVRANGE key end start [COUNT count].
func cmdXRange(c *client, args [][]byte) error {
	rev := len(args[0]) == 9
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, err := parseIntervalID(startArg, false)
	if err != nil {
		return err
	}
	end, err := parseIntervalID(endArg, true)
	if err != nil {
		return err
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if strings.EqualFold(string(args[j]), "count") && j+1 < len(args) {
			n, ok := keyspace.ParseInt(args[j+1])
			if !ok {
				return errNotInteger
			}
			count = max(n, 0)
			j++
		} else {
			return errSyntax
		}
	}
	return c.withStream(args[1], streamRead, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil {
			c.w.WriteArrayLen(0)
			return nil
		}
		if count == 0 {
			c.w.WriteNullArray()
			return nil
		}
		c.writeRange(s, start, end, count, rev)
		return nil
	})
}

// writeRange writes the entries of s from start to end (at most count, -1 or 0 for all) as an array.
func (c *client) writeRange(s *keyspace.Stream, start, end keyspace.StreamID, count int64, rev bool) {
	var n int64
	s.Range(start, end, rev, func(e keyspace.StreamEntry) bool {
		n++
		return count <= 0 || n < count
	})
	c.w.WriteArrayLen(int(n))
	s.Range(start, end, rev, func(e keyspace.StreamEntry) bool {
		writeStreamEntry(c.w, e)
		n--
		return n > 0
	})
}

// countIDs parses args as ids, all of them first (a bad one fails the command before anything changes), and
// returns for how many of them fn reports true: the entries XDEL deleted, or XACK acknowledged.
func countIDs(args [][]byte, fn func(keyspace.StreamID) bool) (int, error) {
	ids := make([]keyspace.StreamID, 0, len(args))
	for _, a := range args {
		id, err := parseStrictID(a)
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	n := 0
	for _, id := range ids {
		if fn(id) {
			n++
		}
	}
	return n, nil
}

// XDEL key id [id ...]: the number of entries deleted.
func cmdXDel(c *client, args [][]byte) error {
	key := args[1]
	return c.withStream(key, streamWrite, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil {
			c.w.WriteInt(0)
			return nil
		}
		deleted, err := countIDs(args[2:], s.Delete)
		if err != nil {
			return err
		}
		if deleted > 0 {
			tx.UpdateSize(key)
			c.wrote(notifyStream, "xdel", key)
		}
		c.w.WriteInt(int64(deleted))
		return nil
	})
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func cmdXSetID(c *client, args [][]byte) error {
	id, err := parseStrictID(args[2])
	if err != nil {
		return err
	}
	entriesAdded := int64(-1)
	var maxDel keyspace.StreamID
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return errSyntax
		}
		switch strings.ToLower(string(args[i])) {
		case "entriesadded":
			n, ok := keyspace.ParseInt(args[i+1])
			if !ok {
				return errNotInteger
			}
			if n < 0 {
				return errorf("entries_added must be positive")
			}
			entriesAdded = n
		case "maxdeletedid":
			if maxDel, err = parseStrictID(args[i+1]); err != nil {
				return err
			}
			if id.Less(maxDel) {
				return errorf("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
			}
		default:
			return errSyntax
		}
	}
	key := args[1]
	return c.withStream(key, streamWrite, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil {
			return errNoSuchKey
		}
		added := s.EntriesAdded()
		if last, ok := s.Last(); ok {
			if id.Less(last.ID) {
				return errorf("The ID specified in XSETID is smaller than the target stream top item")
			}
			if entriesAdded != -1 && int64(s.Len()) > entriesAdded {
				return errorf("The entries_added specified in XSETID is smaller than the target stream length")
			}
		}
		if entriesAdded != -1 {
			added = uint64(entriesAdded)
		}
		if maxDel.IsZero() {
			maxDel = s.MaxDeletedID()
		}
		s.SetMeta(id, added, maxDel)
		c.w.WriteSimple("OK")
		c.wrote(notifyStream, "xsetid", key)
		return nil
	})
}

// noGroupError is the NOGROUP reply of the commands that name a key and a group.
func noGroupError(key, group []byte) error {
	return &resp.Error{Code: "NOGROUP", Msg: fmt.Sprintf("No such key '%s' or consumer group '%s'", key, group)}
}

// XGROUP CREATE|CREATECONSUMER|DELCONSUMER|DESTROY|SETID key group ...
func cmdXGroup(c *client, args [][]byte) error {
	sub := strings.ToLower(string(args[1]))
	mkStream := false
	entriesRead := int64(-1)
	if sub == "create" {
		for i := 5; i < len(args); {
			switch {
			case strings.EqualFold(string(args[i]), "mkstream"):
				mkStream = true
				i++
			case strings.EqualFold(string(args[i]), "entriesread") && i+1 < len(args):
				n, ok := keyspace.ParseInt(args[i+1])
				if !ok {
					return errNotInteger
				}
				if n < -1 {
					return errEntriesReadArg
				}
				entriesRead = n
				i += 2
			default:
				return subcommandSyntaxError("XGROUP", args[1])
			}
		}
	}
	key, name := args[2], args[3]
	return c.withStream(key, streamWrite, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		if s == nil && !(sub == "create" && mkStream) {
			return errXGroupNoKey
		}
		var g *keyspace.StreamGroup
		if s != nil {
			g = s.Group(name)
		}
		if g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
			return &resp.Error{Code: "NOGROUP", Msg: fmt.Sprintf("No such consumer group '%s' for key name '%s'", name, key)}
		}
		switch sub {
		case "create":
			var id keyspace.StreamID
			if string(args[4]) == "$" {
				if s != nil {
					id = s.LastID()
				}
			} else {
				var err error
				if id, err = parseStrictID(args[4]); err != nil {
					return err
				}
			}
			if s == nil {
				s = keyspace.NewStream()
				tx.SetObject(key, s, 0)
				c.modified(c.db, key)
			}
			if s.CreateGroup(name, id, entriesRead) == nil {
				return errBusyGroup
			}
			tx.UpdateSize(key)
			c.w.WriteSimple("OK")
			c.wrote(notifyStream, "xgroup-create", key)
		case "setid":
			if len(args) != 5 && len(args) != 7 {
				return subcommandSyntaxError("XGROUP", args[1])
			}
			var id keyspace.StreamID
			if string(args[4]) == "$" {
				id = s.LastID()
			} else {
				var ok bool
				if id, _, ok = parseStreamID(args[4], 0, false, false); !ok {
					return errStreamID
				}
			}
			if len(args) == 7 {
				if !strings.EqualFold(string(args[5]), "entriesread") {
					return subcommandSyntaxError("XGROUP", args[1])
				}
				n, ok := keyspace.ParseInt(args[6])
				if !ok {
					return errNotInteger
				}
				if n < -1 {
					return errEntriesReadArg
				}
				entriesRead = n
			}
			g.LastID, g.EntriesRead = id, entriesRead
			c.w.WriteSimple("OK")
			c.wrote(notifyStream, "xgroup-setid", key)
		case "destroy":
			if len(args) != 4 {
				return subcommandSyntaxError("XGROUP", args[1])
			}
			if g == nil {
				c.w.WriteInt(0)
				return nil
			}
			s.DestroyGroup(name)
			tx.UpdateSize(key)
			c.w.WriteInt(1)
			c.wrote(notifyStream, "xgroup-destroy", key)
			c.signalReady(key) // XREADGROUP waiters of the group get NOGROUP
		case "createconsumer":
			created := c.createConsumer(g, args[4], key, tx.Now()) != nil
			if created {
				tx.UpdateSize(key)
			}
			c.w.WriteInt(boolInt(created))
		case "delconsumer":
			n := g.DeleteConsumer(args[4])
			if n < 0 {
				c.w.WriteInt(0)
				return nil
			}
			tx.UpdateSize(key)
			c.w.WriteInt(int64(n))
			c.wrote(notifyStream, "xgroup-delconsumer", key)
		}
		return nil
	})
}

// createConsumer adds a consumer to g, raising xgroup-createconsumer; nil if it exists.
func (c *client) createConsumer(g *keyspace.StreamGroup, name, key []byte, now int64) *keyspace.Consumer {
	cons := g.CreateConsumer(name, now)
	if cons != nil {
		c.wrote(notifyStream, "xgroup-createconsumer", key)
	}
	return cons
}

// consumerFor returns g's consumer called name, created if missing.
func (c *client) consumerFor(g *keyspace.StreamGroup, name, key []byte, now int64) *keyspace.Consumer {
	if cons := g.Consumer(name); cons != nil {
		return cons
	}
	return c.createConsumer(g, name, key, now)
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

func cmdXGroupHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "XGROUP", xgroupHelp)
	return nil
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

func cmdXInfoHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "XINFO", xinfoHelp)
	return nil
}

// XACK key group id [id ...]: the number of entries acknowledged.
func cmdXAck(c *client, args [][]byte) error {
	key := args[1]
	return c.withStream(key, streamRead, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		var g *keyspace.StreamGroup
		if s != nil {
			g = s.Group(args[2])
		}
		acked, err := countIDs(args[3:], func(id keyspace.StreamID) bool { return g != nil && g.Ack(id) })
		if err != nil {
			return err
		}
		if acked > 0 {
			tx.UpdateSize(key)
			c.changes(acked) // Matches Redis: no event, but each acknowledgement is a change (and propagates)
		}
		c.w.WriteInt(int64(acked))
		return nil
	})
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func cmdXPending(c *client, args [][]byte) error {
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		return errSyntax
	}
	var start, end keyspace.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		i := 3
		if strings.EqualFold(string(args[3]), "idle") {
			n, ok := keyspace.ParseInt(args[4])
			if !ok {
				return errNotInteger
			}
			minIdle = n
			if len(args) < 8 {
				return errSyntax
			}
			i += 2
		}
		n, ok := keyspace.ParseInt(args[i+2])
		if !ok {
			return errNotInteger
		}
		count = max(n, 0)
		var err error
		if start, err = parseIntervalID(args[i], false); err != nil {
			return err
		}
		if end, err = parseIntervalID(args[i+1], true); err != nil {
			return err
		}
		if i+3 < len(args) {
			consumer = args[i+3]
		}
	}
	key := args[1]
	return c.withStreamGroup(key, args[2], func(tx *keyspace.Txn, s *keyspace.Stream, g *keyspace.StreamGroup) error {
		if len(args) == 3 {
			c.w.WriteArrayLen(4)
			c.w.WriteInt(int64(g.PendingLen()))
			if g.PendingLen() == 0 {
				c.w.WriteNull()
				c.w.WriteNull()
				c.w.WriteNullArray()
				return nil
			}
			var first, last keyspace.StreamID
			g.RangePending(keyspace.StreamID{}, keyspace.MaxStreamID, func(p *keyspace.PendingEntry) bool {
				if first.IsZero() && last.IsZero() {
					first = p.ID
				}
				last = p.ID
				return true
			})
			writeStreamID(c.w, first)
			writeStreamID(c.w, last)
			n := 0
			for _, cons := range g.Consumers() {
				if cons.PendingLen() > 0 {
					n++
				}
			}
			c.w.WriteArrayLen(n)
			for _, cons := range g.Consumers() {
				if cons.PendingLen() > 0 {
					c.w.WriteArrayLen(2)
					c.w.WriteBulk(cons.Name)
					c.w.WriteBulkString(fmt.Sprint(cons.PendingLen()))
				}
			}
			return nil
		}
		rangeFn := g.RangePending
		if consumer != nil {
			cons := g.Consumer(consumer)
			if cons == nil {
				c.w.WriteArrayLen(0)
				return nil
			}
			rangeFn = cons.RangePending
		}
		now := tx.Now()
		var list []*keyspace.PendingEntry
		if count > 0 {
			rangeFn(start, end, func(p *keyspace.PendingEntry) bool {
				if minIdle == 0 || now-p.DeliveryTime >= minIdle {
					list = append(list, p)
				}
				return int64(len(list)) < count
			})
		}
		c.w.WriteArrayLen(len(list))
		for _, p := range list {
			c.w.WriteArrayLen(4)
			writeStreamID(c.w, p.ID)
			c.w.WriteBulk(p.Consumer.Name)
			c.w.WriteInt(max(now-p.DeliveryTime, 0))
			c.w.WriteInt(int64(p.DeliveryCount))
		}
		return nil
	})
}

// parseIntArg reads an integer argument, failing with msg (Redis's getLongLongFromObjectOrReply with a message).
func parseIntArg(b []byte, msg string) (int64, error) {
	n, ok := keyspace.ParseInt(b)
	if !ok {
		return 0, errorf(msg)
	}
	return n, nil
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms] [RETRYCOUNT count] [FORCE]
// [JUSTID] [LASTID lastid]
func cmdXClaim(c *client, args [][]byte) error {
	key := args[1]
	return c.withStreamGroup(key, args[2], func(tx *keyspace.Txn, s *keyspace.Stream, g *keyspace.StreamGroup) error {
		minIdle, err := parseIntArg(args[4], "Invalid min-idle-time argument for XCLAIM")
		if err != nil {
			return err
		}
		minIdle = max(minIdle, 0)
		var ids []keyspace.StreamID
		j := 5
		for ; j < len(args); j++ {
			id, err := parseStrictID(args[j])
			if err != nil {
				break
			}
			ids = append(ids, id)
		}
		now := tx.Now()
		retry, delivery := int64(-1), int64(-1)
		force, justID := false, false
		for ; j < len(args); j++ {
			more := len(args) - 1 - j
			switch opt := strings.ToLower(string(args[j])); {
			case opt == "force":
				force = true
			case opt == "justid":
				justID = true
			case opt == "idle" && more > 0:
				j++
				n, err := parseIntArg(args[j], "Invalid IDLE option argument for XCLAIM")
				if err != nil {
					return err
				}
				delivery = now - n
			case opt == "time" && more > 0:
				j++
				if delivery, err = parseIntArg(args[j], "Invalid TIME option argument for XCLAIM"); err != nil {
					return err
				}
			case opt == "retrycount" && more > 0:
				j++
				if retry, err = parseIntArg(args[j], "Invalid RETRYCOUNT option argument for XCLAIM"); err != nil {
					return err
				}
			case opt == "lastid" && more > 0:
				j++
				id, err := parseStrictID(args[j])
				if err != nil {
					return err
				}
				if g.LastID.Less(id) {
					g.LastID = id
				}
			default:
				return errorf(fmt.Sprintf("Unrecognized XCLAIM option '%s'", args[j]))
			}
		}
		if delivery < 0 || delivery > now {
			delivery = now
		}
		// Matches Redis 7.0: XCLAIM creates its consumer only when it claims an entry.
		cons := g.Consumer(args[3])
		if cons != nil {
			cons.SeenTime = now
		}
		type claimed struct {
			id    keyspace.StreamID
			entry keyspace.StreamEntry
			ok    bool
		}
		var out []claimed
		for _, id := range ids {
			p, pending := g.Pending(id)
			e, exists := s.Get(id)
			if !exists {
				if pending {
					g.Ack(id)
				}
				continue
			}
			if pending && minIdle > 0 && now-p.DeliveryTime < minIdle {
				continue
			}
			if !pending && !force {
				continue
			}
			if cons == nil {
				cons = c.consumerFor(g, args[3], key, now)
				cons.SeenTime = now
			}
			if !pending {
				p = g.AddPending(cons, id, delivery, 0)
			}
			g.Assign(p, cons)
			p.DeliveryTime = delivery
			if retry >= 0 {
				p.DeliveryCount = uint64(retry)
			} else if !justID {
				p.DeliveryCount++
			}
			cons.ActiveTime = now
			out = append(out, claimed{id, e, true})
			// Matches Redis: each claim propagates as an XCLAIM with absolute values, not the command itself.
			groupProp{c: c, key: key, group: args[2], consumer: args[3]}.claim(id, p.DeliveryCount, g.LastID, p.DeliveryTime)
		}
		tx.UpdateSize(key)
		c.w.WriteArrayLen(len(out))
		for _, o := range out {
			if justID {
				writeStreamID(c.w, o.id)
			} else {
				writeStreamEntry(c.w, o.entry)
			}
		}
		return nil
	})
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: the next start, the claimed
// entries, and the ids of pending entries found deleted (and dropped from the PEL).
func cmdXAutoClaim(c *client, args [][]byte) error {
	minIdle, err := parseIntArg(args[4], "Invalid min-idle-time argument for XAUTOCLAIM")
	if err != nil {
		return err
	}
	minIdle = max(minIdle, 0)
	start, err := parseIntervalID(args[5], false)
	if err != nil {
		return err
	}
	count, justID := int64(100), false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "count" && more > 0:
			n, ok := keyspace.ParseInt(args[j+1])
			if !ok {
				return errNotInteger
			}
			if n < 1 || n > math.MaxInt64/16 {
				return errorf("COUNT must be > 0")
			}
			count = n
			j++
		case opt == "justid":
			justID = true
		default:
			return errSyntax
		}
	}
	key := args[1]
	return c.withStreamGroup(key, args[2], func(tx *keyspace.Txn, s *keyspace.Stream, g *keyspace.StreamGroup) error {
		now := tx.Now()
		// Matches Redis 7.0: XAUTOCLAIM creates its consumer only when it claims an entry.
		cons := g.Consumer(args[3])
		if cons != nil {
			cons.SeenTime = now
		}
		attempts := count * 10
		var claimed []keyspace.StreamEntry
		var deleted []keyspace.StreamID
		cursor, eof := start, false
		for {
			if attempts == 0 {
				break
			}
			attempts--
			if count == 0 {
				break
			}
			var p *keyspace.PendingEntry
			g.RangePending(cursor, keyspace.MaxStreamID, func(q *keyspace.PendingEntry) bool {
				p = q
				return false
			})
			if p == nil {
				eof = true
				break
			}
			id := p.ID
			next, ok := id.Next()
			cursor = next
			if !ok {
				eof = true // nothing can follow the largest id
			}
			e, exists := s.Get(id)
			switch {
			case !exists:
				g.Ack(id)
				deleted = append(deleted, id)
				count--
				if c.propagating() { // the entry leaves the PEL on replicas too
					c.noPropagate()
					c.alsoPropagate([]byte("XACK"), key, args[2], keyspace.AppendStreamID(nil, id))
				}
				c.changes(1)
			case minIdle > 0 && now-p.DeliveryTime < minIdle:
			default:
				if cons == nil {
					cons = c.consumerFor(g, args[3], key, now)
					cons.SeenTime = now
				}
				g.Assign(p, cons)
				p.DeliveryTime = now
				if !justID {
					p.DeliveryCount++
				}
				cons.ActiveTime = now
				claimed = append(claimed, e)
				count--
				groupProp{c: c, key: key, group: args[2], consumer: args[3]}.claim(id, p.DeliveryCount, g.LastID, now)
			}
			if eof {
				break
			}
		}
		var nextID keyspace.StreamID
		if !eof {
			g.RangePending(cursor, keyspace.MaxStreamID, func(q *keyspace.PendingEntry) bool {
				nextID = q.ID
				return false
			})
		}
		tx.UpdateSize(key)
		c.w.WriteArrayLen(3)
		writeStreamID(c.w, nextID)
		c.w.WriteArrayLen(len(claimed))
		for _, e := range claimed {
			if justID {
				writeStreamID(c.w, e.ID)
			} else {
				writeStreamEntry(c.w, e)
			}
		}
		c.w.WriteArrayLen(len(deleted))
		for _, id := range deleted {
			writeStreamID(c.w, id)
		}
		return nil
	})
}

// writeLag writes a group's lag, null when it cannot be known.
func writeLag(w *resp.Writer, s *keyspace.Stream, g *keyspace.StreamGroup) {
	if lag, ok := s.Lag(g); ok {
		w.WriteInt(lag)
	} else {
		w.WriteNull()
	}
}

func writeEntriesRead(w *resp.Writer, g *keyspace.StreamGroup) {
	if g.EntriesRead >= 0 {
		w.WriteInt(g.EntriesRead)
	} else {
		w.WriteNull()
	}
}

// XINFO STREAM key [FULL [COUNT count]]
func cmdXInfoStream(c *client, args [][]byte) error {
	key := args[2]
	return c.withStream(key, streamExists, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		full, count := false, int64(10)
		switch len(args) {
		case 3:
		case 4, 6:
			if !strings.EqualFold(string(args[3]), "full") {
				return subcommandSyntaxError("XINFO", args[1])
			}
			full = true
			if len(args) == 6 {
				if !strings.EqualFold(string(args[4]), "count") {
					return subcommandSyntaxError("XINFO", args[1])
				}
				n, ok := keyspace.ParseInt(args[5])
				if !ok {
					return errNotInteger
				}
				count = n
				if count < 0 {
					count = 10
				}
			}
		default:
			return subcommandSyntaxError("XINFO", args[1])
		}
		w := c.w
		if full {
			w.WriteMapLen(9)
		} else {
			w.WriteMapLen(10)
		}
		w.WriteBulkString("length")
		w.WriteInt(int64(s.Len()))
		w.WriteBulkString("radix-tree-keys")
		w.WriteInt(int64(s.Nodes()))
		w.WriteBulkString("radix-tree-nodes")
		w.WriteInt(int64(radixNodes(s.Nodes())))
		w.WriteBulkString("last-generated-id")
		writeStreamID(w, s.LastID())
		w.WriteBulkString("max-deleted-entry-id")
		writeStreamID(w, s.MaxDeletedID())
		w.WriteBulkString("entries-added")
		w.WriteInt(int64(s.EntriesAdded()))
		w.WriteBulkString("recorded-first-entry-id")
		writeStreamID(w, s.FirstID())
		if !full {
			w.WriteBulkString("groups")
			w.WriteInt(int64(len(s.Groups())))
			w.WriteBulkString("first-entry")
			if e, ok := s.First(); ok {
				writeStreamEntry(w, e)
			} else {
				w.WriteNull()
			}
			w.WriteBulkString("last-entry")
			if e, ok := s.Last(); ok {
				writeStreamEntry(w, e)
			} else {
				w.WriteNull()
			}
			return nil
		}
		w.WriteBulkString("entries")
		c.writeRange(s, keyspace.StreamID{}, keyspace.MaxStreamID, count, false)
		w.WriteBulkString("groups")
		w.WriteArrayLen(len(s.Groups()))
		limit := func(n int) int {
			if count > 0 && int64(n) > count {
				return int(count)
			}
			return n
		}
		for _, g := range s.Groups() {
			w.WriteMapLen(7)
			w.WriteBulkString("name")
			w.WriteBulk(g.Name)
			w.WriteBulkString("last-delivered-id")
			writeStreamID(w, g.LastID)
			w.WriteBulkString("entries-read")
			writeEntriesRead(w, g)
			w.WriteBulkString("lag")
			writeLag(w, s, g)
			w.WriteBulkString("pel-count")
			w.WriteInt(int64(g.PendingLen()))
			w.WriteBulkString("pending")
			writePEL(w, g.RangePending, limit(g.PendingLen()), true)
			w.WriteBulkString("consumers")
			w.WriteArrayLen(len(g.Consumers()))
			for _, cons := range g.Consumers() {
				w.WriteMapLen(5)
				w.WriteBulkString("name")
				w.WriteBulk(cons.Name)
				w.WriteBulkString("seen-time")
				w.WriteInt(cons.SeenTime)
				w.WriteBulkString("active-time")
				w.WriteInt(cons.ActiveTime)
				w.WriteBulkString("pel-count")
				w.WriteInt(int64(cons.PendingLen()))
				w.WriteBulkString("pending")
				writePEL(w, cons.RangePending, limit(cons.PendingLen()), false)
			}
		}
		return nil
	})
}

// writePEL writes the first n pending entries that rangeFn visits, for XINFO STREAM FULL: id, the consumer
// when withConsumer is set, delivery time and count.
func writePEL(w *resp.Writer, rangeFn func(start, end keyspace.StreamID, fn func(*keyspace.PendingEntry) bool), n int, withConsumer bool) {
	w.WriteArrayLen(n)
	if n == 0 {
		return
	}
	rangeFn(keyspace.StreamID{}, keyspace.MaxStreamID, func(p *keyspace.PendingEntry) bool {
		if withConsumer {
			w.WriteArrayLen(4)
			writeStreamID(w, p.ID)
			w.WriteBulk(p.Consumer.Name)
		} else {
			w.WriteArrayLen(3)
			writeStreamID(w, p.ID)
		}
		w.WriteInt(p.DeliveryTime)
		w.WriteInt(int64(p.DeliveryCount))
		n--
		return n > 0
	})
}

// radixNodes estimates the nodes of Redis's radix tree holding n node keys (XINFO's radix-tree-nodes); it
// depends on the keys' bytes in Redis and is not reproduced exactly.
func radixNodes(n int) int {
	if n == 0 {
		return 1
	}
	return n + 1
}

// XINFO GROUPS key
func cmdXInfoGroups(c *client, args [][]byte) error {
	key := args[2]
	return c.withStream(key, streamExists, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		w := c.w
		w.WriteArrayLen(len(s.Groups()))
		for _, g := range s.Groups() {
			w.WriteMapLen(6)
			w.WriteBulkString("name")
			w.WriteBulk(g.Name)
			w.WriteBulkString("consumers")
			w.WriteInt(int64(len(g.Consumers())))
			w.WriteBulkString("pending")
			w.WriteInt(int64(g.PendingLen()))
			w.WriteBulkString("last-delivered-id")
			writeStreamID(w, g.LastID)
			w.WriteBulkString("entries-read")
			writeEntriesRead(w, g)
			w.WriteBulkString("lag")
			writeLag(w, s, g)
		}
		return nil
	})
}

// XINFO CONSUMERS key group: name, pending, idle (since last seen) and Redis 7.2's inactive (since last
// active, -1 if never).
func cmdXInfoConsumers(c *client, args [][]byte) error {
	key := args[2]
	return c.withStream(key, streamExists, func(tx *keyspace.Txn, s *keyspace.Stream) error {
		g := s.Group(args[3])
		if g == nil {
			return &resp.Error{Code: "NOGROUP", Msg: fmt.Sprintf("No such consumer group '%s' for key name '%s'", args[3], key)}
		}
		now := tx.Now()
		w := c.w
		w.WriteArrayLen(len(g.Consumers()))
		for _, cons := range g.Consumers() {
			w.WriteMapLen(4)
			w.WriteBulkString("name")
			w.WriteBulk(cons.Name)
			w.WriteBulkString("pending")
			w.WriteInt(int64(cons.PendingLen()))
			w.WriteBulkString("idle")
			w.WriteInt(max(now-cons.SeenTime, 0))
			w.WriteBulkString("inactive")
			if cons.ActiveTime < 0 {
				w.WriteInt(-1)
			} else {
				w.WriteInt(max(now-cons.ActiveTime, 0))
			}
		}
		return nil
	})
}

// xreadBlockedCount is the COUNT of a blocked XREAD or XREADGROUP that gave none.
// Matches Redis: XREAD_BLOCKED_DEFAULT_COUNT.
const xreadBlockedCount = 1000

// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
//
// A blocked XREAD is run again with its '$' and '+' ids resolved to the ids they stood for when it blocked;
// a blocked XREADGROUP keeps '>' and reads past the group's last id when it runs again.
func cmdXRead(c *client, args [][]byte) error {
	isGroup := len(args[0]) == 10
	timeout, count, noAck := int64(-1), int64(0), false
	var groupName, consumerName []byte
	streamsArg := 0
	for i := 1; i < len(args) && streamsArg == 0; i++ {
		more := len(args) - i - 1
		is := func(name string) bool { return strings.EqualFold(string(args[i]), name) } // no allocation
		switch {
		case is("block") && more > 0:
			i++
			n, ok := keyspace.ParseInt(args[i])
			if !ok {
				return errorf("timeout is not an integer or out of range")
			}
			if n < 0 {
				return errorf("timeout is negative")
			}
			timeout = n
		case is("count") && more > 0:
			i++
			n, ok := keyspace.ParseInt(args[i])
			if !ok {
				return errNotInteger
			}
			count = max(n, 0)
		case is("streams") && more > 0:
			streamsArg = i + 1
			if (len(args)-streamsArg)%2 != 0 {
				name, symbol := "XREAD", '$'
				if isGroup {
					name, symbol = "XREADGROUP", '>'
				}
				return errorf(fmt.Sprintf("Unbalanced %s list of streams: for each stream key an ID or '%c' must be specified.", name, symbol))
			}
		case is("group") && more >= 2:
			if !isGroup {
				return errorf("The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
			}
			groupName, consumerName = args[i+1], args[i+2]
			i += 2
		case is("noack"):
			if !isGroup {
				return errorf("The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
			}
			noAck = true
		default:
			return errSyntax
		}
	}
	if streamsArg == 0 {
		return errSyntax
	}
	if isGroup && groupName == nil {
		return errorf("Missing GROUP option for XREADGROUP")
	}
	n := (len(args) - streamsArg) / 2
	keys, idArgs := args[streamsArg:streamsArg+n], args[streamsArg+n:]
	tx := c.begin(keys...)
	defer tx.End()

	// Resolve the keys, groups and ids, in Redis's order of errors.
	streams := make([]*keyspace.Stream, n)
	groups := make([]*keyspace.StreamGroup, n)
	after := make([]keyspace.StreamID, n) // serve entries with ids greater than this
	newOnly := make([]bool, n)            // '>'
	lastOnly := make([]bool, n)           // '+'
	for i, key := range keys {
		s, err := tx.StreamOf(key)
		if err != nil {
			if c.serving && isGroup {
				return &resp.Error{Code: "UNBLOCKED", Msg: "the stream key no longer exists"}
			}
			return err
		}
		if !c.serving {
			// Matches Redis: XREAD looks each key up twice, to parse its id and to serve it.
			c.countLookup(key, s != nil)
			c.countLookup(key, s != nil)
		}
		streams[i] = s
		if isGroup {
			if s != nil {
				groups[i] = s.Group(groupName)
			}
			if groups[i] == nil {
				if c.serving {
					if s == nil {
						return &resp.Error{Code: "UNBLOCKED", Msg: "the stream key no longer exists"}
					}
					return &resp.Error{Code: "NOGROUP", Msg: "the consumer group this client was blocked on no longer exists"}
				}
				return &resp.Error{Code: "NOGROUP", Msg: fmt.Sprintf("No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", key, groupName)}
			}
		}
		switch string(idArgs[i]) {
		case "$":
			if isGroup {
				return errorf("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
			}
			if s != nil {
				after[i] = s.LastID()
			}
		case ">":
			if !isGroup {
				return errorf("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
			}
			newOnly[i] = true
		case "+":
			if isGroup {
				return errStreamID
			}
			// Redis 7.4: the last entry, or new entries as '$' when there is none.
			if s != nil {
				after[i] = s.LastID()
				if e, ok := s.Last(); ok {
					after[i], _ = e.ID.Prev()
					lastOnly[i] = true
				}
			}
		default:
			id, err := parseStrictID(idArgs[i])
			if err != nil {
				return err
			}
			after[i] = id
		}
	}
	if c.serving && count == 0 {
		count = xreadBlockedCount
	}

	// Which streams can be served now.
	var serve []int
	for i, s := range streams {
		if s == nil {
			continue
		}
		last, ok := s.Last()
		switch {
		case isGroup && !newOnly[i]:
			serve = append(serve, i)
		case isGroup:
			if ok && groups[i].LastID.Less(last.ID) {
				after[i] = groups[i].LastID
				serve = append(serve, i)
			}
		case ok && after[i].Less(last.ID):
			serve = append(serve, i)
		}
	}
	if len(serve) == 0 {
		if timeout < 0 {
			c.w.WriteNullArray()
			return nil
		}
		if isGroup || c.serving {
			return c.block(keys, timeout)
		}
		// Wait for the ids that '$' and '+' stand for now.
		argv := copyArgs(args)
		for i := range keys {
			if s := string(idArgs[i]); s == "$" || s == "+" {
				argv[streamsArg+n+i] = keyspace.AppendStreamID(nil, after[i])
			}
		}
		return c.blockWith(keys, timeout, argv)
	}

	now := tx.Now()
	if c.w.Protocol() == 2 {
		c.w.WriteArrayLen(len(serve))
	} else {
		c.w.WriteMapLen(len(serve))
	}
	for _, i := range serve {
		if c.w.Protocol() == 2 {
			c.w.WriteArrayLen(2)
		}
		c.w.WriteBulk(keys[i])
		s := streams[i]
		start, ok := after[i].Next()
		if !ok {
			c.w.WriteArrayLen(0)
			continue
		}
		if !isGroup {
			cnt := count
			if lastOnly[i] {
				cnt = 1
			}
			c.writeRange(s, start, keyspace.MaxStreamID, cnt, false)
			continue
		}
		g := groups[i]
		// Matches Redis 7.2: XREADGROUP propagates its effects, not itself (a replica would see other times).
		c.noPropagate()
		rp := groupProp{c: c, key: keys[i], group: groupName, consumer: consumerName, now: now}
		if g.Consumer(consumerName) == nil && c.propagating() {
			c.alsoPropagate([]byte("XGROUP"), []byte("CREATECONSUMER"), keys[i], groupName, consumerName)
		}
		cons := c.consumerFor(g, consumerName, keys[i], now)
		cons.SeenTime = now
		if !newOnly[i] {
			c.writeConsumerHistory(s, g, cons, start, count, now, rp)
		} else {
			c.deliverNew(s, g, cons, start, count, noAck, now, rp)
		}
		tx.UpdateSize(keys[i])
	}
	return nil
}

// writeConsumerHistory writes the entries pending for cons from start on (XREADGROUP with an id), counting a
// delivery of each; a deleted entry is written as its id and a null.
func (c *client) writeConsumerHistory(s *keyspace.Stream, g *keyspace.StreamGroup, cons *keyspace.Consumer, start keyspace.StreamID, count, now int64, rp groupProp) {
	var list []*keyspace.PendingEntry
	cons.RangePending(start, keyspace.MaxStreamID, func(p *keyspace.PendingEntry) bool {
		list = append(list, p)
		return count == 0 || int64(len(list)) < count
	})
	c.w.WriteArrayLen(len(list))
	for _, p := range list {
		e, ok := s.Get(p.ID)
		if !ok {
			c.w.WriteArrayLen(2)
			writeStreamID(c.w, p.ID)
			c.w.WriteNullArray()
			continue
		}
		writeStreamEntry(c.w, e)
		p.DeliveryTime = now
		p.DeliveryCount++
		rp.claim(p.ID, p.DeliveryCount, g.LastID, now)
	}
}

// groupProp propagates what XREADGROUP did to a group, as Redis does (streamPropagateXCLAIM,
// streamPropagateGroupID).
type groupProp struct {
	c                    *client
	key, group, consumer []byte
	now                  int64
}

// claim propagates a delivery of id to the consumer at time ms: XCLAIM key group consumer 0 id TIME ms
// RETRYCOUNT count FORCE JUSTID LASTID last.
func (rp groupProp) claim(id keyspace.StreamID, count uint64, last keyspace.StreamID, ms int64) {
	if !rp.c.propagating() {
		return
	}
	rp.c.propagate([]byte("XCLAIM"), rp.key, rp.group, rp.consumer, []byte("0"), keyspace.AppendStreamID(nil, id),
		[]byte("TIME"), strconv.AppendInt(nil, ms, 10), []byte("RETRYCOUNT"), strconv.AppendUint(nil, count, 10),
		[]byte("FORCE"), []byte("JUSTID"), []byte("LASTID"), keyspace.AppendStreamID(nil, last))
}

// setID propagates the group's last id and entries read: XGROUP SETID key group id ENTRIESREAD n.
func (rp groupProp) setID(g *keyspace.StreamGroup) {
	if !rp.c.propagating() {
		return
	}
	rp.c.alsoPropagate([]byte("XGROUP"), []byte("SETID"), rp.key, rp.group, keyspace.AppendStreamID(nil, g.LastID),
		[]byte("ENTRIESREAD"), strconv.AppendInt(nil, g.EntriesRead, 10))
}

// deliverNew writes the entries after the group's last id (XREADGROUP >), moving the group on and, unless
// noAck, adding them to the PEL of cons.
func (c *client) deliverNew(s *keyspace.Stream, g *keyspace.StreamGroup, cons *keyspace.Consumer, start keyspace.StreamID, count int64, noAck bool, now int64, rp groupProp) {
	var list []keyspace.StreamEntry
	s.Range(start, keyspace.MaxStreamID, false, func(e keyspace.StreamEntry) bool {
		list = append(list, e)
		return count == 0 || int64(len(list)) < count
	})
	c.w.WriteArrayLen(len(list))
	for _, e := range list {
		s.Delivered(g, e.ID)
		writeStreamEntry(c.w, e)
		if !noAck {
			g.Deliver(cons, e.ID, now)
			cons.ActiveTime = now
			rp.claim(e.ID, 1, e.ID, now)
		}
	}
	if len(list) > 0 {
		rp.setID(g)
	}
}
