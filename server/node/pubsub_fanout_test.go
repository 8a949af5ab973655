package node

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestPublishToManySubscribers publishes to 10,000 subscribers, half of which never read, while another client
// keeps sending commands: every PUBLISH reaches all of them, the reading half gets every message in order, and
// the other client is answered throughout. A server that wrote to a subscriber with a blocking write, or held
// a lock other commands need while delivering, would stall the probe behind the first full socket and fail.
// The server runs in a child process: the two ends of 10,000 connections would not fit in one process's file
// descriptors.
func TestPublishToManySubscribers(t *testing.T) {
	t.Run("loop", func(t *testing.T) { testPublishToManySubscribers(t, startChildServer(t, 1)) })
	t.Run("goroutine", func(t *testing.T) { testPublishToManySubscribers(t, startChildServer(t, 0)) })
}

func testPublishToManySubscribers(t *testing.T, addr string) {
	const (
		subscribers = 10000
		messages    = 20
	)
	payload := strings.Repeat("p", 256)

	// Subscribe everyone, pipelined per connection; the confirmation has a known length.
	confirm := "*3\r\n$9\r\nsubscribe\r\n$3\r\nfan\r\n:1\r\n"
	conns := make([]net.Conn, 0, subscribers)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := 0; i < subscribers; i++ {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = c.Write([]byte("*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nfan\r\n"))
		require.NoError(t, err)
	}
	for _, c := range conns {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(30*time.Second)))
		buf := make([]byte, len(confirm))
		_, err := io.ReadFull(c, buf)
		require.NoError(t, err)
		require.Equal(t, confirm, string(buf))
	}

	// The even subscribers read every message; the odd ones never read again.
	frame := func(i int) string {
		m := fmt.Sprintf("%d:%s", i, payload)
		return fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$%d\r\n%s\r\n", len(m), m)
	}
	var want bytes.Buffer
	for i := 0; i < messages; i++ {
		want.WriteString(frame(i))
	}
	var readers sync.WaitGroup
	readErrs := make(chan error, subscribers)
	for i := 0; i < subscribers; i += 2 {
		readers.Add(1)
		go func(c net.Conn) {
			defer readers.Done()
			got := make([]byte, want.Len())
			if n, err := io.ReadFull(bufio.NewReader(c), got); err != nil {
				readErrs <- fmt.Errorf("a subscriber read %d bytes of %d, then: %w; last %q", n, len(got), err, got[max(0, n-60):n])
				return
			}
			if !bytes.Equal(got, want.Bytes()) {
				readErrs <- fmt.Errorf("a subscriber read %.80q..., want %.80q...", got, want.Bytes())
			}
		}(conns[i])
	}

	// A probe sends PING after PING while the publisher runs, and records its slowest answer.
	probe, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer probe.Close()
	stop := make(chan struct{})
	probeDone := make(chan error, 1)
	var slowest time.Duration
	pings := 0
	go func() {
		pong := make([]byte, len("+PONG\r\n"))
		for {
			select {
			case <-stop:
				probeDone <- nil
				return
			default:
			}
			start := time.Now()
			probe.SetDeadline(start.Add(30 * time.Second))
			if _, err := probe.Write([]byte("PING\r\n")); err != nil {
				probeDone <- err
				return
			}
			if _, err := io.ReadFull(probe, pong); err != nil || string(pong) != "+PONG\r\n" {
				probeDone <- fmt.Errorf("probe PING: %q, %v", pong, err)
				return
			}
			slowest = max(slowest, time.Since(start))
			pings++
		}
	}()
	var stopOnce sync.Once
	stopProbe := func() (err error) {
		stopOnce.Do(func() {
			close(stop)
			err = <-probeDone
		})
		return err
	}
	defer stopProbe()

	pub := difftest.Dial(t, addr)
	defer pub.Close()
	for i := 0; i < messages; i++ {
		r := pub.Do("PUBLISH", "fan", fmt.Sprintf("%d:%s", i, payload))
		require.Equal(t, "(integer) "+strconv.Itoa(subscribers), difftest.Format(r), "PUBLISH %d", i)
	}
	readers.Wait()
	require.NoError(t, stopProbe())
	close(readErrs)
	for err := range readErrs {
		require.NoError(t, err)
	}
	t.Logf("%d probe PINGs during the fan-out, slowest %v", pings, slowest)
	require.Positive(t, pings, "the probe got no answer while the fan-out ran")
	// A bound that only a stall breaks: the whole fan-out moves about 50 MB.
	require.Less(t, slowest, 5*time.Second, "the probe waited behind the fan-out")
}
