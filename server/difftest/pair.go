package difftest

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/carminedb/carmine/resp"
)

// Pair is one connection to real Redis and one to Carmine that receive the same commands.
type Pair struct {
	t       testing.TB
	Redis   *Conn
	Carmine *Conn
	// Norm, when set, rewrites both replies of every Check, CheckWith and CheckUnordered before the check's
	// own normalizer: for a difference every command of a test shares (such as texts that changed in a later
	// Redis than the oracle).
	Norm Normalizer
}

// NewPair connects to both servers.
func NewPair(t testing.TB, redisAddr, carmineAddr string) *Pair {
	return &Pair{t: t, Redis: Dial(t, redisAddr), Carmine: Dial(t, carmineAddr)}
}

// Normalizer rewrites a reply before comparison, for the parts that legitimately differ (a client id, the
// server version, a timestamp).
type Normalizer func(resp.Value) resp.Value

// Check sends args to both servers and fails the test (without stopping it) when the replies differ, printing
// the command and both replies. It returns whether they matched.
func (p *Pair) Check(args ...string) bool {
	p.t.Helper()
	return p.CheckWith(nil, args...)
}

// CheckWith is Check with a normalizer applied to both replies.
func (p *Pair) CheckWith(norm Normalizer, args ...string) bool {
	p.t.Helper()
	want, got := p.Redis.Do(args...), p.Carmine.Do(args...)
	if p.Norm != nil {
		want, got = p.Norm(want), p.Norm(got)
	}
	if norm != nil {
		want, got = norm(want), norm(got)
	}
	return p.compare(args, Format(want), Format(got))
}

// CheckUnordered is Check for replies whose element order is unspecified (KEYS, SMEMBERS): aggregates are
// compared with their elements sorted.
func (p *Pair) CheckUnordered(args ...string) bool {
	p.t.Helper()
	return p.CheckWith(SortElems, args...)
}

// CheckRaw writes raw bytes to both servers, then reads replies until the server closes the connection or
// goes quiet for the given time, and compares the whole sequence (and whether each closed the connection).
func (p *Pair) CheckRaw(raw []byte, quiet time.Duration) bool {
	p.t.Helper()
	var want string
	done := make(chan struct{})
	go func() { defer close(done); want = drain(p.Redis, raw, quiet) }()
	got := drain(p.Carmine, raw, quiet)
	<-done
	return p.compare([]string{"raw " + strings.ReplaceAll(string(raw), "\r\n", `\r\n`)}, want, got)
}

// drain sends raw and collects the replies. It may run on a goroutine other than the test's, so it reports
// I/O failures in its result instead of failing the test.
func drain(c *Conn, raw []byte, quiet time.Duration) string {
	if _, err := c.conn.Write(raw); err != nil {
		return "(write failed: " + err.Error() + ")"
	}
	var out []string
	for len(out) < 1000 {
		v, err := c.ReceiveErr(quiet)
		if err != nil {
			// A timeout means the server is waiting for more input; anything else means it hung up.
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				out = append(out, "(connection closed)")
			}
			break
		}
		out = append(out, Format(v))
	}
	return strings.Join(out, " | ")
}

func (p *Pair) compare(args []string, want, got string) bool {
	p.t.Helper()
	if want == got {
		return true
	}
	p.t.Errorf("reply differs for %q\n  redis:   %s\n  carmine: %s", args, want, got)
	return false
}

// SortElems sorts the elements of every aggregate, recursively (map pairs stay pairs).
func SortElems(v resp.Value) resp.Value {
	if len(v.Elems) == 0 {
		return v
	}
	elems := make([]resp.Value, len(v.Elems))
	for i, e := range v.Elems {
		elems[i] = SortElems(e)
	}
	if v.Type == resp.TypeMap || v.Type == resp.TypeAttribute {
		type kv struct {
			k, v resp.Value
			s    string
		}
		pairs := make([]kv, 0, len(elems)/2)
		for i := 0; i+1 < len(elems); i += 2 {
			pairs = append(pairs, kv{elems[i], elems[i+1], Format(elems[i])})
		}
		sort.Slice(pairs, func(i, j int) bool { return pairs[i].s < pairs[j].s })
		for i, pr := range pairs {
			elems[2*i], elems[2*i+1] = pr.k, pr.v
		}
	} else {
		sort.Slice(elems, func(i, j int) bool { return Format(elems[i]) < Format(elems[j]) })
	}
	v.Elems = elems
	return v
}

// ReplaceField returns a normalizer that replaces the value following the bulk or simple string key in a map
// reply (or in a flat key-value array, as RESP2 sends maps) by with: for fields such as "id" and "version".
func ReplaceField(key string, with resp.Value) Normalizer {
	return func(v resp.Value) resp.Value {
		if v.Type != resp.TypeMap && v.Type != resp.TypeArray {
			return v
		}
		elems := append([]resp.Value(nil), v.Elems...)
		for i := 0; i+1 < len(elems); i += 2 {
			if string(elems[i].Str) == key {
				elems[i+1] = with
			}
		}
		v.Elems = elems
		return v
	}
}

// Chain applies normalizers in order.
func Chain(ns ...Normalizer) Normalizer {
	return func(v resp.Value) resp.Value {
		for _, n := range ns {
			v = n(v)
		}
		return v
	}
}
