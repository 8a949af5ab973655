package node

import (
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/carminedb/carmine/geohash"
	"github.com/carminedb/carmine/keyspace"
)

// The GEO commands, as Redis's geo.c: a geo set is a sorted set whose scores are 52-bit geohashes (see the
// geohash module), so every sorted-set command works on it too.

var _ = register(map[string]handler{
	"geoadd":               cmdGeoAdd,
	"geodist":              cmdGeoDist,
	"geohash":              cmdGeoHash,
	"geopos":               cmdGeoPos,
	"geosearch":            cmdGeoSearch,
	"geosearchstore":       cmdGeoSearchStore,
	"georadius":            cmdGeoRadius,
	"georadius_ro":         cmdGeoRadiusRO,
	"georadiusbymember":    cmdGeoRadiusByMember,
	"georadiusbymember_ro": cmdGeoRadiusByMemberRO,
})

var (
	errGeoMember    = errorf("could not decode requested zset member")
	errGeoUnit      = errorf("unsupported unit provided. please use M, KM, FT, MI")
	errGeoRadiusNum = errorf("need numeric radius")
	errGeoWidthNum  = errorf("need numeric width")
	errGeoHeightNum = errorf("need numeric height")
	errGeoRadiusNeg = errorf("radius cannot be negative")
	errGeoBoxNeg    = errorf("height or width cannot be negative")
	errGeoCount     = errorf("COUNT must be > 0")
	errGeoAnyCount  = errorf("the ANY argument requires COUNT argument")
	errGeoStoreRad  = errorf("STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	errGeoStoreSrch = errorf("GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
)

// formatCFloat formats f as C's printf "%f" does: six decimals, "inf" and "-inf".
func formatCFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

// parseLonLat reads a longitude and a latitude as extractLongLatOrReply does.
func parseLonLat(lonArg, latArg []byte) (lon, lat float64, err error) {
	lon, ok := parseScore(lonArg)
	if !ok {
		return 0, 0, errNotFloat
	}
	lat, ok = parseScore(latArg)
	if !ok {
		return 0, 0, errNotFloat
	}
	if lon < geohash.LongMin || lon > geohash.LongMax || lat < geohash.LatMin || lat > geohash.LatMax {
		msg := append([]byte("invalid longitude,latitude pair "), formatCFloat(nil, lon)...)
		msg = append(append(msg, ','), formatCFloat(nil, lat)...)
		return 0, 0, errorf(string(msg))
	}
	return lon, lat, nil
}

// parseGeoUnit returns the meters in one unit of m, km, ft or mi (any case).
func parseGeoUnit(b []byte) (float64, error) {
	switch {
	case eqFold(b, "m"):
		return 1, nil
	case eqFold(b, "km"):
		return 1000, nil
	case eqFold(b, "ft"):
		return 0.3048, nil
	case eqFold(b, "mi"):
		return 1609.34, nil
	}
	return 0, errGeoUnit
}

// parseGeoRadius reads "radius unit" as extractDistanceOrReply does.
func parseGeoRadius(args [][]byte) (radius, unit float64, err error) {
	radius, ok := parseScore(args[0])
	if !ok {
		return 0, 0, errGeoRadiusNum
	}
	if radius < 0 {
		return 0, 0, errGeoRadiusNeg
	}
	unit, err = parseGeoUnit(args[1])
	return radius, unit, err
}

// parseGeoBox reads "width height unit" as extractBoxOrReply does.
func parseGeoBox(args [][]byte) (width, height, unit float64, err error) {
	width, ok := parseScore(args[0])
	if !ok {
		return 0, 0, 0, errGeoWidthNum
	}
	height, ok = parseScore(args[1])
	if !ok {
		return 0, 0, 0, errGeoHeightNum
	}
	if height < 0 || width < 0 {
		return 0, 0, 0, errGeoBoxNeg
	}
	unit, err = parseGeoUnit(args[2])
	return width, height, unit, err
}

// appendGeoCoord formats a coordinate as Redis's addReplyHumanLongDouble: "%.17Lf" without trailing zeros.
func appendGeoCoord(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	i := len(dst)
	for dst[i-1] == '0' {
		i--
	}
	if dst[i-1] == '.' {
		i--
	}
	dst = dst[:i]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// writeGeoCoord writes a coordinate: a bulk string in RESP2, a double in RESP3, with the text of appendGeoCoord.
// It formats in scratch and returns it for the next number, so a long reply allocates once.
func (c *client) writeGeoCoord(scratch []byte, f float64) []byte {
	b := scratch[:0]
	if c.w.Protocol() == 2 {
		b = appendGeoCoord(b, f)
		c.w.WriteBulk(b)
		return b
	}
	b = append(b, ',')
	b = appendGeoCoord(b, f)
	b = append(b, '\r', '\n')
	c.w.WriteRaw(b)
	return b
}

// appendGeoDistance formats a distance as Redis 7.2's addReplyDoubleDistance (fixedpoint_d2string with 4
// digits): the value times 10^4 rounded to the nearest integer, ties to even, written with four decimals.
func appendGeoDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	v := math.RoundToEven(d * 10000)
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var tmp [24]byte
	digits := tmp[:0]
	if v >= 1<<63 {
		digits = append(digits, "9223372036854775808"...) // llrint's out-of-range result, as its magnitude
	} else {
		digits = strconv.AppendUint(digits, uint64(v), 10)
	}
	if n := len(digits); n > 4 {
		dst = append(dst, digits[:n-4]...)
		dst = append(dst, '.')
		return append(dst, digits[n-4:]...)
	}
	dst = append(dst, "0."...)
	dst = append(dst, "0000"[:4-len(digits)]...)
	return append(dst, digits...)
}

// writeGeoDistance writes a distance as a bulk string, formatting in scratch as writeGeoCoord does.
func (c *client) writeGeoDistance(scratch []byte, d float64) []byte {
	b := appendGeoDistance(scratch[:0], d)
	c.w.WriteBulk(b)
	return b
}

// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]: as ZADD with the scores
// the coordinates encode to, so it replies what ZADD would.
func cmdGeoAdd(c *client, args [][]byte) error {
	key := args[1]
	var nx, xx, ch bool
	i := 2
loop:
	for ; i < len(args); i++ {
		switch {
		case eqFold(args[i], "nx"):
			nx = true
		case eqFold(args[i], "xx"):
			xx = true
		case eqFold(args[i], "ch"):
			ch = true
		default:
			break loop
		}
	}
	if (len(args)-i)%3 != 0 || (xx && nx) || len(args) == i {
		return errSyntax // the last as ZADD would reply with no elements
	}
	n := (len(args) - i) / 3
	scores := make([]float64, n)
	for j := range n {
		a := args[i+3*j:]
		lon, lat, err := parseLonLat(a[0], a[1])
		if err != nil {
			return err
		}
		s, _ := geohash.Score(lon, lat)
		scores[j] = float64(s)
	}
	var flags keyspace.ZAddFlags
	if nx {
		flags |= keyspace.ZAddNX
	}
	if xx {
		flags |= keyspace.ZAddXX
	}
	tx := c.begin(key)
	defer tx.End()
	z, err := tx.ZSetOf(key)
	if err != nil {
		return err
	}
	lim := tx.Limits()
	if z == nil {
		if xx {
			c.w.WriteInt(0)
			return nil
		}
		// Matches Redis 7.2 (zaddGenericCommand): the encoding is chosen by the number of elements and the
		// length of the first member.
		z = keyspace.NewZSetFor(lim, n, len(args[i+2]))
		tx.SetObject(key, z, 0)
	} else if z.Encoding() == keyspace.EncListpack && n > lim.ZSetListpackEntries {
		z = geoToSkiplist(&tx, key, z, n)
	}
	var added, updated int64
	for j := range n {
		_, res, _ := z.Add(lim, args[i+3*j+2], scores[j], flags)
		switch res {
		case keyspace.ZAddAdded:
			added++
		case keyspace.ZAddUpdated:
			updated++
		}
	}
	tx.UpdateSize(key)
	if added+updated > 0 {
		c.wrote(notifyZSet, "zadd", key)
		if c.propagating() {
			// Matches Redis: GEOADD propagates as the ZADD it runs, options kept, with the encoded scores.
			argv := append([][]byte{[]byte("zadd")}, args[1:i]...)
			for j := range n {
				argv = append(argv, itob(int64(scores[j])), args[i+3*j+2])
			}
			c.propagate(argv...)
		}
	}
	if added > 0 {
		c.signalReady(key)
	}
	if ch {
		added += updated
	}
	c.w.WriteInt(added)
	return nil
}

// geoToSkiplist replaces the listpack set z at key by a skiplist copy, keeping the key's TTL. Matches Redis 7.2
// (zsetTypeMaybeConvert): ZADD, and so GEOADD, converts an existing listpack set up front when it is given more
// elements than zset-max-listpack-entries, even if they turn out to be updates.
func geoToSkiplist(tx *keyspace.Txn, key []byte, z *keyspace.ZSet, sizeHint int) *keyspace.ZSet {
	lim := tx.Limits()
	sl := keyspace.NewZSetFor(lim, sizeHint, 0)
	z.Range(0, z.Len()-1, false, func(m []byte, score float64) bool {
		sl.Add(lim, m, score, 0)
		return true
	})
	tx.SetObject(key, sl, keyspace.KeepTTL)
	return sl
}

// readZSet looks up a sorted set for reading, counting the keyspace hit or miss as lookupKeyRead does.
func (c *client) readZSet(tx *keyspace.Txn, key []byte) (*keyspace.ZSet, error) {
	z, err := tx.ZSetOf(key)
	c.countLookup(key, z != nil || err != nil)
	return z, err
}

// GEOPOS key [member ...]: each member's position, or a null array.
func cmdGeoPos(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	z, err := c.readZSet(&tx, args[1])
	if err != nil {
		return err
	}
	c.w.WriteArrayLen(len(args) - 2)
	var scratch []byte
	for _, m := range args[2:] {
		var score float64
		ok := false
		if z != nil {
			score, ok = z.Score(m)
		}
		if !ok {
			c.w.WriteNullArray()
			continue
		}
		lon, lat := geohash.DecodeScore(score)
		c.w.WriteArrayLen(2)
		scratch = c.writeGeoCoord(scratch, lon)
		scratch = c.writeGeoCoord(scratch, lat)
	}
	return nil
}

// GEOHASH key [member ...]: each member's 11-character geohash, or a null.
func cmdGeoHash(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	z, err := c.readZSet(&tx, args[1])
	if err != nil {
		return err
	}
	c.w.WriteArrayLen(len(args) - 2)
	var buf [16]byte
	for _, m := range args[2:] {
		var score float64
		ok := false
		if z != nil {
			score, ok = z.Score(m)
		}
		if !ok {
			c.w.WriteNull()
			continue
		}
		c.w.WriteBulk(geohash.AppendText(buf[:0], score))
	}
	return nil
}

// GEODIST key member1 member2 [M|KM|FT|MI]: the distance, or a null when the key or a member is missing.
func cmdGeoDist(c *client, args [][]byte) error {
	unit := 1.0
	switch {
	case len(args) == 5:
		u, err := parseGeoUnit(args[4])
		if err != nil {
			return err
		}
		unit = u
	case len(args) > 5:
		return errSyntax
	}
	tx := c.begin(args[1])
	defer tx.End()
	z, err := c.readZSet(&tx, args[1])
	if err != nil {
		return err
	}
	if z == nil {
		c.w.WriteNull()
		return nil
	}
	s1, ok1 := z.Score(args[2])
	s2, ok2 := z.Score(args[3])
	if !ok1 || !ok2 {
		c.w.WriteNull()
		return nil
	}
	lon1, lat1 := geohash.DecodeScore(s1)
	lon2, lat2 := geohash.DecodeScore(s2)
	var buf [32]byte
	c.writeGeoDistance(buf[:0], geohash.Distance(lon1, lat1, lon2, lat2)/unit)
	return nil
}

// The variants of georadiusGeneric, as Redis's flags.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: around longitude latitude
	geoRadiusMember             // GEORADIUSBYMEMBER: around a member
	geoNoStore                  // the _RO forms: no STORE / STOREDIST
	geoSearch                   // GEOSEARCH's FROM... / BY... arguments
	geoSearchStore              // GEOSEARCHSTORE: the destination is the first argument
)

// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]]
// [ASC|DESC] [STORE key|STOREDIST key]
func cmdGeoRadius(c *client, args [][]byte) error { return c.geoRadius(args, 1, geoRadiusCoords) }

// GEORADIUS_RO: GEORADIUS without STORE and STOREDIST.
func cmdGeoRadiusRO(c *client, args [][]byte) error {
	return c.geoRadius(args, 1, geoRadiusCoords|geoNoStore)
}

// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
func cmdGeoRadiusByMember(c *client, args [][]byte) error {
	return c.geoRadius(args, 1, geoRadiusMember)
}

// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE and STOREDIST.
func cmdGeoRadiusByMemberRO(c *client, args [][]byte) error {
	return c.geoRadius(args, 1, geoRadiusMember|geoNoStore)
}

// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX width height unit
// [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
func cmdGeoSearch(c *client, args [][]byte) error { return c.geoRadius(args, 1, geoSearch) }

// GEOSEARCHSTORE destination source ... [STOREDIST]
func cmdGeoSearchStore(c *client, args [][]byte) error {
	return c.geoRadius(args, 2, geoSearch|geoSearchStore)
}

// geoStoreKey finds the destination a GEORADIUS command stores into before its arguments are parsed, so its
// lock can be taken with the source's: the argument after the last STORE or STOREDIST the parser would read
// as an option. Among GEORADIUS's options only COUNT and STORE/STOREDIST take an argument, and they take it
// under the same condition (one more argument follows) as in geoRadius, so the two agree on every command that
// parses; on one that does not, nothing is stored.
func geoStoreKey(args [][]byte, base, flags int) []byte {
	switch {
	case flags&geoSearchStore != 0:
		return args[1]
	case flags&(geoSearch|geoNoStore) != 0:
		return nil
	}
	var key []byte
	for i := base; i < len(args); i++ {
		switch {
		case eqFold(args[i], "count") && i+1 < len(args):
			i++
		case (eqFold(args[i], "store") || eqFold(args[i], "storedist")) && i+1 < len(args):
			key = args[i+1]
			i++
		}
	}
	return key
}

// geoRadius is Redis's georadiusGeneric: every GEORADIUS and GEOSEARCH form. srcIdx is the source key's
// argument.
func (c *client) geoRadius(args [][]byte, srcIdx, flags int) error {
	src := args[srcIdx]
	base := 2
	switch {
	case flags&geoRadiusCoords != 0:
		base = 6
	case flags&geoRadiusMember != 0:
		base = 5
	case flags&geoSearchStore != 0:
		base = 3
	}
	storeKey := geoStoreKey(args, base, flags)
	var tx keyspace.Txn
	if storeKey != nil {
		tx = c.begin(src, storeKey)
	} else {
		tx = c.begin(src)
	}
	defer tx.End()
	z, err := c.readZSet(&tx, src)
	if err != nil {
		return err
	}

	var shape geohash.Shape
	switch {
	case flags&geoRadiusCoords != 0:
		if shape.Lon, shape.Lat, err = parseLonLat(args[2], args[3]); err != nil {
			return err
		}
		if shape.Radius, shape.Unit, err = parseGeoRadius(args[4:6]); err != nil {
			return err
		}
	case flags&geoRadiusMember != 0 && z == nil:
		// No source: parse the options anyway, to know which empty reply to give.
	case flags&geoRadiusMember != 0:
		score, ok := z.Score(args[2])
		if !ok {
			return errGeoMember
		}
		shape.Lon, shape.Lat = geohash.DecodeScore(score)
		if shape.Radius, shape.Unit, err = parseGeoRadius(args[3:5]); err != nil {
			return err
		}
	}

	var withDist, withHash, withCoord, any, fromMember, fromLoc, byRadius, byBox, storeDist bool
	var asc, desc bool
	var count int64
	storeKey = nil
	if flags&geoSearchStore != 0 {
		storeKey = args[1]
	}
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		left := len(rest) - i - 1 // arguments after this one
		switch {
		case eqFold(arg, "withdist"):
			withDist = true
		case eqFold(arg, "withhash"):
			withHash = true
		case eqFold(arg, "withcoord"):
			withCoord = true
		case eqFold(arg, "any"):
			any = true
		case eqFold(arg, "asc"):
			asc, desc = true, false
		case eqFold(arg, "desc"):
			asc, desc = false, true
		case eqFold(arg, "count") && left >= 1:
			n, ok := keyspace.ParseInt(rest[i+1])
			if !ok {
				return errNotInteger
			}
			if n <= 0 {
				return errGeoCount
			}
			count = n
			i++
		case (eqFold(arg, "store") || eqFold(arg, "storedist")) && left >= 1 &&
			flags&(geoNoStore|geoSearch) == 0:
			storeKey = rest[i+1]
			storeDist = eqFold(arg, "storedist")
			i++
		case eqFold(arg, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
			storeDist = true
		case eqFold(arg, "frommember") && left >= 1 && flags&geoSearch != 0 && !fromLoc:
			if z != nil {
				score, ok := z.Score(rest[i+1])
				if !ok {
					return errGeoMember
				}
				shape.Lon, shape.Lat = geohash.DecodeScore(score)
			}
			fromMember = true
			i++
		case eqFold(arg, "fromlonlat") && left >= 2 && flags&geoSearch != 0 && !fromMember:
			if shape.Lon, shape.Lat, err = parseLonLat(rest[i+1], rest[i+2]); err != nil {
				return err
			}
			fromLoc = true
			i += 2
		case eqFold(arg, "byradius") && left >= 2 && flags&geoSearch != 0 && !byBox:
			if shape.Radius, shape.Unit, err = parseGeoRadius(rest[i+1 : i+3]); err != nil {
				return err
			}
			shape.Box = false
			byRadius = true
			i += 2
		case eqFold(arg, "bybox") && left >= 3 && flags&geoSearch != 0 && !byRadius:
			if shape.Width, shape.Height, shape.Unit, err = parseGeoBox(rest[i+1 : i+4]); err != nil {
				return err
			}
			shape.Box = true
			byBox = true
			i += 3
		default:
			return errSyntax
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			return errGeoStoreSrch
		}
		return errGeoStoreRad
	}
	if flags&geoSearch != 0 && !(fromMember || fromLoc) {
		return errorf("exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
	}
	if flags&geoSearch != 0 && !(byRadius || byBox) {
		return errorf("exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
	}
	if any && count == 0 {
		return errGeoAnyCount
	}

	if z == nil {
		if storeKey == nil {
			c.w.WriteArrayLen(0)
			return nil
		}
		c.storeZSet(&tx, storeKey, nil, "")
		return nil
	}
	// Matches Redis: COUNT without ANY sorts by distance, ascending unless DESC.
	if count != 0 && !asc && !desc && !any {
		asc = true
	}
	limit := 0
	if any {
		limit = int(min(count, math.MaxInt32))
	}
	needRank := asc || desc
	prep := shape.Prepare()
	sc := geoScratchPool.Get().(*geoScratch)
	defer sc.release()
	sc.found = geoMembersInShape(z, &prep, shape, limit, needRank, sc.found[:0])
	if len(sc.found) == 0 && storeKey == nil {
		c.w.WriteArrayLen(0)
		return nil
	}
	n := len(sc.found)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	points := sc.found[:n]
	if asc || desc {
		points = sc.nearest(&prep, n, desc)
	}
	if withDist || (storeKey != nil && storeDist) {
		for i := range points {
			points[i].setDist(&prep)
		}
	}

	if storeKey == nil {
		opts := 0
		for _, on := range []bool{withDist, withHash, withCoord} {
			if on {
				opts++
			}
		}
		c.w.WriteArrayLen(n)
		var buf [48]byte
		scratch := buf[:0]
		for _, p := range points {
			if opts > 0 {
				c.w.WriteArrayLen(opts + 1)
			}
			c.w.WriteBulk(p.member)
			if withDist {
				scratch = c.writeGeoDistance(scratch, p.dist/shape.Unit)
			}
			if withHash {
				c.w.WriteInt(int64(p.score))
			}
			if withCoord {
				lon, lat := geohash.DecodeScore(p.score)
				c.w.WriteArrayLen(2)
				scratch = c.writeGeoCoord(scratch, lon)
				scratch = c.writeGeoCoord(scratch, lat)
			}
		}
		return nil
	}

	var dst *keyspace.ZSet
	if n > 0 {
		lim := tx.Limits()
		maxLen := 0
		for _, p := range points {
			maxLen = max(maxLen, len(p.member))
		}
		dst = keyspace.NewZSetFor(lim, n, maxLen)
		for _, p := range points {
			score := p.score
			if storeDist {
				score = p.dist / shape.Unit
			}
			dst.Add(lim, p.member, score, 0)
		}
		dst.Compact(lim)
	}
	event := "georadiusstore"
	if flags&geoSearch != 0 {
		event = "geosearchstore"
	}
	c.storeZSet(&tx, storeKey, dst, event)
	return nil
}

// geoPoint is a search result.
type geoPoint struct {
	member  []byte  // aliases the source set
	score   float64 // its geohash
	rank    float64 // grows with the distance: see geohash.Prepared.Rank
	dist    float64 // meters from the centre, once hasDist
	hasDist bool
}

// setDist computes p.dist if it is not yet known.
func (p *geoPoint) setDist(prep *geohash.Prepared) {
	if !p.hasDist {
		p.dist, p.hasDist = prep.Distance(geohash.DecodeScore(p.score)), true
	}
}

// geoKey is a point's sort key: its rank or distance (negated to sort in descending order) and its index in the
// points found, which breaks ties in distance as the order found.
type geoKey struct {
	d float64
	i int32
}

func (a geoKey) less(b geoKey) bool { return a.d < b.d || (a.d == b.d && a.i < b.i) }

func cmpGeoKeys(a, b geoKey) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// geoScratch holds a search's buffers between commands. Members alias a set, so release clears them.
type geoScratch struct {
	found  []geoPoint
	keys   []geoKey
	sorted []geoPoint
}

var geoScratchPool = sync.Pool{New: func() any { return new(geoScratch) }}

// geoScratchKeep is the most points a released scratch keeps room for, so one huge search does not pin its
// buffers.
const geoScratchKeep = 4096

func (sc *geoScratch) release() {
	clear(sc.found)
	clear(sc.sorted)
	if cap(sc.found) > geoScratchKeep {
		*sc = geoScratch{}
	}
	geoScratchPool.Put(sc)
}

// nearest returns the n points of sc.found nearest the centre (farthest with desc) in order, ties in distance
// in the order found: Redis sorts with qsort, which glibc implements as a merge sort, a stable one. It orders
// by rank and computes exact distances only where ranks are too close to tell the order apart: a run of
// ranks each within the error bound of the next is sorted again by exact distance. The n nearest are those
// among the n lowest ranks and the ranks that close to the highest of them.
func (sc *geoScratch) nearest(prep *geohash.Prepared, n int, desc bool) []geoPoint {
	pts := sc.found
	keys := sc.keys[:0]
	for i := range pts {
		d := pts[i].rank
		if desc {
			d = -d
		}
		keys = append(keys, geoKey{d, int32(i)})
	}
	sc.keys = keys
	if n < len(keys) {
		// A max-heap of the n smallest keys, then every key within the error bound of the largest of them.
		h := keys[:n]
		for i := n/2 - 1; i >= 0; i-- {
			siftDownGeoKeys(h, i)
		}
		for i := n; i < len(keys); i++ {
			if keys[i].less(h[0]) {
				h[0], keys[i] = keys[i], h[0]
				siftDownGeoKeys(h, 0)
			}
		}
		cut := h[0].d + geoTieBand(h[0].d)
		m := n
		for i := n; i < len(keys); i++ {
			if keys[i].d <= cut {
				keys[m], keys[i] = keys[i], keys[m]
				m++
			}
		}
		keys = keys[:m]
	}
	slices.SortFunc(keys, cmpGeoKeys)
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && keys[end].d-keys[end-1].d <= geoTieBand(keys[end].d) {
			end++
		}
		if end-start > 1 {
			for k := start; k < end; k++ {
				p := &pts[keys[k].i]
				p.setDist(prep)
				keys[k].d = p.dist
				if desc {
					keys[k].d = -p.dist
				}
			}
			slices.SortFunc(keys[start:end], cmpGeoKeys)
		}
		start = end
	}
	sorted := sc.sorted[:0]
	for _, k := range keys[:n] {
		sorted = append(sorted, pts[k.i])
	}
	sc.sorted = sorted
	return sorted
}

// geoTieBand is how far apart two ranks near r may lie and still be in either order by exact distance: each is
// within a relative geohash.RankError of its exact value, and a margin.
func geoTieBand(r float64) float64 { return 4 * geohash.RankError * math.Abs(r) }

// siftDownGeoKeys restores the max-heap order of h below i.
func siftDownGeoKeys(h []geoKey, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && h[l].less(h[r]) {
			l = r
		}
		if !h[i].less(h[l]) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// geoMembersInShape appends the members of z inside the shape (prep is shape prepared), in the order Redis's
// search finds them: cell by cell in the order of [geohash.SearchArea.AppendRanges], by score within a cell.
// With limit > 0 it stops once it has limit points (GEOSEARCH ... COUNT n ANY). With needRank it records
// each point's rank (see [geohash.Prepared.Rank]).
func geoMembersInShape(z *keyspace.ZSet, prep *geohash.Prepared, shape geohash.Shape, limit int, needRank bool, out []geoPoint) []geoPoint {
	var rbuf [9]geohash.ScoreRange
	for _, r := range shape.SearchArea().AppendRanges(rbuf[:0]) {
		if limit > 0 && len(out) >= limit {
			break
		}
		first, last := z.ScoreRanks(keyspace.ScoreRange{Min: float64(r.Min), Max: float64(r.Max), MaxEx: true})
		if first > last {
			continue
		}
		z.Range(first, last, false, func(m []byte, score float64) bool {
			if !prep.MayContain(score) {
				return true
			}
			lon, lat := geohash.DecodeScore(score)
			if needRank {
				if r, ok := prep.Rank(lon, lat); ok {
					out = append(out, geoPoint{member: m, score: score, rank: r})
				}
			} else if prep.Within(lon, lat) {
				out = append(out, geoPoint{member: m, score: score})
			}
			return limit <= 0 || len(out) < limit
		})
	}
	return out
}
