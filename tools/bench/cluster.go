package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The cluster rows: aggregate SET and GET throughput of a 3-primary cluster of each server, measured with
// redis-benchmark --cluster (which spreads its keys over every primary's slots with hash tags).

// clusterWorkloads are the rows of the cluster table.
var clusterWorkloads = []workload{
	{"SET c=50, 3 primaries", []string{"--cluster", "-t", "set", "-c", "50", "-r", "100000"}, "SET", nil},
	{"GET c=50, 3 primaries", []string{"--cluster", "-t", "get", "-c", "50", "-r", "100000"}, "GET", nil},
}

// benchCluster is a cluster of primaries started for the cluster rows.
type benchCluster struct {
	name  string
	nodes []*server
}

func (c *benchCluster) stop() {
	for _, n := range c.nodes {
		n.stop()
	}
}

// port is the node redis-benchmark connects to first.
func (c *benchCluster) port() int { return c.nodes[0].port }

// startCluster starts n cluster-enabled servers and joins them with redis-cli --cluster create, each primary
// taking a third of the slots, then waits until every node reports cluster_state:ok.
func startCluster(name, bin, cli, dir string, n int, args func(int, string) []string) (*benchCluster, error) {
	c := &benchCluster{name: name}
	clusterArgs := func(port int, dir string) []string {
		return append(args(port, dir), "--cluster-enabled", "yes", "--cluster-node-timeout", "5000")
	}
	var addrs []string
	for i := range n {
		port, err := freePortPair()
		if err != nil {
			c.stop()
			return nil, err
		}
		s, err := startServerOn(name, bin, filepath.Join(dir, name+"-cluster-"+strconv.Itoa(i)), port, clusterArgs)
		if err != nil {
			c.stop()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, append(append([]string{"--cluster", "create"}, addrs...),
		"--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("redis-cli --cluster create on %s: %w: %s", name, err, out)
	}
	for _, s := range c.nodes {
		for deadline := time.Now().Add(30 * time.Second); ; {
			info, err := bulkCommand(s.port, "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.stop()
				return nil, fmt.Errorf("%s cluster node %d not ok: %q %v", name, s.port, info, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c, nil
}

// freePortPair returns a free port p whose cluster bus port p+10000, which redis-cli --cluster create
// assumes, is free too.
func freePortPair() (int, error) {
	for range 100 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+10000 > 65535 {
			continue
		}
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000)); err == nil {
			ln.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free pair of ports")
}

// clusterRows measures the cluster workloads on a Redis cluster and a Carmine cluster, alternating, and
// writes their rows to tw.
func clusterRows(tw io.Writer, redisBin, serverBin, cli, benchBin, dir string, requests, rounds int) error {
	redis, err := startCluster("redis", redisBin, cli, dir, 3, redisArgs)
	if err != nil {
		return err
	}
	defer redis.stop()
	carmine, err := startCluster("carmine", serverBin, cli, dir, 3, carmineArgs)
	if err != nil {
		return err
	}
	defer carmine.stop()
	fmt.Fprintf(tw, "\ncluster\tredis ops/s\tcarmine ops/s\tratio\tredis p99 ms\tcarmine p99 ms\t\n")
	for _, wl := range clusterWorkloads {
		var r, c []result
		for range rounds {
			for _, cl := range []*benchCluster{redis, carmine} {
				res, err := benchmark(benchBin, cl.port(), requests, wl.args, wl.test)
				if err != nil {
					return fmt.Errorf("%s on the %s cluster: %w", wl.name, cl.name, err)
				}
				if cl == redis {
					r = append(r, res)
				} else {
					c = append(c, res)
				}
			}
		}
		rm, cm := median(r), median(c)
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%.3f\t%.3f\t\n", wl.name, rm.rps, cm.rps, cm.rps/rm.rps, rm.p99, cm.p99)
	}
	return nil
}
