//go:build unix

package node

import "syscall"

// cpuTimes is the CPU time used, in seconds, as INFO cpu reports it.
type cpuTimes struct{ sys, user, childSys, childUser float64 }

func readCPU() cpuTimes {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	secs := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return cpuTimes{secs(self.Stime), secs(self.Utime), secs(children.Stime), secs(children.Utime)}
}
