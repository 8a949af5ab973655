package rdbfmt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

// fixture is testdata/<case>.json: what redis-server said a fixture holds (see testdata/gen_fixtures.py).
type fixture struct {
	RedisVer  string                  `json:"redis_ver"`
	DBs       map[string][]fixtureKey `json:"dbs"`
	Functions []string                `json:"functions"`
}

type fixtureKey struct {
	Key      string          `json:"key"`
	Type     string          `json:"type"`
	Encoding string          `json:"encoding"`
	ExpireMs int64           `json:"expire_ms"`
	Idle     *uint64         `json:"idle"`
	Freq     *int            `json:"freq"`
	Value    json.RawMessage `json:"value"`
}

type fixtureStream struct {
	Length       uint64         `json:"length"`
	LastID       string         `json:"last_id"`
	MaxDeletedID string         `json:"max_deleted_id"`
	EntriesAdded uint64         `json:"entries_added"`
	FirstID      string         `json:"first_id"`
	Entries      [][2]any       `json:"entries"`
	Groups       []fixtureGroup `json:"groups"`
}

type fixtureGroup struct {
	Name        string  `json:"name"`
	LastID      string  `json:"last_id"`
	EntriesRead int64   `json:"entries_read"`
	PEL         [][]any `json:"pel"`
	Consumers   []struct {
		Name   string   `json:"name"`
		SeenMs int64    `json:"seen_ms"`
		PEL    []string `json:"pel"`
	} `json:"consumers"`
}

// latin1 turns a fixture string (one character per byte) back into bytes.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// rdbTypes is the RDB type Redis 7.0 writes for each (type, OBJECT ENCODING).
var rdbTypes = map[[2]string]rdbfmt.Type{
	{"string", "int"}: rdbfmt.TypeString, {"string", "embstr"}: rdbfmt.TypeString, {"string", "raw"}: rdbfmt.TypeString,
	{"list", "quicklist"}: rdbfmt.TypeListQuicklist2,
	{"set", "intset"}:     rdbfmt.TypeSetIntset, {"set", "hashtable"}: rdbfmt.TypeSet,
	{"hash", "listpack"}: rdbfmt.TypeHashListpack, {"hash", "hashtable"}: rdbfmt.TypeHash,
	{"zset", "listpack"}: rdbfmt.TypeZSetListpack, {"zset", "skiplist"}: rdbfmt.TypeZSet2,
	{"stream", "stream"}: rdbfmt.TypeStreamListpacks2,
}

// decodeAll reads every record of an RDB file.
func decodeAll(t testing.TB, data []byte) (int, []rdbfmt.Record) {
	d := rdbfmt.NewDecoder(bytes.NewReader(data))
	var recs []rdbfmt.Record
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return d.Version(), recs
		}
		require.NoError(t, err)
		recs = append(recs, rec)
	}
}

func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.rdb")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".rdb")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			js, err := os.ReadFile(strings.TrimSuffix(file, ".rdb") + ".json")
			require.NoError(t, err)
			var want fixture
			require.NoError(t, json.Unmarshal(js, &want))

			version, recs := decodeAll(t, data)
			assert.Equal(t, 10, version)
			got := map[string]*rdbfmt.Entry{}
			aux := map[string]string{}
			var funcs []string
			for _, rec := range recs {
				switch r := rec.(type) {
				case *rdbfmt.Entry:
					got[strconv.FormatUint(r.DB, 10)+"/"+string(r.Key)] = r
				case *rdbfmt.Aux:
					aux[string(r.Key)] = string(r.Value)
				case *rdbfmt.Function:
					funcs = append(funcs, string(r.Code))
				}
			}
			assert.Equal(t, want.RedisVer, aux["redis-ver"])
			wantFuncs := make([]string, len(want.Functions))
			for i, f := range want.Functions {
				wantFuncs[i] = latin1(f)
			}
			assert.ElementsMatch(t, wantFuncs, funcs)
			n := 0
			for db, keys := range want.DBs {
				for _, k := range keys {
					n++
					e := got[db+"/"+latin1(k.Key)]
					if !assert.NotNil(t, e, "key %s in db %s", k.Key, db) {
						continue
					}
					checkFixtureKey(t, k, e)
				}
			}
			assert.Len(t, got, n, "no other keys")
		})
	}
}

// checkFixtureKey checks an entry against what Redis said of its key, its encoding included: the RDB type Redis
// 7.0 writes for the key's OBJECT ENCODING.
func checkFixtureKey(t *testing.T, k fixtureKey, e *rdbfmt.Entry) {
	t.Helper()
	assert.Equal(t, rdbTypes[[2]string{k.Type, k.Encoding}], e.Type, "key "+k.Key)
	checkContents(t, k, e)
}

// checkContents checks an entry's value, expiry, idle time and frequency against what Redis said of its key.
func checkContents(t *testing.T, k fixtureKey, e *rdbfmt.Entry) {
	t.Helper()
	msg := "key " + k.Key
	assert.Equal(t, k.ExpireMs >= 0, e.HasExpire, msg)
	if k.ExpireMs >= 0 {
		assert.Equal(t, k.ExpireMs, e.ExpireAtMs, msg)
	}
	assert.Equal(t, k.Idle != nil, e.HasIdle, msg)
	if k.Idle != nil {
		assert.InDelta(t, *k.Idle, e.IdleSec, 2, msg)
	}
	assert.Equal(t, k.Freq != nil, e.HasFreq, msg)
	if k.Freq != nil {
		assert.Equal(t, *k.Freq, int(e.Freq), msg)
	}
	switch k.Type {
	case "string":
		var want string
		require.NoError(t, json.Unmarshal(k.Value, &want))
		assert.Equal(t, latin1(want), string(e.Value.(rdbfmt.String)), msg)
	case "list", "set":
		var want []string
		require.NoError(t, json.Unmarshal(k.Value, &want))
		for i := range want {
			want[i] = latin1(want[i])
		}
		var got [][]byte
		if k.Type == "list" {
			got = e.Value.(rdbfmt.List)
		} else {
			got = e.Value.(rdbfmt.Set)
		}
		gs := make([]string, len(got))
		for i, g := range got {
			gs[i] = string(g)
		}
		if k.Type == "set" {
			slices.Sort(gs)
		}
		assert.Equal(t, want, gs, msg)
	case "hash":
		var want map[string]string
		require.NoError(t, json.Unmarshal(k.Value, &want))
		w := map[string]string{}
		for f, v := range want {
			w[latin1(f)] = latin1(v)
		}
		g := map[string]string{}
		for _, f := range e.Value.(rdbfmt.Hash) {
			g[string(f.Name)] = string(f.Value)
		}
		assert.Len(t, e.Value.(rdbfmt.Hash), len(w), msg)
		assert.Equal(t, w, g, msg)
	case "zset":
		var want [][2]string
		require.NoError(t, json.Unmarshal(k.Value, &want))
		z := slices.Clone(e.Value.(rdbfmt.ZSet))
		slices.SortStableFunc(z, func(a, b rdbfmt.ZMember) int {
			if a.Score != b.Score {
				if a.Score < b.Score {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.Member, b.Member)
		})
		require.Len(t, z, len(want), msg)
		for i, w := range want {
			score, err := strconv.ParseFloat(w[1], 64)
			require.NoError(t, err)
			assert.Equal(t, latin1(w[0]), string(z[i].Member), msg)
			assert.Equal(t, score, z[i].Score, msg)
		}
	case "stream":
		var want fixtureStream
		require.NoError(t, json.Unmarshal(k.Value, &want))
		checkFixtureStream(t, msg, want, e.Value.(*rdbfmt.Stream))
	default:
		t.Errorf("%s: unknown type %s", msg, k.Type)
	}
}

func checkFixtureStream(t *testing.T, msg string, want fixtureStream, s *rdbfmt.Stream) {
	assert.Equal(t, want.Length, s.Length, msg)
	assert.Equal(t, want.LastID, s.LastID.String(), msg)
	assert.Equal(t, want.MaxDeletedID, s.MaxDeletedID.String(), msg)
	assert.Equal(t, want.FirstID, s.FirstID.String(), msg)
	assert.Equal(t, want.EntriesAdded, s.EntriesAdded, msg)
	require.Equal(t, len(want.Entries), len(s.Entries), msg)
	for i, we := range want.Entries {
		assert.Equal(t, we[0], s.Entries[i].ID.String(), msg)
		var fields []string
		for _, f := range s.Entries[i].Fields {
			fields = append(fields, string(f.Name), string(f.Value))
		}
		var wf []string
		for _, x := range we[1].([]any) {
			wf = append(wf, latin1(x.(string)))
		}
		assert.Equal(t, wf, fields, msg)
	}
	require.Len(t, s.Groups, len(want.Groups), msg)
	for i, wg := range want.Groups {
		g := s.Groups[i]
		assert.Equal(t, wg.Name, string(g.Name), msg)
		assert.Equal(t, wg.LastID, g.LastID.String(), msg)
		assert.Equal(t, wg.EntriesRead, g.EntriesRead, msg)
		require.Len(t, g.Pending, len(wg.PEL), msg)
		for j, wp := range wg.PEL {
			p := g.Pending[j]
			assert.Equal(t, wp[0], p.ID.String(), msg)
			assert.Equal(t, wp[1], string(p.Consumer), msg)
			assert.Equal(t, int64(wp[2].(float64)), p.DeliveryMs, msg)
			assert.Equal(t, uint64(wp[3].(float64)), p.DeliveryCount, msg)
		}
		require.Len(t, g.Consumers, len(wg.Consumers), msg)
		for j, wc := range wg.Consumers {
			c := g.Consumers[j]
			assert.Equal(t, wc.Name, string(c.Name), msg)
			assert.Equal(t, wc.SeenMs, c.SeenMs, msg)
			assert.Equal(t, int64(-1), c.ActiveMs, msg)
			var ids []string
			for _, id := range c.Pending {
				ids = append(ids, id.String())
			}
			if len(wc.PEL) == 0 {
				wc.PEL = nil
			}
			assert.Equal(t, wc.PEL, ids, msg)
		}
	}
}

func readFixture(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name+".rdb"))
}
