// Package rdbfmt reads and writes Redis RDB files: a streaming Decoder that yields neutral entries (keys,
// values of every type and encoding, expiries, aux fields) and an Encoder that writes files real Redis loads.
//
// The persistence work fills this module; it imports no other Carmine module.
package rdbfmt
