package rdbfmt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Record is one item of an RDB file as [Decoder.Next] returns it: [*Aux], [*SelectDB], [*ResizeDB], [*Entry],
// [*Function] or [*ModuleAux].
type Record interface{ isRecord() }

// Aux is an auxiliary field (OpAux): a name and a value, such as "redis-ver" "7.0.15".
type Aux struct {
	Key, Value []byte
}

// SelectDB starts the keys of database DB (OpSelectDB). Entries before the first one are in database 0.
type SelectDB struct {
	DB uint64
}

// ResizeDB is the size hint (OpResizeDB) of the current database: how many keys follow, and how many of them
// have an expiry.
type ResizeDB struct {
	Keys, Expires uint64
}

// Entry is a key with its value. Type is the object type byte, which names the encoding the file used; the
// [Encoder] ignores it and chooses the encoding itself. The expiry, LRU idle time and LFU frequency are present
// when their Has flag is set.
type Entry struct {
	DB    uint64
	Key   []byte
	Type  Type
	Value Value

	ExpireAtMs int64 // Unix time in ms when the key expires, if HasExpire
	HasExpire  bool
	IdleSec    uint64 // seconds since last access (maxmemory-policy with LRU), if HasIdle
	HasIdle    bool
	Freq       uint8 // logarithmic access counter (maxmemory-policy with LFU), if HasFreq
	HasFreq    bool
}

// Function is a function library (OpFunction2, Redis 7.0): its code, starting with the "#!<engine>
// name=<library>" line, as FUNCTION LOAD takes it.
type Function struct {
	Code []byte
}

// ModuleAux is module data that is not a key's value (OpModuleAux): the module type ID (see [ModuleName]),
// when the module saved it (1 before the keys, 2 after them) and its serialised fields as [Module.Data] holds
// them.
type ModuleAux struct {
	TypeID uint64
	When   uint64
	Data   []byte
}

func (*Aux) isRecord()       {}
func (*SelectDB) isRecord()  {}
func (*ResizeDB) isRecord()  {}
func (*Entry) isRecord()     {}
func (*Function) isRecord()  {}
func (*ModuleAux) isRecord() {}

// Decoder reads an RDB file record by record. It holds one value at a time in memory, so files larger than
// memory stream through it. Every length in the input is checked against the bytes that actually follow before
// more than a small chunk is allocated for it, and each loop consumes input, so a corrupt or hostile file ends
// in an error, never a panic, a hang or an allocation far larger than the file.
type Decoder struct {
	r       *reader
	version int
	db      uint64
	done    bool
	err     error
}

// NewDecoder returns a Decoder reading from r, which it buffers (unless r is a *bufio.Reader).
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: newReader(r), version: -1} }

// Version returns the RDB version from the file's header, or -1 before the first call to Next.
func (d *Decoder) Version() int { return d.version }

// Offset returns the number of bytes read so far.
func (d *Decoder) Offset() int64 { return d.r.off }

// Next returns the next record. At the end of the file, once the checksum (RDB 5 and later; a stored checksum
// of 0 means the writer did not compute one, as with rdbchecksum no) has been verified, it returns io.EOF; bytes
// after the checksum are not read. Any other error is a *[DecodeError] naming the offset and what was expected,
// and Next keeps returning it.
//
// Entries may hold values of no elements (an empty list or hash) where the file does; Redis skips such keys
// when loading. Expired keys are returned too: dropping them is the loader's choice.
func (d *Decoder) Next() (Record, error) {
	if d.err != nil {
		return nil, d.err
	}
	rec, err := d.next()
	if err != nil {
		d.err = err
	}
	return rec, err
}

func (d *Decoder) next() (Record, error) {
	r := d.r
	if d.version < 0 {
		if err := d.header(); err != nil {
			return nil, err
		}
	}
	if d.done {
		return nil, io.EOF
	}
	e := Entry{DB: d.db}
	for {
		at := r.off
		op, err := r.byte("record type")
		if err != nil {
			return nil, err
		}
		switch Opcode(op) {
		case OpEOF:
			return nil, d.footer()
		case OpSelectDB:
			db, err := r.length("database number")
			if err != nil {
				return nil, err
			}
			if e.HasExpire || e.HasIdle || e.HasFreq {
				return nil, r.fail(at, "expected a key after an expiry, idle time or frequency, found SELECTDB")
			}
			d.db = db
			return &SelectDB{DB: db}, nil
		case OpResizeDB:
			var rz ResizeDB
			if rz.Keys, err = r.length("RESIZEDB keys"); err != nil {
				return nil, err
			}
			if rz.Expires, err = r.length("RESIZEDB expires"); err != nil {
				return nil, err
			}
			return &rz, nil
		case OpAux:
			var a Aux
			if a.Key, err = r.string("aux field name"); err != nil {
				return nil, err
			}
			if a.Value, err = r.string("aux field value"); err != nil {
				return nil, err
			}
			return &a, nil
		case OpExpireTimeMs:
			ms, err := r.uint64LE("expiry (ms)")
			if err != nil {
				return nil, err
			}
			e.ExpireAtMs, e.HasExpire = int64(ms), true
		case OpExpireTime:
			s, err := r.uint32LE("expiry (s)")
			if err != nil {
				return nil, err
			}
			e.ExpireAtMs, e.HasExpire = int64(int32(s))*1000, true
		case OpIdle:
			if e.IdleSec, err = r.length("LRU idle time"); err != nil {
				return nil, err
			}
			e.HasIdle = true
		case OpFreq:
			if e.Freq, err = r.byte("LFU frequency"); err != nil {
				return nil, err
			}
			e.HasFreq = true
		case OpFunction2:
			code, err := r.string("function library")
			if err != nil {
				return nil, err
			}
			return &Function{Code: code}, nil
		case OpFunctionPreGA:
			return nil, &DecodeError{Offset: at, Err: fmt.Errorf("%w: function of a Redis 7.0 release candidate (opcode 246)", ErrUnsupportedType)}
		case OpModuleAux:
			var m ModuleAux
			if m.TypeID, err = r.length("module aux type ID"); err != nil {
				return nil, err
			}
			wat := r.off
			when, err := r.length("module aux when opcode")
			if err != nil {
				return nil, err
			}
			if when != moduleUInt {
				return nil, r.fail(wat, "module aux 'when' opcode %d, expected %d", when, moduleUInt)
			}
			if m.When, err = r.length("module aux when"); err != nil {
				return nil, err
			}
			if m.Data, err = r.moduleData(); err != nil {
				return nil, err
			}
			return &m, nil
		default:
			t := Type(op)
			if !t.Known() {
				return nil, r.fail(at, "expected an object type or an opcode, found byte %d", op)
			}
			e.Type = t
			if e.Key, err = r.string("key"); err != nil {
				return nil, err
			}
			if e.Value, err = r.readValue(t); err != nil {
				if de, ok := err.(*DecodeError); ok && de.Key == nil {
					de.Key = e.Key
				}
				return nil, err
			}
			return &e, nil
		}
	}
}

// header reads "REDIS" and the 4-digit version.
func (d *Decoder) header() error {
	var h [9]byte
	if err := d.r.full(h[:], "RDB header"); err != nil {
		return err
	}
	if string(h[:5]) != "REDIS" {
		return d.r.fail(0, "expected the RDB header \"REDIS\", found %q", h[:5])
	}
	v := 0
	for _, c := range h[5:] {
		if c < '0' || c > '9' {
			return d.r.fail(5, "expected a 4-digit RDB version, found %q", h[5:])
		}
		v = v*10 + int(c-'0')
	}
	if v < 1 || v > MaxVersion {
		return &DecodeError{Offset: 5, Err: fmt.Errorf("%w: %d (this package reads 1 to %d)", ErrVersion, v, MaxVersion)}
	}
	d.version = v
	return nil
}

// footer checks the checksum after the EOF opcode.
func (d *Decoder) footer() error {
	d.done = true
	if d.version < 5 {
		return io.EOF
	}
	at, sum := d.r.off, d.r.crc
	var b [8]byte
	if err := d.r.full(b[:], "checksum"); err != nil {
		return err
	}
	if stored := binary.LittleEndian.Uint64(b[:]); stored != 0 && stored != sum {
		return &DecodeError{Offset: at, Err: fmt.Errorf("%w: file says %#016x, the data gives %#016x", ErrChecksum, stored, sum)}
	}
	return io.EOF
}

// DecodeValue decodes the payload's value, of any type, into newly allocated memory. Errors are *[DecodeError]
// with offsets from the start of the payload.
//
// Matches Redis: RESTORE reads the value from all the bytes after the type byte, so bytes left over before the
// footer are ignored.
func (d Dump) DecodeValue() (Value, error) {
	r := newReader(bytes.NewReader(d.rest))
	r.off = 1
	return r.readValue(d.Type)
}
