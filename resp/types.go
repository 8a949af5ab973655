package resp

import "errors"

// Type is the RESP type byte that starts every value on the wire.
type Type byte

// The RESP2 types (simple string, error, integer, bulk string, array) and the
// RESP3 additions.
const (
	TypeSimple    Type = '+'
	TypeError     Type = '-'
	TypeInt       Type = ':'
	TypeBulk      Type = '$'
	TypeArray     Type = '*'
	TypeNull      Type = '_'
	TypeDouble    Type = ','
	TypeBool      Type = '#'
	TypeBigNumber Type = '('
	TypeBulkError Type = '!'
	TypeVerbatim  Type = '='
	TypeMap       Type = '%'
	TypeSet       Type = '~'
	TypeAttribute Type = '|'
	TypePush      Type = '>'
)

// String returns the type's name, e.g. "bulk" or "map".
func (t Type) String() string {
	switch t {
	case TypeSimple:
		return "simple"
	case TypeError:
		return "error"
	case TypeInt:
		return "int"
	case TypeBulk:
		return "bulk"
	case TypeArray:
		return "array"
	case TypeNull:
		return "null"
	case TypeDouble:
		return "double"
	case TypeBool:
		return "bool"
	case TypeBigNumber:
		return "bignumber"
	case TypeBulkError:
		return "bulkerror"
	case TypeVerbatim:
		return "verbatim"
	case TypeMap:
		return "map"
	case TypeSet:
		return "set"
	case TypeAttribute:
		return "attribute"
	case TypePush:
		return "push"
	}
	return "Type(" + string(rune(t)) + ")"
}

// Value is one parsed RESP value of any protocol version.
//
// Which fields are set depends on Type:
//   - Str holds the payload of simple strings, errors, bulk strings, bulk
//     errors, big numbers (the digits), verbatim strings (the text after
//     "fmt:") and doubles (the text exactly as on the wire).
//   - Format holds the 3-byte format of a verbatim string ("txt", "mkd").
//   - Int holds an integer; a bool is 0 or 1.
//   - Float holds a double parsed from Str (inf, -inf and nan included).
//   - Elems holds the elements of an array, set or push. A map or attribute
//     holds its keys and values interleaved: k0, v0, k1, v1, ...
//   - Null is set for a RESP2 null bulk string ($-1), a RESP2 null array
//     (*-1) and a RESP3 null (_).
//   - Attrs holds the attribute (|) that preceded this value, keys and values
//     interleaved; it is nil if there was none.
type Value struct {
	Type   Type
	Str    []byte
	Format string
	Int    int64
	Float  float64
	Elems  []Value
	Null   bool
	Attrs  []Value
}

// AsError returns the error reply that v holds (a simple error or a bulk
// error) as an [*Error], and nil for any other type.
func (v Value) AsError() *Error {
	if v.Type != TypeError && v.Type != TypeBulkError {
		return nil
	}
	return ParseErrorLine(string(v.Str))
}

// Error is an error reply, "-<Code> <Msg>\r\n", e.g. Code "WRONGTYPE". Code may
// be empty, and then Msg is the whole line.
type Error struct{ Code, Msg string }

// Error returns the reply text without the leading '-': Code, a space and Msg,
// or just Msg when Code is empty, or just Code when Msg is empty.
func (e *Error) Error() string {
	if e.Code == "" {
		return e.Msg
	}
	if e.Msg == "" {
		return e.Code
	}
	return e.Code + " " + e.Msg
}

// ParseErrorLine splits the text of an error reply (without '-' and CRLF) into
// an [*Error]. By Redis convention the code is the first word when that word is
// all upper case letters, digits and underscores ("ERR", "WRONGTYPE",
// "NOSCRIPT"); otherwise Code is empty and Msg holds the whole line.
func ParseErrorLine(s string) *Error {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	if i == 0 || i < len(s) && s[i] != ' ' {
		return &Error{Msg: s}
	}
	if i == len(s) {
		return &Error{Code: s}
	}
	return &Error{Code: s[:i], Msg: s[i+1:]}
}

// ProtocolError reports a malformed request or reply. A server replies
// "-ERR " followed by Error() and then closes the connection.
type ProtocolError struct{ Reason string }

// Error returns "Protocol error: " followed by Reason, the text Redis uses,
// e.g. "Protocol error: invalid multibulk length".
func (e *ProtocolError) Error() string { return "Protocol error: " + e.Reason }

// The protocol errors of client requests. Their reasons match Redis 7
// (networking.c) byte for byte.
var (
	errMultibulkLen  = &ProtocolError{Reason: "invalid multibulk length"}
	errBulkLen       = &ProtocolError{Reason: "invalid bulk length"}
	errBigMbulkCount = &ProtocolError{Reason: "too big mbulk count string"}
	errBigBulkCount  = &ProtocolError{Reason: "too big bulk count string"}
	errBigInline     = &ProtocolError{Reason: "too big inline request"}
	errUnbalanced    = &ProtocolError{Reason: "unbalanced quotes in request"}
	errDepth         = &ProtocolError{Reason: "nesting too deep"}
	errUnauthMbulk   = &ProtocolError{Reason: "unauthenticated multibulk length"}
	errUnauthBulk    = &ProtocolError{Reason: "unauthenticated bulk length"}
)

// ErrQueryLimit is returned by [CommandReader.ReadCommand] when the bytes
// buffered for commands not yet returned pass Limits.MaxQueryLen. It is not a
// protocol error: Redis closes such a client without a reply
// (client-query-buffer-limit).
var ErrQueryLimit = errors.New("resp: query buffer limit reached")

// Redis's limits for a client that has not authenticated yet (authRequired in
// networking.c); see Limits.Unauthenticated.
const (
	UnauthMaxMultiBulkLen = 10
	UnauthMaxBulkLen      = 16 << 10
)

func errExpectedDollar(got byte) error {
	return &ProtocolError{Reason: "expected '$', got '" + string([]byte{got}) + "'"}
}

// Limits bounds what a parser accepts from a peer. The zero value of a field
// means "use the default" (see [DefaultLimits]).
type Limits struct {
	// MaxBulkLen is the largest bulk string accepted (Redis's
	// proto-max-bulk-len); default 512 MiB.
	MaxBulkLen int64
	// MaxMultiBulkLen is the largest element count of a command or an
	// aggregate; default 2147483647 (INT_MAX), Redis's only rule. A server
	// can lower it, e.g. for clients that have not authenticated yet.
	MaxMultiBulkLen int64
	// MaxInlineLen is the longest inline request or header line accepted
	// without a newline (PROTO_INLINE_MAX_SIZE); default 64 KiB.
	MaxInlineLen int
	// MaxDepth bounds the nesting of aggregates in generic values ([Parse],
	// [Reader]); default 128. Commands are never nested.
	MaxDepth int
	// MaxQueryLen bounds the bytes a [CommandReader] buffers for commands
	// it has not returned yet (Redis's client-query-buffer-limit); default
	// 1 GiB. Passing it is [ErrQueryLimit].
	MaxQueryLen int64
	// Unauthenticated applies Redis's limits for a client that must still
	// authenticate to commands: at most UnauthMaxMultiBulkLen arguments and
	// bulk strings of UnauthMaxBulkLen bytes, else the protocol errors
	// "unauthenticated multibulk length" and "unauthenticated bulk length".
	// The other limits are checked first, as Redis does.
	Unauthenticated bool
}

// Default limits; see [Limits].
const (
	DefaultMaxBulkLen      = 512 << 20
	DefaultMaxMultiBulkLen = 1<<31 - 1
	DefaultMaxInlineLen    = 64 << 10
	DefaultMaxDepth        = 128
	DefaultMaxQueryLen     = 1 << 30
)

// DefaultLimits returns the limits Redis 7 uses by default, and a nesting depth
// of 128 for generic values.
func DefaultLimits() Limits {
	return Limits{
		MaxBulkLen:      DefaultMaxBulkLen,
		MaxMultiBulkLen: DefaultMaxMultiBulkLen,
		MaxInlineLen:    DefaultMaxInlineLen,
		MaxDepth:        DefaultMaxDepth,
		MaxQueryLen:     DefaultMaxQueryLen,
	}
}

// withDefaults fills zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxMultiBulkLen <= 0 {
		l.MaxMultiBulkLen = DefaultMaxMultiBulkLen
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxQueryLen <= 0 {
		l.MaxQueryLen = DefaultMaxQueryLen
	}
	return l
}
