package replproto_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/carminedb/carmine/replproto"
)

// A replica handshake against a scripted primary that sends a diskless payload.
func ExampleConn() {
	type readWriter struct {
		io.Reader
		io.Writer
	}
	primary := readWriter{Writer: io.Discard, Reader: strings.NewReader("+PONG\r\n+OK\r\n+OK\r\n" +
		"+FULLRESYNC 8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb 0\r\n" +
		"\n$EOF:" + strings.Repeat("ab", 20) + "\r\nREDIS0011..." + strings.Repeat("ab", 20))}
	c := replproto.NewConn(primary)
	r, err := c.Handshake(replproto.HandshakeConfig{ListeningPort: 6380})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Kind == replproto.ReplyFullResync, r.ID, r.Offset)
	p, err := c.ReadPayload()
	if err != nil {
		panic(err)
	}
	rdb, _ := io.ReadAll(p)
	fmt.Printf("%q\n", rdb)
	// Output:
	// true 8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb 0
	// "REDIS0011..."
}

// A primary deciding how to answer PSYNC.
func ExampleDecide() {
	ids, _ := replproto.NewIDs()
	backlog := replproto.NewBacklog(replproto.DefaultBacklogSize, 0)
	backlog.Append([]byte("*1\r\n$4\r\nPING\r\n")) // offsets 1..14

	res := replproto.Decide(ids, backlog, ids.ID.String(), 9)
	rest, _ := backlog.AppendFrom(nil, 9)
	fmt.Printf("%v %q\n", res.Continue, rest)
	fmt.Println(replproto.Decide(ids, backlog, "?", -1).Continue)
	// Output:
	// true "PING\r\n"
	// false
}
