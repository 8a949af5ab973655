package node

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

// childServerEnv, when set, makes the test binary run a Carmine server instead of the tests (see
// startChildServer); its value is the number of event loops.
const childServerEnv = "CARMINE_TEST_CHILD_SERVER"

// childNoFileEnv, when set for a child server, is the limit of open files it runs with once started;
// childNoFileAtStartEnv is the limit it starts with ("n", or "soft:hard"); childMaxClientsEnv is its maxclients
// (20000 by default).
const (
	childNoFileEnv        = "CARMINE_TEST_CHILD_NOFILE"
	childNoFileAtStartEnv = "CARMINE_TEST_CHILD_NOFILE_AT_START"
	childMaxClientsEnv    = "CARMINE_TEST_CHILD_MAXCLIENTS"
	childManageMemoryEnv  = "CARMINE_TEST_CHILD_MANAGE_MEMORY" // set: the memory policy of carmine-server (gcpolicy.go)
)

// childConfigEnv, when set for a child server, is redis.conf text applied over its configuration.
const childConfigEnv = "CARMINE_TEST_CHILD_CONFIG"

func TestMain(m *testing.M) {
	if loops := os.Getenv(childServerEnv); loops != "" {
		os.Exit(runChildServer(loops))
	}
	os.Exit(m.Run())
}

// runChildServer serves on a free loopback port, writes the address to stdout, and stops when stdin closes.
func runChildServer(loops string) int {
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Save = nil // as difftest starts Redis: --save ""
	cfg.Dir = os.TempDir()
	cfg.EventLoops, _ = strconv.Atoi(loops)
	cfg.MaxClients = 20000 // room for the many-connection tests (fitted to the limit of open files at start)
	if err := cfg.Load([]byte(os.Getenv(childConfigEnv))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg.ManageMemory = os.Getenv(childManageMemoryEnv) != ""
	if n, err := strconv.Atoi(os.Getenv(childMaxClientsEnv)); err == nil {
		cfg.MaxClients = n
	}
	if soft, hard, ok := strings.Cut(os.Getenv(childNoFileAtStartEnv), ":"); ok {
		s, _ := strconv.Atoi(soft)
		h, _ := strconv.Atoi(hard)
		if err := limitFiles(s, h); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	} else if n, err := strconv.Atoi(os.Getenv(childNoFileAtStartEnv)); err == nil {
		if err := limitFiles(n, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	srv, err := Start(cfg, hclog.New(&hclog.LoggerOptions{Name: "child", Level: hclog.Warn, Output: os.Stderr}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// After Start, which would otherwise fit maxclients to the limit: the server is to run out of descriptors.
	if n, err := strconv.Atoi(os.Getenv(childNoFileEnv)); err == nil {
		if err := limitFiles(n, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println(srv.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

// startChildServer runs Carmine with loops event loops in a child process, with env added to its environment, for tests that need more file
// descriptors than one process may hold (the clients' ends here, the server's there). It returns the address
// and stops the child when the test ends.
func startChildServer(t *testing.T, loops int, env ...string) string {
	t.Helper()
	addr, _ := startChild(t, loops, env...)
	return addr
}

// startChild is startChildServer that also returns the child's process, for tests that kill it.
func startChild(t *testing.T, loops int, env ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServerEnv+"="+strconv.Itoa(loops))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = tWriter{t}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the child server did not start")
	return strings.TrimSpace(line), cmd.Process
}
