package node

import (
	"strings"
	"testing"
)

// FuzzParseACLFile feeds random ACL files to the parser: it must accept or reject them without panicking, and
// an error must name the file.
func FuzzParseACLFile(f *testing.F) {
	f.Add("user alice on >a ~* +@all\nuser bob on nopass ~b* -@all +get\n")
	f.Add("user alice on >a ~* +@all +nosuch badrule\nfoo bar\n\n  user  carol on\nuser bob on\nuser bob off\nuser d (~x +get\nuser e\t on\nuser\n")
	f.Add("user x (~a +get) (%R~b +@read) clearselectors &c* resetchannels\r\n")
	f.Fuzz(func(t *testing.T, data string) {
		users, err := parseACLFile("users.acl", []byte(data))
		if err != nil {
			if !strings.Contains(err.Error(), "users.acl") && !strings.Contains(err.Error(), "Duplicate user") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, u := range users {
			_ = u.String()
		}
	})
}
