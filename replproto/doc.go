// Package replproto implements the Redis replication wire protocol: the replica handshake (PING, AUTH,
// REPLCONF, PSYNC), the primary's +FULLRESYNC and +CONTINUE replies, replication ids and offsets, and the
// backlog that answers a partial resync. RDB payloads are treated as opaque bytes.
//
// The replication work fills this module; it imports only resp.
package replproto
