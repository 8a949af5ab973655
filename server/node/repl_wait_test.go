package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestWaitDataUnderFaults checks WAIT's promise while replicas are killed, restarted and cut off: writers set
// keys and call WAIT; whenever WAIT answers n, at least n replicas, read directly, hold every key the writer
// set before it, with its value. Kills happen between a writer's WAITs, while it writes (a replica killed
// during a WAIT might have been counted, and could not be read); link cuts happen at any time.
func TestWaitDataUnderFaults(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		_, pAddr := startServer(t, mode)
		pc := difftest.Dial(t, pAddr)
		const replicas = 3

		var mu sync.RWMutex // writers hold it for reading from WAIT to their check; a kill holds it for writing
		type node struct {
			srv  *Server
			addr string
		}
		var nodes []node // the live replicas, under mu
		start := func() node {
			srv, addr := startServer(t, replicaOf(pAddr), mode)
			return node{srv, addr}
		}
		for range replicas {
			nodes = append(nodes, start())
		}
		waitOnline := func(n int) {
			require.Eventually(t, func() bool {
				online := 0
				for i := range replicas {
					if s := replInfo(pc, "replication", "slave"+strconv.Itoa(i)); s != "" && slices.Contains(strings.Split(s, ","), "state=online") {
						online++
					}
				}
				return online == n && replInfo(pc, "replication", "connected_slaves") == strconv.Itoa(n)
			}, 20*time.Second, 10*time.Millisecond)
		}
		waitOnline(replicas)

		const writers, rounds, perRound = 3, 40, 8
		var wg sync.WaitGroup
		var waits, full [writers]int // WAITs, and those answered with every replica
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := dialKill(pAddr)
				if !assert.NoError(t, err) {
					return
				}
				defer c.conn.Close()
				var written []string // keys; key i holds "v<i>"
				for range rounds {
					for range perRound {
						k := fmt.Sprintf("w%d:%d", w, len(written))
						if v, err := c.do("SET", k, "v"+strconv.Itoa(len(written))); !assert.NoError(t, err) || !assert.Equal(t, "OK", string(v.Str)) {
							return
						}
						written = append(written, k)
					}
					mu.RLock()
					v, err := c.do("WAIT", strconv.Itoa(1+len(written)%replicas), "200")
					if !assert.NoError(t, err) {
						mu.RUnlock()
						return
					}
					n := int(v.Int)
					holding := 0
					for _, nd := range nodes {
						if replicaHolds(nd.addr, written) {
							holding++
						}
					}
					mu.RUnlock()
					assert.GreaterOrEqual(t, holding, n, "WAIT answered %d after %d writes, but only %d replicas hold them", n, len(written), holding)
					waits[w]++
					if n == replicas {
						full[w]++
					}
				}
			}()
		}

		// Faults until the writers are done: a link cut (the replica resyncs partially), or a replica killed
		// and a new one started in its place (a full sync).
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		rng := rand.New(rand.NewPCG(7, 8))
		cuts, kills := 0, 0
	faults:
		for {
			select {
			case <-done:
				break faults
			case <-time.After(time.Duration(20+rng.IntN(40)) * time.Millisecond):
			}
			if rng.IntN(3) > 0 {
				pc.Do("CLIENT", "KILL", "TYPE", "replica")
				cuts++
				continue
			}
			mu.Lock()
			i := rng.IntN(len(nodes))
			nodes[i].srv.Close()
			nodes = append(nodes[:i:i], nodes[i+1:]...)
			waitGone := replicas - 1
			require.Eventually(t, func() bool {
				return replInfo(pc, "replication", "connected_slaves") == strconv.Itoa(waitGone)
			}, 10*time.Second, 5*time.Millisecond)
			nodes = append(nodes, start())
			mu.Unlock()
			kills++
		}
		t.Logf("WAITs per writer %v, of which answered %d: %v; %d link cuts, %d kills", waits, replicas, full, cuts, kills)
		for w := range writers {
			assert.Equal(t, rounds, waits[w], "writer %d stopped early", w)
		}
		// Once the faults stop, every replica gets everything.
		waitOnline(replicas)
		assert.Equal(t, "(integer) 3", difftest.Format(pc.Do("WAIT", "3", "10000")))
		for _, nd := range nodes {
			var all []string
			for w := range writers {
				for i := range rounds * perRound {
					all = append(all, fmt.Sprintf("w%d:%d", w, i))
				}
			}
			assert.True(t, replicaHolds(nd.addr, all), "replica %s", nd.addr)
		}
	})
}

// replicaHolds reports whether the server at addr holds every key of keys ("w<writer>:<i>") with value
// "v<i>".
func replicaHolds(addr string, keys []string) bool {
	c, err := dialKill(addr)
	if err != nil {
		return false
	}
	defer c.conn.Close()
	args := append([]string{"MGET"}, keys...)
	v, err := c.do(args...)
	if err != nil || len(v.Elems) != len(keys) {
		return false
	}
	for i, e := range v.Elems {
		_, n, _ := strings.Cut(keys[i], ":")
		if string(e.Str) != "v"+n {
			return false
		}
	}
	return true
}
