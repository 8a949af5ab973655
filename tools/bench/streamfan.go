package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// streamLatency is what one run of the stream fan-out row measured: the delivery latencies, from just before
// a producer's XADD is written to the moment a blocked consumer has read the entry, and the deliveries per
// second.
type streamLatency struct {
	p50, p99, rate float64 // ms, ms, entries/s
}

// streamFanout measures XADD-to-delivery latency on a stream read by consumers connections, each blocked in
// XREADGROUP ... BLOCK 0 on one consumer group (a work queue: each entry wakes one consumer, the one that waited
// longest). One producer adds messages entries, one at a time (each XADD waits for its reply), every entry
// carrying the time it was sent; a consumer that got an entry records its latency and blocks again.
func streamFanout(port, consumers, messages int) (streamLatency, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	key := fmt.Sprintf("xfan%d", time.Now().UnixNano())
	if err := runCommands(port, [][]string{{"XGROUP", "CREATE", key, "g", "$", "MKSTREAM"}}); err != nil {
		return streamLatency{}, err
	}
	defer runCommands(port, [][]string{{"DEL", key}})
	base := time.Now()
	type delivery struct {
		lat time.Duration
		err error
	}
	got := make(chan delivery, messages)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close() // also ends the consumers still blocked
		}
	}()
	for i := 0; i < consumers; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return streamLatency{}, err
		}
		conns = append(conns, c)
		read := []byte(respCommand("XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(i), "COUNT", "1", "BLOCK", "0", "STREAMS", key, ">"))
		go func() {
			r := bufio.NewReader(c)
			for {
				if _, err := c.Write(read); err != nil {
					return
				}
				// The reply to one entry with one field is 13 lines; the last is the send time.
				var line string
				for range 13 {
					var err error
					if line, err = r.ReadString('\n'); err != nil {
						return // closed at the end
					}
					if line[0] == '-' {
						select { // never blocks: got has room for every entry, and an error ends the run
						case got <- delivery{err: fmt.Errorf("XREADGROUP: %s", strings.TrimSpace(line))}:
						default:
						}
						return
					}
				}
				sent, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
				if err != nil {
					select { // never blocks: got has room for every entry, and an error ends the run
					case got <- delivery{err: fmt.Errorf("unexpected XREADGROUP reply line %q", line)}:
					default:
					}
					return
				}
				got <- delivery{lat: time.Since(base) - time.Duration(sent)}
			}
		}()
	}
	if err := waitBlocked(port, consumers); err != nil {
		return streamLatency{}, err
	}
	pub, err := net.Dial("tcp", addr)
	if err != nil {
		return streamLatency{}, err
	}
	defer pub.Close()
	pr := bufio.NewReader(pub)
	start := time.Now()
	for i := 0; i < messages; i++ {
		cmd := respCommand("XADD", key, "*", "t", fmt.Sprintf("%020d", time.Since(base)))
		if _, err := pub.Write([]byte(cmd)); err != nil {
			return streamLatency{}, err
		}
		line, err := pr.ReadString('\n')
		if err == nil && line[0] != '$' {
			err = fmt.Errorf("XADD answered %q", line)
		}
		if err == nil {
			_, err = pr.ReadString('\n') // the id
		}
		if err != nil {
			return streamLatency{}, err
		}
	}
	lats := make([]time.Duration, 0, messages)
	timeout := time.After(time.Minute)
	for len(lats) < messages {
		select {
		case d := <-got:
			if d.err != nil {
				return streamLatency{}, d.err
			}
			lats = append(lats, d.lat)
		case <-timeout:
			return streamLatency{}, fmt.Errorf("%d of %d entries delivered within a minute", len(lats), messages)
		}
	}
	took := time.Since(start)
	slices.Sort(lats)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return streamLatency{
		p50:  ms(lats[len(lats)/2]),
		p99:  ms(lats[min(len(lats)-1, len(lats)*99/100)]),
		rate: float64(messages) / took.Seconds(),
	}, nil
}

// waitBlocked waits until INFO clients reports n blocked clients, for up to 30 seconds.
func waitBlocked(port, n int) error {
	want := fmt.Sprintf("blocked_clients:%d\r\n", n)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		info, err := infoSection(port, "clients")
		if err != nil {
			return err
		}
		if strings.Contains(info, want) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the consumers did not all block within 30s")
}

// medianLatency returns the run with the median p99 latency.
func medianLatency(rs []streamLatency) streamLatency {
	slices.SortFunc(rs, func(a, b streamLatency) int {
		switch {
		case a.p99 < b.p99:
			return -1
		case a.p99 > b.p99:
			return 1
		}
		return 0
	})
	return rs[len(rs)/2]
}

// respCommand returns args as a RESP array of bulk strings.
func respCommand(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}
