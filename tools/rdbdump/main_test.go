package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../../rdbfmt/testdata"

func runDump(t *testing.T, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDumpFixture(t *testing.T) {
	code, out, stderr := runDump(t, filepath.Join(fixtures, "types.rdb"))
	require.Equal(t, 0, code, stderr)
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		lines = append(lines, m)
	}
	require.NotEmpty(t, lines)
	last := lines[len(lines)-1]
	assert.Equal(t, "end", last["type"])
	assert.Equal(t, float64(10), last["version"])
	assert.Equal(t, float64(1), last["functions"])

	keys := map[string]map[string]any{}
	for _, l := range lines {
		if l["type"] == "key" {
			keys[l["key"].(string)] = l
		}
	}
	assert.Equal(t, float64(len(keys)), last["keys"])
	assert.Equal(t, "hello world", keys["str:raw"]["value"])
	assert.Equal(t, "hash-listpack", keys["hash:small"]["encoding"])
	assert.Equal(t, []any{"a", "b", "12", "-5", "100000", strings.Repeat("c", 70)}, keys["list:small"]["value"])
	assert.Equal(t, float64(4102444800123), keys["str:expire"]["expire_ms"])
	assert.Contains(t, keys["zset:small"]["value"], []any{"top", "inf"})
	assert.Contains(t, keys["str:binary"]["value"], "hex")
	s := keys["stream:s"]["value"].(map[string]any)
	assert.Len(t, s["groups"], 2)
}

func TestCheck(t *testing.T) {
	code, out, stderr := runDump(t, "-check", filepath.Join(fixtures, "types.rdb"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "RDB version 10")
	assert.Contains(t, out, ": OK")
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "lfu.rdb"))
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-check", "-"}, bytes.NewReader(data), &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "-: RDB version 10, 2 keys")
}

func TestValuesOff(t *testing.T) {
	code, out, _ := runDump(t, "-values=false", filepath.Join(fixtures, "lfu.rdb"))
	require.Equal(t, 0, code)
	assert.NotContains(t, out, `"type":"key","value"`) // map keys print sorted
	assert.Contains(t, out, `"freq":`)
}

func TestCorrupt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "types.rdb"))
	require.NoError(t, err)
	dir := t.TempDir()
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x55
	for name, d := range map[string][]byte{"truncated": data[:len(data)/3], "flipped": flipped, "empty": nil} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".rdb")
			require.NoError(t, os.WriteFile(file, d, 0o644))
			for _, args := range [][]string{{file}, {"-check", file}} {
				code, _, stderr := runDump(t, args...)
				assert.Equal(t, 1, code)
				assert.Contains(t, stderr, "is corrupt at offset")
				assert.Contains(t, stderr, "rdbfmt:")
			}
		})
	}
}

func TestUsage(t *testing.T) {
	code, _, stderr := runDump(t)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "usage")
	code, _, stderr = runDump(t, "/nonexistent.rdb")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no such file")
}

// rdbdump and redis-check-rdb agree on the fixtures and on corrupt copies of them.
func TestAgreesWithRedisCheckRDB(t *testing.T) {
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		if os.Getenv("CARMINE_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-check-rdb not found")
		}
		t.Skip("redis-check-rdb not installed")
	}
	files, err := filepath.Glob(filepath.Join(fixtures, "*.rdb"))
	require.NoError(t, err)
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(fixtures, "types.rdb"))
	require.NoError(t, err)
	for _, cut := range []int{20, 1000, len(data) - 4} {
		f := filepath.Join(dir, "cut"+strings.Repeat("x", cut%7)+".rdb")
		require.NoError(t, os.WriteFile(f, data[:cut], 0o644))
		files = append(files, f)
	}
	for _, f := range files {
		code, _, stderr := runDump(t, "-check", f)
		err := exec.Command(bin, f).Run()
		assert.Equal(t, err == nil, code == 0, "%s: redis-check-rdb %v, rdbdump %d %s", f, err, code, stderr)
	}
}
