package clusterbus_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/carminedb/carmine/clusterbus"
)

// The slots a real redis-server 7.0.15 reported with CLUSTER KEYSLOT.
func TestKeySlot(t *testing.T) {
	tests := []struct {
		key  string
		want int
	}{
		{"123456789", 12739},
		{"foo", 12182},
		{"bar", 5061},
		{"{user1000}.following", 3443},
		{"{user1000}.followers", 3443},
		{"foo{}{bar}", 8363},
		{"foo{{bar}}zap", 4015},
		{"foo{bar}{zap}", 5061},
		{"{}", 15257},
		{"", 0},
		{"a{b", 13340},
		{"}{x}", 16287},
		{"hello", 866},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clusterbus.KeySlot([]byte(tt.key)), "KEYSLOT %q", tt.key)
	}
	assert.Equal(t, uint16(0x31C3), clusterbus.CRC16([]byte("123456789")))
}

func BenchmarkKeySlot(b *testing.B) {
	key := []byte("{user1000}.following")
	b.ReportAllocs()
	for b.Loop() {
		clusterbus.KeySlot(key)
	}
}
