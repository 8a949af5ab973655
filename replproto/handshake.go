package replproto

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/carminedb/carmine/resp"
)

// HandshakeConfig is what a replica says about itself when it connects to its primary.
type HandshakeConfig struct {
	// ListeningPort is sent as "REPLCONF listening-port" (replica-announce-port, or the port the replica
	// serves on); 0 sends nothing.
	ListeningPort int
	// IPAddress, when set, is sent as "REPLCONF ip-address" (replica-announce-ip).
	IPAddress string
	// User and Password (masteruser, masterauth) are sent as AUTH when Password is set; AUTH has only the
	// password when User is empty.
	User, Password string
	// ReplID and Next are the PSYNC arguments: the replid of the history the replica holds and the first
	// byte it lacks (its offset plus one). An empty ReplID sends "PSYNC ? -1", a request for a full copy.
	ReplID string
	Next   int64
}

type hsStep int

const (
	stepPing hsStep = iota
	stepAuth
	stepPort
	stepIP
	stepCapa
	stepPSYNC
	stepDone
)

var stepNames = [...]string{"PING", "AUTH", "REPLCONF listening-port", "REPLCONF ip-address", "REPLCONF capa", "PSYNC", "done"}

// Handshake is the replica's side of the replication handshake as a state machine, driven by the primary's
// reply lines, so that it can run over any transport. Matches Redis 7 (syncWithMaster): the replica sends
// PING and waits for the reply; then sends AUTH (when a password is set), REPLCONF listening-port, REPLCONF
// ip-address (when set) and REPLCONF capa eof capa psync2 in one batch and reads their replies in order; then
// sends PSYNC and reads its reply. [Conn.Handshake] drives one over an io.ReadWriter.
//
// Errors, as Redis handles them:
//   - An error reply to PING ends the handshake, except -NOAUTH, -NOPERM and "-ERR operation not
//     permitted", which only mean that AUTH is still to come.
//   - An error reply to AUTH ends it (an error wrapping [ErrRejected]).
//   - An error reply to a REPLCONF is ignored (an old primary does not know the option); see
//     [Handshake.Ignored].
//   - PSYNC's reply is parsed by [ParsePSYNCReply]. Empty lines before it are keepalives. -NOMASTERLINK and
//     -LOADING end the handshake with an error wrapping [ErrTryLater]. Any other error (an old primary
//     without PSYNC) makes the replica send SYNC instead: the handshake is then done with a reply of kind
//     [ReplyNotSupported], and the payload follows as after +FULLRESYNC, with no id or offset.
type Handshake struct {
	cfg     HandshakeConfig
	step    hsStep
	reply   PSYNCReply
	ignored []*resp.Error
}

// NewHandshake returns a handshake for cfg, not started.
func NewHandshake(cfg HandshakeConfig) *Handshake { return &Handshake{cfg: cfg} }

// Start appends the first command, PING, to dst.
func (h *Handshake) Start(dst []byte) []byte {
	h.step = stepPing
	return appendCommand(dst, "PING")
}

// Done reports whether the handshake has finished: the primary answered PSYNC with +FULLRESYNC or +CONTINUE,
// or the replica fell back to SYNC.
func (h *Handshake) Done() bool { return h.step == stepDone }

// Reply returns the primary's answer to PSYNC, once Done.
func (h *Handshake) Reply() PSYNCReply { return h.reply }

// Ignored returns the error replies to REPLCONF that the handshake ignored, for the caller to log.
func (h *Handshake) Ignored() []*resp.Error { return h.ignored }

// Feed takes the primary's next reply line (without CRLF) and appends the commands to send next, if any, to
// dst. After an error the handshake is over and the connection should be closed. Feeding a finished
// handshake is an error.
func (h *Handshake) Feed(dst []byte, line []byte) ([]byte, error) {
	var rerr *resp.Error
	if len(line) > 0 && line[0] == '-' {
		rerr = resp.ParseErrorLine(string(line[1:]))
	}
	switch h.step {
	case stepPing:
		if rerr != nil && !bytes.HasPrefix(line, []byte("-NOAUTH")) && !bytes.HasPrefix(line, []byte("-NOPERM")) &&
			!bytes.HasPrefix(line, []byte("-ERR operation not permitted")) {
			return dst, h.fail("error reply to PING", rerr)
		}
		if h.cfg.Password != "" {
			if h.cfg.User != "" {
				dst = appendCommand(dst, "AUTH", h.cfg.User, h.cfg.Password)
			} else {
				dst = appendCommand(dst, "AUTH", h.cfg.Password)
			}
		}
		if h.cfg.ListeningPort != 0 {
			dst = appendCommand(dst, "REPLCONF", "listening-port", strconv.Itoa(h.cfg.ListeningPort))
		}
		if h.cfg.IPAddress != "" {
			dst = appendCommand(dst, "REPLCONF", "ip-address", h.cfg.IPAddress)
		}
		dst = appendCommand(dst, "REPLCONF", "capa", "eof", "capa", "psync2")
		h.step = stepAuth
		h.skip()
		return dst, nil
	case stepAuth:
		if rerr != nil {
			return dst, h.fail("unable to AUTH to primary", rerr)
		}
	case stepPort, stepIP, stepCapa:
		if rerr != nil {
			h.ignored = append(h.ignored, rerr)
		}
	case stepPSYNC:
		r := ParsePSYNCReply(line)
		switch r.Kind {
		case ReplyNone:
			return dst, nil
		case ReplyTryLater:
			h.step = stepDone
			h.reply = r
			return dst, fmt.Errorf("%w: %w", ErrTryLater, r.Err)
		case ReplyNotSupported:
			dst = appendCommand(dst, "SYNC")
		}
		h.reply = r
		h.step = stepDone
		return dst, nil
	default:
		return dst, errors.New("replproto: handshake already finished")
	}
	h.step++
	h.skip()
	if h.step == stepPSYNC {
		if h.cfg.ReplID == "" {
			dst = AppendPSYNC(dst, "?", -1)
		} else {
			dst = AppendPSYNC(dst, h.cfg.ReplID, h.cfg.Next)
		}
	}
	return dst, nil
}

// skip moves past the steps for which no command was sent.
func (h *Handshake) skip() {
	for {
		switch {
		case h.step == stepAuth && h.cfg.Password == "",
			h.step == stepPort && h.cfg.ListeningPort == 0,
			h.step == stepIP && h.cfg.IPAddress == "":
			h.step++
		default:
			return
		}
	}
}

func (h *Handshake) fail(what string, rerr *resp.Error) error {
	h.step = stepDone
	return fmt.Errorf("%w: %s: %w", ErrRejected, what, rerr)
}

// Conn is the replica's end of a replication link over any io.ReadWriter (usually a net.Conn; timeouts are
// the caller's, through deadlines). It reads through one bufio.Reader, so that the payload and the stream
// after the handshake are read from where the handshake stopped.
type Conn struct {
	br  *bufio.Reader
	w   io.Writer
	out []byte
}

// ConnBufferSize is the size of a Conn's read buffer, which also bounds the length of a reply line.
const ConnBufferSize = 16 << 10

// NewConn returns a Conn over rw.
func NewConn(rw io.ReadWriter) *Conn {
	return &Conn{br: bufio.NewReaderSize(rw, ConnBufferSize), w: rw}
}

// Reader returns the Conn's buffered reader, positioned after what the Conn has read: after the handshake,
// the payload, then the replication stream.
func (c *Conn) Reader() *bufio.Reader { return c.br }

// Handshake runs the handshake of cfg (see [Handshake]) and returns the primary's answer to PSYNC. After a
// reply of kind ReplyFullResync or ReplyNotSupported, read the payload with [Conn.ReadPayload]; after
// ReplyContinue, the stream follows.
func (c *Conn) Handshake(cfg HandshakeConfig) (PSYNCReply, error) {
	h := NewHandshake(cfg)
	c.out = h.Start(c.out[:0])
	for {
		if len(c.out) > 0 {
			if _, err := c.w.Write(c.out); err != nil {
				return PSYNCReply{}, fmt.Errorf("replproto: handshake: %w", err)
			}
			c.out = c.out[:0]
		}
		if h.Done() {
			return h.Reply(), nil
		}
		line, err := ReadLine(c.br)
		if err != nil {
			return PSYNCReply{}, fmt.Errorf("replproto: handshake: waiting for the reply to %s: %w", stepNames[h.step], err)
		}
		c.out, err = h.Feed(c.out, line)
		if err != nil {
			return h.Reply(), err
		}
	}
}

// ReadPayload reads the preamble of the RDB transfer and returns a Payload that streams it.
func (c *Conn) ReadPayload() (*Payload, error) {
	p, err := ReadPreamble(c.br)
	if err != nil {
		return nil, err
	}
	return NewPayload(c.br, p), nil
}

// WriteAck sends "REPLCONF ACK <offset>".
func (c *Conn) WriteAck(offset int64) error {
	c.out = AppendAck(c.out[:0], offset)
	_, err := c.w.Write(c.out)
	return err
}
