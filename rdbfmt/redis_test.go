package rdbfmt_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A real redis-server for the tests that load our files into it. rdbfmt imports no other Carmine module, so
// this file has its own small RESP client.

// needRedis skips the test when redis-server is not installed, unless CARMINE_REQUIRE_REDIS=1 (CI) makes that
// a failure.
func needRedis(t *testing.T, bin string) string {
	path, ok := redisBin(t, bin)
	if !ok {
		t.Skipf("%s not installed", bin)
	}
	return path
}

// redisBin finds bin for an optional check: false when it is not installed, a failure instead under
// CARMINE_REQUIRE_REDIS=1.
func redisBin(t *testing.T, bin string) (string, bool) {
	path, err := exec.LookPath(bin)
	if err != nil && os.Getenv("CARMINE_REQUIRE_REDIS") == "1" {
		t.Fatalf("%s not found: %v", bin, err)
	}
	return path, err == nil
}

type redisConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// startRedis starts redis-server on 127.0.0.1 and a free port in dir, loading dir/dbfilename, and connects to it.
// It stops when the test ends.
func startRedis(t *testing.T, dir, dbfilename string, args ...string) *redisConn {
	bin := needRedis(t, "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--dbfilename", dbfilename, "--save", "", "--appendonly", "no", "--logfile", logFile}, args...)...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var c net.Conn
	require.Eventually(t, func() bool {
		c, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "redis-server did not start")
	t.Cleanup(func() { c.Close() })
	r := &redisConn{t: t, c: c, br: bufio.NewReader(c)}
	// Wait until loading is over: PING answers -LOADING meanwhile; a file it refused stops the server.
	require.Eventually(t, func() bool {
		v, err := r.try("PING")
		if err != nil && !isLoading(err) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("redis-server: %v\n%s", err, log)
		}
		return v == "PONG"
	}, 10*time.Second, 20*time.Millisecond)
	return r
}

func isLoading(err error) bool {
	var re redisError
	return errors.As(err, &re) && len(re) >= 7 && re[:7] == "LOADING"
}

type redisError string

func (e redisError) Error() string { return string(e) }

// do sends a command and returns its reply: string, int64, nil or []any; an error reply fails the test.
func (r *redisConn) do(args ...any) any {
	v, err := r.try(args...)
	require.NoError(r.t, err, "%v", args)
	return v
}

func (r *redisConn) try(args ...any) (any, error) {
	out := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		s := fmt.Sprint(a)
		if b, ok := a.([]byte); ok {
			s = string(b)
		}
		out = fmt.Appendf(out, "$%d\r\n%s\r\n", len(s), s)
	}
	if _, err := r.c.Write(out); err != nil {
		return nil, err
	}
	return r.read()
}

func (r *redisConn) read() (any, error) {
	line, err := r.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-2]
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, redisError(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r.br, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		a := make([]any, n)
		for i := range a {
			if a[i], err = r.read(); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// toLatin1 makes a fixture string (one character per byte) of bytes.
func toLatin1(s string) string {
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return string(r)
}

func pairsOf(v any) map[string]any {
	a := v.([]any)
	m := map[string]any{}
	for i := 0; i+1 < len(a); i += 2 {
		m[a[i].(string)] = a[i+1]
	}
	return m
}

// describeKey asks Redis what key holds, in the shape of testdata/<case>.json (what gen_fixtures.py records).
func (r *redisConn) describeKey(key string) fixtureKey {
	k := fixtureKey{Key: toLatin1(key)}
	k.Type = r.do("TYPE", key).(string)
	k.Encoding = r.do("OBJECT", "ENCODING", key).(string)
	k.ExpireMs = r.do("PEXPIRETIME", key).(int64)
	var v any
	strs := func(a any) []string {
		var out []string
		for _, x := range a.([]any) {
			out = append(out, toLatin1(x.(string)))
		}
		return out
	}
	switch k.Type {
	case "string":
		v = toLatin1(r.do("GET", key).(string))
	case "list":
		v = strs(r.do("LRANGE", key, 0, -1))
	case "set":
		s := strs(r.do("SMEMBERS", key))
		slices.Sort(s)
		v = s
	case "hash":
		flat := strs(r.do("HGETALL", key))
		m := map[string]string{}
		for i := 0; i < len(flat); i += 2 {
			m[flat[i]] = flat[i+1]
		}
		v = m
	case "zset":
		flat := strs(r.do("ZRANGE", key, 0, -1, "WITHSCORES"))
		var z [][2]string
		for i := 0; i < len(flat); i += 2 {
			z = append(z, [2]string{flat[i], flat[i+1]})
		}
		v = z
	case "stream":
		info := pairsOf(r.do("XINFO", "STREAM", key, "FULL", "COUNT", 0))
		s := fixtureStream{
			Length:       uint64(info["length"].(int64)),
			LastID:       info["last-generated-id"].(string),
			MaxDeletedID: info["max-deleted-entry-id"].(string),
			EntriesAdded: uint64(info["entries-added"].(int64)),
			FirstID:      info["recorded-first-entry-id"].(string),
		}
		for _, e := range info["entries"].([]any) {
			e := e.([]any)
			var fields []any
			for _, f := range strs(e[1]) {
				fields = append(fields, f)
			}
			s.Entries = append(s.Entries, [2]any{e[0], fields})
		}
		for _, g := range info["groups"].([]any) {
			gm := pairsOf(g)
			fg := fixtureGroup{Name: toLatin1(gm["name"].(string)), LastID: gm["last-delivered-id"].(string), EntriesRead: -1}
			if n, ok := gm["entries-read"].(int64); ok {
				fg.EntriesRead = n
			}
			for _, p := range gm["pending"].([]any) {
				p := p.([]any)
				fg.PEL = append(fg.PEL, []any{p[0], toLatin1(p[1].(string)), float64(p[2].(int64)), float64(p[3].(int64))})
			}
			for _, c := range gm["consumers"].([]any) {
				cm := pairsOf(c)
				var ids []string
				for _, p := range cm["pending"].([]any) {
					ids = append(ids, p.([]any)[0].(string))
				}
				fg.Consumers = append(fg.Consumers, struct {
					Name   string   `json:"name"`
					SeenMs int64    `json:"seen_ms"`
					PEL    []string `json:"pel"`
				}{toLatin1(cm["name"].(string)), cm["seen-time"].(int64), ids})
			}
			s.Groups = append(s.Groups, fg)
		}
		v = s
	}
	var err error
	k.Value, err = json.Marshal(v)
	require.NoError(r.t, err)
	return k
}
