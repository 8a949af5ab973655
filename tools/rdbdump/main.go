// Command rdbdump prints an RDB file as JSON lines and validates it, like redis-check-rdb.
//
//	go run ./tools/rdbdump dump.rdb            # one JSON object per record, then a summary line
//	go run ./tools/rdbdump -check dump.rdb     # only validate: a summary, or the error
//	go run ./tools/rdbdump -values=false f.rdb # keys, types and sizes without the values
//	redis-cli --rdb - | go run ./tools/rdbdump -   # a live server's snapshot, from standard input
//
// Each line has "type": "aux", "selectdb", "resizedb", "key", "function" or "module-aux", and the record's
// fields. A key line names its encoding as the RDB type ("hash-listpack", "list-quicklist2"...) and its value
// in a plain form: a string, a list of strings, an object of fields... Strings that are not valid UTF-8 are
// printed as {"hex": "..."}. The last line is {"type": "end", ...} with the RDB version and counts.
//
// The exit status is 0 for a valid file (checksum included), 1 for a corrupt one, with the error and its byte
// offset on stderr, and 2 for bad usage.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/carminedb/carmine/rdbfmt"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is the command with its arguments and streams; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rdbdump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "only validate the file; print a summary")
	values := fs.Bool("values", true, "print values (else only their sizes)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rdbdump [-check] [-values=false] file.rdb  (- reads standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	var in io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "rdbdump:", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	sum, err := dump(in, out, !*check, *values)
	if err != nil {
		out.Flush()
		var de *rdbfmt.DecodeError
		if errors.As(err, &de) {
			fmt.Fprintf(stderr, "rdbdump: %s is corrupt at offset %d: %v\n", name, de.Offset, err)
		} else {
			fmt.Fprintf(stderr, "rdbdump: %s: %v\n", name, err)
		}
		return 1
	}
	if *check {
		fmt.Fprintf(out, "%s: RDB version %d, %d keys (%d with an expiry) in %d databases, %d bytes: OK\n",
			name, sum.Version, sum.Keys, sum.Expires, len(sum.dbs), sum.Bytes)
		return 0
	}
	writeLine(out, sum)
	return 0
}

// summary is the last line.
type summary struct {
	Type      string `json:"type"`
	Version   int    `json:"version"`
	Keys      int    `json:"keys"`
	Expires   int    `json:"expires"`
	Functions int    `json:"functions"`
	Bytes     int64  `json:"bytes"`
	dbs       map[uint64]bool
}

// dump reads every record of r, printing each when print is set.
func dump(r io.Reader, out io.Writer, print, values bool) (summary, error) {
	d := rdbfmt.NewDecoder(r)
	sum := summary{Type: "end", dbs: map[uint64]bool{}}
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			sum.Version, sum.Bytes = d.Version(), d.Offset()
			return sum, nil
		}
		if err != nil {
			return sum, err
		}
		var line any
		switch r := rec.(type) {
		case *rdbfmt.Aux:
			line = map[string]any{"type": "aux", "key": bstr(r.Key), "value": bstr(r.Value)}
		case *rdbfmt.SelectDB:
			line = map[string]any{"type": "selectdb", "db": r.DB}
		case *rdbfmt.ResizeDB:
			line = map[string]any{"type": "resizedb", "keys": r.Keys, "expires": r.Expires}
		case *rdbfmt.Function:
			sum.Functions++
			line = map[string]any{"type": "function", "code": bstr(r.Code)}
		case *rdbfmt.ModuleAux:
			name, ver := rdbfmt.ModuleName(r.TypeID)
			line = map[string]any{"type": "module-aux", "module": name, "encver": ver, "when": r.When, "data": bstr(r.Data)}
		case *rdbfmt.Entry:
			sum.Keys++
			sum.dbs[r.DB] = true
			m := map[string]any{"type": "key", "db": r.DB, "key": bstr(r.Key), "encoding": r.Type.String()}
			if r.HasExpire {
				sum.Expires++
				m["expire_ms"] = r.ExpireAtMs
			}
			if r.HasIdle {
				m["idle"] = r.IdleSec
			}
			if r.HasFreq {
				m["freq"] = r.Freq
			}
			v, n := plain(r.Value)
			m["len"] = n
			if values {
				m["value"] = v
			}
			line = m
		}
		if print {
			if err := writeLine(out, line); err != nil {
				return sum, err
			}
		}
	}
}

func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// bstr is a byte string: JSON text when valid UTF-8, else {"hex": "..."}.
type bstr []byte

func (b bstr) MarshalJSON() ([]byte, error) {
	if utf8.Valid(b) {
		return json.Marshal(string(b))
	}
	return json.Marshal(map[string]string{"hex": hex.EncodeToString(b)})
}

// plain returns a value in a JSON-friendly form and its number of elements (bytes for a string).
func plain(v rdbfmt.Value) (any, int) {
	strs := func(ss [][]byte) []bstr {
		out := make([]bstr, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	switch v := v.(type) {
	case rdbfmt.String:
		return bstr(v), len(v)
	case rdbfmt.List:
		return strs(v), len(v)
	case rdbfmt.Set:
		return strs(v), len(v)
	case rdbfmt.Hash:
		out := make([][2]bstr, len(v))
		for i, f := range v {
			out[i] = [2]bstr{f.Name, f.Value}
		}
		return out, len(v)
	case rdbfmt.ZSet:
		out := make([][2]any, len(v))
		for i, m := range v {
			out[i] = [2]any{bstr(m.Member), score(m.Score)}
		}
		return out, len(v)
	case *rdbfmt.Stream:
		entries := make([]any, len(v.Entries))
		for i, e := range v.Entries {
			fields := make([][2]bstr, len(e.Fields))
			for j, f := range e.Fields {
				fields[j] = [2]bstr{f.Name, f.Value}
			}
			entries[i] = map[string]any{"id": e.ID.String(), "fields": fields}
		}
		groups := make([]any, len(v.Groups))
		for i, g := range v.Groups {
			pel := make([]any, len(g.Pending))
			for j, p := range g.Pending {
				pel[j] = map[string]any{"id": p.ID.String(), "consumer": bstr(p.Consumer),
					"delivery_ms": p.DeliveryMs, "delivery_count": p.DeliveryCount}
			}
			consumers := make([]any, len(g.Consumers))
			for j, c := range g.Consumers {
				ids := make([]string, len(c.Pending))
				for k, id := range c.Pending {
					ids[k] = id.String()
				}
				consumers[j] = map[string]any{"name": bstr(c.Name), "seen_ms": c.SeenMs, "active_ms": c.ActiveMs, "pending": ids}
			}
			groups[i] = map[string]any{"name": bstr(g.Name), "last_id": g.LastID.String(), "entries_read": g.EntriesRead,
				"pending": pel, "consumers": consumers}
		}
		return map[string]any{"entries": entries, "last_id": v.LastID.String(), "first_id": v.FirstID.String(),
			"max_deleted_id": v.MaxDeletedID.String(), "entries_added": v.EntriesAdded, "groups": groups}, len(v.Entries)
	case rdbfmt.Module:
		name, ver := rdbfmt.ModuleName(v.TypeID)
		return map[string]any{"module": name, "encver": ver, "data": bstr(v.Data)}, len(v.Data)
	}
	return nil, 0
}

// score is a sorted-set score; JSON has no infinities, so those print as strings.
type score float64

func (s score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	switch {
	case f > 1.7976931348623157e308:
		return []byte(`"inf"`), nil
	case f < -1.7976931348623157e308:
		return []byte(`"-inf"`), nil
	}
	return json.Marshal(f)
}
