package node

import _ "unsafe" // for go:linkname

// nanotime is the runtime's monotonic clock in nanoseconds: one clock read, where time.Now makes two (wall and
// monotonic). The dispatcher times every command with it.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
