// Command cmdmeta records the command table of a running redis-server as the
// JSON that server/internal/cmdspec embeds.
//
//	redis-server --port 7799 --save '' --daemonize yes
//	go run ./tools/cmdmeta -addr 127.0.0.1:7799 -out server/internal/cmdspec/commands.json \
//	    -golden server/internal/cmdspec/testdata
//	redis-cli -p 7799 shutdown nosave
//
// It sends HELLO 3, COMMAND INFO and COMMAND DOCS, and writes one JSON array
// of commands sorted by name, one top-level command per line. With -golden it
// also writes the raw replies of COMMAND INFO and COMMAND DOCS, in RESP2 and
// RESP3, that the cmdspec tests compare its rendering against.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// goldenNames are the commands whose replies are kept as readable golden
// files; all commands are also kept together in compressed files.
var goldenNames = []string{"get", "set", "client", "zunionstore", "eval", "migrate", "georadius", "sort", "xread", "xadd", "config"}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "address of the redis-server to ask")
	out := flag.String("out", "commands.json", "JSON file to write")
	golden := flag.String("golden", "", "directory to write raw golden replies into (none if empty)")
	timeout := flag.Duration("timeout", 10*time.Second, "network timeout")
	flag.Parse()
	if err := run(*addr, *out, *golden, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "cmdmeta:", err)
		os.Exit(1)
	}
}

type conn struct {
	nc net.Conn
	r  *reader
}

// do sends a command and returns its reply and the reply's raw bytes.
func (c *conn) do(args ...string) (value, []byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.nc.Write(b.Bytes()); err != nil {
		return value{}, nil, err
	}
	v, err := c.r.read()
	if err != nil {
		return v, nil, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	if v.Kind == '-' {
		return v, nil, fmt.Errorf("%s: %s", strings.Join(args, " "), v.Str)
	}
	return v, bytes.Clone(c.r.raw.Bytes()), nil
}

func run(addr, out, golden string, timeout time.Duration) error {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(timeout))
	c := &conn{nc: nc, r: newReader(nc)}

	// RESP3 makes maps self-describing; the content is the same in RESP2.
	hello, _, err := c.do("HELLO", "3")
	if err != nil {
		return err
	}
	if ps, err := hello.pairs(); err == nil {
		for _, p := range ps {
			if p[0].Str == "version" {
				fmt.Fprintln(os.Stderr, "cmdmeta: redis version", p[1].Str)
			}
		}
	}
	info, _, err := c.do("COMMAND", "INFO")
	if err != nil {
		return err
	}
	docsV, _, err := c.do("COMMAND", "DOCS")
	if err != nil {
		return err
	}
	cmds, err := build(info, docsV)
	if err != nil {
		return err
	}
	if err := writeJSON(out, cmds); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "cmdmeta: wrote %d commands to %s\n", len(cmds), out)
	if golden == "" {
		return nil
	}
	names := make([]string, len(cmds))
	for i, cmd := range cmds {
		names[i] = cmd.Name
	}
	return writeGolden(c, golden, names)
}

func build(info, docsV value) ([]*command, error) {
	if !info.isAggregate() {
		return nil, fmt.Errorf("COMMAND INFO: not a list")
	}
	all := map[string]*docs{}
	ps, err := docsV.pairs()
	if err != nil {
		return nil, fmt.Errorf("COMMAND DOCS: %w", err)
	}
	for _, p := range ps {
		d, err := docsOf(p[1], all)
		if err != nil {
			return nil, fmt.Errorf("COMMAND DOCS %s: %w", p[0].Str, err)
		}
		all[strings.ToLower(p[0].Str)] = d
	}
	var cmds []*command
	for _, v := range info.Elems {
		c, err := infoCommand(v)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c)
	}
	var attach func(cs []*command) error
	attach = func(cs []*command) error {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		for _, c := range cs {
			if c.Docs = all[c.Name]; c.Docs == nil {
				return fmt.Errorf("no docs for %s", c.Name)
			}
			if err := attach(c.Subcommands); err != nil {
				return err
			}
		}
		return nil
	}
	return cmds, attach(cmds)
}

// writeJSON writes cmds as a JSON array with one top-level command per line.
func writeJSON(path string, cmds []*command) error {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, c := range cmds {
		j, err := json.Marshal(c)
		if err != nil {
			return err
		}
		b.Write(j)
		if i < len(cmds)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// writeGolden records raw replies in both protocols. Subcommands are sorted
// by name (see sortSubcommands); everything else is byte for byte as sent.
func writeGolden(c *conn, dir string, all []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, proto := range []string{"3", "2"} {
		if _, _, err := c.do("HELLO", proto); err != nil {
			return err
		}
		get := func(sub string, names []string) ([]byte, error) {
			v, raw, err := c.do(append([]string{"COMMAND", sub}, names...)...)
			if err != nil {
				return nil, err
			}
			sortSubcommands(&v, sub == "DOCS")
			norm := appendValue(nil, v)
			if !bytes.Equal(appendValue(nil, mustReparse(raw)), raw) {
				return nil, fmt.Errorf("COMMAND %s %v: reply does not re-encode to the same bytes", sub, names)
			}
			return norm, nil
		}
		for _, sub := range []string{"INFO", "DOCS"} {
			lsub := strings.ToLower(sub)
			for _, name := range goldenNames {
				b, err := get(sub, []string{name})
				if err != nil {
					return err
				}
				p := filepath.Join(dir, fmt.Sprintf("%s_%s_resp%s.golden", lsub, name, proto))
				if err := os.WriteFile(p, b, 0o644); err != nil {
					return err
				}
			}
			b, err := get(sub, all)
			if err != nil {
				return err
			}
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(b)
			if err := zw.Close(); err != nil {
				return err
			}
			p := filepath.Join(dir, fmt.Sprintf("%s_all_resp%s.golden.gz", lsub, proto))
			if err := os.WriteFile(p, z.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "cmdmeta: wrote golden replies to %s\n", dir)
	return nil
}

func mustReparse(raw []byte) value {
	v, err := newReader(bytes.NewReader(raw)).read()
	if err != nil {
		panic(err) // it parsed once already
	}
	return v
}
