//go:build unix

package main

import (
	"os"
	"syscall"
)

// stopSelf sends the process SIGSTOP, upstart's readiness signal; upstart then continues it.
func stopSelf() { syscall.Kill(os.Getpid(), syscall.SIGSTOP) }

// detached returns the process attributes of a daemon: a session of its own, away from the terminal.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
