package node

import (
	"math"

	"github.com/carminedb/carmine/keyspace"
)

// parseInt32 reads an argument as Redis's getIntFromObjectOrReply does: an integer that must fit a C int.
func parseInt32(b []byte) (int64, error) {
	n, ok := keyspace.ParseInt(b)
	if !ok {
		return 0, errNotInteger
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errNotInt32
	}
	return n, nil
}
