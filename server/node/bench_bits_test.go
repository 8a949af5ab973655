package node

import (
	"strconv"
	"testing"
)

// BenchmarkBitsExecute measures the bitmap and HyperLogLog commands through the dispatcher, without the network.
func BenchmarkBitsExecute(b *testing.B) {
	c := benchClient(b)
	args := bs
	c.execute(args("SETBIT", "bm", "1048575", "1")) // a 128 KiB bitmap
	c.execute(args("PFADD", "dense"))
	for i := 0; i < 20000; i++ {
		c.execute(args("PFADD", "dense", strconv.Itoa(i)))
	}
	c.w.Discard()
	n := 0
	for _, bc := range []struct {
		name string
		next func() [][]byte
	}{
		{"setbit", func() [][]byte { return args("SETBIT", "bm", strconv.Itoa(n*7919%1048576), "1") }},
		{"getbit", func() [][]byte { return args("GETBIT", "bm", strconv.Itoa(n*7919%1048576)) }},
		{"bitcount_128k", func() [][]byte { return args("BITCOUNT", "bm") }},
		{"bitpos_128k", func() [][]byte { return args("BITPOS", "bm", "1") }},
		{"bitfield", func() [][]byte { return args("BITFIELD", "bm", "INCRBY", "u16", "#"+strconv.Itoa(n%1000), "1") }},
		{"append", func() [][]byte {
			if n%100000 == 0 {
				c.execute(args("DEL", "ap"))
			}
			return args("APPEND", "ap", "xxxxxxxx")
		}},
		{"pfadd_sparse", func() [][]byte {
			if n%200 == 0 {
				c.execute(args("DEL", "sparse"))
			}
			return args("PFADD", "sparse", strconv.Itoa(n))
		}},
		{"pfadd_dense", func() [][]byte { return args("PFADD", "dense", strconv.Itoa(n)) }},
		{"pfcount_dense", func() [][]byte { return args("PFCOUNT", "dense") }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cmds := make([][][]byte, 1024)
			for i := range cmds {
				n++
				cmds[i] = bc.next()
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.execute(cmds[i%len(cmds)])
				c.w.Discard()
				i++
			}
		})
	}
}
