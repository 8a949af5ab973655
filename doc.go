// Package carmine is the root of the Carmine workspace: a Redis-compatible in-memory data server built from
// small modules. The root module holds no server code; see the modules listed in README.md:
// resp (RESP2/RESP3 codec), keyspace (typed values, databases, expiry), rdbfmt (RDB files), replproto
// (replication protocol), geohash, acl, server (the server itself, `go run ./server`) and tools.
package carmine
