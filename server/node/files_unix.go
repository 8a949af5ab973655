//go:build unix

package node

import (
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// reservedFiles are the file descriptors kept for other uses than clients (listeners, epoll, files), as
// Redis's CONFIG_MIN_RESERVED_FDS.
const reservedFiles = 32

// fitMaxClients raises the limit of open files to what maxclients needs, as Redis does at start-up, and
// returns maxclients lowered to what the limit allows when it cannot be raised that far.
func fitMaxClients(maxClients int, log hclog.Logger) int {
	need := uint64(maxClients) + reservedFiles
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= need {
		return maxClients
	}
	want := lim
	want.Cur = min(need, lim.Max)
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
	if err == nil && want.Cur >= need {
		return maxClients
	}
	if err == nil {
		lim = want
	}
	fit := int(lim.Cur) - reservedFiles
	if fit < 1 {
		fit = 1
	}
	log.Warn("the limit of open files is too low for maxclients; maxclients has been reduced to compensate, "+
		"raise 'ulimit -n' for more", "maxclients-requested", maxClients, "files-needed", need,
		"files-limit", lim.Cur, "maxclients", fit)
	return fit
}
