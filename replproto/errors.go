package replproto

import "errors"

var (
	// ErrNotInBacklog is returned when a backlog no longer (or not yet) holds the offset asked for.
	ErrNotInBacklog = errors.New("replproto: offset not in backlog")
)
