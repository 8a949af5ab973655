package difftest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Events records the messages a subscriber receives, to compare the sequences two servers send for the same
// command stream (keyspace notifications, invalidations). It is a subscriber connection and a second
// connection that runs the commands and publishes the markers that end each Drain.
type Events struct {
	t   testing.TB
	Sub *Conn           // the subscriber
	C   *Conn           // the connection for commands
	Log strings.Builder // what Drain recorded
}

// markerChannel is the channel of the markers that end a Drain.
const markerChannel = "difftest:marker"

// NewEvents connects to addr and subscribes to the patterns (PSUBSCRIBE) and to the marker channel.
func NewEvents(t testing.TB, addr string, patterns ...string) *Events {
	e := &Events{t: t, Sub: Dial(t, addr), C: Dial(t, addr)}
	if len(patterns) > 0 {
		e.Sub.Send(append([]string{"PSUBSCRIBE"}, patterns...)...)
		for range patterns {
			e.Sub.Receive()
		}
	}
	e.Sub.Do("SUBSCRIBE", markerChannel)
	return e
}

// Drain writes "> what" to the log, then every message the subscriber received before a marker published
// now, so no timing is involved: the marker comes after everything the commands before it raised.
func (e *Events) Drain(what string) {
	e.Log.WriteString("> " + what + "\n")
	e.C.Do("PUBLISH", markerChannel, "")
	for {
		v, err := e.Sub.ReceiveErr(2 * time.Second)
		require.NoError(e.t, err, e.Log.String())
		if len(v.Elems) == 3 && string(v.Elems[1].Str) == markerChannel {
			return
		}
		e.Log.WriteString("  " + Format(v) + "\n")
	}
}
