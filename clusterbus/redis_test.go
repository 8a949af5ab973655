package clusterbus_test

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/clusterbus"
)

// A real redis-server in cluster mode, the oracle of the wire format. clusterbus imports no other Carmine
// module, so the tests talk to it through redis-cli.

type redisNode struct {
	t    *testing.T
	port int
	dir  string
}

// freePorts returns a port p such that p and p+10000 (its bus port) are both free on 127.0.0.1.
func freePorts(t *testing.T) int {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p+10000 > 65535 {
			p = p%20000 + 20000
		}
		ok := true
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free pair of ports")
	return 0
}

func needRedis(t *testing.T) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CARMINE_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server is not installed: skipping a test against real Redis")
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli not found: %v", err)
	}
	return bin
}

// startRedisNode starts a cluster-enabled redis-server on loopback; it stops when the test ends.
func startRedisNode(t *testing.T, args ...string) *redisNode {
	bin := needRedis(t)
	dir := t.TempDir()
	n := &redisNode{t: t, port: freePorts(t), dir: dir}
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(n.port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log"),
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}, args...)...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	require.Eventually(t, func() bool {
		out, err := n.try("PING")
		return err == nil && out == "PONG"
	}, 10*time.Second, 20*time.Millisecond, "redis-server did not start")
	return n
}

func (n *redisNode) try(args ...string) (string, error) {
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(n.port)}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

func (n *redisNode) do(args ...string) string {
	out, err := n.try(args...)
	require.NoError(n.t, err, "%v", args)
	return out
}

func randomName(t *testing.T) string {
	b := make([]byte, 20)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// TestRealRedisPeer joins a real redis-server's cluster as a peer speaking this package's codec: it sends a
// MEET and decodes the PONG, answers the PING Redis sends on its own link, and checks with CLUSTER NODES that
// Redis understood our messages (handshake, gossip, UPDATE, PUBLISH).
func TestRealRedisPeer(t *testing.T) {
	r := startRedisNode(t, "--cluster-announce-hostname", "redis-a.example")
	require.Equal(t, "OK", r.do("CLUSTER", "ADDSLOTS", "0", "1", "7", "16383"))
	redisID := r.do("CLUSTER", "MYID")

	// Our bus listener: Redis connects back to it after the MEET.
	us := freePorts(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(us+10000))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	myName := randomName(t)
	hdr := func(typ clusterbus.Type) clusterbus.Message {
		m := clusterbus.Message{Header: clusterbus.Header{Type: typ, Port: uint16(us), CPort: uint16(us + 10000),
			Sender: myName, Flags: clusterbus.FlagMaster, CurrentEpoch: 1, ConfigEpoch: 1}}
		m.MySlots.Set(100)
		m.MFlags[0] = clusterbus.MFlag0ExtData
		m.Exts = []clusterbus.Ext{{Type: clusterbus.ExtHostname, Name: "carmine.example"}}
		return m
	}

	out, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(r.port+10000))
	require.NoError(t, err)
	t.Cleanup(func() { out.Close() })
	out.SetDeadline(time.Now().Add(10 * time.Second))
	meet := hdr(clusterbus.TypeMeet)
	_, err = out.Write(meet.Append(nil))
	require.NoError(t, err)
	or := clusterbus.NewReader(out)
	pong, err := or.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, clusterbus.TypePong, pong.Type)
	assert.Equal(t, redisID, pong.Sender)
	assert.Equal(t, uint16(r.port), pong.Port)
	assert.Equal(t, uint16(r.port+10000), pong.CPort)
	assert.Equal(t, clusterbus.FlagMaster|clusterbus.FlagMyself, pong.Flags&(clusterbus.FlagMaster|clusterbus.FlagMyself))
	assert.Equal(t, "", pong.SlaveOf)
	for s := range clusterbus.Slots {
		want := s == 0 || s == 1 || s == 7 || s == 16383
		require.Equal(t, want, pong.MySlots.Has(s), "slot %d", s)
	}
	t.Logf("PONG: flags %#x mflags %v exts %+v gossip %+v", pong.Flags, pong.MFlags, pong.Exts, pong.Gossip)
	assert.Contains(t, pong.Exts, clusterbus.Ext{Type: clusterbus.ExtHostname, Name: "redis-a.example"})
	again, err := clusterbus.Decode(pong.Append(nil))
	require.NoError(t, err)
	assert.Equal(t, pong, again)

	// Redis dials our bus port and PINGs the handshake node it made for us; our PONG tells it our name.
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	in, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { in.Close() })
	in.SetDeadline(time.Now().Add(10 * time.Second))
	ir := clusterbus.NewReader(in)
	ping, err := ir.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, clusterbus.TypePing, ping.Type)
	assert.Equal(t, redisID, ping.Sender)
	reply := hdr(clusterbus.TypePong)
	_, err = in.Write(reply.Append(nil))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return strings.Contains(r.do("CLUSTER", "NODES"), myName+" 127.0.0.1:"+strconv.Itoa(us)+"@"+strconv.Itoa(us+10000)+" master - ")
	}, 10*time.Second, 50*time.Millisecond, "the handshake did not learn our name")
	me := myName + " 127.0.0.1:" + strconv.Itoa(us) + "@" + strconv.Itoa(us+10000) + ",carmine.example master"

	// Gossip about a third node from a known sender adds it to Redis's table (it then tries to connect).
	third, thirdName := freePorts(t), randomName(t)
	ping2 := hdr(clusterbus.TypePing)
	ping2.Gossip = []clusterbus.Gossip{{Name: thirdName, IP: "127.0.0.1", Port: uint16(third),
		CPort: uint16(third + 10000), Flags: clusterbus.FlagMaster}}
	_, err = out.Write(ping2.Append(nil))
	require.NoError(t, err)
	pong2, err := or.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, clusterbus.TypePong, pong2.Type)
	require.Eventually(t, func() bool {
		nodes := r.do("CLUSTER", "NODES")
		return strings.Contains(nodes, thirdName+" 127.0.0.1:"+strconv.Itoa(third)+"@"+strconv.Itoa(third+10000)+" master - ") &&
			strings.Contains(nodes, me+" - ") && strings.Contains(nodes+"\n", " 1 connected 100\n")

	}, 10*time.Second, 50*time.Millisecond, "the PING's gossip, hostname or slots were not applied")

	// UPDATE: our node now serves slot 7 with a newer config epoch.
	upd := hdr(clusterbus.TypeUpdate)
	upd.Node, upd.UpdateEpoch = myName, 5
	upd.UpdateSlots.Set(7)
	upd.UpdateSlots.Set(100)
	_, err = out.Write(upd.Append(nil))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return r.do("CLUSTER", "COUNTKEYSINSLOT", "7") == "0" &&
			strings.Contains(r.do("CLUSTER", "NODES")+"\n", " 5 connected 7 100\n")
	}, 10*time.Second, 50*time.Millisecond, "UPDATE did not move slot 7")

	// PUBLISH reaches Redis's subscribers.
	sub := exec.Command("redis-cli", "-p", strconv.Itoa(r.port), "SUBSCRIBE", "news")
	subOut, err := sub.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, sub.Start())
	t.Cleanup(func() { sub.Process.Kill(); sub.Wait() })
	require.Eventually(t, func() bool { return r.do("PUBSUB", "NUMSUB", "news") == "news\n1" }, 10*time.Second, 20*time.Millisecond)
	pub := hdr(clusterbus.TypePublish)
	pub.Channel, pub.Payload = []byte("news"), []byte("hello from the bus")
	_, err = out.Write(pub.Append(nil))
	require.NoError(t, err)
	buf := make([]byte, 0, 256)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(buf), "hello from the bus") && time.Now().Before(deadline) {
		b := make([]byte, 256)
		n, _ := subOut.Read(b)
		buf = append(buf, b[:n]...)
	}
	assert.Contains(t, string(buf), "hello from the bus")

	// FAIL: Redis marks the node we name as failing.
	fail := hdr(clusterbus.TypeFail)
	fail.Node = myName
	_, err = out.Write(fail.Append(nil))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return strings.Contains(r.do("CLUSTER", "NODES"), me+",fail ")
	}, 10*time.Second, 50*time.Millisecond, "FAIL was not applied")
}
