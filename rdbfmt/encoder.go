package rdbfmt

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/carminedb/carmine/rdbfmt/internal/crc64"
)

// Config chooses how an [Encoder] (and [AppendValue]) encodes values. The limits are Redis's configs of the same
// names: a value within them is written in its compact encoding, as Redis keeps it in memory and saves it.
type Config struct {
	// Version is the RDB version written: 10 (Redis 7.0 and later load it; 0 means 10) or 11 (Redis 7.2 and
	// later), which adds set listpacks and consumers' active times.
	Version  int
	Compress bool // rdbcompression: LZF-compress strings (and listpacks) longer than 20 bytes when it pays
	// NoChecksum (rdbchecksum no) writes 0 as the file's checksum, which readers take as "not computed".
	NoChecksum bool

	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value (bytes, fields and values)
	SetMaxIntsetEntries    int // set-max-intset-entries
	SetMaxListpackEntries  int // set-max-listpack-entries (Version 11)
	SetMaxListpackValue    int // set-max-listpack-value (Version 11)
	ZSetMaxListpackEntries int // zset-max-listpack-entries
	ZSetMaxListpackValue   int // zset-max-listpack-value (bytes of a member)
	ListMaxListpackSize    int // list-max-listpack-size: bytes of one quicklist node when negative (-1 4 KiB, ... -5 64 KiB), entries when positive
	StreamNodeMaxEntries   int // stream-node-max-entries
	StreamNodeMaxBytes     int // stream-node-max-bytes

	// Pause, when set, is called after every pauseEvery elements (or stream entries) of a value being encoded,
	// so that a program encoding big values on a goroutine that shares its CPUs with latency-sensitive ones can
	// let them run mid-value (with runtime.Gosched, say).
	Pause func()
}

// pauseEvery is how many elements an encoder handles between calls of [Config.Pause]: a millisecond or less.
const pauseEvery = 4096

// DefaultConfig returns the defaults of redis-server 7.0.15 (as CONFIG GET reports them) and RDB version 10.
func DefaultConfig() Config {
	return Config{
		Version:                Version,
		Compress:               true,
		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		SetMaxListpackEntries:  128,
		SetMaxListpackValue:    64,
		ZSetMaxListpackEntries: 128,
		ZSetMaxListpackValue:   64,
		ListMaxListpackSize:    -2,
		StreamNodeMaxEntries:   100,
		StreamNodeMaxBytes:     4096,
	}
}

// Validate reports a limit out of range.
func (c Config) Validate() error {
	switch {
	case c.Version != 0 && c.Version != 10 && c.Version != 11:
		return fmt.Errorf("rdbfmt: RDB version %d, expected 10 or 11", c.Version)
	case c.HashMaxListpackEntries < 0, c.HashMaxListpackValue < 0, c.SetMaxIntsetEntries < 0,
		c.SetMaxListpackEntries < 0, c.SetMaxListpackValue < 0,
		c.ZSetMaxListpackEntries < 0, c.ZSetMaxListpackValue < 0, c.StreamNodeMaxEntries < 0,
		c.StreamNodeMaxBytes < 0:
		return errors.New("rdbfmt: negative limit")
	case c.ListMaxListpackSize == 0, c.ListMaxListpackSize < -5:
		return fmt.Errorf("rdbfmt: list-max-listpack-size %d, expected -5 to -1 or a positive count", c.ListMaxListpackSize)
	}
	return nil
}

// packedThreshold is the size from which a list element gets a quicklist node of its own (Redis 7.0's default).
const packedThreshold = 1 << 30

// Encoder writes an RDB file of the configured version (normally [Version] 10, which Redis 7.0 and later load).
// Errors are sticky: after the
// first one every method does nothing and returns it, and Close returns it.
//
// A file is: NewEncoder (writes the header), any Aux fields, then for each database its entries (Entry writes a
// SELECTDB when the entry's database differs from the last one; call SelectDB and ResizeDB first to add the size
// hints as Redis does), Function libraries and ModuleAux anywhere, then Close, which writes the end and the
// checksum.
type Encoder struct {
	w   *bufio.Writer
	cfg Config
	crc uint64
	err error
	db  int64 // the selected database, -1 before any
	buf []byte
	enc valueEncoder
}

// NewEncoder returns an Encoder writing to w with the given configuration, and writes the header. A
// configuration that does not Validate is the error of every method.
func NewEncoder(w io.Writer, cfg Config) *Encoder {
	if cfg.Version == 0 {
		cfg.Version = Version
	}
	e := &Encoder{w: bufio.NewWriterSize(w, 64<<10), cfg: cfg, db: -1}
	e.err = cfg.Validate()
	e.write(fmt.Appendf(nil, "REDIS%04d", cfg.Version))
	return e
}

func (e *Encoder) write(p []byte) error {
	if e.err != nil {
		return e.err
	}
	e.crc = crc64.Update(e.crc, p)
	_, e.err = e.w.Write(p)
	return e.err
}

// Aux writes an auxiliary field, such as "redis-ver" "7.0.15" (Redis checks none of them but a few it uses:
// "repl-id", "repl-offset", "aof-base", "lua"...).
func (e *Encoder) Aux(key, value []byte) error {
	b := append(e.buf[:0], byte(OpAux))
	b = AppendString(b, key, e.cfg.Compress)
	e.buf = AppendString(b, value, e.cfg.Compress)
	return e.write(e.buf)
}

// SelectDB starts the entries of database db.
func (e *Encoder) SelectDB(db uint64) error {
	e.db = int64(db)
	return e.write(AppendLength(append(e.buf[:0], byte(OpSelectDB)), db))
}

// ResizeDB writes the size hints of the current database: how many keys follow and how many have an expiry.
func (e *Encoder) ResizeDB(keys, expires uint64) error {
	return e.write(AppendLength(AppendLength(append(e.buf[:0], byte(OpResizeDB)), keys), expires))
}

// Entry writes a key with its value, expiry, idle time and frequency, in the encoding the configuration chooses
// (ent.Type is ignored).
func (e *Encoder) Entry(ent *Entry) error {
	if e.err != nil {
		return e.err
	}
	if ent.Value == nil {
		return fmt.Errorf("rdbfmt: entry %q has no value", ent.Key)
	}
	if int64(ent.DB) != e.db {
		if err := e.SelectDB(ent.DB); err != nil {
			return err
		}
	}
	e.buf = e.enc.appendEntry(e.buf[:0], ent, &e.cfg)
	return e.write(e.buf)
}

// appendEntry appends ent's expiry, idle time, frequency, key and value (not its database).
func (w *valueEncoder) appendEntry(b []byte, ent *Entry, cfg *Config) []byte {
	b = appendEntryMeta(b, ent)
	typePos := len(b)
	b = append(b, 0)
	b = AppendString(b, ent.Key, cfg.Compress)
	var t Type
	t, b = w.appendValue(b, ent.Value, cfg)
	b[typePos] = byte(t)
	return b
}

// appendEntryMeta appends the opcodes before an entry's type: its expiry, idle time and frequency.
func appendEntryMeta(b []byte, ent *Entry) []byte {
	if ent.HasExpire {
		b = binary.LittleEndian.AppendUint64(append(b, byte(OpExpireTimeMs)), uint64(ent.ExpireAtMs))
	}
	if ent.HasIdle {
		b = AppendLength(append(b, byte(OpIdle)), ent.IdleSec)
	}
	if ent.HasFreq {
		b = append(b, byte(OpFreq), ent.Freq)
	}
	return b
}

// Function writes a function library (its code, as FUNCTION LOAD takes it).
func (e *Encoder) Function(code []byte) error {
	return e.write(AppendString(append(e.buf[:0], byte(OpFunction2)), code, e.cfg.Compress))
}

// ModuleAux writes module auxiliary data as read by the [Decoder].
func (e *Encoder) ModuleAux(m *ModuleAux) error {
	b := AppendLength(append(e.buf[:0], byte(OpModuleAux)), m.TypeID)
	b = AppendLength(AppendLength(b, moduleUInt), m.When)
	e.buf = append(b, m.Data...)
	return e.write(e.buf)
}

// Close writes the end of the file and its checksum and flushes; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if err := e.write([]byte{byte(OpEOF)}); err != nil {
		return err
	}
	var sum [8]byte
	if !e.cfg.NoChecksum {
		binary.LittleEndian.PutUint64(sum[:], e.crc)
	}
	if _, err := e.w.Write(sum[:]); err != nil {
		e.err = err
		return err
	}
	e.err = e.w.Flush()
	if e.err == nil {
		e.err = errors.New("rdbfmt: encoder closed")
		return nil
	}
	return e.err
}

// AppendValue appends v in the encoding cfg chooses and returns its object type, which precedes it in a file
// or DUMP payload. v must not be nil.
func AppendValue(dst []byte, v Value, cfg Config) (Type, []byte) {
	var enc valueEncoder
	return enc.appendValue(dst, v, &cfg)
}

// AppendDump appends the DUMP payload of v, encoded as Redis 7.0 does with its default configuration.
func AppendDump(dst []byte, v Value) []byte {
	start := len(dst)
	dst = append(dst, 0)
	t, dst := AppendValue(dst, v, DefaultConfig())
	dst[start] = byte(t)
	return SealDump(dst, start, Version)
}

// valueEncoder holds scratch space reused from value to value.
type valueEncoder struct {
	lp    listpackWriter
	tmp   [][]byte
	steps int // elements since the last Config.Pause
}

// step counts an element towards the next call of cfg.Pause.
func (w *valueEncoder) step(cfg *Config) { w.steps += 1; w.maybePause(cfg) }

// stepBytes counts work on n bytes (compressing a stream node, say), 64 bytes as much as an element.
func (w *valueEncoder) stepBytes(cfg *Config, n int) { w.steps += 1 + n/64; w.maybePause(cfg) }

func (w *valueEncoder) maybePause(cfg *Config) {
	if w.steps >= pauseEvery {
		w.steps = 0
		if cfg.Pause != nil {
			cfg.Pause()
		}
	}
}

func (w *valueEncoder) appendValue(dst []byte, v Value, cfg *Config) (Type, []byte) {
	c := cfg.Compress
	switch v := v.(type) {
	case String:
		return TypeString, AppendString(dst, v, c)
	case List:
		return TypeListQuicklist2, w.appendList(dst, v, cfg)
	case Set:
		if ints, ok := intsetOf(v, cfg.SetMaxIntsetEntries); ok {
			return TypeSetIntset, AppendString(dst, appendIntset(nil, ints), c)
		}
		if cfg.Version >= 11 && len(v) <= cfg.SetMaxListpackEntries {
			small := true
			for i := 0; small && i < len(v); i++ {
				small = len(v[i]) <= cfg.SetMaxListpackValue
			}
			if small {
				w.lp.reset()
				for _, m := range v {
					w.lp.str(m)
				}
				return TypeSetListpack, AppendString(dst, w.lp.bytes(), c)
			}
		}
		dst = AppendLength(dst, uint64(len(v)))
		for _, m := range v {
			dst = AppendString(dst, m, c)
			w.step(cfg)
		}
		return TypeSet, dst
	case Hash:
		small := len(v) <= cfg.HashMaxListpackEntries
		for i := 0; small && i < len(v); i++ {
			small = len(v[i].Name) <= cfg.HashMaxListpackValue && len(v[i].Value) <= cfg.HashMaxListpackValue
		}
		if small {
			w.lp.reset()
			for _, f := range v {
				w.lp.str(f.Name)
				w.lp.str(f.Value)
			}
			return TypeHashListpack, AppendString(dst, w.lp.bytes(), c)
		}
		dst = AppendLength(dst, uint64(len(v)))
		for _, f := range v {
			dst = AppendString(AppendString(dst, f.Name, c), f.Value, c)
			w.step(cfg)
		}
		return TypeHash, dst
	case ZSet:
		small := len(v) <= cfg.ZSetMaxListpackEntries
		for i := 0; small && i < len(v); i++ {
			small = len(v[i].Member) <= cfg.ZSetMaxListpackValue
		}
		if small {
			sorted := slices.Clone(v)
			slices.SortFunc(sorted, func(a, b ZMember) int {
				if c := cmp.Compare(a.Score, b.Score); c != 0 {
					return c
				}
				return bytes.Compare(a.Member, b.Member)
			})
			w.lp.reset()
			var num []byte
			for _, m := range sorted {
				w.lp.str(m.Member)
				num = appendScore(num[:0], m.Score)
				w.lp.str(num)
			}
			return TypeZSetListpack, AppendString(dst, w.lp.bytes(), c)
		}
		dst = AppendLength(dst, uint64(len(v)))
		for _, m := range v {
			dst = binary.LittleEndian.AppendUint64(AppendString(dst, m.Member, c), math.Float64bits(m.Score))
			w.step(cfg)
		}
		return TypeZSet2, dst
	case *Stream:
		if cfg.Version >= 11 {
			return TypeStreamListpacks3, w.appendStream(dst, v, cfg)
		}
		return TypeStreamListpacks2, w.appendStream(dst, v, cfg)
	case Module:
		return TypeModule2, append(AppendLength(dst, v.TypeID), v.Data...)
	}
	panic(fmt.Sprintf("rdbfmt: AppendValue of %T", v))
}

// appendScore appends a score as Redis keeps it in a listpack: an integer when it is one, else the shortest
// decimal that reads back the same.
func appendScore(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0 && math.Signbit(f):
		return append(dst, "-0"...)
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// intsetOf returns the members of s as sorted integers when they all are canonical 64-bit integers and there are
// at most limit of them.
func intsetOf(s Set, limit int) ([]int64, bool) {
	if len(s) == 0 || len(s) > limit {
		return nil, false
	}
	ints := make([]int64, len(s))
	for i, m := range s {
		v, ok := canonicalInt64(m)
		if !ok {
			return nil, false
		}
		ints[i] = v
	}
	slices.Sort(ints)
	return slices.Compact(ints), true
}

// appendList appends a list as a quicklist of listpack nodes, and an element of packedThreshold bytes or more
// as a plain node. Matches Redis 7.0 (_quicklistNodeAllowInsert): an element joins the current node unless the
// node's size plus the element's length plus 8 would pass the size limit (or, with a count limit, 8 KiB) or
// the count would pass the count limit.
func (w *valueEncoder) appendList(dst []byte, l List, cfg *Config) []byte {
	const sizeOverhead, safetyLimit = 8, 8192
	maxBytes, maxCount := 0, cfg.ListMaxListpackSize
	if cfg.ListMaxListpackSize < 0 {
		maxBytes = 4096 << (-cfg.ListMaxListpackSize - 1)
	}
	countPos := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0, 0) // node count, a 64-bit length, fixed up at the end
	nodes := uint64(0)
	w.lp.reset()
	flush := func() {
		if w.lp.count > 0 {
			dst = AppendString(AppendLength(dst, qlPacked), w.lp.bytes(), cfg.Compress)
			nodes++
			w.lp.reset()
		}
	}
	for _, el := range l {
		w.step(cfg)
		if len(el) >= packedThreshold {
			flush()
			dst = AppendString(AppendLength(dst, qlPlain), el, cfg.Compress)
			nodes++
			continue
		}
		if w.lp.count > 0 {
			newSize := len(w.lp.buf) + 1 + len(el) + sizeOverhead // +1: the end byte
			if maxBytes > 0 && newSize > maxBytes || maxBytes == 0 && (newSize > safetyLimit || w.lp.count+1 > maxCount) {
				flush()
			}
		}
		w.lp.str(el)
	}
	flush()
	// Rewrite the node count in its shortest form.
	n := AppendLength(nil, nodes)
	copy(dst[countPos:], n)
	return append(dst[:countPos+len(n)], dst[countPos+9:]...)
}
