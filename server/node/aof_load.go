package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
)

// Loading the append-only file at start-up: the manifest, then the base (an RDB file, or commands possibly after
// an RDB preamble, as Redis 4 to 6 wrote), then each incr file in order, replayed through the normal command
// path by a client with no connection. Matches Redis (loadAppendOnlyFiles): a file that ends inside a command
// (or inside a MULTI that never reached EXEC) is a torn tail. In the last file, with aof-load-truncated yes,
// the file is cut back to its last whole command (before the MULTI) and the server starts with a warning;
// anywhere else, or with aof-load-truncated no, the server refuses to start, naming the file and the offset.

// errAOFTorn is the error of a file that ends inside a command.
var errAOFTorn = errors.New("unexpected end of file")

// aofFormatError is a file of commands that is not RESP as Redis writes it.
type aofFormatError struct {
	off int64
	why string
}

func (e *aofFormatError) Error() string {
	return fmt.Sprintf("bad file format at offset %d: %s", e.off, e.why)
}

// aofReader reads the commands of an AOF file, keeping the offset of the end of the last whole command.
type aofReader struct {
	br   *bufio.Reader
	off  int64 // bytes read
	argv [][]byte
}

func newAOFReader(br *bufio.Reader, off int64) *aofReader { return &aofReader{br: br, off: off} }

// line reads a header line ("*3", "$5", "#TS:...") without its CRLF.
func (r *aofReader) line() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	r.off += int64(len(b))
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, &aofFormatError{r.off, "header line too long"}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errAOFTorn
		}
		return nil, err
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// next returns the next command, valid until the following call, io.EOF at a clean end of the file, errAOFTorn
// when the file ends inside one, or an *aofFormatError. Annotation lines ("#TS:<unix time>", written with
// aof-timestamp-enabled) are skipped.
func (r *aofReader) next() ([][]byte, error) {
	for {
		if _, err := r.br.Peek(1); errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		start := r.off
		h, err := r.line()
		if err != nil {
			return nil, err
		}
		if len(h) > 0 && h[0] == '#' {
			continue
		}
		if len(h) == 0 || h[0] != '*' {
			return nil, &aofFormatError{start, "expected '*'"}
		}
		argc, err := strconv.ParseInt(string(h[1:]), 10, 32)
		if err != nil || argc < 1 {
			return nil, &aofFormatError{start, "bad argument count"}
		}
		r.argv = r.argv[:0]
		for range argc {
			at := r.off
			h, err := r.line()
			if err != nil {
				return nil, err
			}
			if len(h) == 0 || h[0] != '$' {
				return nil, &aofFormatError{at, "expected '$'"}
			}
			n, err := strconv.ParseInt(string(h[1:]), 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return nil, &aofFormatError{at, "bad bulk length"}
			}
			// Read in steps, so a corrupt length costs no more memory than the file holds.
			arg := make([]byte, 0, min(n+2, 64<<10))
			for int64(len(arg)) < n+2 {
				chunk := min(n+2-int64(len(arg)), 1<<20)
				arg = append(arg, make([]byte, chunk)...)
				k, err := io.ReadFull(r.br, arg[len(arg)-int(chunk):])
				r.off += int64(k)
				if err != nil {
					if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
						return nil, errAOFTorn
					}
					return nil, err
				}
			}
			r.argv = append(r.argv, arg[:n])
		}
		return r.argv, nil
	}
}

// aofApplier runs one replayed command.
type aofApplier func(argv [][]byte) error

// aofClient returns the applier of one file: Matches Redis, each file is replayed by a fresh fake client (in
// database 0, not in MULTI).
type aofClient func() aofApplier

// aofLoadStats is what loading the AOF found, for the log and INFO.
type aofLoadStats struct {
	commands int64
	keys     int64 // from RDB bases
	expired  int64
}

// aofDir is the directory of the AOF parts.
func (s *Server) aofDir() string { return filepath.Join(s.cfg.Dir, s.cfg.AOF.DirName) }

// manifestName is the manifest's file name.
func (s *Server) manifestName() string { return s.cfg.AOF.Filename + ".manifest" }

// readManifest reads the manifest; a missing one is (nil, nil).
func (s *Server) readManifest() (*aofManifest, error) {
	path := filepath.Join(s.aofDir(), s.manifestName())
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the AOF manifest %s: %w", path, err)
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("AOF manifest %s: %w", path, err)
	}
	return m, nil
}

// loadAOF loads the files the manifest m lists, running their commands with apply. loadTruncated is
// aof-load-truncated.
func (s *Server) loadAOF(m *aofManifest, newClient aofClient, loadTruncated bool) (aofLoadStats, error) {
	var st aofLoadStats
	files := m.incr
	if m.base != nil {
		files = append([]aofFile{*m.base}, files...)
	}
	start := time.Now()
	for i, f := range files {
		t := time.Now()
		if err := s.loadAOFFile(f, newClient(), loadTruncated && i == len(files)-1, &st); err != nil {
			return st, err
		}
		kind := "incr"
		if f.typ == 'b' {
			kind = "base"
		}
		s.log.Info("db loaded from "+kind+" file", "file", f.name, "seconds", time.Since(t).Seconds())
	}
	s.log.Info("db loaded from append only file", "commands", st.commands, "rdb-keys", st.keys,
		"seconds", time.Since(start).Seconds())
	return st, nil
}

// loadAOFFile loads one part. truncateOK says a torn tail may be cut off (the last file, aof-load-truncated yes).
func (s *Server) loadAOFFile(f aofFile, apply aofApplier, truncateOK bool, st *aofLoadStats) error {
	path := filepath.Join(s.aofDir(), f.name)
	fd, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && f.typ == 'i' {
			return fmt.Errorf("the AOF file %s listed in the manifest does not exist", f.name)
		}
		return fmt.Errorf("opening the AOF file %s: %w", path, err)
	}
	defer fd.Close()
	br := bufio.NewReaderSize(fd, 64<<10)
	var off int64
	if head, _ := br.Peek(5); string(head) == "REDIS" {
		d := rdbfmt.NewDecoder(br)
		keys, expired, err := s.loadRDBFrom(d, path, func(db int, key []byte) keyspace.Txn { return s.ks.Begin(db, key) })
		if err != nil {
			return fmt.Errorf("reading the RDB preamble of the AOF file %s: %w", f.name, err)
		}
		st.keys += keys
		st.expired += expired
		off = d.Offset()
	}
	r := newAOFReader(br, off)
	valid := off       // the end of the last whole command
	beforeMulti := off // where the MULTI in progress started, when inMulti
	inMulti := false
	var torn error
	for {
		argv, err := r.next()
		if errors.Is(err, io.EOF) {
			if inMulti {
				s.log.Warn("revert incomplete MULTI/EXEC transaction in AOF file", "file", f.name)
				valid, torn = beforeMulti, errAOFTorn
			}
			break
		}
		if errors.Is(err, errAOFTorn) {
			if inMulti {
				valid = beforeMulti
			}
			torn = err
			break
		}
		var fe *aofFormatError
		if errors.As(err, &fe) {
			return fmt.Errorf("bad file format reading the append only file %s at offset %d (%s): make a backup of "+
				"your AOF file, then use redis-check-aof --fix <filename.manifest>", f.name, fe.off, fe.why)
		}
		if err != nil {
			return fmt.Errorf("reading the append only file %s: %w", f.name, err)
		}
		switch {
		case eqFold(argv[0], "multi"):
			inMulti, beforeMulti = true, valid
		case eqFold(argv[0], "exec"):
			inMulti = false
		}
		if err := apply(argv); err != nil {
			return fmt.Errorf("the append only file %s at offset %d: %w", f.name, valid, err)
		}
		st.commands++
		valid = r.off
	}
	if torn == nil {
		return nil
	}
	if !truncateOK {
		return fmt.Errorf("unexpected end of file reading the append only file %s (the last whole command ends at "+
			"offset %d): make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>, or set "+
			"aof-load-truncated yes to load it anyway", f.name, valid)
	}
	s.log.Warn("short read while loading the AOF file, truncating", "file", f.name, "offset", valid)
	if err := os.Truncate(path, valid); err != nil {
		return fmt.Errorf("truncating %s: %w", path, err)
	}
	s.log.Warn("AOF loaded anyway because aof-load-truncated is enabled", "file", f.name)
	return nil
}
