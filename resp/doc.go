// Package resp implements the Redis serialization protocol, RESP2 and RESP3,
// for servers and clients.
//
// Servers read client commands with [CommandReader] (from a stream) or
// [ParseCommand] (from a byte slice); both accept multibulk and inline
// requests and reject malformed ones with the [*ProtocolError] texts that
// Redis 7 uses. Replies go out through a [Writer], which buffers, keeps the
// first I/O error (sticky, reported by [Writer.Flush]) and writes RESP2 or
// RESP3 as selected, or through the Append functions such as [AppendBulk],
// which extend a byte slice like strconv.AppendInt.
//
// Clients, tests and replication read any value with [Reader] or [Parse] into
// a [Value]. An error reply is a [Value] of [TypeError]; [Value.AsError]
// turns it into an [*Error].
//
// On the wire, the command GET k and its reply "v" are:
//
//	*2\r\n$3\r\nGET\r\n$1\r\nk\r\n
//	$1\r\nv\r\n
//
// Nothing here allocates from a length that the peer announces before the
// bytes arrive, and parsing is never recursive: [Limits] bounds bulk lengths,
// element counts, inline requests and nesting.
package resp
