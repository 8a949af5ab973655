package replproto

import "errors"

var (
	// ErrNotInBacklog is returned when a backlog no longer (or not yet) holds the offset asked for.
	ErrNotInBacklog = errors.New("replproto: offset not in backlog")
	// ErrBadID is returned for a replication id that is not 40 characters.
	ErrBadID = errors.New("replproto: bad replication id")
)
