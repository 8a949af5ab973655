package node

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestShutdownOnSignal checks shutdown-on-sigint and shutdown-on-sigterm: the default saves when there are save
// points, nosave does not, save does without them, and a failed save keeps the server running unless force.
func TestShutdownOnSignal(t *testing.T) {
	tests := []struct {
		name        string
		sig         syscall.Signal
		flags       string
		save        bool // save points configured
		failSave    bool // the directory is gone
		wantStopped bool
		wantDump    bool
	}{
		{"default saves", syscall.SIGTERM, "default", true, false, true, true},
		{"default without save points", syscall.SIGINT, "default", false, false, true, false},
		{"nosave", syscall.SIGTERM, "nosave", true, false, true, false},
		{"save", syscall.SIGINT, "save now", false, false, true, true},
		{"failed save runs on", syscall.SIGTERM, "default", true, true, false, false},
		{"force", syscall.SIGINT, "force", true, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv, addr := startServer(t, func(c *Config) {
				c.Dir = dir
				if tt.save {
					c.Save = []SavePoint{{3600, 1}}
				}
				if tt.sig == syscall.SIGINT {
					c.ShutdownOnSigint = tt.flags
				} else {
					c.ShutdownOnSigterm = tt.flags
				}
			})
			c := difftest.Dial(t, addr)
			require.Equal(t, "+OK", difftest.Format(c.Do("SET", "k", "v")))
			if tt.failSave {
				require.NoError(t, os.RemoveAll(dir))
			}
			srv.ShutdownOnSignal(tt.sig)
			if tt.wantStopped {
				select {
				case <-srv.done:
				case <-time.After(10 * time.Second):
					t.Fatal("the server did not stop")
				}
			} else {
				assert.Equal(t, "+PONG", difftest.Format(c.Do("PING")), "still serving")
			}
			_, err := os.Stat(filepath.Join(dir, "dump.rdb"))
			assert.Equal(t, tt.wantDump, err == nil, "dump.rdb written: %v", err)
		})
	}
}
