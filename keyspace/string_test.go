package keyspace_test

import (
	"strings"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     keyspace.Config
		wantErr bool
	}{
		{"zero is defaults", keyspace.Config{}, false},
		{"default", keyspace.DefaultConfig(), false},
		{"one shard", keyspace.Config{Shards: 1}, false},
		{"shards not power of two", keyspace.Config{Shards: 6}, true},
		{"too many shards", keyspace.Config{Shards: 512}, true},
		{"negative databases", keyspace.Config{Databases: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr {
				assert.Error(t, err)
				_, err = keyspace.New(tt.cfg)
				assert.Error(t, err)
				return
			}
			assert.NoError(t, err)
		})
	}
}

func TestSetStringEncoding(t *testing.T) {
	tests := []struct {
		name, val string
		want      keyspace.Encoding
	}{
		{"zero", "0", keyspace.EncInt},
		{"int", "123", keyspace.EncInt},
		{"max int64", "9223372036854775807", keyspace.EncInt},
		{"min int64", "-9223372036854775808", keyspace.EncInt},
		{"past max int64", "9223372036854775808", keyspace.EncEmbstr},
		{"minus zero", "-0", keyspace.EncEmbstr},
		{"leading zero", "007", keyspace.EncEmbstr},
		{"plus sign", "+1", keyspace.EncEmbstr},
		{"space", " 1", keyspace.EncEmbstr},
		{"float", "1.5", keyspace.EncEmbstr},
		{"empty", "", keyspace.EncEmbstr},
		{"44 bytes", strings.Repeat("x", 44), keyspace.EncEmbstr},
		{"45 bytes", strings.Repeat("x", 45), keyspace.EncRaw},
		{"300 bytes", strings.Repeat("y", 300), keyspace.EncRaw},
		{"binary", "a\x00b\r\n", keyspace.EncEmbstr},
	}
	f := newFixture(t, keyspace.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.set(0, "k", tt.val, 0)
			f.do(0, []string{"k"}, func(tx *keyspace.Txn) {
				e, ok := tx.Lookup([]byte("k"))
				require.True(t, ok)
				assert.Equal(t, keyspace.KindString, e.Kind())
				assert.Equal(t, tt.want, e.Encoding())
				assert.Equal(t, tt.val, string(e.Bytes(make([]byte, 0, 20))))
				assert.Equal(t, len(tt.val), e.StrLen())
				assert.Equal(t, "k", string(e.Key()))
			})
		})
	}
}

func TestSetStringOverwrite(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	long := strings.Repeat("z", 1000)
	steps := []string{"abc", "xyz", "12", "13", "hello", long, "1", strings.Repeat("q", 1000), ""}
	for _, v := range steps {
		f.set(0, "k", v, 0)
		got, ok := f.get(0, "k")
		require.True(t, ok)
		assert.Equal(t, v, got)
	}
	f.do(0, []string{"k"}, func(tx *keyspace.Txn) {
		tx.SetRawString([]byte("k"), []byte("12"), 0)
		e, _ := tx.Lookup([]byte("k"))
		assert.Equal(t, keyspace.EncRaw, e.Encoding())
		assert.Equal(t, "12", string(e.Bytes(nil)))
	})
}

func TestSetStringExpiry(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.do(0, []string{"k"}, func(tx *keyspace.Txn) {
		tx.SetString([]byte("k"), []byte("v"), now+1000)
		assert.Equal(t, now+1000, tx.ExpireTime([]byte("k")))
		tx.SetString([]byte("k"), []byte("w"), keyspace.KeepTTL)
		assert.Equal(t, now+1000, tx.ExpireTime([]byte("k")))
		tx.SetString([]byte("k"), []byte("x"), 0)
		assert.Equal(t, int64(-1), tx.ExpireTime([]byte("k")))
	})
}

func TestIncrBy(t *testing.T) {
	tests := []struct {
		name, start string
		delta, want int64
		wantErr     error
	}{
		{"missing key", "", 5, 5, nil},
		{"from zero", "0", 5, 5, nil},
		{"negative", "10", -3, 7, nil},
		{"to negative", "1", -3, -2, nil},
		{"embstr digits", "0000", 1, 0, keyspace.ErrNotInteger},
		{"not a number", "abc", 1, 0, keyspace.ErrNotInteger},
		{"float", "1.5", 1, 0, keyspace.ErrNotInteger},
		{"minus zero", "-0", 1, 0, keyspace.ErrNotInteger},
		{"overflow", "9223372036854775807", 1, 0, keyspace.ErrOverflow},
		{"underflow", "-9223372036854775808", -1, 0, keyspace.ErrOverflow},
		{"min plus one", "-9223372036854775808", 1, -9223372036854775807, nil},
		{"raw integer string", "raw:42", 1, 43, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, keyspace.Config{})
			k := []byte("k")
			f.do(0, []string{"k"}, func(tx *keyspace.Txn) {
				switch {
				case strings.HasPrefix(tt.start, "raw:"):
					tx.SetRawString(k, []byte(strings.TrimPrefix(tt.start, "raw:")), 0)
				case tt.start != "":
					tx.SetString(k, []byte(tt.start), 0)
				}
				got, err := tx.IncrBy(k, tt.delta)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				e, ok := tx.Lookup(k)
				require.True(t, ok)
				assert.Equal(t, keyspace.EncInt, e.Encoding())
				n, ok := e.Int()
				assert.True(t, ok)
				assert.Equal(t, tt.want, n)
			})
		})
	}
}

func TestIncrByKeepsTTLAndRejectsOtherKinds(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.do(0, []string{"n", "l"}, func(tx *keyspace.Txn) {
		tx.SetString([]byte("n"), []byte("5"), now+5000)
		_, err := tx.IncrBy([]byte("n"), 1)
		require.NoError(t, err)
		assert.Equal(t, now+5000, tx.ExpireTime([]byte("n")))

		tx.SetObject([]byte("l"), &fakeList{items: []string{"a"}}, 0)
		_, err = tx.IncrBy([]byte("l"), 1)
		assert.ErrorIs(t, err, keyspace.ErrWrongType)
	})
}

// fakeList stands in for a later list type.
type fakeList struct{ items []string }

func (l *fakeList) Kind() keyspace.Kind         { return keyspace.KindList }
func (l *fakeList) Encoding() keyspace.Encoding { return keyspace.EncQuicklist }
func (l *fakeList) Clone() keyspace.Object {
	return &fakeList{items: append([]string(nil), l.items...)}
}

func TestObjectValues(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.do(0, []string{"l"}, func(tx *keyspace.Txn) {
		tx.SetObject([]byte("l"), &fakeList{items: []string{"a", "b"}}, 0)
		e, ok := tx.Lookup([]byte("l"))
		require.True(t, ok)
		assert.Equal(t, keyspace.KindList, e.Kind())
		assert.Equal(t, "list", e.Kind().String())
		assert.Equal(t, "quicklist", e.Encoding().String())
		assert.Nil(t, e.Bytes(nil))
		assert.Equal(t, []string{"a", "b"}, e.Object().(*fakeList).items)
		assert.Equal(t, keyspace.KindList, tx.Type([]byte("l")))
		// A string overwrites a list.
		tx.SetString([]byte("l"), []byte("s"), 0)
		assert.Equal(t, keyspace.KindString, tx.Type([]byte("l")))
	})
}

func TestKindNames(t *testing.T) {
	for _, name := range []string{"string", "list", "set", "zset", "hash", "stream"} {
		k, ok := keyspace.ParseKind(name)
		require.True(t, ok, name)
		assert.Equal(t, name, k.String())
	}
	_, ok := keyspace.ParseKind("none")
	assert.False(t, ok)
	assert.Equal(t, "none", keyspace.KindNone.String())
	assert.Equal(t, "embstr", keyspace.EncEmbstr.String())
	assert.Equal(t, "int", keyspace.EncInt.String())
	assert.Equal(t, "raw", keyspace.EncRaw.String())
}
