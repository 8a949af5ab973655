package node

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffPubSubRaw compares the replies of one connection in and out of subscribed mode, byte for byte, in
// RESP2 (where subscribed mode restricts commands) and RESP3 (where it does not).
func TestDiffPubSubRaw(t *testing.T) { ioModes(t, testDiffPubSubRaw) }

func testDiffPubSubRaw(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	quiet := 100 * time.Millisecond
	for _, raw := range []string{
		"UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nUNSUBSCRIBE x y\r\n",
		"SUBSCRIBE a b a\r\nPING\r\nPING hello\r\nGET x\r\nCLIENT LIST\r\nPSUBSCRIBE p* q?\r\nSSUBSCRIBE s1 s2\r\n" +
			"UNSUBSCRIBE b nosuch\r\nPUNSUBSCRIBE q?\r\nSUNSUBSCRIBE s2\r\nPUBLISH a x\r\nUNSUBSCRIBE a\r\n" +
			"PUNSUBSCRIBE\r\nSET k v\r\nSUNSUBSCRIBE\r\nSET k v\r\nPING\r\n",
		"SUBSCRIBE a\r\nPUBLISH a self\r\nSPUBLISH a x\r\nUNSUBSCRIBE\r\n",
		"SUBSCRIBE a\r\nPING\r\nGET k\r\nPUBLISH a self\r\nPSUBSCRIBE *\r\nPUBLISH a twice\r\n" +
			"UNSUBSCRIBE a\r\nPUNSUBSCRIBE *\r\n",
		"SUBSCRIBE\r\nPSUBSCRIBE\r\nPUBLISH a\r\nSPUBLISH\r\nPUBSUB\r\nPUBSUB FOO\r\nPUBSUB HELP\r\nPUBSUB NUMPAT x\r\n" +
			"PUBSUB CHANNELS a b\r\nPUBSUB NUMSUB\r\nPUBSUB SHARDNUMSUB\r\n",
		"MULTI\r\nSUBSCRIBE m\r\nPUBLISH m x\r\nEXEC\r\nUNSUBSCRIBE\r\n",
	} {
		p.CheckRaw([]byte(raw), quiet)
	}
	p.CheckWith(helloNorm, "HELLO", "3")
	p.CheckRaw([]byte("SUBSCRIBE a\r\nPING\r\nGET k\r\nPUBLISH a self\r\nPSUBSCRIBE *\r\nPUBLISH a twice\r\n"+
		"UNSUBSCRIBE a\r\nPUNSUBSCRIBE *\r\nSSUBSCRIBE s\r\nSPUBLISH s x\r\nSUNSUBSCRIBE\r\n"), quiet)
	p.CheckWith(helloNorm, "HELLO", "2")
}

// TestDiffPubSub runs publishers and subscribers on several connections against both servers and compares
// what each one received: channel, pattern and shard subscribers, PUBSUB introspection, and a subscriber that
// goes away.
func TestDiffPubSub(t *testing.T) { ioModes(t, testDiffPubSub) }

func testDiffPubSub(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log strings.Builder
		note := func(who string, c *difftest.Conn, n int) {
			var got []string
			for i := 0; i < n; i++ {
				v, err := c.ReceiveErr(2 * time.Second)
				require.NoError(t, err, "%s after:\n%s", who, log.String())
				got = append(got, difftest.Format(v))
			}
			sort.Strings(got) // the order of deliveries to one client from several patterns is Redis's dict order
			log.WriteString(who + ": " + strings.Join(got, " ") + "\n")
		}
		pub := difftest.Dial(t, a)
		do := func(args ...string) {
			log.WriteString(strings.Join(args, " ") + ": " + difftest.Format(difftest.SortElems(pub.Do(args...))) + "\n")
		}
		s1, s2, s3, s4 := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		var ids []string
		for _, c := range []*difftest.Conn{s1, s2, s3, s4} {
			ids = append(ids, strconv.FormatInt(c.Do("CLIENT", "ID").Int, 10))
		}
		s1.Send("SUBSCRIBE", "news", "sport")
		note("s1", s1, 2)
		s2.Send("PSUBSCRIBE", "n*", "*o*", "h[ae]llo", `esc\*`)
		note("s2", s2, 4)
		s3.Send("SSUBSCRIBE", "shard1")
		note("s3", s3, 1)
		s4.Do("HELLO", "3")
		s4.Send("SUBSCRIBE", "news")
		note("s4", s4, 1)

		// How CLIENT LIST shows subscribed clients, and one in MULTI.
		mc := difftest.Dial(t, a)
		ids = append(ids, strconv.FormatInt(mc.Do("CLIENT", "ID").Int, 10))
		mc.Do("MULTI")
		mc.Do("PING")
		list := string(pub.Do(append([]string{"CLIENT", "LIST", "ID"}, ids...)...).Str)
		for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
			var keep []string
			for _, f := range strings.Fields(line) {
				for _, name := range []string{"flags=", "sub=", "psub=", "ssub=", "multi="} {
					if strings.HasPrefix(f, name) {
						keep = append(keep, f)
					}
				}
			}
			log.WriteString("client: " + strings.Join(keep, " ") + "\n")
		}
		do("PUBLISH", "news", "hi")
		note("s1", s1, 1)
		note("s2", s2, 1)
		note("s4", s4, 1)
		do("PUBLISH", "hello", "x")
		note("s2", s2, 2)
		do("PUBLISH", "esc*", "y")
		note("s2", s2, 1)
		do("PUBLISH", "nobody", "")
		note("s2", s2, 2)
		do("PUBLISH", "zzz", "none")
		do("SPUBLISH", "shard1", "sharded")
		note("s3", s3, 1)
		do("SPUBLISH", "news", "not to channel subscribers")
		do("PUBLISH", "shard1", "not to shard subscribers")
		do("PUBLISH", "sport", "o")
		note("s1", s1, 1)
		note("s2", s2, 1)

		do("PUBSUB", "CHANNELS")
		do("PUBSUB", "CHANNELS", "n*")
		do("PUBSUB", "NUMSUB", "news", "sport", "none", "shard1")
		do("PUBSUB", "NUMPAT")
		do("PUBSUB", "SHARDCHANNELS")
		do("PUBSUB", "SHARDCHANNELS", "x*")
		do("PUBSUB", "SHARDNUMSUB", "shard1", "news")
		do("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes") // the killed are gone at once (as in Redis)
		do("PUBSUB", "NUMSUB", "news", "sport")
		do("PUBSUB", "NUMPAT")
		do("PUBLISH", "news", "after")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}

// TestDiffKeyspaceEvents compares the keyspace notifications that the commands of each family raise, and the
// notify-keyspace-events setting, with real Redis: a subscriber to every keyspace channel records what arrives.
func TestDiffKeyspaceEvents(t *testing.T) { ioModes(t, testDiffKeyspaceEvents) }

func testDiffKeyspaceEvents(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, v := range []string{"KEA", "KEAn", "Egx", "xe", "AKm", "Kn", "KEg$lshzxetd", "foo", "", "KEA"} {
		p.Check("CONFIG", "SET", "notify-keyspace-events", v)
		p.Check("CONFIG", "GET", "notify-keyspace-events")
	}
	scenario := func(a string) string {
		ev := difftest.NewEvents(t, a, "__key*__:*")
		log, c, drain := &ev.Log, ev.C, ev.Drain
		for _, cmd := range [][]string{
			{"SET", "s", "1"}, {"SET", "s", "2", "EX", "100"}, {"SETNX", "s", "3"}, {"INCR", "s"}, {"INCRBYFLOAT", "s", "0.5"},
			{"MSET", "a", "1", "b", "2"}, {"GETSET", "a", "3"}, {"GETEX", "a", "PX", "100000"}, {"GETEX", "a", "PERSIST"},
			{"GETDEL", "a"}, {"DEL", "b", "nokey"}, {"EXPIRE", "s", "100"}, {"PERSIST", "s"}, {"EXPIRE", "s", "-1"},
			{"SET", "r", "x"}, {"RENAME", "r", "r2"}, {"RENAMENX", "r2", "r3"}, {"COPY", "r3", "r4"}, {"MOVE", "r4", "1"},
			{"RPUSH", "l", "a", "b", "c"}, {"LPUSH", "l", "z"}, {"LPOP", "l"}, {"RPOP", "l", "2"}, {"LSET", "l", "0", "q"},
			{"LINSERT", "l", "BEFORE", "q", "p"}, {"LREM", "l", "0", "p"}, {"LTRIM", "l", "0", "0"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"},
			{"RPUSH", "m", "1"}, {"LMOVE", "m", "m", "LEFT", "RIGHT"}, {"LMPOP", "1", "m", "LEFT"},
			{"MULTI"}, {"SET", "t", "1"}, {"DEL", "t"}, {"EXEC"},
			{"SET", "e", "v", "PX", "300"},
		} {
			c.Do(cmd...)
			if cmd[0] == "MULTI" || cmd[0] == "SET" && cmd[1] == "t" || cmd[0] == "DEL" && cmd[1] == "t" {
				continue // queued: a marker would be too
			}
			drain(strings.Join(cmd, " "))
		}
		waitExpired(t, c, 1) // e expires, actively: nothing touches it
		drain("expiry")
		c.Do("CONFIG", "SET", "notify-keyspace-events", "El")
		c.Do("RPUSH", "only", "list", "events")
		c.Do("SET", "not", "this")
		drain("El")
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEAn")
		for _, cmd := range [][]string{
			{"SET", "n1", "v"}, {"SET", "n1", "w"}, {"INCR", "n2"}, {"APPEND", "n3", "x"}, {"SETBIT", "n4", "7", "1"},
			{"PFADD", "n5", "a"}, {"RPUSH", "n6", "a"}, {"RENAME", "n1", "n7"}, {"COPY", "n7", "n8"}, {"MOVE", "n8", "2"},
			{"SETRANGE", "n9", "2", "x"}, {"MSET", "n7", "1", "n10", "2"}, {"BITOP", "OR", "n11", "n4"},
		} {
			c.Do(cmd...)
			drain(strings.Join(cmd, " "))
		}
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEm")
		for _, cmd := range [][]string{
			{"GET", "nokey"}, {"GET", "l2"}, {"MGET", "nokey", "l2", "other"}, {"EXISTS", "nokey"}, {"TYPE", "nokey"},
			{"TTL", "nokey"}, {"PTTL", "l2"}, {"TOUCH", "nokey"}, {"STRLEN", "nokey"}, {"GETRANGE", "nokey", "0", "1"},
			{"LCS", "nokey", "other"}, {"LRANGE", "nokey", "0", "-1"}, {"LLEN", "n6"}, {"LINDEX", "nokey", "0"},
			{"LPOS", "nokey", "x"}, {"LPUSH", "nokey2", "x"}, {"RPOP", "nokey3"}, {"ZSCORE", "nokey", "m"},
			{"ZRANGE", "nokey", "0", "-1"}, {"ZCARD", "nokey"}, {"ZRANK", "nokey", "m"}, {"ZADD", "nokey4", "1", "m"},
			{"ZREM", "nokey5", "m"}, {"HGET", "nokey", "f"}, {"HSET", "nokey6", "f", "v"}, {"SISMEMBER", "nokey", "m"},
			{"SMEMBERS", "n6"}, {"GEOPOS", "nokey", "m"}, {"PFCOUNT", "nokey"}, {"GETBIT", "nokey", "1"}, {"BITCOUNT", "nokey"},
		} {
			c.Do(cmd...)
			drain(strings.Join(cmd, " "))
		}
		for _, line := range strings.Split(string(c.Do("INFO", "stats").Str), "\r\n") {
			if strings.HasPrefix(line, "keyspace_") {
				log.WriteString(line + "\n")
			}
		}
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}

// waitExpired waits until the server's active expiry has removed n keys in all (INFO stats expired_keys),
// without touching any key.
func waitExpired(t *testing.T, c *difftest.Conn, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info := string(c.Do("INFO", "stats").Str)
		if i := strings.Index(info, "expired_keys:"); i >= 0 {
			var got int
			fmt.Sscanf(info[i+len("expired_keys:"):], "%d", &got)
			if got >= n {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "no key expired in 10s")
	}
}

// TestDiffOutputLimit compares what client-output-buffer-limit does to a subscriber that does not read: over
// the pub/sub hard limit it is disconnected, while with no limit it stays.
func TestDiffOutputLimit(t *testing.T) { ioModes(t, testDiffOutputLimit) }

func testDiffOutputLimit(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"CONFIG", "GET", "client-output-buffer-limit"},
		{"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 60"},
		{"CONFIG", "GET", "client-output-buffer-limit"},
		{"CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 3 replica 4 5 6"},
		{"CONFIG", "GET", "client-output-buffer-limit"},
		{"CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1"},
		{"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 1"},
		{"CONFIG", "SET", "client-output-buffer-limit", "pubsub x 1 1"},
		{"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 1mb 256kb 60"},
	} {
		p.Check(c...)
	}
	message := strings.Repeat("m", 100<<10)
	scenario := func(a, limit string) string {
		var log strings.Builder
		pub, sub := difftest.Dial(t, a), difftest.Dial(t, a)
		pub.Do("CONFIG", "SET", "client-output-buffer-limit", limit)
		sub.Do("SUBSCRIBE", "big") // and then reads nothing
		for i := 0; i < 200; i++ { // 20 MB, more than the socket buffers hold
			pub.Do("PUBLISH", "big", message)
		}
		time.Sleep(200 * time.Millisecond)
		log.WriteString(limit + ": " + difftest.Format(pub.Do("PUBSUB", "NUMSUB", "big")) + "\n")
		sub.Close()
		return log.String()
	}
	for _, limit := range []string{"pubsub 1mb 256kb 60", "pubsub 0 0 0"} {
		require.Equal(t, scenario(redis.Addr, limit), scenario(addr, limit))
	}
	// A normal client whose reply passes the normal class's hard limit is closed without it; smaller replies and
	// other clients go on.
	normal := func(a string) string {
		var log strings.Builder
		admin, c := difftest.Dial(t, a), difftest.Dial(t, a)
		admin.Do("RPUSH", "big", strings.Repeat("e", 100))
		for i := 0; i < 150; i++ {
			admin.Do("LPUSHX", "big", strings.Repeat("e", 100), strings.Repeat("f", 100), strings.Repeat("g", 100),
				strings.Repeat("h", 100), strings.Repeat("i", 100), strings.Repeat("j", 100), strings.Repeat("k", 100))
		}
		admin.Do("CONFIG", "SET", "client-output-buffer-limit", "normal 32kb 0 0")
		log.WriteString("LRANGE big 0 9: " + difftest.Format(c.Do("LRANGE", "big", "0", "9")) + "\n")
		c.Send("LRANGE", "big", "0", "-1") // about 110 KB
		_, err := c.ReceiveErr(2 * time.Second)
		log.WriteString(fmt.Sprintf("LRANGE big 0 -1: closed %v\n", err != nil))
		log.WriteString("admin: " + difftest.Format(admin.Do("LLEN", "big")) + "\n")
		admin.Do("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
		admin.Do("DEL", "big")
		return log.String()
	}
	want := normal(redis.Addr)
	require.Contains(t, want, "closed true")
	require.Equal(t, want, normal(addr))
}

// TestDiffEvictedEvent compares the events of a key evicted under maxmemory: with volatile-lru and a single
// volatile key, lowering maxmemory just under the used memory evicts exactly that key on both servers, whatever
// each counts as used. (Whether a write then fits depends on each one's accounting: Redis still counts the
// query buffer that brought the big value.)
func TestDiffEvictedEvent(t *testing.T) { ioModes(t, testDiffEvictedEvent) }

func testDiffEvictedEvent(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		ev := difftest.NewEvents(t, a, "__key*__:*")
		c := ev.C
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
		do := func(args ...string) {
			ev.Log.WriteString(strings.Join(args, " ") + ": " + difftest.Format(c.Do(args...)) + "\n")
		}
		c.Do("SET", "big", strings.Repeat("v", 20000), "EX", "1000")
		do("SET", "plain", "1")
		do("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
		ev.Drain("set up")
		info := string(c.Do("INFO", "memory").Str)
		var used int
		_, err := fmt.Sscanf(info[strings.Index(info, "used_memory:")+len("used_memory:"):], "%d", &used)
		require.NoError(t, err)
		c.Do("CONFIG", "SET", "maxmemory", strconv.Itoa(used-2000))
		ev.Drain("maxmemory under the used memory")
		do("EXISTS", "big")
		do("EXISTS", "plain")
		do("CONFIG", "SET", "maxmemory", "0")
		ev.Drain("after")
		return ev.Log.String()
	}
	want := scenario(redis.Addr)
	require.Contains(t, want, "evicted", "real Redis evicted nothing: the scenario is wrong")
	require.Equal(t, want, scenario(addr))
}
