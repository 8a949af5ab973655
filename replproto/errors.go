package replproto

import "errors"

var (
	// ErrNotInBacklog is returned when a backlog no longer (or not yet) holds the offset asked for.
	ErrNotInBacklog = errors.New("replproto: offset not in backlog")
	// ErrBadID is returned for a replication id that is not 40 characters.
	ErrBadID = errors.New("replproto: bad replication id")
	// ErrBadPreamble is returned for a line that cannot start an RDB transfer.
	ErrBadPreamble = errors.New("replproto: bad RDB transfer preamble")
	// ErrPrimaryError is returned when the primary answers with an error where the protocol has no room for
	// one; the error also wraps the primary's *resp.Error.
	ErrPrimaryError = errors.New("replproto: error from primary")
	// ErrLineTooLong is returned for a reply line longer than the connection's buffer.
	ErrLineTooLong = errors.New("replproto: reply line too long")
	// ErrRejected is returned when the primary refuses the handshake (an error reply to PING or AUTH); the
	// error also wraps the primary's *resp.Error.
	ErrRejected = errors.New("replproto: primary rejected the handshake")
	// ErrTryLater is returned when the primary cannot serve PSYNC now (-NOMASTERLINK, -LOADING); the error
	// also wraps the primary's *resp.Error.
	ErrTryLater = errors.New("replproto: primary cannot sync now")
	// ErrSyntax is returned for a REPLCONF or PSYNC command with bad arguments.
	ErrSyntax = errors.New("replproto: syntax error")
	// ErrUnknownOption is returned for a REPLCONF option this package does not know.
	ErrUnknownOption = errors.New("replproto: unrecognized REPLCONF option")
)
