package node

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

// Sorted-set scores: how Redis reads them from arguments and prints them in replies.

var (
	errRangeFloat   = errorf("min or max is not a float")
	errRangeLex     = errorf("min or max not valid string range item")
	errWeightFloat  = errorf("weight value is not a float")
	errScoreNaN     = errorf("resulting score is not a number (NaN)")
	errNumKeysZero  = errorf("numkeys should be greater than 0")
	errLimitNegtive = errorf("LIMIT can't be negative")
)

// parseScore reads an argument as Redis's string2d does (strtod, then checks): decimal or hexadecimal floats,
// inf and infinity, an optional sign; no surrounding space, no NaN, nothing that overflows or underflows to
// zero.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, ok := strtod(b)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	if math.IsInf(f, 0) && !isInfWord(b) {
		return 0, false // ERANGE: HUGE_VAL
	}
	if f == 0 && mantissaNonZero(b) {
		return 0, false // ERANGE: underflow to zero
	}
	return f, true
}

// parseRangeScore reads one end of a score range as Redis's zslParseRange does: "(" makes it exclusive, then
// strtod must consume everything up to the C string's end (so "" is 0 and leading spaces are skipped), and NaN
// is refused; overflow and underflow are not errors.
func parseRangeScore(b []byte) (f float64, ex, ok bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > 0 && b[0] == '(' {
		b, ex = b[1:], true
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	s := b
	for len(s) > 0 && isCSpace(s[0]) {
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false, false // no conversion: the end pointer stays on the first space
	}
	f, ok = strtod(s)
	if !ok || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

func isCSpace(ch byte) bool { return ch == ' ' || (ch >= '\t' && ch <= '\r') }

// strtod parses all of b as C's strtod syntax; ok is false when some of b would be left unparsed.
func strtod(b []byte) (float64, bool) {
	s := string(b)
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	if !validFloat(body, hex) {
		return 0, false
	}
	if hex && !strings.ContainsAny(body, "pP") {
		s += "p0" // Go wants the binary exponent that C makes optional
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // ±Inf; the caller decides
		}
		return 0, false
	}
	return f, true
}

func isInfWord(b []byte) bool {
	s := strings.ToLower(strings.TrimLeft(string(b), "+-"))
	return s == "inf" || s == "infinity"
}

// mantissaNonZero reports whether a number's digits before its exponent include a non-zero one.
func mantissaNonZero(b []byte) bool {
	s := strings.ToLower(strings.TrimLeft(string(b), "+-"))
	hex := strings.HasPrefix(s, "0x")
	if hex {
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (!hex && ch == 'e') || (hex && ch == 'p') {
			break
		}
		if (ch >= '1' && ch <= '9') || (hex && ch >= 'a' && ch <= 'f') {
			return true
		}
	}
	return false
}

// appendScore appends f as Redis 7.2 prints a double (d2string, and addReplyDouble which uses it): "inf",
// "-inf", "0" and "-0", integers up to 2^62 in full, and otherwise the shortest digits that read back as f,
// laid out as Redis's fpconv_dtoa lays them out ("0.1", "0.000025", "1.5e-7", "1e+21"; TestAppendScore).
//
// Redis's grisu2 digits are the shortest in all but rare cases, where it prints one digit more than Go.
func appendScore(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	case f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f):
		return strconv.AppendInt(dst, int64(f), 10)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // d[.ddd]e±XX
	ePos := bytes.IndexByte(e, 'e')
	var digs [24]byte
	nd := 0
	for _, ch := range e[:ePos] {
		if ch != '.' {
			digs[nd] = ch
			nd++
		}
	}
	e10, _ := strconv.Atoi(string(e[ePos+1:]))
	K := e10 - nd + 1 // value = digits × 10^K
	exp := e10
	if exp < 0 {
		exp = -exp
	}
	switch {
	case K >= 0 && exp < nd+7:
		dst = append(dst, digs[:nd]...)
		for i := 0; i < K; i++ {
			dst = append(dst, '0')
		}
		return dst
	case K < 0 && (K > -7 || exp < 4):
		offset := nd + K
		if offset <= 0 {
			dst = append(dst, '0', '.')
			for i := 0; i < -offset; i++ {
				dst = append(dst, '0')
			}
			return append(dst, digs[:nd]...)
		}
		dst = append(dst, digs[:offset]...)
		dst = append(dst, '.')
		return append(dst, digs[offset:nd]...)
	}
	dst = append(dst, digs[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, digs[1:nd]...)
	}
	dst = append(dst, 'e')
	if e10 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// writeScore writes a score as a bulk string (RESP2) or a double (RESP3), formatted by appendScore.
func (c *client) writeScore(f float64) {
	var buf [40]byte
	if c.w.Protocol() == 3 {
		b := append(buf[:0], ',')
		b = appendScore(b, f)
		c.w.WriteRaw(append(b, '\r', '\n'))
		return
	}
	c.w.WriteBulk(appendScore(buf[:0], f))
}

// parseScoreRange reads ZRANGEBYSCORE's min and max.
func parseScoreRange(min, max []byte) (keyspace.ScoreRange, error) {
	var r keyspace.ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseRangeScore(min)
	r.Max, r.MaxEx, ok2 = parseRangeScore(max)
	if !ok1 || !ok2 {
		return r, errRangeFloat
	}
	return r, nil
}

// parseLexBound reads one end of a lex range as Redis's zslParseLexRangeItem does.
func parseLexBound(b []byte) (keyspace.LexBound, bool) {
	if len(b) == 0 {
		return keyspace.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return keyspace.LexBound{}, false
		}
		if b[0] == '+' {
			return keyspace.LexBound{Inf: 1}, true
		}
		return keyspace.LexBound{Inf: -1}, true
	case '(':
		return keyspace.LexBound{Value: b[1:], Exclusive: true}, true
	case '[':
		return keyspace.LexBound{Value: b[1:]}, true
	}
	return keyspace.LexBound{}, false
}

func parseLexRange(min, max []byte) (keyspace.LexRange, error) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		return keyspace.LexRange{}, errRangeLex
	}
	return keyspace.LexRange{Min: lo, Max: hi}, nil
}

// writeScoredLen writes the header of a reply of n members, with scores or not: a flat array in RESP2 (two
// entries a member with scores), an array of n entries in RESP3 (each a [member, score] pair with scores).
func (c *client) writeScoredLen(n int, withScores bool) {
	if withScores && c.w.Protocol() == 2 {
		c.w.WriteArrayLen(2 * n)
		return
	}
	c.w.WriteArrayLen(n)
}

// writeScored writes one member of such a reply.
func (c *client) writeScored(member []byte, score float64, withScores bool) {
	if !withScores {
		c.w.WriteBulk(member)
		return
	}
	if c.w.Protocol() == 3 {
		c.w.WriteArrayLen(2)
	}
	c.w.WriteBulk(member)
	c.writeScore(score)
}
