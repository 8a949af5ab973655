package resp_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenWriter writes every writerCase in RESP2 and RESP3 and compares
// the quoted output with testdata/writer.golden.
func TestGoldenWriter(t *testing.T) {
	var got bytes.Buffer
	for _, proto := range []int{2, 3} {
		for _, tt := range writerCases {
			var out bytes.Buffer
			w := resp.NewWriter(&out)
			w.SetProtocol(proto)
			tt.write(w)
			require.NoError(t, w.Flush())
			fmt.Fprintf(&got, "RESP%d %-16s %s\n", proto, tt.name, strconv.Quote(out.String()))
		}
	}
	golden := filepath.Join("testdata", "writer.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./resp -run TestGolden -update")
	assert.Equal(t, string(want), got.String())
}
