package replproto

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/resp"
)

// appendCommand appends a command as a RESP array of bulk strings.
func appendCommand(dst []byte, args ...string) []byte {
	dst = resp.AppendArrayLen(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulkString(dst, a)
	}
	return dst
}

// AppendAck appends "REPLCONF ACK <offset>", the command a replica sends its primary once a second and when
// asked by GETACK, with offset the replica's processed offset.
func AppendAck(dst []byte, offset int64) []byte {
	return appendCommand(dst, "REPLCONF", "ACK", strconv.FormatInt(offset, 10))
}

// AppendGetAck appends "REPLCONF GETACK *", which a primary sends in the replication stream to ask its
// replicas for an ACK now (for WAIT).
func AppendGetAck(dst []byte) []byte { return appendCommand(dst, "REPLCONF", "GETACK", "*") }

// AppendPSYNC appends "PSYNC <replid> <next>", with next the first byte the replica lacks. A replica with no
// history sends "PSYNC ? -1".
func AppendPSYNC(dst []byte, replid string, next int64) []byte {
	return appendCommand(dst, "PSYNC", replid, strconv.FormatInt(next, 10))
}

// Replconf is a parsed REPLCONF command, as a primary receives it. Fields of options that were not given are
// zero, except the offsets, which are -1.
type Replconf struct {
	ListeningPort int    // listening-port <port>: where the replica accepts clients (for INFO and ROLE)
	IPAddress     string // ip-address <ip>: the address the replica announces
	CapaEOF       bool   // capa eof: the replica accepts a diskless payload ("$EOF:<mark>")
	CapaPSYNC2    bool   // capa psync2: the replica understands "+CONTINUE <replid>"
	Ack           bool   // ack <offset> [fack <aofoffset>]: the replica's acknowledgement (no reply)
	AckOffset     int64
	FAckOffset    int64
	GetAck        bool // getack *: the primary asks for an ACK (received by replicas, in the stream)
	RDBOnly       int  // rdb-only <0|1>: 1 when the replica wants only the payload, not the stream; -1 if not given
}

// ParseReplconf parses the arguments of REPLCONF (args[0] is "REPLCONF"), options and values in pairs as Redis
// takes them, case-insensitively. Unknown capabilities are ignored, as Redis does, so that new replicas can
// talk to old primaries. Errors wrap [ErrSyntax] (an odd number of arguments, or a bad number) or
// [ErrUnknownOption] (Redis's "Unrecognized REPLCONF option").
func ParseReplconf(args [][]byte) (Replconf, error) {
	rc := Replconf{AckOffset: -1, FAckOffset: -1, RDBOnly: -1}
	if len(args) == 0 || len(args)%2 != 1 {
		return rc, fmt.Errorf("%w: REPLCONF takes option value pairs", ErrSyntax)
	}
	for j := 1; j < len(args); j += 2 {
		opt, val := string(args[j]), args[j+1]
		switch {
		case strings.EqualFold(opt, "listening-port"):
			port, err := parseInt(val)
			if err != nil || port < 0 || port > 65535 {
				return rc, fmt.Errorf("%w: bad listening-port %q", ErrSyntax, val)
			}
			rc.ListeningPort = int(port)
		case strings.EqualFold(opt, "ip-address"):
			if len(val) == 0 || len(val) > 255 || bytes.ContainsAny(val, " \r\n") {
				return rc, fmt.Errorf("%w: bad ip-address %q", ErrSyntax, val)
			}
			rc.IPAddress = string(val)
		case strings.EqualFold(opt, "capa"):
			switch {
			case bytes.EqualFold(val, []byte("eof")):
				rc.CapaEOF = true
			case bytes.EqualFold(val, []byte("psync2")):
				rc.CapaPSYNC2 = true
			}
		case strings.EqualFold(opt, "ack"):
			off, err := parseInt(val)
			if err != nil {
				return rc, fmt.Errorf("%w: bad ack offset %q", ErrSyntax, val)
			}
			rc.Ack, rc.AckOffset = true, off
		case strings.EqualFold(opt, "fack"):
			off, err := parseInt(val)
			if err != nil {
				return rc, fmt.Errorf("%w: bad fack offset %q", ErrSyntax, val)
			}
			rc.FAckOffset = off
		case strings.EqualFold(opt, "getack"):
			rc.GetAck = true
		case strings.EqualFold(opt, "rdb-only"):
			switch string(val) {
			case "0", "1":
				rc.RDBOnly = int(val[0] - '0')
			default:
				return rc, fmt.Errorf("%w: bad rdb-only %q", ErrSyntax, val)
			}
		default:
			return rc, fmt.Errorf("%w: %s", ErrUnknownOption, truncate(args[j]))
		}
	}
	return rc, nil
}

// ParsePSYNC parses the arguments of PSYNC (args[0] is "PSYNC"): the replid and the offset of the first
// byte the replica lacks. Errors wrap [ErrSyntax].
func ParsePSYNC(args [][]byte) (replid string, next int64, err error) {
	if len(args) != 3 {
		return "", 0, fmt.Errorf("%w: PSYNC takes a replid and an offset", ErrSyntax)
	}
	next, err = parseInt(args[2])
	if err != nil {
		return "", 0, fmt.Errorf("%w: bad PSYNC offset %q", ErrSyntax, truncate(args[2]))
	}
	return string(args[1]), next, nil
}

func parseInt(b []byte) (int64, error) { return strconv.ParseInt(string(b), 10, 64) }
