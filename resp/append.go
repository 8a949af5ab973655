package resp

import (
	"math"
	"strconv"
)

// appendLine appends typ, s with CR and LF replaced by spaces, and CRLF.
// Matches Redis: addReplyErrorFormat turns newlines into spaces so that a
// reply can never break the protocol.
func appendLine[S string | []byte](dst []byte, typ Type, s S) []byte {
	dst = append(dst, byte(typ))
	start := len(dst)
	dst = append(dst, s...)
	for i := start; i < len(dst); i++ {
		if dst[i] == '\r' || dst[i] == '\n' {
			dst[i] = ' '
		}
	}
	return append(dst, '\r', '\n')
}

// appendHeader appends typ, n in decimal and CRLF.
func appendHeader(dst []byte, typ Type, n int64) []byte {
	switch {
	case n >= 0 && n < 10: // the common short lengths, without strconv
		return append(dst, byte(typ), byte('0'+n), '\r', '\n')
	case n >= 10 && n < 100:
		return append(dst, byte(typ), byte('0'+n/10), byte('0'+n%10), '\r', '\n')
	}
	dst = append(dst, byte(typ))
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendSimple appends the simple string "+s\r\n" to dst and returns the
// extended buffer. CR and LF in s are replaced by spaces.
func AppendSimple(dst []byte, s string) []byte { return appendLine(dst, TypeSimple, s) }

// AppendError appends the error reply "-msg\r\n" to dst and returns the
// extended buffer. msg starts with the code, e.g. "ERR unknown command". CR and
// LF in msg are replaced by spaces.
func AppendError(dst []byte, msg string) []byte { return appendLine(dst, TypeError, msg) }

// AppendInt appends the integer ":n\r\n" to dst and returns the extended buffer.
func AppendInt(dst []byte, n int64) []byte { return appendHeader(dst, TypeInt, n) }

// AppendBulk appends the bulk string "$<len>\r\n<b>\r\n" to dst and returns the
// extended buffer. A nil b is an empty bulk string, not a null.
func AppendBulk(dst []byte, b []byte) []byte {
	dst = appendHeader(dst, TypeBulk, int64(len(b)))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString is [AppendBulk] for a string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendHeader(dst, TypeBulk, int64(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendNullBulk appends the RESP2 null bulk string "$-1\r\n" to dst.
func AppendNullBulk(dst []byte) []byte { return append(dst, "$-1\r\n"...) }

// AppendArrayLen appends the array header "*n\r\n" to dst; n elements must
// follow.
func AppendArrayLen(dst []byte, n int) []byte { return appendHeader(dst, TypeArray, int64(n)) }

// AppendNullArray appends the RESP2 null array "*-1\r\n" to dst.
func AppendNullArray(dst []byte) []byte { return append(dst, "*-1\r\n"...) }

// AppendNull appends the RESP3 null "_\r\n" to dst.
func AppendNull(dst []byte) []byte { return append(dst, "_\r\n"...) }

// AppendMapLen appends the RESP3 map header "%n\r\n" to dst; n key-value
// pairs (2n values) must follow.
func AppendMapLen(dst []byte, n int) []byte { return appendHeader(dst, TypeMap, int64(n)) }

// AppendSetLen appends the RESP3 set header "~n\r\n" to dst; n elements must
// follow.
func AppendSetLen(dst []byte, n int) []byte { return appendHeader(dst, TypeSet, int64(n)) }

// AppendPushLen appends the RESP3 push header ">n\r\n" to dst; n elements must
// follow.
func AppendPushLen(dst []byte, n int) []byte { return appendHeader(dst, TypePush, int64(n)) }

// AppendAttrLen appends the RESP3 attribute header "|n\r\n" to dst; n
// key-value pairs must follow, and then the value they describe.
func AppendAttrLen(dst []byte, n int) []byte { return appendHeader(dst, TypeAttribute, int64(n)) }

// AppendDouble appends the RESP3 double ",<f>\r\n" to dst, formatted by
// [AppendFloat].
func AppendDouble(dst []byte, f float64) []byte {
	dst = append(dst, byte(TypeDouble))
	dst = AppendFloat(dst, f)
	return append(dst, '\r', '\n')
}

// AppendFloat appends f as Redis 7.0 formats a double reply: "inf", "-inf",
// "nan", and otherwise C's printf("%.17g"), e.g. "3", "1.1000000000000001",
// "1e+20", "1.0000000000000001e-05". It appends no type byte and no CRLF.
//
// Matches Redis 7.0 (addReplyDouble). Redis 7.2 switched to the shortest
// representation that round-trips ("1.1").
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	// 17 significant digits in exponent form: [-]d.dddddddddddddddde±XX.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', 16, 64)
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	var digs [17]byte
	digs[0] = e[0]
	copy(digs[1:], e[2:18])
	nd := 17
	for nd > 1 && digs[nd-1] == '0' {
		nd--
	}
	expStr := e[19:] // after "e": sign and at least two digits
	exp, _ := strconv.Atoi(string(expStr))
	switch {
	case exp < -4 || exp >= 17:
		dst = append(dst, digs[0])
		if nd > 1 {
			dst = append(dst, '.')
			dst = append(dst, digs[1:nd]...)
		}
		dst = append(dst, 'e')
		return append(dst, expStr...)
	case exp < 0:
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, digs[:nd]...)
	default:
		if nd <= exp+1 {
			dst = append(dst, digs[:nd]...)
			for i := nd; i <= exp; i++ {
				dst = append(dst, '0')
			}
			return dst
		}
		dst = append(dst, digs[:exp+1]...)
		dst = append(dst, '.')
		return append(dst, digs[exp+1:nd]...)
	}
}

// AppendBool appends the RESP3 boolean "#t\r\n" or "#f\r\n" to dst.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "#t\r\n"...)
	}
	return append(dst, "#f\r\n"...)
}

// AppendBigNumber appends the RESP3 big number "(digits\r\n" to dst. digits is
// not checked.
func AppendBigNumber(dst []byte, digits string) []byte { return appendLine(dst, TypeBigNumber, digits) }

// AppendVerbatim appends the RESP3 verbatim string "=<len>\r\n<format>:<text>\r\n"
// to dst. format should be 3 bytes, e.g. "txt" or "mkd".
func AppendVerbatim(dst []byte, format, text string) []byte {
	dst = appendHeader(dst, TypeVerbatim, int64(len(format)+1+len(text)))
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, text...)
	return append(dst, '\r', '\n')
}

// AppendBulkError appends the RESP3 bulk error "!<len>\r\n<msg>\r\n" to dst.
// msg starts with the code, like [AppendError]'s, and may hold any bytes.
func AppendBulkError(dst []byte, msg string) []byte {
	dst = appendHeader(dst, TypeBulkError, int64(len(msg)))
	dst = append(dst, msg...)
	return append(dst, '\r', '\n')
}

// AppendValue appends v to dst exactly as [Parse] would have read it, so that
// AppendValue(nil, v) reproduces the input of Parse for canonical input.
// Attrs, when non-nil, are written first as an attribute. Null bulk strings
// and arrays are written as "$-1" and "*-1", TypeNull as "_". A map or
// attribute writes len(Elems)/2 pairs. AppendValue does not check that Str
// suits the type: a simple string with CR or LF gets them replaced by spaces.
func AppendValue(dst []byte, v Value) []byte {
	if v.Attrs != nil {
		dst = AppendAttrLen(dst, len(v.Attrs)/2)
		for _, a := range v.Attrs {
			dst = AppendValue(dst, a)
		}
	}
	switch v.Type {
	case TypeSimple, TypeError, TypeBigNumber:
		return appendLine(dst, v.Type, v.Str)
	case TypeInt:
		return AppendInt(dst, v.Int)
	case TypeBulk, TypeBulkError:
		if v.Null {
			return append(dst, byte(v.Type), '-', '1', '\r', '\n')
		}
		dst = appendHeader(dst, v.Type, int64(len(v.Str)))
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case TypeNull:
		return AppendNull(dst)
	case TypeDouble:
		if v.Str != nil {
			return appendLine(dst, TypeDouble, v.Str)
		}
		return AppendDouble(dst, v.Float)
	case TypeBool:
		return AppendBool(dst, v.Int != 0)
	case TypeVerbatim:
		dst = appendHeader(dst, TypeVerbatim, int64(len(v.Format)+1+len(v.Str)))
		dst = append(dst, v.Format...)
		dst = append(dst, ':')
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case TypeArray, TypeSet, TypePush:
		if v.Null {
			return append(dst, byte(v.Type), '-', '1', '\r', '\n')
		}
		dst = appendHeader(dst, v.Type, int64(len(v.Elems)))
	case TypeMap, TypeAttribute:
		dst = appendHeader(dst, v.Type, int64(len(v.Elems)/2))
	default:
		// Not a RESP type: write it as an empty simple string of that
		// type byte so the output is still framed.
		return append(append(dst, byte(v.Type)), '\r', '\n')
	}
	for _, e := range v.Elems {
		dst = AppendValue(dst, e)
	}
	return dst
}
