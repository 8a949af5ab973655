// Package clustercheck holds tests that drive a Carmine cluster with a third-party cluster-aware client, go-redis
// v9's ClusterClient, the way applications will: through MOVED redirections and the CLUSTER SLOTS map. The
// tests build the server, start three primaries on loopback, join them with redis-cli --cluster create, and
// skip without redis-cli (or fail under CARMINE_REQUIRE_REDIS).
//
//	go test ./tools/clustercheck
package clustercheck
