package node

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/resp"
)

// The manifest of Redis 7's multi-part AOF: appenddirname/<appendfilename>.manifest lists the files that make
// up the append-only file, one a line, as "file <name> seq <n> type <t>", where t is
//
//	b  the base: an RDB file (<appendfilename>.<seq>.base.rdb) or a file of commands (.base.aof), at most one
//	i  an incremental file of commands (<appendfilename>.<seq>.incr.aof), applied after the base in order
//	h  history: a file a rewrite replaced, to be deleted
//
// Matches Redis: lines starting with '#' are comments, names that need quoting are quoted as sdscatrepr does,
// the keys of a line may come in any order and unknown keys are ignored.

// aofFile is one file of the manifest.
type aofFile struct {
	name string
	seq  int64
	typ  byte // 'b', 'i' or 'h'
}

// aofManifest is a parsed manifest.
type aofManifest struct {
	base    *aofFile
	incr    []aofFile
	history []aofFile
	baseSeq int64 // the highest base sequence number used
	incrSeq int64 // the highest incr sequence number used
}

// aofManifestMaxLine is the longest manifest line Redis reads. Matches Redis: MANIFEST_MAX_LINE.
const aofManifestMaxLine = 1024

var errManifestFormat = errors.New("invalid AOF manifest file format")

// parseManifest reads a manifest.
func parseManifest(data []byte) (*aofManifest, error) {
	m := &aofManifest{}
	lim := resp.DefaultLimits()
	var words [][]byte
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil, fmt.Errorf("line %d: %w: the line has no end", n, errManifestFormat)
		}
		line := data[:i+1]
		data = data[i+1:]
		if len(line) > aofManifestMaxLine {
			return nil, fmt.Errorf("line %d: %w: the line is too long", n, errManifestFormat)
		}
		if line[0] == '#' {
			continue
		}
		var err error
		words, _, err = resp.ParseCommand(line, words[:0], lim)
		if err != nil || len(words) == 0 || len(words)%2 != 0 {
			return nil, fmt.Errorf("line %d: %w", n, errManifestFormat)
		}
		var f aofFile
		for k := 0; k < len(words); k += 2 {
			v := string(words[k+1])
			switch string(words[k]) {
			case "file":
				f.name = v
			case "seq":
				f.seq, err = strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w: seq %q", n, errManifestFormat, v)
				}
			case "type":
				if len(v) != 1 {
					return nil, fmt.Errorf("line %d: %w: type %q", n, errManifestFormat, v)
				}
				f.typ = v[0]
			}
		}
		if f.name == "" || f.typ == 0 {
			return nil, fmt.Errorf("line %d: %w: a file or its type is missing", n, errManifestFormat)
		}
		if strings.ContainsRune(f.name, '/') {
			return nil, fmt.Errorf("line %d: %w: file %q is a path", n, errManifestFormat, f.name)
		}
		switch f.typ {
		case 'b':
			if m.base != nil {
				return nil, fmt.Errorf("line %d: found duplicate base file information", n)
			}
			m.base = &f
			m.baseSeq = f.seq
		case 'h':
			m.history = append(m.history, f)
		case 'i':
			if f.seq <= m.incrSeq {
				return nil, fmt.Errorf("line %d: found a non-monotonic sequence number", n)
			}
			m.incr = append(m.incr, f)
			m.incrSeq = f.seq
		default:
			return nil, fmt.Errorf("line %d: unknown AOF file type '%c'", n, f.typ)
		}
	}
	if m.base == nil && len(m.incr) == 0 {
		return nil, errors.New("found an empty AOF manifest")
	}
	return m, nil
}

// bytes writes the manifest as Redis does: the base, the history, then the incr files.
func (m *aofManifest) bytes() []byte {
	var b []byte
	line := func(f aofFile) {
		name := f.name
		if needsRepr(name) {
			name = quoteRepr(name)
		}
		b = fmt.Appendf(b, "file %s seq %d type %c\n", name, f.seq, f.typ)
	}
	if m.base != nil {
		line(*m.base)
	}
	for _, f := range m.history {
		line(f)
	}
	for _, f := range m.incr {
		line(f)
	}
	return b
}

// needsRepr reports whether a name must be quoted to read back as one word: Redis's sdsneedsrepr, and a single
// quote too, which Redis writes bare and then cannot read back (its reader takes it for an opening quote).
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\', ch == '"', ch == '\'', ch == '\n', ch == '\r', ch == '\t', ch == '\a', ch == '\b', ch == ' ':
			return true
		case ch < ' ' || ch > '~':
			return true
		}
	}
	return false
}

// clone returns a deep copy, to change and write while m stays in force.
func (m *aofManifest) clone() *aofManifest {
	c := *m
	if m.base != nil {
		b := *m.base
		c.base = &b
	}
	c.incr = append([]aofFile(nil), m.incr...)
	c.history = append([]aofFile(nil), m.history...)
	return &c
}

// The file names of the parts. Matches Redis: <appendfilename>.<seq>.base.rdb and so on.
func baseName(prefix string, seq int64, rdb bool) string {
	ext := ".base.aof"
	if rdb {
		ext = ".base.rdb"
	}
	return prefix + "." + strconv.FormatInt(seq, 10) + ext
}

func incrName(prefix string, seq int64) string {
	return prefix + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}
