//go:build !unix

package main

import "syscall"

// stopSelf does nothing where there is no upstart.
func stopSelf() {}

// detached returns no attributes: the copy only runs in the background.
func detached() *syscall.SysProcAttr { return nil }
