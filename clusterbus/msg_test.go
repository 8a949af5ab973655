package clusterbus_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/clusterbus"
)

const (
	nameA = "9bc1a1e1a9f0e6b4d6c2e3f4a5b6c7d8e9f0a1b2"
	nameB = "3f2a000011112222333344445555666677778888"
)

// sampleMessages has one message of each type, with every field set.
func sampleMessages() []*clusterbus.Message {
	h := clusterbus.Header{Port: 6881, CPort: 16881, PPort: 0, CurrentEpoch: 7, ConfigEpoch: 3, Offset: 12345,
		Sender: nameA, SlaveOf: nameB, MyIP: "10.0.0.1", Flags: clusterbus.FlagSlave, State: clusterbus.StateFail}
	h.MySlots.Set(0)
	h.MySlots.Set(16383)
	var ms []*clusterbus.Message
	add := func(typ clusterbus.Type, f func(m *clusterbus.Message)) {
		m := &clusterbus.Message{Header: h}
		m.Type = typ
		if f != nil {
			f(m)
		}
		ms = append(ms, m)
	}
	gossip := func(m *clusterbus.Message) {
		m.MFlags[0] = clusterbus.MFlag0ExtData
		m.Gossip = []clusterbus.Gossip{
			{Name: nameB, PingSent: 1, PongReceived: 2, IP: "::1", Port: 7000, CPort: 17000, PPort: 1, Flags: clusterbus.FlagMaster | clusterbus.FlagPFail},
			{Name: nameA, IP: "127.0.0.1", Port: 7001, CPort: 17001, Flags: clusterbus.FlagSlave},
		}
		m.Exts = []clusterbus.Ext{
			{Type: clusterbus.ExtHostname, Name: "host-1.example"},
			{Type: clusterbus.ExtHumanNodename, Name: "node1"},
			{Type: clusterbus.ExtForgottenNode, Name: nameB, TTL: 60},
			{Type: clusterbus.ExtShardID, Name: nameA},
			{Type: 99, Data: []byte("12345678")},
		}
	}
	add(clusterbus.TypePing, gossip)
	add(clusterbus.TypePong, nil)
	add(clusterbus.TypeMeet, gossip)
	add(clusterbus.TypeFail, func(m *clusterbus.Message) { m.Node = nameB })
	add(clusterbus.TypePublish, func(m *clusterbus.Message) { m.Channel, m.Payload = []byte("news"), []byte("hi") })
	add(clusterbus.TypePublishShard, func(m *clusterbus.Message) { m.Channel, m.Payload = []byte("c"), []byte{} })
	add(clusterbus.TypeFailoverAuthRequest, func(m *clusterbus.Message) { m.MFlags[0] = clusterbus.MFlag0ForceAck })
	add(clusterbus.TypeFailoverAuthAck, nil)
	add(clusterbus.TypeUpdate, func(m *clusterbus.Message) {
		m.Node, m.UpdateEpoch = nameB, 9
		m.UpdateSlots.Set(42)
	})
	add(clusterbus.TypeMFStart, nil)
	add(clusterbus.TypeModule, func(m *clusterbus.Message) { m.ModuleID, m.ModuleType, m.Payload = 77, 3, []byte("mod") })
	return ms
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		t.Run(m.Type.String(), func(t *testing.T) {
			b := m.Append([]byte("prefix"))
			require.Equal(t, "prefix", string(b[:6]))
			b = b[6:]
			assert.Len(t, b, m.Len())
			got, err := clusterbus.Decode(b)
			require.NoError(t, err)
			if got.Channel == nil && m.Channel != nil {
				got.Channel = []byte{}
			}
			if got.Payload == nil && m.Payload != nil {
				got.Payload = []byte{}
			}
			assert.Equal(t, m, got)
			// Through a Reader, two messages back to back.
			r := clusterbus.NewReader(bytes.NewReader(append(append([]byte(nil), b...), b...)))
			for range 2 {
				f, err := r.ReadFrame()
				require.NoError(t, err)
				assert.Equal(t, b, f)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	fail := (&clusterbus.Message{Header: clusterbus.Header{Type: clusterbus.TypeFail}}).Append(nil)
	bad := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(fail)) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"short", []byte("RCmb"), clusterbus.ErrLength},
		{"signature", bad(func(b []byte) []byte { b[0] = 'X'; return b }), clusterbus.ErrSignature},
		{"version", bad(func(b []byte) []byte { b[9] = 2; return b }), clusterbus.ErrVersion},
		{"totlen", bad(func(b []byte) []byte { return b[:len(b)-1] }), clusterbus.ErrLength},
		{"fail body", bad(func(b []byte) []byte { b[7] = 0xd0; return b[:0x8d0] }), clusterbus.ErrLength},
		{"ping count", bad(func(b []byte) []byte { b[13], b[15] = 0, 1; return b }), clusterbus.ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clusterbus.Decode(tt.in)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	r := clusterbus.NewReader(bytes.NewReader(fail))
	r.MaxLen = 100
	_, err := r.ReadFrame()
	assert.ErrorIs(t, err, clusterbus.ErrLength)
}

func TestSlotBitmap(t *testing.T) {
	var b clusterbus.SlotBitmap
	b.Set(9)
	assert.Equal(t, byte(2), b[1])
	assert.True(t, b.Has(9))
	b.Clear(9)
	assert.False(t, b.Has(9))
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.Append(nil))
	}
	seeds, _ := filepath.Glob("testdata/*.bin")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := clusterbus.Decode(in)
		if err != nil {
			return
		}
		out := m.Append(nil)
		m2, err := clusterbus.Decode(out)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if !bytes.Equal(m2.Append(nil), out) {
			t.Fatal("encoding is not stable")
		}
		if len(out) != len(in) && m.Type <= clusterbus.TypePublishShard && len(m.Exts) == 0 {
			t.Fatalf("length changed: %d to %d", len(in), len(out))
		}
	})
}

func BenchmarkDecodePing(b *testing.B) {
	m := sampleMessages()[0]
	buf := m.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := clusterbus.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPing(b *testing.B) {
	m := sampleMessages()[0]
	buf := m.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = m.Append(buf[:0])
	}
}
