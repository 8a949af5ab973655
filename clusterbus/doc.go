// Package clusterbus implements the parts of Redis Cluster that are formats rather than behaviour: the hash
// slot of a key ([KeySlot], CRC-16 with {hash tags}) and the binary messages nodes exchange on the cluster bus
// (the port 10000 above the client port), as Redis 7 writes them.
//
// A [Message] is a fixed 2256-byte [Header] (signature "RCmb", total length, version 1, the sender's name,
// ports, epochs, flags and slot bitmap) followed by the body of its [Type]: [Gossip] sections and ping
// extensions ([Ext]: hostname, forgotten node, shard ID) for PING, PONG and MEET, a node name for FAIL, a
// channel and payload for PUBLISH, a node's epoch and slots for UPDATE, nothing for FAILOVER_AUTH_REQUEST,
// FAILOVER_AUTH_ACK and MFSTART. [Message.Append] encodes, [Decode] checks lengths as Redis does and decodes,
// and [Reader] cuts a connection's byte stream into messages.
//
// A FAIL message about node 3f2a... from node 9bc1... starts:
//
//	52 43 6d 62  00 00 08 f8  00 01  1a e1  00 03  00 00   "RCmb", totlen 2296, ver 1, port 6881, type 3
//
// The format was checked against a real redis-server 7.0 acting as the peer of a node speaking this package.
// It uses only the standard library.
package clusterbus
