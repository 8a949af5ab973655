package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// infoInt reads one integer field of an INFO section of the server on port.
func infoInt(port int, section, field string) (int64, error) {
	info, err := infoSection(port, section)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO %s", field, section)
}

// replicatedResult is one run of the SET-with-replicas row.
type replicatedResult struct {
	result
	lag int64 // the largest replica lag seen, in bytes
}

// replicated measures SET on a primary with replicas of the same server attached: redis-benchmark's ops/s
// and p99, and the largest replica lag in bytes (master_repl_offset minus a replica's slave_repl_offset)
// sampled every 50 ms during the run.
func replicated(s *server, bin, benchBin, dir string, args func(int, string) []string, replicas, requests int) (replicatedResult, error) {
	var rs []*server
	defer func() {
		for _, r := range rs {
			r.stop()
		}
	}()
	for i := range replicas {
		r, err := startServer(s.name+"-replica", bin, filepath.Join(dir, s.name+"-replica-"+strconv.Itoa(i)),
			func(port int, dir string) []string {
				return append(args(port, dir), "--replicaof", "127.0.0.1", strconv.Itoa(s.port))
			})
		if err != nil {
			return replicatedResult{}, err
		}
		rs = append(rs, r)
	}
	// Wait until every replica finished its full sync and streams: connected_slaves counts replicas still
	// waiting for their payload (Redis delays a diskless sync by repl-diskless-sync-delay, 5 s), whose writes
	// the primary only buffers meanwhile.
	for deadline := time.Now().Add(30 * time.Second); ; {
		up := 0
		for _, r := range rs {
			if info, err := infoSection(r.port, "replication"); err == nil && strings.Contains(info, "master_link_status:up") {
				up++
			}
		}
		if up == replicas {
			break
		}
		if time.Now().After(deadline) {
			return replicatedResult{}, fmt.Errorf("%d replicas of %s did not connect", replicas, s.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var maxLag atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			top, err := infoInt(s.port, "replication", "master_repl_offset")
			for _, r := range rs {
				off, err2 := infoInt(r.port, "replication", "slave_repl_offset")
				if err == nil && err2 == nil && top-off > maxLag.Load() {
					maxLag.Store(top - off)
				}
			}
		}
	}()
	res, err := benchmark(benchBin, s.port, requests, []string{"-c", "50", "-r", "100000", "-t", "set"}, "SET")
	close(stop)
	<-sampled
	return replicatedResult{res, maxLag.Load()}, err
}
