package node

import (
	"errors"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// Reply errors that handlers return. Their texts must match Redis byte for byte.
var (
	errSyntax          = &resp.Error{Code: "ERR", Msg: "syntax error"}
	errNotInteger      = &resp.Error{Code: "ERR", Msg: "value is not an integer or out of range"}
	errNotInt32        = &resp.Error{Code: "ERR", Msg: "value is out of range, value must between -2147483648 and 2147483647"}
	errDBIndex         = &resp.Error{Code: "ERR", Msg: "DB index is out of range"}
	errNoAuth          = &resp.Error{Code: "NOAUTH", Msg: "Authentication required."}
	errWrongPass       = &resp.Error{Code: "WRONGPASS", Msg: "invalid username-password pair or user is disabled."}
	errNoProto         = &resp.Error{Code: "NOPROTO", Msg: "unsupported protocol version"}
	errAuthNoPass      = &resp.Error{Code: "ERR", Msg: "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"}
	errClientName      = &resp.Error{Code: "ERR", Msg: "Client names cannot contain spaces, newlines or special characters."}
	errHelloNoAuth     = &resp.Error{Code: "NOAUTH", Msg: "HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"}
	errProtoVersion    = &resp.Error{Code: "ERR", Msg: "Protocol version is not an integer or out of range"}
	errReplicaKeyspace = &resp.Error{Code: "ERR", Msg: "Replica can't interact with the keyspace"}
	errReadOnlyReplica = &resp.Error{Code: "READONLY", Msg: "You can't write against a read only replica."}

	// Cluster mode (cluster_route.go, cmd_cluster.go).
	errCrossSlot       = &resp.Error{Code: "CROSSSLOT", Msg: "Keys in request don't hash to the same slot"}
	errSlotUnbound     = &resp.Error{Code: "CLUSTERDOWN", Msg: "Hash slot not served"}
	errClusterDown     = &resp.Error{Code: "CLUSTERDOWN", Msg: "The cluster is down"}
	errClusterDownRO   = &resp.Error{Code: "CLUSTERDOWN", Msg: "The cluster is down and only accepts read commands"}
	errTryAgain        = &resp.Error{Code: "TRYAGAIN", Msg: "Multiple keys request during rehashing of slot"}
	errSelectCluster   = errorf("SELECT is not allowed in cluster mode")
	errClusterDisabled = errorf("This instance has cluster support disabled")
)

// replies maps the keyspace module's sentinel errors to Redis's reply texts: the only such table.
var replies = []struct {
	err   error
	reply *resp.Error
}{
	{keyspace.ErrWrongType, &resp.Error{Code: "WRONGTYPE", Msg: "Operation against a key holding the wrong kind of value"}},
	{keyspace.ErrNotInteger, errNotInteger},
	{keyspace.ErrOverflow, &resp.Error{Code: "ERR", Msg: "increment or decrement would overflow"}},
	{keyspace.ErrNoSuchKey, &resp.Error{Code: "ERR", Msg: "no such key"}},
	{keyspace.ErrSameObject, &resp.Error{Code: "ERR", Msg: "source and destination objects are the same"}},
	{keyspace.ErrDBIndex, errDBIndex},
	{keyspace.ErrOOM, &resp.Error{Code: "OOM", Msg: "command not allowed when used memory > 'maxmemory'."}},
}

// errorReply turns a handler's error into the error reply the client sees.
func errorReply(err error) *resp.Error {
	var re *resp.Error
	if errors.As(err, &re) {
		return re
	}
	for _, r := range replies {
		if errors.Is(err, r.err) {
			return r.reply
		}
	}
	return &resp.Error{Code: "ERR", Msg: err.Error()}
}

// errorf builds an ERR reply with a formatted message.
func errorf(msg string) *resp.Error { return &resp.Error{Code: "ERR", Msg: msg} }
