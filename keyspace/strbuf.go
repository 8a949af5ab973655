package keyspace

// StringBuf returns the value of the string at key for changing in place, grown with zero bytes to at least n
// bytes, and makes its encoding raw. A missing key is created holding n zero bytes, with no expiry. It returns
// ErrWrongType, changing nothing, when key holds another kind.
//
// The result aliases the stored value until the Txn next writes to this database. Its capacity may exceed its
// length: the spare bytes read as zero, and a caller may write into them and then take them into the value with
// [Txn.SetStringBuf] (as PFADD grows a sparse HyperLogLog). Like Redis's sds, a value that outgrows its capacity
// moves to one twice the size (1 MiB more, above 1 MiB), so repeated small writes (APPEND, SETRANGE, SETBIT,
// BITFIELD) cost amortized O(1); a write within the current length allocates nothing. StringBuf records no
// access: the commands that use it looked the key up first. Matches Redis: SETBIT, SETRANGE, APPEND and PFADD
// leave the raw encoding even when they change nothing.
func (tx *Txn) StringBuf(key []byte, n int) ([]byte, error) {
	sh, t, h, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		ref = t.insert(h, key)
		p, v := newGrowBlob(key, n, n)
		t.replace(&t.recs[ref-1], p, KindString, EncRaw)
		tx.finishWrite(sh, t, ref, false, false, 0)
		tx.added(tx.db, key)
		return v, nil
	}
	r := &t.recs[ref-1]
	if r.kind() != KindString {
		return nil, ErrWrongType
	}
	if buf, ok := blobBuf(r.ptr); ok {
		r.setKindEnc(KindString, EncRaw)
		switch {
		case n <= len(buf):
			return buf, nil
		case n <= cap(buf):
			setBlobLen(r.ptr, n)
			return buf[:n], nil
		}
	} else if r.strEnc() != EncInt {
		if _, v := blobParts(r.ptr); n <= len(v) {
			r.setKindEnc(KindString, EncRaw)
			return v, nil
		}
	}
	var scratch [20]byte
	old := Entry{t, ref}.Bytes(scratch[:0])
	vlen, vcap := max(len(old), n), len(old)
	if n > len(old) {
		vcap = growCap(n)
	}
	p, v := newGrowBlob(key, vlen, vcap)
	copy(v, old)
	t.replace(r, p, KindString, EncRaw)
	return v, nil
}

// SetStringBuf stores b as the value of key with the raw encoding, keeping the key's expiry and access field; a
// missing key is created without expiry. When b is the slice [Txn.StringBuf] returned for key, resliced within
// its capacity, the value only takes b's length (bytes cut off are cleared); any other b is copied into storage
// with room for cap(b) bytes, so a caller that grew b with append keeps append's spare capacity and one that
// made b exactly (a dense HyperLogLog) gets no more. Bytes of a StringBuf buffer beyond len(b) must have been
// left zero.
func (tx *Txn) SetStringBuf(key, b []byte) {
	sh, t, h, ref := tx.lookup(tx.db, key)
	if ref == 0 {
		ref = t.insert(h, key)
		p, v := newGrowBlob(key, len(b), cap(b))
		copy(v, b)
		t.replace(&t.recs[ref-1], p, KindString, EncRaw)
		tx.finishWrite(sh, t, ref, false, false, 0)
		tx.added(tx.db, key)
		return
	}
	r := &t.recs[ref-1]
	if r.kind() == KindString {
		if buf, ok := blobBuf(r.ptr); ok {
			if len(b) <= cap(buf) {
				if !sameData(b, buf) {
					copy(buf[:len(b)], b)
				}
				if len(b) < len(buf) {
					clear(buf[len(b):])
				}
				setBlobLen(r.ptr, len(b))
				r.setKindEnc(KindString, EncRaw)
				return
			}
		} else if r.strEnc() != EncInt {
			if _, v := blobParts(r.ptr); len(b) == len(v) {
				copy(v, b)
				r.setKindEnc(KindString, EncRaw)
				return
			}
		}
	}
	p, v := newGrowBlob(key, len(b), cap(b))
	copy(v, b)
	t.replace(r, p, KindString, EncRaw)
}
