package clusterbus_test

import (
	"fmt"

	"github.com/carminedb/carmine/clusterbus"
)

func ExampleKeySlot() {
	fmt.Println(clusterbus.KeySlot([]byte("123456789")))
	fmt.Println(clusterbus.KeySlot([]byte("{user1000}.following")), clusterbus.KeySlot([]byte("{user1000}.followers")))
	// Output:
	// 12739
	// 3443 3443
}

func ExampleDecode() {
	m := clusterbus.Message{Header: clusterbus.Header{Type: clusterbus.TypeFail, Port: 6881, CPort: 16881,
		Sender: "9bc1a1e1a9f0e6b4d6c2e3f4a5b6c7d8e9f0a1b2", Flags: clusterbus.FlagMaster}}
	m.Node = "3f2a000011112222333344445555666677778888"
	b := m.Append(nil)
	fmt.Printf("% x\n", b[:16])
	got, err := clusterbus.Decode(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(b), got.Type, got.Sender[:4], got.Node[:4])
	// Output:
	// 52 43 6d 62 00 00 08 f8 00 01 1a e1 00 03 00 00
	// 2296 fail 9bc1 3f2a
}
