package node

import (
	"errors"
	"strings"
)

// AOFConfig holds the append-only file's parameters.
type AOFConfig struct {
	Enabled               bool   // appendonly
	Fsync                 string // appendfsync: always, everysec or no
	Filename              string // appendfilename: the prefix of the parts' names
	DirName               string // appenddirname: the parts' directory, inside dir
	LoadTruncated         bool   // aof-load-truncated: load a torn last file, cutting its tail
	RDBPreamble           bool   // aof-use-rdb-preamble: rewrites write the base as an RDB file
	Timestamps            bool   // aof-timestamp-enabled: accepted; no "#TS:" annotations are written
	RewriteIncrFsync      bool   // aof-rewrite-incremental-fsync
	DisableAutoGC         bool   // aof-disable-auto-gc: keep history files instead of deleting them
	NoFsyncOnRewrite      bool   // no-appendfsync-on-rewrite
	AutoRewritePercentage int64  // auto-aof-rewrite-percentage: 0 disables automatic rewrites
	AutoRewriteMinSize    int64  // auto-aof-rewrite-min-size: bytes
}

// DefaultAOFConfig returns Redis's defaults.
func DefaultAOFConfig() AOFConfig {
	return AOFConfig{
		Fsync:                 "everysec",
		Filename:              "appendonly.aof",
		DirName:               "appendonlydir",
		LoadTruncated:         true,
		RDBPreamble:           true,
		RewriteIncrFsync:      true,
		AutoRewritePercentage: 100,
		AutoRewriteMinSize:    64 << 20,
	}
}

// aofNameCheck checks appendfilename and appenddirname with Redis's error texts: a plain name, not empty.
func aofNameCheck(param, what string) func(string) error {
	return func(s string) error {
		if s == "" {
			return errors.New(param + " can't be empty")
		}
		if strings.ContainsAny(s, "/\\") {
			return errors.New(param + " can't be a path, just a " + what)
		}
		return nil
	}
}
