package rdbfmt

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// prealloc is the most elements a decoder reserves room for from a count in the input; beyond it slices grow
// as elements actually arrive (each takes at least a byte of input).
const prealloc = 1024

// Quicklist v2 node containers.
const (
	qlPlain  = 1 // the node is one element, stored as a string
	qlPacked = 2 // the node is a listpack
)

// readValue reads a value of type t.
func (r *reader) readValue(t Type) (Value, error) {
	start := r.off
	blob := func(what string) ([]byte, int64, error) {
		at := r.off
		b, err := r.string(what)
		return b, at, err
	}
	wrap := func(at int64, err error) error {
		if err == nil {
			return nil
		}
		if _, ok := err.(*DecodeError); ok {
			return err
		}
		return &DecodeError{Offset: at, Err: err}
	}
	switch t {
	case TypeString:
		s, err := r.string("string value")
		return String(s), err
	case TypeList, TypeSet:
		what := [2]string{"list length", "list element"}
		if t == TypeSet {
			what = [2]string{"set length", "set member"}
		}
		n, err := r.length(what[0])
		if err != nil {
			return nil, err
		}
		elems := make([][]byte, 0, min(n, prealloc))
		for range n {
			s, err := r.string(what[1])
			if err != nil {
				return nil, err
			}
			elems = append(elems, s)
		}
		if t == TypeList {
			return List(elems), nil
		}
		return Set(elems), wrap(start, checkDistinctS(elems))
	case TypeZSet, TypeZSet2:
		n, err := r.length("sorted set length")
		if err != nil {
			return nil, err
		}
		z := make(ZSet, 0, min(n, prealloc))
		for range n {
			m, err := r.string("sorted set member")
			if err != nil {
				return nil, err
			}
			at := r.off
			var score float64
			if t == TypeZSet {
				score, err = r.stringDouble("score")
			} else {
				score, err = r.float64LE("score")
			}
			if err != nil {
				return nil, err
			}
			if math.IsNaN(score) {
				return nil, r.fail(at, "score of %q is NaN", m)
			}
			z = append(z, ZMember{m, score})
		}
		return z, wrap(start, checkDistinctZ(z))
	case TypeHash:
		n, err := r.length("hash length")
		if err != nil {
			return nil, err
		}
		h := make(Hash, 0, min(n, prealloc))
		for range n {
			f, err := r.string("hash field")
			if err != nil {
				return nil, err
			}
			v, err := r.string("hash value")
			if err != nil {
				return nil, err
			}
			h = append(h, Field{f, v})
		}
		return h, wrap(start, checkDistinctH(h))
	case TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeListZiplist, TypeZSetZiplist, TypeZSetListpack,
		TypeSetIntset, TypeSetListpack:
		b, at, err := blob(t.String())
		if err != nil {
			return nil, err
		}
		v, err := decodeBlob(t, b, &r.num)
		return v, wrap(at, err)
	case TypeListQuicklist, TypeListQuicklist2:
		n, err := r.length("quicklist node count")
		if err != nil {
			return nil, err
		}
		l := List{}
		for range n {
			container := uint64(qlPacked)
			if t == TypeListQuicklist2 {
				at := r.off
				if container, err = r.length("quicklist node container"); err != nil {
					return nil, err
				}
				if container != qlPlain && container != qlPacked {
					return nil, r.fail(at, "quicklist node container %d, expected 1 (plain) or 2 (packed)", container)
				}
			}
			b, at, err := blob("quicklist node")
			if err != nil {
				return nil, err
			}
			if container == qlPlain {
				l = append(l, b)
				continue
			}
			var elems [][]byte
			if t == TypeListQuicklist {
				elems, err = parseZiplist(b, &r.num)
			} else {
				elems, err = parseListpack(b, &r.num)
			}
			if err != nil {
				return nil, wrap(at, err)
			}
			// Matches Redis: an empty node is skipped.
			l = append(l, elems...)
		}
		return l, nil
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return r.readStream(t)
	case TypeModule2:
		id, err := r.length("module type ID")
		if err != nil {
			return nil, err
		}
		data, err := r.moduleData()
		return Module{TypeID: id, Data: data}, err
	case TypeModulePreGA:
		return nil, &DecodeError{Offset: start, Err: fmt.Errorf("%w: %s (a module value of Redis 4.0 release candidates)", ErrUnsupportedType, t)}
	}
	return nil, r.fail(start, "unknown object type %d", t)
}

// decodeBlob decodes a value stored as one string in a compact encoding.
func decodeBlob(t Type, b []byte, num *numbers) (Value, error) {
	var elems [][]byte
	var err error
	switch t {
	case TypeHashZipmap:
		elems, err = parseZipmap(b)
	case TypeSetIntset:
		elems, err = parseIntset(b, num)
		return Set(elems), err
	case TypeHashZiplist, TypeListZiplist, TypeZSetZiplist:
		elems, err = parseZiplist(b, num)
	default:
		elems, err = parseListpack(b, num)
	}
	if err != nil {
		return nil, err
	}
	if elems == nil {
		elems = [][]byte{} // an empty value is empty, not nil, whatever its encoding
	}
	switch t {
	case TypeListZiplist:
		return List(elems), nil
	case TypeSetListpack:
		return Set(elems), checkDistinctS(elems)
	}
	if len(elems)%2 != 0 {
		return nil, fmt.Errorf("%w: %s of %d entries, expected pairs", ErrCorrupt, t, len(elems))
	}
	if t == TypeZSetZiplist || t == TypeZSetListpack {
		z := make(ZSet, 0, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			score, err := strconv.ParseFloat(string(elems[i+1]), 64)
			if err != nil && !isRangeErr(err) || math.IsNaN(score) {
				return nil, fmt.Errorf("%w: %s: score %q of member %q is not a number", ErrCorrupt, t, elems[i+1], elems[i])
			}
			z = append(z, ZMember{elems[i], score})
		}
		return z, checkDistinctZ(z)
	}
	h := make(Hash, 0, len(elems)/2)
	for i := 0; i < len(elems); i += 2 {
		h = append(h, Field{elems[i], elems[i+1]})
	}
	return h, checkDistinctH(h)
}

// isRangeErr reports a ParseFloat error for a value out of range, which strtod also accepts (as ±inf or 0).
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// checkDistinct checks that no two items have the same key. Matches Redis: duplicate set members, hash fields
// or sorted-set members make the file corrupt.
func checkDistinct[T any](items []T, key func(T) []byte, what string) error {
	if len(items) < 2 {
		return nil
	}
	if len(items) <= 16 { // small: compare pairs rather than build a map
		for i := 1; i < len(items); i++ {
			k := key(items[i])
			for j := range i {
				if bytes.Equal(k, key(items[j])) {
					return fmt.Errorf("%w: duplicate %s %q", ErrCorrupt, what, k)
				}
			}
		}
		return nil
	}
	seen := make(map[string]struct{}, len(items))
	for _, it := range items {
		k := key(it)
		if _, dup := seen[string(k)]; dup {
			return fmt.Errorf("%w: duplicate %s %q", ErrCorrupt, what, k)
		}
		seen[string(k)] = struct{}{}
	}
	return nil
}

func member(m []byte) []byte          { return m }
func fieldName(f Field) []byte        { return f.Name }
func zsetMember(m ZMember) []byte     { return m.Member }
func checkDistinctH(h Hash) error     { return checkDistinct(h, fieldName, "hash field") }
func checkDistinctZ(z ZSet) error     { return checkDistinct(z, zsetMember, "sorted set member") }
func checkDistinctS(s [][]byte) error { return checkDistinct(s, member, "set member") }

// Module data opcodes: each field of a module's serialised value is an opcode (a length) and a value.
const (
	moduleEOF    = 0
	moduleSInt   = 1
	moduleUInt   = 2
	moduleFloat  = 3
	moduleDouble = 4
	moduleString = 5
)

// moduleData reads a module's serialised fields up to and including the EOF opcode and returns their bytes as
// they are in the input.
func (r *reader) moduleData() ([]byte, error) {
	var data []byte
	r.tee = &data
	defer func() { r.tee = nil }()
	for {
		at := r.off
		op, err := r.length("module field opcode")
		if err != nil {
			return nil, err
		}
		switch op {
		case moduleEOF:
			return data, nil
		case moduleSInt, moduleUInt:
			_, err = r.length("module integer")
		case moduleFloat:
			_, err = r.uint32LE("module float")
		case moduleDouble:
			_, err = r.uint64LE("module double")
		case moduleString:
			_, err = r.string("module string")
		default:
			return nil, r.fail(at, "module field opcode %d, expected 0 to 5", op)
		}
		if err != nil {
			return nil, err
		}
	}
}
