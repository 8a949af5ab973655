package node

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

func TestSparkline(t *testing.T) {
	var b strings.Builder
	samples := []latencySample{{1, 100}, {2, 200}, {3, 400}}
	sparkline(&b, samples, []string{"12s", "5m", "1h"}, 100, 400)
	// 100 is the lowest level, 200 a third of the way up (level 4 of 12: o in the third row, | under it), 400
	// the top (# in the first row); then a blank row and the labels downwards.
	assert.Equal(t, "  #\n  |\n o|\n_||\n   \n151\n2mh\ns  \n", b.String())
}

// TestDiffLatencyMonitor compares the latency monitor with real Redis: a script slower than
// latency-monitor-threshold is a "command" event in LATENCY LATEST, HISTORY, GRAPH and DOCTOR (times and
// durations normalised), and LATENCY RESET forgets it.
func TestDiffLatencyMonitor(t *testing.T) {
	p := startPair(t, "")
	digits := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	norm := func(v resp.Value) string { return digits.ReplaceAllString(difftest.Format(v), "N") }
	both := func(args ...string) {
		t.Helper()
		assert.Equal(t, norm(p.Redis.Do(args...)), norm(p.Carmine.Do(args...)), "%q", args)
	}
	for _, c := range [][]string{{"LATENCY", "LATEST"}, {"LATENCY", "HISTORY", "command"}, {"LATENCY", "GRAPH", "command"},
		{"LATENCY", "RESET"}, {"LATENCY", "DOCTOR"}} {
		p.Check(c...)
	}
	both("CONFIG", "SET", "latency-monitor-threshold", "1")
	p.Check("LATENCY", "DOCTOR")
	both("EVAL", "local i = 0 while i < 2000000 do i = i + 1 end return 1", "0")
	both("LATENCY", "LATEST")
	both("LATENCY", "HISTORY", "command")
	p.Check("LATENCY", "HISTORY", "fast-command")
	graph := func(c *difftest.Conn) string { // the label row shows seconds ago: 0s or 1s
		return digits.ReplaceAllString(string(c.Do("LATENCY", "GRAPH", "command").Str), "N")
	}
	assert.Equal(t, graph(p.Redis), graph(p.Carmine))
	doctor := func(c *difftest.Conn) string {
		return digits.ReplaceAllString(string(c.Do("LATENCY", "DOCTOR").Str), "N")
	}
	assert.Equal(t, doctor(p.Redis), doctor(p.Carmine))
	both("CONFIG", "SET", "slowlog-log-slower-than", "-1")
	assert.Equal(t, doctor(p.Redis), doctor(p.Carmine), "slow log off")
	both("CONFIG", "SET", "slowlog-log-slower-than", "0")
	assert.Equal(t, doctor(p.Redis), doctor(p.Carmine), "slow log on")
	both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
	p.Check("LATENCY", "RESET", "command", "command", "nosuch")
	p.Check("LATENCY", "LATEST")
	p.Check("LATENCY", "GRAPH", "command")
	both("CONFIG", "SET", "latency-monitor-threshold", "0")
}
