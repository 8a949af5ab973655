// Package rdbfmt reads and writes the Redis RDB format. It will hold a streaming Decoder that yields neutral
// entries (keys, values of every type and encoding, expiries, aux fields) and an Encoder that writes files real
// Redis loads; it imports no other Carmine module, never logs and starts no goroutines.
//
// # What it offers now
//
// The pieces a string value's DUMP payload needs, which the full reader and writer will build on:
//   - lengths: [AppendLength] and [ParseLength] (the 6, 14, 32 and 64-bit forms, and the byte that announces
//     a special string encoding, [Enc]);
//   - strings: [AppendString] chooses the encoding as Redis does (a canonical 32-bit integer as an 8, 16 or
//     32-bit integer; LZF-compressed when longer than 20 bytes and compression saves at least 4; raw
//     otherwise), and [ParseString] reads all of them, checking every length against the input first;
//   - DUMP payloads: [AppendStringDump] writes one (RDB [Version] 10, so Redis 7.0 and 7.2 both RESTORE it),
//     [SealDump] adds the footer to a payload of any type, and [ParseDump] checks the footer (version up to
//     [MaxVersion] 11, CRC-64) and splits the payload into a [Dump], whose [Dump.StringValue] decodes a string;
//   - the object [Type] bytes and [Opcode]s of RDB files up to version 11, all named.
//
// Errors wrap [ErrCorrupt], [ErrVersion], [ErrChecksum] or [ErrUnsupportedType]. The CRC-64 (Jones polynomial,
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
package rdbfmt
