package rdbfmt

import "fmt"

// Records encodes database selectors and entries into memory, for an [Encoder] to write later with
// [Encoder.Records]. A file can so be assembled from parts encoded independently, and concurrently by several
// Records: Carmine's snapshots encode each shard of the keyspace on its own. A Records is used by one goroutine.
type Records struct {
	b   []byte
	cfg Config
	db  int64 // the database of the last SelectDB, -1 before any
	enc valueEncoder
}

// NewRecords returns an empty Records encoding with cfg, which should be the configuration of the Encoder that
// will write the bytes (a different Version could write encodings that version does not have).
func NewRecords(cfg Config) *Records {
	if cfg.Version == 0 {
		cfg.Version = Version
	}
	return &Records{cfg: cfg, db: -1}
}

// SelectDB appends a SELECTDB opcode: the entries that follow are in database db.
func (r *Records) SelectDB(db uint64) {
	r.db = int64(db)
	r.b = AppendLength(append(r.b, byte(OpSelectDB)), db)
}

// Entry appends an entry as [Encoder.Entry] writes it, preceded by a SELECTDB when its database is not the one
// selected last in r.
func (r *Records) Entry(ent *Entry) error {
	if ent.Value == nil {
		return fmt.Errorf("rdbfmt: entry %q has no value", ent.Key)
	}
	if int64(ent.DB) != r.db {
		r.SelectDB(ent.DB)
	}
	r.b = r.enc.appendEntry(r.b, ent, &r.cfg)
	return nil
}

// String appends a string entry of database db, with its expiry in Unix ms (0 for none), as Entry does with a
// [String] value, without putting the value in an interface (an allocation per key, which dominates when
// saving many small strings).
func (r *Records) String(db uint64, key, val []byte, expireAtMs int64) {
	if int64(db) != r.db {
		r.SelectDB(db)
	}
	meta := Entry{HasExpire: expireAtMs != 0, ExpireAtMs: expireAtMs}
	b := append(appendEntryMeta(r.b, &meta), byte(TypeString))
	r.b = AppendString(AppendString(b, key, r.cfg.Compress), val, r.cfg.Compress)
}

// Len returns the number of bytes encoded so far.
func (r *Records) Len() int { return len(r.b) }

// Bytes returns the bytes encoded so far; they are r's until Reset.
func (r *Records) Bytes() []byte { return r.b }

// Reset empties r, keeping its buffer, so that the next Entry starts with a SELECTDB.
func (r *Records) Reset() {
	r.b, r.db = r.b[:0], -1
}

// Records writes bytes made by a [Records] (any number of them, in any order: each starts with a SELECTDB).
// The next Entry writes a SELECTDB again.
func (e *Encoder) Records(p []byte) error {
	e.db = -1
	return e.write(p)
}
