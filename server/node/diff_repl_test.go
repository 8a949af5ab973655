package node

import (
	"strings"
	"testing"
)

// TestDiffReplCommands compares the replication commands' replies and errors with real Redis on a primary with
// no replicas: ROLE, WAIT, REPLICAOF/SLAVEOF argument errors and NO ONE, and REPLCONF from a normal client.
func TestDiffReplCommands(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []string{
		"ROLE", "ROLE x", "WAIT 0 0", "WAIT 1 10", "WAIT x 0", "WAIT 0 x", "WAIT 0 -1", "WAIT -1 0", "WAIT 0",
		"REPLICAOF NO ONE", "SLAVEOF NO ONE", "REPLICAOF NO", "REPLICAOF 127.0.0.1 x", "REPLICAOF 127.0.0.1 -1",
		"REPLICAOF 127.0.0.1 99999", "REPLICAOF NO TWO", "REPLCONF", "REPLCONF listening-port 1234",
		"REPLCONF capa eof capa psync2", "REPLCONF nosuch x", "REPLCONF listening-port", "MULTI", "WAIT 0 0", "EXEC",
	} {
		p.Check(strings.Fields(c)...)
	}
}
