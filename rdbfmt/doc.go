// Package rdbfmt reads and writes the Redis RDB format: whole files ([Decoder], [Encoder]) and DUMP payloads
// ([ParseDump], [AppendDump]). It imports no other Carmine module, never logs and starts no goroutines.
//
// # Reading a file
//
// A [Decoder] reads a file record by record; [Decoder.Next] returns one of
//   - [*Aux]: an auxiliary field ("redis-ver", "ctime", "repl-id"...);
//   - [*SelectDB] and [*ResizeDB]: the database of the keys that follow, and its size hints;
//   - [*Entry]: a key, its [Value], its expiry (Unix ms), LRU idle time or LFU frequency, and the [Type] byte
//     naming the encoding the file used;
//   - [*Function]: a function library's code;
//   - [*ModuleAux]: module data, kept as serialised (as are values of module types, [Module]);
//
// and io.EOF after the end opcode and a good checksum:
//
//	d := rdbfmt.NewDecoder(f)
//	for {
//		rec, err := d.Next()
//		if errors.Is(err, io.EOF) {
//			break
//		}
//		if err != nil {
//			return err // a *rdbfmt.DecodeError: the byte offset and what was expected there
//		}
//		if e, ok := rec.(*rdbfmt.Entry); ok {
//			load(e.DB, e.Key, e.Value)
//		}
//	}
//
// Values are plain data whatever their encoding: [String], [List], [Set], [Hash] (fields in file order),
// [ZSet] (members with float64 scores), [*Stream] (live entries, metadata, consumer groups with their pending
// entries and consumers) and [Module]. A loader converts them into its own structures.
//
// It reads RDB versions 1 to 11 (Redis 7.2) and every type of them: strings (raw, 8/16/32-bit integers,
// LZF), lists (linked, ziplist, quicklist of ziplists, quicklist v2 of listpacks and plain nodes), sets
// (plain, intset, listpack), hashes (plain, zipmap, ziplist, listpack), sorted sets (plain with string or
// binary scores, ziplist, listpack), streams (types 15, 19 and 21, with groups, PEL and consumers), module
// values (type 7, kept as bytes; type 6 of Redis 4.0 release candidates is [ErrUnsupportedType]); the
// opcodes AUX, SELECTDB, RESIZEDB, EXPIRETIME (s and ms), IDLE, FREQ, MODULE_AUX and FUNCTION2 (the pre-GA
// FUNCTION opcode of 7.0 release candidates is ErrUnsupportedType, as in Redis 7.0 GA).
//
// Checks, on any input: every length is checked against the bytes that actually follow before more than 64 KiB
// is allocated for it (a claimed length costs at most twice the bytes that arrive); counts of elements never
// size an allocation beyond 1024 elements up front; each loop iteration consumes input, so no input hangs the
// decoder; compact encodings (ziplist, listpack, intset, zipmap) are checked entry by entry against their
// headers (sizes, counts, tail offset, back lengths); duplicate set members, hash fields and sorted-set
// members, NaN scores, stream entries out of order, pending entries without a consumer are errors, as in Redis.
// Errors are [*DecodeError] wrapping [ErrCorrupt], [ErrChecksum], [ErrVersion] or [ErrUnsupportedType].
//
// # Writing a file
//
// An [Encoder] writes RDB version 10 ([Version]), which Redis 7.0 and later load, choosing encodings as Redis
// 7.0 does under the limits of a [Config] (Redis's defaults in [DefaultConfig]): strings as integers when
// canonical, LZF-compressed when longer than 20 bytes and it pays; hashes and sorted sets as listpacks while
// small, sets as intsets while all integers, lists as quicklist v2 nodes of listpacks (8 KiB each by default),
// streams as type 19 with listpack nodes of 100 entries. With [Config] Version 11 it writes RDB 11 for Redis 7.2
// and later instead: small sets of strings as listpacks, streams as type 21 with consumers' active times.
// [AppendValue] encodes one value, [AppendDump] makes a DUMP payload of any value (RDB 10).
//
//	e := rdbfmt.NewEncoder(w, rdbfmt.DefaultConfig())
//	e.Aux([]byte("redis-ver"), []byte("7.0.15"))
//	e.Entry(&rdbfmt.Entry{Key: []byte("k"), Value: rdbfmt.List{[]byte("a"), []byte("b")}})
//	err := e.Close() // end opcode, checksum, flush
//
// # Lower-level pieces
//
// Lengths ([AppendLength], [ParseLength]), strings ([AppendString], [ParseString]) and DUMP footers
// ([SealDump], [ParseDump]; [Dump.DecodeValue] decodes a payload of any type). The CRC-64 (Jones polynomial,
// as Redis computes it) and LZF live in internal packages.
//
// # A DUMP payload
//
// DUMP of the string "hello":
//
//	00              type: string
//	05 68 65 6c 6c 6f   the value: length 5, then the bytes
//	0a 00           RDB version 10, little-endian
//	63 72 df 76 65 34 20 0a   CRC-64 of all the bytes before, little-endian
//
// # RDB 12 and later
//
// Redis 7.4 writes RDB 12, which [NewDecoder] rejects with ErrVersion. Reading it would need: the hash types
// with field expiry (a hash whose fields carry their own TTLs, in a plain form with a minimum expiry and per
// field times, and a listpack form with a TTL after each field/value pair, plus the pre-GA variants of both),
// which the data model would carry as a per-field expiry in [Field]; the slot-info opcode (244, a cluster slot
// with its key and expiry counts), a record to return or skip; and raising [MaxVersion]. Newer versions may add
// types again: an unknown type byte is an error at its offset, never a guess.
package rdbfmt
