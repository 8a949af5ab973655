package node

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

// killClient is a connection that reports I/O errors instead of failing the test: the server is killed under it.
type killClient struct {
	conn net.Conn
	w    *resp.Writer
	r    *resp.Reader
}

func dialKill(addr string) (*killClient, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &killClient{conn: conn, w: resp.NewWriter(conn), r: resp.NewReader(conn)}, nil
}

func (c *killClient) do(args ...string) (resp.Value, error) {
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	c.w.WriteArrayLen(len(args))
	for _, a := range args {
		c.w.WriteBulkString(a)
	}
	if err := c.w.Flush(); err != nil {
		return resp.Value{}, err
	}
	return c.r.ReadValue()
}

// ackLog is what one writer of the kill test was told succeeded, per round.
type ackLog struct {
	sets   []string // keys SET to their own name
	incrs  int      // INCRs of counter acknowledged
	pushes int      // RPUSHes of list acknowledged (values 0, 1, 2 ...)
}

// TestAOFKill9: with appendfsync always (and everysec, for a killed process), every write a client got a reply
// for survives a SIGKILL of the server at a random moment. Each round restarts the server on the same directory, checks every write acknowledged in
// all the rounds before, then writes from several clients until the server is killed. A rewrite runs in some
// rounds, so kills also land during rewrites.
func TestAOFKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 rounds take seconds")
	}
	dir := t.TempDir()
	conf := func(round int) string {
		// A third of the rounds run with everysec: a killed process (not a crashed machine) loses nothing there
		// either, since replies wait for the write, as in Redis.
		policy := "always"
		if round%3 == 2 {
			policy = "everysec"
		}
		return fmt.Sprintf("appendonly yes\nappendfsync %s\ndir %q\nauto-aof-rewrite-percentage 0\n", policy, dir)
	}
	const writers = 4
	logs := make([][]ackLog, writers) // by writer, by round
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	deadline := time.Now().Add(12 * time.Second)
	rounds := 0
	for ; rounds < 40 && time.Now().Before(deadline); rounds++ {
		addr, proc := startChild(t, rounds%2, childConfigEnv+"="+conf(rounds))
		c, err := dialKill(addr)
		require.NoError(t, err)
		checkAcked(t, c, logs)
		c.conn.Close()

		var wg sync.WaitGroup
		for w := range writers {
			logs[w] = append(logs[w], ackLog{})
			wg.Add(1)
			go func(w, round int) {
				defer wg.Done()
				c, err := dialKill(addr)
				if err != nil {
					return
				}
				defer c.conn.Close()
				l := &logs[w][round]
				for n := 0; ; n++ {
					key := fmt.Sprintf("s:%d:%d:%d", w, round, n)
					if v, err := c.do("SET", key, key); err != nil || v.Type == resp.TypeError {
						return
					}
					l.sets = append(l.sets, key)
					if v, err := c.do("INCR", fmt.Sprintf("c:%d:%d", w, round)); err != nil || v.Int != int64(l.incrs+1) {
						return
					}
					l.incrs++
					if v, err := c.do("RPUSH", fmt.Sprintf("l:%d", w), strconv.Itoa(round*1_000_000+l.pushes)); err != nil || v.Type == resp.TypeError {
						return
					}
					l.pushes++
				}
			}(w, rounds)
		}
		if rounds%3 == 1 {
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
			if c, err := dialKill(addr); err == nil {
				c.do("BGREWRITEAOF")
				c.conn.Close()
			}
		}
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		require.NoError(t, proc.Kill())
		wg.Wait()
	}
	addr, _ := startChild(t, 1, childConfigEnv+"="+conf(0))
	c, err := dialKill(addr)
	require.NoError(t, err)
	defer c.conn.Close()
	checkAcked(t, c, logs)
	total := 0
	for _, l := range logs {
		for _, r := range l {
			total += len(r.sets) + r.incrs + r.pushes
		}
	}
	t.Logf("%d kill -9 rounds, %d acknowledged writes, all found", rounds, total)
}

// checkAcked checks that every acknowledged write of logs is in the server.
func checkAcked(t *testing.T, c *killClient, logs [][]ackLog) {
	t.Helper()
	for w, rounds := range logs {
		var want []string
		for round, l := range rounds {
			for _, k := range l.sets {
				v, err := c.do("GET", k)
				require.NoError(t, err)
				require.Equal(t, k, string(v.Str), "acknowledged SET %s lost", k)
			}
			v, err := c.do("GET", fmt.Sprintf("c:%d:%d", w, round))
			require.NoError(t, err)
			n, _ := strconv.Atoi(string(v.Str))
			// The INCR in flight at the kill may have been applied without its reply.
			require.GreaterOrEqual(t, n, l.incrs, "acknowledged INCRs of writer %d round %d lost", w, round)
			require.LessOrEqual(t, n, l.incrs+1)
			for i := range l.pushes {
				want = append(want, strconv.Itoa(round*1_000_000+i))
			}
		}
		v, err := c.do("LRANGE", fmt.Sprintf("l:%d", w), "0", "-1")
		require.NoError(t, err)
		var got []string
		for _, e := range v.Elems {
			got = append(got, string(e.Str))
		}
		// Each round's in-flight RPUSH may have been applied unacknowledged: drop values no round acknowledged.
		assert.Subset(t, got, want, "acknowledged RPUSHes of writer %d lost", w)
		require.LessOrEqual(t, len(got), len(want)+len(rounds))
	}
}
