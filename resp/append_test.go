package resp_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/carminedb/carmine/resp"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"simple", resp.AppendSimple(nil, "OK"), "+OK\r\n"},
		{"simple newline", resp.AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{"error", resp.AppendError(nil, "ERR unknown command"), "-ERR unknown command\r\n"},
		{"error newline", resp.AppendError(nil, "ERR x\ny"), "-ERR x y\r\n"},
		{"int", resp.AppendInt(nil, 42), ":42\r\n"},
		{"int negative", resp.AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{"bulk", resp.AppendBulk(nil, []byte("hello")), "$5\r\nhello\r\n"},
		{"bulk empty", resp.AppendBulk(nil, nil), "$0\r\n\r\n"},
		{"bulk binary", resp.AppendBulk(nil, []byte("a\r\nb")), "$4\r\na\r\nb\r\n"},
		{"bulk string", resp.AppendBulkString(nil, "hi"), "$2\r\nhi\r\n"},
		{"null bulk", resp.AppendNullBulk(nil), "$-1\r\n"},
		{"array len", resp.AppendArrayLen(nil, 3), "*3\r\n"},
		{"null array", resp.AppendNullArray(nil), "*-1\r\n"},
		{"null", resp.AppendNull(nil), "_\r\n"},
		{"map len", resp.AppendMapLen(nil, 2), "%2\r\n"},
		{"set len", resp.AppendSetLen(nil, 2), "~2\r\n"},
		{"push len", resp.AppendPushLen(nil, 3), ">3\r\n"},
		{"attr len", resp.AppendAttrLen(nil, 1), "|1\r\n"},
		{"double", resp.AppendDouble(nil, 1.5), ",1.5\r\n"},
		{"double inf", resp.AppendDouble(nil, math.Inf(1)), ",inf\r\n"},
		{"double -inf", resp.AppendDouble(nil, math.Inf(-1)), ",-inf\r\n"},
		{"double nan", resp.AppendDouble(nil, math.NaN()), ",nan\r\n"},
		{"bool true", resp.AppendBool(nil, true), "#t\r\n"},
		{"bool false", resp.AppendBool(nil, false), "#f\r\n"},
		{"big number", resp.AppendBigNumber(nil, "3492890328409238509324850943850943825024385"), "(3492890328409238509324850943850943825024385\r\n"},
		{"verbatim", resp.AppendVerbatim(nil, "txt", "Some string"), "=15\r\ntxt:Some string\r\n"},
		{"bulk error", resp.AppendBulkError(nil, "SYNTAX invalid syntax"), "!21\r\nSYNTAX invalid syntax\r\n"},
		{"composes", resp.AppendInt(resp.AppendArrayLen([]byte("x"), 1), 7), "x*1\r\n:7\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(tt.got))
		})
	}
}

// The expected texts come from C's printf("%.17g"); the ones marked were
// also checked against redis-server 7.0 (HELLO 3, ZSCORE).
func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1.0, "1"},
		{3.0, "3"},                        // redis
		{1.1, "1.1000000000000001"},       // redis
		{0.1, "0.10000000000000001"},      // redis
		{1e+20, "1e+20"},                  // redis
		{1e-05, "1.0000000000000001e-05"}, // redis
		{1.2345678901234568e+17, "1.2345678901234568e+17"}, // redis
		{1e+16, "10000000000000000"},                       // redis
		{1e+17, "1e+17"},                                   // redis
		{0.0001, "0.0001"},                                 // redis
		{2.5e-07, "2.4999999999999999e-07"},                // redis
		{-2.5, "-2.5"},
		{1.5e+300, "1.5000000000000001e+300"},
		{5e-324, "4.9406564584124654e-324"},
		{1.7976931348623157e+308, "1.7976931348623157e+308"},
		{123.456, "123.456"},
		{1000000000000000.2, "1000000000000000.2"},
		{-0.0001, "-0.0001"},
		{1.234e-05, "1.234e-05"},
		{1.0 / 3, "0.33333333333333331"},
		{math.Inf(1), "inf"},   // redis
		{math.Inf(-1), "-inf"}, // redis
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, string(resp.AppendFloat(nil, tt.in)))
		})
	}
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		v    resp.Value
		want string
	}{
		{"null bulk", resp.Value{Type: resp.TypeBulk, Null: true}, "$-1\r\n"},
		{"null array", resp.Value{Type: resp.TypeArray, Null: true}, "*-1\r\n"},
		{"null", resp.Value{Type: resp.TypeNull, Null: true}, "_\r\n"},
		{"double from float", resp.Value{Type: resp.TypeDouble, Float: 2}, ",2\r\n"},
		{"double from text", resp.Value{Type: resp.TypeDouble, Str: []byte("2.0"), Float: 2}, ",2.0\r\n"},
		{"bool", resp.Value{Type: resp.TypeBool, Int: 1}, "#t\r\n"},
		{"verbatim", resp.Value{Type: resp.TypeVerbatim, Format: "mkd", Str: []byte("# hi")}, "=8\r\nmkd:# hi\r\n"},
		{"map", resp.Value{Type: resp.TypeMap, Elems: []resp.Value{
			{Type: resp.TypeSimple, Str: []byte("k")}, {Type: resp.TypeInt, Int: 1},
		}}, "%1\r\n+k\r\n:1\r\n"},
		{"attrs", resp.Value{Type: resp.TypeInt, Int: 5, Attrs: []resp.Value{
			{Type: resp.TypeSimple, Str: []byte("ttl")}, {Type: resp.TypeInt, Int: 3},
		}}, "|1\r\n+ttl\r\n:3\r\n:5\r\n"},
		{"empty attrs", resp.Value{Type: resp.TypeInt, Int: 5, Attrs: []resp.Value{}}, "|0\r\n:5\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(resp.AppendValue(nil, tt.v)))
		})
	}
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		line string
		want resp.Error
	}{
		{"ERR unknown command", resp.Error{Code: "ERR", Msg: "unknown command"}},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", resp.Error{Code: "WRONGTYPE", Msg: "Operation against a key holding the wrong kind of value"}},
		{"NOAUTH", resp.Error{Code: "NOAUTH"}},
		{"Error lower case", resp.Error{Msg: "Error lower case"}},
		{"", resp.Error{}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			e := resp.ParseErrorLine(tt.line)
			assert.Equal(t, tt.want, *e)
			assert.Equal(t, tt.line, e.Error())
		})
	}
	v := resp.Value{Type: resp.TypeError, Str: []byte("ERR x")}
	assert.Equal(t, &resp.Error{Code: "ERR", Msg: "x"}, v.AsError())
	assert.Nil(t, resp.Value{Type: resp.TypeSimple}.AsError())
	assert.Equal(t, "Protocol error: invalid bulk length", (&resp.ProtocolError{Reason: "invalid bulk length"}).Error())
}
