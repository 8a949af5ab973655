// Package replproto implements the Redis replication wire protocol as a library, for the primary and the
// replica side: the replica's handshake ([Handshake], driven over any io.ReadWriter by [Conn]), the
// primary's answers to PSYNC ([ParsePSYNCReply], [AppendFullResync], [AppendContinue]), the RDB transfer in
// its sized and diskless forms ([Preamble], [Payload], which streams the payload without holding it),
// REPLCONF ([ParseReplconf], [AppendAck], [AppendGetAck]), replication ids and the rule for a partial
// resynchronisation ([IDs], [Decide]), and the [Backlog] that serves one.
//
// A replica with no data connecting to a primary that sends the payload diskless:
//
//	replica: *1\r\n$4\r\nPING\r\n                                  primary: +PONG\r\n
//	replica: REPLCONF listening-port 6380                           primary: +OK\r\n
//	replica: REPLCONF capa eof capa psync2                          primary: +OK\r\n
//	replica: PSYNC ? -1                                             primary: +FULLRESYNC <40-char replid> 0\r\n
//	primary: $EOF:<40-byte mark>\r\n<RDB payload><40-byte mark>
//	replica: REPLCONF ACK 0 (and then every second, with its offset)
//	primary: the replication stream (commands, as a client sends them), from offset 1 on
//
// Offsets count the bytes of the replication stream as Redis does: a server's master_repl_offset is the
// offset of the last byte it has, and PSYNC names the next byte wanted.
//
// The RDB payload is opaque here; the package imports only resp, starts no goroutines and does not log.
package replproto
