package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/server/node"
)

// The process-level parameters of redis.conf, which only the command handles: logfile, pidfile and
// supervised.

// logOutput opens logfile for appending, as Redis opens it at every line; "" is standard output.
func logOutput(cfg node.Config) (io.Writer, error) {
	if cfg.LogFile == "" {
		return os.Stdout, nil
	}
	f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("Can't open the log file: %w", err)
	}
	return f, nil
}

// writePidFile writes the process id to pidfile, if set, and returns the function that removes it at exit. As
// in Redis, failing to write it is logged, not fatal.
func writePidFile(cfg node.Config, log hclog.Logger) (remove func()) {
	if cfg.PidFile == "" {
		return func() {}
	}
	if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		log.Warn("failed to write PID file", "path", cfg.PidFile, "error", err)
		return func() {}
	}
	return func() { os.Remove(cfg.PidFile) }
}

// supervisor returns how the process tells its supervisor that it is ready: "systemd" (sd_notify READY=1 to
// NOTIFY_SOCKET), "upstart" (stopping itself with SIGSTOP, which upstart's "expect stop" waits for) or "" for
// neither. supervised auto picks by the environment, as Redis does.
func supervisor(cfg node.Config) string {
	switch cfg.Supervised {
	case "systemd", "upstart":
		return cfg.Supervised
	case "auto":
		if os.Getenv("UPSTART_JOB") != "" {
			return "upstart"
		}
		if os.Getenv("NOTIFY_SOCKET") != "" {
			return "systemd"
		}
	}
	return ""
}

// notifySystemd sends state ("READY=1", "STOPPING=1") to systemd's notification socket.
func notifySystemd(state string, log hclog.Logger) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		log.Warn("systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable is not set")
		return
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		log.Warn("can't connect to systemd socket", "path", addr, "error", err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		log.Warn("can't send notification to systemd", "error", err)
	}
}

// notifyReady tells the supervisor that the server accepts connections.
func notifyReady(cfg node.Config, log hclog.Logger) {
	switch supervisor(cfg) {
	case "systemd":
		log.Info("supervised by systemd, notifying readiness")
		notifySystemd("STATUS=Ready to accept connections\nREADY=1\n", log)
	case "upstart":
		log.Info("supervised by upstart, will stop to signal readiness")
		stopSelf()
	}
}

// notifyStopping tells systemd that the server is shutting down.
func notifyStopping(cfg node.Config, log hclog.Logger) {
	if supervisor(cfg) == "systemd" {
		notifySystemd("STOPPING=1\n", log)
	}
}

// daemonEnv marks the background copy of a daemonized process, which must not detach again.
const daemonEnv = "CARMINE_DAEMONIZED"

// daemonize starts a detached copy of the process (a new session, standard files on /dev/null) with the same
// arguments, as Redis's daemonize forks, and returns; the caller then exits. As in Redis, a daemonized server
// writes a pid file even when pidfile is unset: /var/run/redis.pid.
func daemonize(cfg node.Config) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	args := os.Args[1:]
	if cfg.PidFile == "" {
		args = append(args[:len(args):len(args)], "--pidfile", "/var/run/redis.pid")
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	return cmd.Process.Release()
}
