package node

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

func TestParseArgs(t *testing.T) {
	files := map[string]string{
		"carmine.conf": "# a comment\nport 7000\n\nbind 127.0.0.1 \"::1\"\nrequirepass \"a b\"\nsave \"\"\nappendonly no\n",
		"bad.conf":     "port 7000\nmaxmemory-frobnicate 5\n",
		"aof.conf":     "appendonly yes\nappendfsync always\nappenddirname aofs\n",
		"tls.conf":     "tls-port 6380\n",
		"save.conf":    "save 900 1\nsave 300 10\n",
		"nosave.conf":  "save \"\"\n",
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{"defaults", nil, func(t *testing.T, c Config) {
			assert.Equal(t, 6379, c.Port)
			assert.Equal(t, 16, c.Databases)
			assert.Equal(t, "dump.rdb", c.DBFilename)
		}, ""},
		{"flags", []string{"--port", "7001", "--bind", "127.0.0.1", "::1", "--databases", "4"}, func(t *testing.T, c Config) {
			assert.Equal(t, 7001, c.Port)
			assert.Equal(t, []string{"127.0.0.1", "::1"}, c.Bind)
			assert.Equal(t, 4, c.Databases)
		}, ""},
		{"file then flags, later wins", []string{"carmine.conf", "--port", "7002"}, func(t *testing.T, c Config) {
			assert.Equal(t, 7002, c.Port)
			assert.Equal(t, []string{"127.0.0.1", "::1"}, c.Bind)
			assert.Equal(t, "a b", c.RequirePass)
		}, ""},
		{"save off by flag", []string{"--save", ""}, func(t *testing.T, c Config) { assert.Empty(t, c.Save) }, ""},
		{"save defaults", nil, func(t *testing.T, c Config) {
			assert.Equal(t, []SavePoint{{3600, 1}, {300, 100}, {60, 10000}}, c.Save)
		}, ""},
		{"save lines add up", []string{"save.conf"}, func(t *testing.T, c Config) {
			assert.Equal(t, []SavePoint{{900, 1}, {300, 10}}, c.Save)
		}, ""},
		{"save off in file", []string{"nosave.conf"}, func(t *testing.T, c Config) { assert.Empty(t, c.Save) }, ""},
		{"save flag pairs", []string{"--save", "10", "2", "20", "3"}, func(t *testing.T, c Config) {
			assert.Equal(t, []SavePoint{{10, 2}, {20, 3}}, c.Save)
		}, ""},
		{"bad save", []string{"--save", "10"}, nil, "Invalid save parameters"},
		{"memory units", []string{"--proto-max-bulk-len", "2mb"}, func(t *testing.T, c Config) {
			assert.Equal(t, int64(2<<20), c.ProtoMaxBulkLen)
		}, ""},
		{"unknown flag", []string{"--frobnicate", "yes"}, nil, "unknown option 'frobnicate'"},
		{"unknown directive in file names the line", []string{"bad.conf"}, nil, "bad.conf: line 2: unknown option 'maxmemory-frobnicate'"},
		{"aof", []string{"aof.conf"}, func(t *testing.T, c Config) {
			assert.True(t, c.AOF.Enabled)
			assert.Equal(t, "always", c.AOF.Fsync)
			assert.Equal(t, "aofs", c.AOF.DirName)
		}, ""},
		{"aof dir is a name", []string{"--appenddirname", "a/b"}, nil, "appenddirname can't be a path, just a dirname"},
		{"aof file is a name", []string{"--appendfilename", ""}, nil, "appendfilename can't be empty"},
		{"feature not there yet", []string{"tls.conf"}, nil, "option 'tls-port': not supported yet by Carmine"},
		{"bad port", []string{"--port", "70000"}, nil, "option 'port'"},
		{"missing file", []string{"nosuch.conf"}, nil, "reading configuration file"},
		{"word without --", []string{"--port", "7000", "carmine.conf"}, nil, ""},
		{"bare word after a file", []string{"carmine.conf", "x"}, nil, `argument "x"`},
		{"bad loglevel", []string{"--loglevel", "loud"}, nil, "option 'loglevel'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseArgs(tt.args, read)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			if tt.name == "word without --" { // "--port 7000 carmine.conf": the file name is a second port word
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.Dir = t.TempDir() + "/nosuch"
	assert.ErrorContains(t, c.Validate(), "can't chdir")
	c = DefaultConfig()
	c.Dir = "."
	require.NoError(t, c.Validate())
	assert.True(t, strings.HasPrefix(c.Dir, "/"), "dir is made absolute: %q", c.Dir)
}

func TestQuitClosesConnection(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		c := difftest.Dial(t, addr)
		c.Send("PING")
		c.Send("QUIT")
		c.Send("PING") // never answered
		assert.Equal(t, "+PONG", difftest.Format(c.Receive()))
		assert.Equal(t, "+OK", difftest.Format(c.Receive()))
		assertClosed(t, c, "after QUIT")
	})
}

// CLIENT SETINFO is Redis 7.2's, so it is checked here rather than against the 7.0 reference.
func TestClientSetInfo(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	for _, tt := range []struct{ args, want string }{
		{"CLIENT SETINFO LIB-NAME go-redis(carmine_v1.0)", "+OK"},
		{"CLIENT SETINFO lib-ver 9.7.0", "+OK"},
		{"CLIENT SETINFO lib-name", "(error) ERR wrong number of arguments for 'client|setinfo' command"},
		{"CLIENT SETINFO lib-color red", "(error) ERR Unrecognized option 'lib-color'"},
		{"CLIENT SETINFO LIB-NAME a\nb", "(error) ERR lib-name cannot contain spaces, newlines or special characters."},
	} {
		args := strings.SplitN(tt.args, " ", 4)
		assert.Equal(t, tt.want, difftest.Format(c.Do(args...)), tt.args)
	}
}

// TestPanicClosesOnlyItsConnection checks that a handler's panic closes that client's connection, is logged,
// and leaves the server serving everyone else.
func TestPanicClosesOnlyItsConnection(t *testing.T) {
	ping := commands["ping"]
	commands["carmine-test-panic"] = &command{spec: ping.spec, name: "carmine-test-panic", arity: 1,
		run: func(*client, [][]byte) error { panic("boom") }}
	t.Cleanup(func() { delete(commands, "carmine-test-panic") })
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode)
		other := difftest.Dial(t, addr)
		bad := difftest.Dial(t, addr)
		bad.Send("carmine-test-panic")
		assertClosed(t, bad, "after a panic")
		assert.Equal(t, "+PONG", difftest.Format(other.Do("PING")))
		assert.Equal(t, "+PONG", difftest.Format(difftest.Dial(t, addr).Do("PING")))
	})
}

// TestHostileInput sends garbage, truncated frames, huge length headers and deeply nested arrays from many
// connections at once. Each gets a protocol error and a closed connection (or waits for the rest of its frame),
// the server's memory stays bounded, and it keeps serving other clients.
func TestHostileInput(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, addr := startServer(t, mode, func(c *Config) { c.Bind = []string{"127.0.0.1"} })
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		junk := bytes.Repeat([]byte("x"), 64<<10)
		var waiting []*difftest.Conn
		for i := 0; i < 40; i++ { // each announces a 500 MB argument and sends 64 KB of it
			c := difftest.Dial(t, addr)
			c.SendRaw([]byte("*2\r\n$3\r\nSET\r\n$524288000\r\n"))
			c.SendRaw(junk)
			waiting = append(waiting, c)
		}
		for i := 0; i < 40; i++ { // each announces 2^31-1 arguments
			c := difftest.Dial(t, addr)
			c.SendRaw([]byte("*2147483647\r\n$4\r\nPING\r\n"))
			waiting = append(waiting, c)
		}
		closes := map[string]string{
			"nested":       strings.Repeat("*1\r\n", 10000),
			"garbage":      "*\xff\xfe garbage \r\n",
			"bulk too big": "*1\r\n$536870913\r\n",
			"bad length":   "*1\r\n$-7\r\n",
			"long inline":  strings.Repeat("A", 70<<10),
		}
		for name, raw := range closes {
			c := difftest.Dial(t, addr)
			c.SendRaw([]byte(raw))
			v, err := c.ReceiveErr(5 * time.Second)
			require.NoError(t, err, name)
			assert.Contains(t, difftest.Format(v), "(error) ERR Protocol error", name)
			assertClosed(t, c, name)
		}

		fresh := difftest.Dial(t, addr)
		assert.Equal(t, "+PONG", difftest.Format(fresh.Do("PING")))
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		assert.Less(t, grown, int64(64<<20), "heap grew by %d bytes for 80 hostile connections", grown)
		for _, c := range waiting { // still connected, waiting for the rest of their frames
			_, err := c.ReceiveErr(10 * time.Millisecond)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		}
	})
}

// TestCloseDisconnectsClients checks that stopping the server closes its clients and returns.
func TestCloseDisconnectsClients(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		srv, addr := startServer(t, mode)
		c := difftest.Dial(t, addr)
		assert.Equal(t, "+PONG", difftest.Format(c.Do("PING")))
		require.NoError(t, srv.Close())
		assertClosed(t, c, "after Close")
	})
}

// assertClosed checks that the server closed c: a read ends in EOF or a reset (the server closed with unread
// input queued), not a timeout.
func assertClosed(t *testing.T, c *difftest.Conn, what string) {
	t.Helper()
	_, err := c.ReceiveErr(5 * time.Second)
	require.Error(t, err, what)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "%s: the connection is left open", what)
}
