package node

import (
	"io"
	"testing"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/resp"
)

// BenchmarkExecuteACL is BenchmarkExecute for a user with limits, whose every command the ACL checks: keys
// by pattern, and commands allowed by category.
func BenchmarkExecuteACL(b *testing.B) {
	srv, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	u := acl.NewUser(aclTable, "limited")
	if err := u.SetRules("on", "nopass", "%R~other:*", "~ke?", "&*", "-@all", "+@string"); err != nil {
		b.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", -1, func(*client) {})
	c.setUser(srv.putUser(u))
	c.w = resp.NewWriter(io.Discard)
	set := [][]byte{[]byte("SET"), []byte("key"), []byte("value")}
	get := [][]byte{[]byte("GET"), []byte("key")}
	c.execute(set)
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.execute(get)
			c.w.Discard()
		}
	})
	b.Run("set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.execute(set)
			c.w.Discard()
		}
	})
}
