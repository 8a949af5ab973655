package acl_test

import (
	"fmt"

	"github.com/carminedb/carmine/acl"
)

func Example() {
	// The server describes its commands once.
	tab, err := acl.NewTable([]acl.CommandInfo{
		{Name: "get", Categories: []string{"read", "string", "fast"}},
		{Name: "set", Categories: []string{"write", "string", "slow"}},
		{Name: "publish", Categories: []string{"pubsub", "fast"}},
	})
	if err != nil {
		panic(err)
	}
	// ACL SETUSER reader on >secret %R~cache:* &news -@all +@read
	u := acl.NewUser(tab, "reader")
	if err := u.SetRules("on", ">secret", "%R~cache:*", "&news", "-@all", "+@read"); err != nil {
		panic(err)
	}
	fmt.Println(u.String())
	fmt.Println(u.CheckPassword([]byte("secret")))

	// GET cache:1 reads its key: allowed. SET cache:1 is not.
	get := [][]byte{[]byte("GET"), []byte("cache:1")}
	fmt.Println(u.Check(tab.Lookup("get"), get, []acl.Key{{Pos: 1, Access: acl.Read}}, nil).Reason)
	set := [][]byte{[]byte("SET"), []byte("cache:1"), []byte("v")}
	fmt.Println(u.Check(tab.Lookup("set"), set, []acl.Key{{Pos: 1, Access: acl.Write}}, nil).Reason)

	// Error texts are Redis's.
	fmt.Println(u.SetRules("+nosuch"))
	// Output:
	// on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b %R~cache:* resetchannels &news -@all +@read
	// true
	// allowed
	// command
	// Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL
}
