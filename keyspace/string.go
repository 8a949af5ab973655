package keyspace

import (
	"encoding/binary"
	"math"
	"strconv"
)

// KeepTTL, passed as expireAtMs, keeps the key's current expiry (SET ... KEEPTTL). An expireAtMs of 0 means no
// expiry; a positive one is an absolute Unix time in ms.
const KeepTTL int64 = -1

// Lookup returns the value of key in the Txn's database and records the access (LRU/LFU). A key whose TTL has
// passed is removed, reported through OnExpired, and not found.
func (tx *Txn) Lookup(key []byte) (Entry, bool) {
	sh, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		return Entry{}, false
	}
	tx.ks.touch(sh, &t.recs[ref-1])
	return Entry{t, ref}, true
}

// Peek is Lookup without recording an access, as Redis's LOOKUP_NOTOUCH (TYPE, TTL, OBJECT, EXISTS).
func (tx *Txn) Peek(key []byte) (Entry, bool) {
	_, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		return Entry{}, false
	}
	return Entry{t, ref}, true
}

// SetString stores val as the string value of key, replacing any value of any kind, as SET does. Like Redis it
// picks the int encoding for a canonical 64-bit integer, embstr up to 44 bytes and raw above. For expireAtMs see
// [KeepTTL]. Storing into an existing string of the same stored size reuses its memory.
func (tx *Txn) SetString(key, val []byte, expireAtMs int64) {
	if n, ok := ParseInt(val); ok {
		tx.setInt(key, n, expireAtMs, true)
		return
	}
	tx.setBytes(key, val, strEncoding(val), expireAtMs, true)
}

// strEncoding returns the encoding Redis gives a string it does not try as an integer.
func strEncoding(val []byte) Encoding {
	if len(val) > embstrMax {
		return EncRaw
	}
	return EncEmbstr
}

// SetStringNoInt stores val like SetString but never with the int encoding: embstr up to 44 bytes, raw above.
// Matches Redis: INCRBYFLOAT stores its result so, even when it reads as an integer ("6").
//
// SetStringNoInt and SetRawString are the write half of commands that read the key first (INCRBYFLOAT),
// whose Lookup already recorded the access, so they leave an existing key's access field as
// it is. Matches Redis: these commands touch the key once.
func (tx *Txn) SetStringNoInt(key, val []byte, expireAtMs int64) {
	tx.setBytes(key, val, strEncoding(val), expireAtMs, false)
}

// SetRawString stores val like SetString but always with the raw encoding, exactly sized. Commands that change a
// string in place (APPEND, SETRANGE, SETBIT) use [Txn.StringBuf] instead. See SetStringNoInt for the access it
// records.
func (tx *Txn) SetRawString(key, val []byte, expireAtMs int64) {
	tx.setBytes(key, val, EncRaw, expireAtMs, false)
}

// SetObject stores obj as the value of key, replacing any value, with expiry expireAtMs (see [KeepTTL]).
// The keyspace owns obj from now on.
func (tx *Txn) SetObject(key []byte, obj Object, expireAtMs int64) {
	sh, t, h, ref := tx.lookup(tx.db, key)
	existed := ref != 0
	if !existed {
		ref = t.insert(h, key)
	}
	t.replace(&t.recs[ref-1], boxPtr(newBox(key, obj)), obj.Kind(), EncRaw)
	tx.finishWrite(sh, t, ref, existed, true, expireAtMs)
	if !existed {
		tx.added(tx.db, key)
	}
}

// setBytes stores a string value; touch says whether writing an existing key records an access (see finishWrite).
func (tx *Txn) setBytes(key, val []byte, enc Encoding, expireAtMs int64, touch bool) {
	sh, t, h, ref := tx.lookup(tx.db, key)
	existed := ref != 0
	if existed {
		r := &t.recs[ref-1]
		if r.kind() == KindString && r.strEnc() != EncInt {
			if _, old := blobParts(r.ptr); len(old) == len(val) {
				copy(old, val)
				r.setKindEnc(KindString, enc)
				tx.finishWrite(sh, t, ref, existed, touch, expireAtMs)
				return
			}
		}
	} else {
		ref = t.insert(h, key)
	}
	p, dst := newBlob(key, len(val))
	copy(dst, val)
	t.replace(&t.recs[ref-1], p, KindString, enc)
	tx.finishWrite(sh, t, ref, existed, touch, expireAtMs)
	if !existed {
		tx.added(tx.db, key)
	}
}

func (tx *Txn) setInt(key []byte, n int64, expireAtMs int64, touch bool) {
	sh, t, h, ref := tx.lookup(tx.db, key)
	existed := ref != 0
	if existed {
		r := &t.recs[ref-1]
		if r.kind() == KindString && r.strEnc() == EncInt {
			_, v := blobParts(r.ptr)
			binary.LittleEndian.PutUint64(v, uint64(n))
			tx.finishWrite(sh, t, ref, existed, touch, expireAtMs)
			return
		}
	} else {
		ref = t.insert(h, key)
	}
	p, v := newBlob(key, 8)
	binary.LittleEndian.PutUint64(v, uint64(n))
	t.replace(&t.recs[ref-1], p, KindString, EncInt)
	tx.finishWrite(sh, t, ref, existed, touch, expireAtMs)
	if !existed {
		tx.added(tx.db, key)
	}
}

// finishWrite sets the access field of a written value and applies expireAtMs. Matches Redis: a new key starts
// with a fresh LRU clock or LFU_INIT_VAL; overwriting a key counts as an access to it (touch: SET, MSET and
// SetObject look the key up first), and under LFU the value keeps the old key's counter.
func (tx *Txn) finishWrite(sh *shard, t *table, ref uint32, existed, touch bool, expireAtMs int64) {
	r := &t.recs[ref-1]
	switch {
	case !existed:
		r.setAccess(tx.ks.initAccess())
	case touch:
		tx.ks.touch(sh, r)
	}
	switch {
	case expireAtMs > 0:
		t.setTTL(ref, expireAtMs)
	case expireAtMs == KeepTTL:
	case r.ttl != 0:
		t.clearTTL(r)
	}
}

// IncrBy adds delta to the integer stored at key (a missing key counts as 0) and returns the result, keeping
// the key's expiry, as INCRBY does. It returns ErrWrongType for a non-string, ErrNotInteger when the string is
// not a canonical 64-bit integer and ErrOverflow when the result would not fit. An int-encoded value is updated
// in place, without allocating. Matches Redis: an existing key counts one access, even when it fails.
func (tx *Txn) IncrBy(key []byte, delta int64) (int64, error) {
	sh, t, _, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		tx.setInt(key, delta, 0, true)
		return delta, nil
	}
	r := &t.recs[ref-1]
	tx.ks.touch(sh, r)
	if r.kind() != KindString {
		return 0, ErrWrongType
	}
	e := Entry{t, ref}
	cur, ok := e.Int()
	if !ok {
		return 0, ErrNotInteger
	}
	if (delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta) {
		return 0, ErrOverflow
	}
	n := cur + delta
	if r.strEnc() == EncInt {
		_, v := blobParts(r.ptr)
		binary.LittleEndian.PutUint64(v, uint64(n))
		return n, nil
	}
	tx.setInt(key, n, KeepTTL, false)
	return n, nil
}

// Bytes returns the value of a string key: the stored bytes, or for an int-encoded value its decimal form
// appended to scratch[:0] (pass a scratch of 20 bytes capacity to avoid allocating). It returns nil for other kinds.
func (e Entry) Bytes(scratch []byte) []byte {
	r := e.rec()
	if r.kind() != KindString {
		return nil
	}
	_, v := blobParts(r.ptr)
	if r.strEnc() == EncInt {
		return strconv.AppendInt(scratch[:0], int64(binary.LittleEndian.Uint64(v)), 10)
	}
	return v
}

// Int returns the value of a string key as an integer, if it is int-encoded or a canonical decimal integer.
func (e Entry) Int() (int64, bool) {
	r := e.rec()
	if r.kind() != KindString {
		return 0, false
	}
	_, v := blobParts(r.ptr)
	if r.strEnc() == EncInt {
		return int64(binary.LittleEndian.Uint64(v)), true
	}
	return ParseInt(v)
}

// StrLen returns the length of a string value in bytes (STRLEN), or 0 for other kinds.
func (e Entry) StrLen() int {
	r := e.rec()
	if r.kind() != KindString {
		return 0
	}
	_, v := blobParts(r.ptr)
	if r.strEnc() == EncInt {
		var buf [20]byte
		return len(strconv.AppendInt(buf[:0], int64(binary.LittleEndian.Uint64(v)), 10))
	}
	return len(v)
}

// ParseInt parses b as a canonical decimal int64: an optional '-', no '+', no spaces, no leading zeros, no "-0".
// Matches Redis: string2ll, which decides the int encoding, what INCR accepts and how commands read integer
// arguments.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
