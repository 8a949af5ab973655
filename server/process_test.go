package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/node"
)

func TestPidFile(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.PidFile = filepath.Join(t.TempDir(), "carmine.pid")
	remove := writePidFile(cfg, hclog.NewNullLogger())
	got, err := os.ReadFile(cfg.PidFile)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(got))
	remove()
	_, err = os.Stat(cfg.PidFile)
	assert.True(t, os.IsNotExist(err), "removed at exit")
}

func TestLogFile(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.LogFile = filepath.Join(t.TempDir(), "nodir", "carmine.log")
	_, err := logOutput(cfg)
	assert.ErrorContains(t, err, "Can't open the log file")
	cfg.LogFile = filepath.Join(t.TempDir(), "carmine.log")
	out, err := logOutput(cfg)
	require.NoError(t, err)
	hclog.New(&hclog.LoggerOptions{Output: out}).Info("hello")
	got, err := os.ReadFile(cfg.LogFile)
	require.NoError(t, err)
	assert.Contains(t, string(got), "hello")
}

func TestSupervisedSystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("UPSTART_JOB", "")
	cfg := node.DefaultConfig()
	assert.Equal(t, "", supervisor(cfg), "supervised no")
	cfg.Supervised = "auto"
	assert.Equal(t, "systemd", supervisor(cfg))
	notifyReady(cfg, hclog.NewNullLogger())
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	assert.Contains(t, string(buf[:n]), "READY=1\n")
	notifyStopping(cfg, hclog.NewNullLogger())
	n, err = conn.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "STOPPING=1\n", string(buf[:n]))
}
