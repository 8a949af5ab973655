package node

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// The latency monitor (latency-monitor-threshold): events that took at least the threshold, in milliseconds, are
// kept per event class, as Redis's latency.c keeps them: the last 160 samples, one per second (a second's
// worst), the latest and the all-time worst. Classes recorded here: "command" and "fast-command" (calls, by
// the command's fast flag). Not "expire-cycle": the sweeper runs beside the commands, not between them as in
// Redis, so its duration (which includes waiting for shard locks) delays no client.

// latencySamples is how many samples an event keeps: Redis's LATENCY_TS_LEN.
const latencySamples = 160

// latencySample is one second's worst latency of an event.
type latencySample struct {
	at int64 // Unix seconds; 0: unused
	ms int64
}

// latencySeries is one event's samples, a ring in time order from idx.
type latencySeries struct {
	samples [latencySamples]latencySample
	idx     int
	max     int64
}

// inOrder returns the samples kept, oldest first; none for a nil series.
func (ts *latencySeries) inOrder() []latencySample {
	var out []latencySample
	for i := 0; ts != nil && i < latencySamples; i++ {
		if s := ts.samples[(ts.idx+i)%latencySamples]; s.at != 0 {
			out = append(out, s)
		}
	}
	return out
}

type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencySeries
}

// latencyEvent records that event took ms milliseconds, if the monitor is on and ms reaches its threshold.
// Matches Redis (latencyAddSampleIfNeeded, latencyAddSample): samples of the same second keep the worst.
func (s *Server) latencyEvent(event string, ms int64) {
	if th := s.live.latencyThreshold.Load(); th == 0 || ms < th {
		return
	}
	now := time.Now().Unix()
	m := &s.latencyMon
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string]*latencySeries)
	}
	ts := m.events[event]
	if ts == nil {
		ts = new(latencySeries)
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	if prev := &ts.samples[(ts.idx+latencySamples-1)%latencySamples]; prev.at == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{at: now, ms: ms}
	ts.idx = (ts.idx + 1) % latencySamples
}

// commandLatency records a call of cmd that took ns nanoseconds for the latency monitor.
func (s *Server) commandLatency(cmd *command, ns int64) {
	event := "command"
	if cmd.spec.Has(cmdspec.FlagFast) {
		event = "fast-command"
	}
	s.latencyEvent(event, ns/int64(time.Millisecond))
}

// LATENCY LATEST: each event's latest sample: name, time, latency and all-time worst latency.
func cmdLatencyLatest(c *client, args [][]byte) error {
	m := &c.srv.latencyMon
	m.mu.Lock()
	defer m.mu.Unlock()
	names := slices.Sorted(maps.Keys(m.events))
	c.w.WriteArrayLen(len(names))
	for _, name := range names {
		ts := m.events[name]
		last := ts.samples[(ts.idx+latencySamples-1)%latencySamples]
		c.w.WriteArrayLen(4)
		c.w.WriteBulkString(name)
		c.w.WriteInt(last.at)
		c.w.WriteInt(last.ms)
		c.w.WriteInt(ts.max)
	}
	return nil
}

// LATENCY HISTORY event: the event's samples, oldest first, as time and latency pairs.
func cmdLatencyHistory(c *client, args [][]byte) error {
	m := &c.srv.latencyMon
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.events[string(args[2])].inOrder()
	c.w.WriteArrayLen(len(out))
	for _, s := range out {
		c.w.WriteArrayLen(2)
		c.w.WriteInt(s.at)
		c.w.WriteInt(s.ms)
	}
	return nil
}

// LATENCY RESET [event ...]: forgets the events named, or all of them, and replies how many it forgot.
func cmdLatencyReset(c *client, args [][]byte) error {
	m := &c.srv.latencyMon
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(args) == 2 {
		n = len(m.events)
		clear(m.events)
	}
	for _, name := range args[2:] {
		if _, ok := m.events[string(name)]; ok {
			delete(m.events, string(name))
			n++
		}
	}
	c.w.WriteInt(int64(n))
	return nil
}

// LATENCY GRAPH event: an ASCII chart of the event's samples, as Redis draws it: a title line with the highest
// and lowest sample and the all-time worst, a rule of 80 dashes, then the samples 80 to a block as a sparkline
// four rows high, each sample labelled below with how long ago it was (3s, 5m, 2h, 1d).
func cmdLatencyGraph(c *client, args [][]byte) error {
	m := &c.srv.latencyMon
	m.mu.Lock()
	ts := m.events[string(args[2])]
	samples := ts.inOrder()
	var worst int64
	if ts != nil {
		worst = ts.max
	}
	m.mu.Unlock()
	if len(samples) == 0 {
		return errorf("No samples available for event '" + string(args[2]) + "'")
	}
	lo, hi := samples[0].ms, samples[0].ms
	now := time.Now().Unix()
	labels := make([]string, len(samples))
	for i, s := range samples {
		lo, hi = min(lo, s.ms), max(hi, s.ms)
		switch ago := now - s.at; {
		case ago < 60:
			labels[i] = strconv.FormatInt(ago, 10) + "s"
		case ago < 3600:
			labels[i] = strconv.FormatInt(ago/60, 10) + "m"
		case ago < 86400:
			labels[i] = strconv.FormatInt(ago/3600, 10) + "h"
		default:
			labels[i] = strconv.FormatInt(ago/86400, 10) + "d"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", args[2], hi, lo, worst)
	b.WriteString(strings.Repeat("-", latencyGraphCols) + "\n")
	for from := 0; from < len(samples); from += latencyGraphCols {
		if from > 0 {
			b.WriteByte('\n')
		}
		to := min(from+latencyGraphCols, len(samples))
		sparkline(&b, samples[from:to], labels[from:to], lo, hi)
	}
	c.w.WriteVerbatim("txt", b.String())
	return nil
}

// latencyGraphCols is how many samples a block of LATENCY GRAPH shows.
const latencyGraphCols = 80

// sparkline draws samples (whose overall range is lo to hi) as rows of characters, one column per sample: four
// rows of three levels each, the top level of a column drawn with _, o or # and the rows under it filled with |;
// then a blank row and the labels written downwards, one character per row.
func sparkline(b *strings.Builder, samples []latencySample, labels []string, lo, hi int64) {
	const rows, levels = 4, 3
	const marks = "_o#"
	span := float64(hi - lo)
	if span == 0 {
		span = 1
	}
	line := make([]byte, len(samples))
	for row := 0; row < rows; row++ {
		for j, s := range samples {
			step := int(float64(int64(float64(s.ms-lo)*rows*levels)) / span)
			step = min(max(step, 0), rows*levels-1)
			switch k := step - (rows-row-1)*levels; {
			case k >= levels:
				line[j] = '|'
			case k >= 0:
				line[j] = marks[k]
			default:
				line[j] = ' '
			}
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat(" ", len(samples)) + "\n")
	for k := 0; ; k++ {
		any := false
		for j, l := range labels {
			line[j] = ' '
			if k < len(l) {
				line[j], any = l[k], true
			}
		}
		if !any {
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
}

// LATENCY DOCTOR: a report of the events in the monitor, in Redis's words: for each event its number of spikes,
// their average and mean deviation, the average time between them and the worst; then advice.
func cmdLatencyDoctor(c *client, args [][]byte) error {
	if c.srv.live.latencyThreshold.Load() == 0 {
		c.w.WriteVerbatim("txt", `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.`+"\n")
		return nil
	}
	m := &c.srv.latencyMon
	m.mu.Lock()
	names := slices.Sorted(maps.Keys(m.events))
	var report strings.Builder
	now := time.Now().Unix()
	commands := false
	for i, name := range names {
		ts := m.events[name]
		samples := ts.inOrder()
		n, sum := int64(len(samples)), int64(0)
		for _, s := range samples {
			sum += s.ms
		}
		avg := sum / n
		var dev int64
		for _, s := range samples {
			dev += abs64(s.ms - avg)
		}
		first := samples[0].at
		fmt.Fprintf(&report, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, name, n, avg, dev/n, float64(now-first)/float64(n), ts.max)
		commands = commands || name == "command" || name == "fast-command"
	}
	m.mu.Unlock()
	if len(names) == 0 {
		c.w.WriteVerbatim("txt", "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
		return nil
	}
	text := "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
		report.String() + "\nI have a few advices for you:\n\n"
	if th, slower := c.srv.live.latencyThreshold.Load(), c.srv.live.slowlogSlower.Load(); commands && slower < 0 {
		text += fmt.Sprintf("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", th*1000)
	} else if commands && slower/1000 > th {
		text += fmt.Sprintf("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", th*1000)
	}
	if commands {
		text += "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
	}
	text += "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
	c.w.WriteVerbatim("txt", text)
	return nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
