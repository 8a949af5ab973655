package rdbfmt_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

// recordsFile encodes the entries of recs in two Records, alternately (so databases interleave: each part selects
// its databases again), and writes them into one file.
func recordsFile(t *testing.T, recs []rdbfmt.Record) []byte {
	parts := []*rdbfmt.Records{rdbfmt.NewRecords(rdbfmt.DefaultConfig()), rdbfmt.NewRecords(rdbfmt.DefaultConfig())}
	n := 0
	for _, rec := range recs {
		if e, ok := rec.(*rdbfmt.Entry); ok {
			if v, ok := e.Value.(rdbfmt.String); ok && !e.HasIdle && !e.HasFreq {
				parts[n%2].String(e.DB, e.Key, v, e.ExpireAtMs) // the same bytes as Entry
			} else {
				require.NoError(t, parts[n%2].Entry(e))
			}
			n++
		}
	}
	require.Error(t, parts[0].Entry(&rdbfmt.Entry{Key: []byte("k")}))
	var buf bytes.Buffer
	e := rdbfmt.NewEncoder(&buf, rdbfmt.DefaultConfig())
	require.NoError(t, e.Aux([]byte("redis-ver"), []byte("7.0.15")))
	for _, p := range parts {
		require.NoError(t, e.Records(p.Bytes()))
		p.Reset()
		assert.Zero(t, p.Len())
	}
	require.NoError(t, e.Close())
	return buf.Bytes()
}

func TestRecords(t *testing.T) {
	recs := richEntries()
	data := recordsFile(t, recs)
	_, decoded := decodeAll(t, data)
	var even, odd []rdbfmt.Record
	n := 0
	for _, rec := range recs {
		if _, ok := rec.(*rdbfmt.Entry); ok {
			if n%2 == 0 {
				even = append(even, rec)
			} else {
				odd = append(odd, rec)
			}
			n++
		}
	}
	sameEntries(t, append(even, odd...), decoded)

	// Real Redis and redis-check-rdb accept a database selected again and again between entries.
	check, ok := redisBin(t, "redis-check-rdb")
	if !ok {
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "parts.rdb")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	out, err := exec.Command(check, path).CombinedOutput()
	require.NoError(t, err, "redis-check-rdb:\n%s", out)
	assert.Contains(t, string(out), "RDB looks OK")
	r := startRedis(t, dir, "parts.rdb")
	for _, rec := range decoded {
		e, ok := rec.(*rdbfmt.Entry)
		if !ok {
			continue
		}
		r.do("SELECT", e.DB)
		checkFixtureKey(t, r.describeKey(string(e.Key)), e)
	}
}
