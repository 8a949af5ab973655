package node

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffHashSetEffects compares what the hash and set commands do to others with real Redis: the keyspace
// events they raise (including keymiss and new), the WATCHes they break and their replies inside MULTI/EXEC.
func TestDiffHashSetEffects(t *testing.T) { ioModes(t, testDiffHashSetEffects) }

func testDiffHashSetEffects(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		ev := difftest.NewEvents(t, a, "__key*__:*")
		log, c, c2, drain := &ev.Log, ev.C, difftest.Dial(t, a), ev.Drain
		// Every class but streams and modules, with keymiss and new, spelled without A.
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEg$lshzxemn")
		inMulti := false
		for _, cmd := range [][]string{
			{"HSET", "h", "a", "1", "b", "2"}, {"HSET", "h", "a", "1"}, {"HMSET", "h", "c", "3"}, {"HSETNX", "h", "a", "x"},
			{"HSETNX", "h", "d", "4"}, {"HSETNX", "h2", "f", "v"}, {"HINCRBY", "h", "a", "5"}, {"HINCRBY", "h", "c", "x"},
			{"HINCRBY", "h3", "n", "1"}, {"HINCRBYFLOAT", "h", "b", "0.5"}, {"HINCRBYFLOAT", "h4", "n", "1.5"},
			{"HDEL", "h", "zz"}, {"HDEL", "h", "a", "b"}, {"HDEL", "h2", "f"}, {"HDEL", "nokey", "f"},
			{"HGET", "h", "c"}, {"HGET", "nokey", "c"}, {"HMGET", "nokey", "a"}, {"HLEN", "nokey"}, {"HGETALL", "nokey"},
			{"HEXISTS", "nokey", "a"}, {"HSTRLEN", "nokey", "a"}, {"HRANDFIELD", "nokey"}, {"HSCAN", "nokey", "0"},
			{"HKEYS", "h"}, {"HVALS", "nokey"},
			{"SADD", "s", "1", "2", "3", "a"}, {"SADD", "s", "1"}, {"SREM", "s", "zz"}, {"SREM", "s", "a"},
			{"SMOVE", "s", "s2", "1"}, {"SMOVE", "s2", "s", "1"}, {"SMOVE", "s", "s", "1"}, {"SMOVE", "nokey", "s", "1"},
			{"SADD", "one", "7"}, {"SPOP", "one"}, {"SPOP", "nokey"}, {"SADD", "p", "1", "2", "3"}, {"SPOP", "p", "0"},
			{"SPOP", "p", "1"}, {"SPOP", "p", "5"}, {"SADD", "u1", "1", "2"}, {"SADD", "u2", "2", "3"}, {"SINTERSTORE", "d", "u1", "u2"},
			{"SUNIONSTORE", "d", "u1", "u2"}, {"SDIFFSTORE", "d", "u1", "u2"}, {"SINTERSTORE", "d", "u1", "nokey"},
			{"SINTERSTORE", "d", "u1", "nokey"}, {"SUNIONSTORE", "d2", "nokey"}, {"SDIFFSTORE", "d3", "u1", "u1"},
			{"SREM", "u1", "1", "2"}, {"SISMEMBER", "nokey", "1"}, {"SMISMEMBER", "nokey", "1"}, {"SCARD", "nokey"},
			{"SMEMBERS", "nokey"}, {"SINTER", "u2", "nokey", "nokey2"}, {"SUNION", "u2", "nokey"}, {"SDIFF", "nokey", "u2"},
			{"SINTERCARD", "2", "u2", "nokey"}, {"SRANDMEMBER", "nokey"}, {"SRANDMEMBER", "nokey", "2"}, {"SSCAN", "nokey", "0"},
			{"MULTI"}, {"HSET", "mh", "f", "v"}, {"SADD", "ms", "x", "y"}, {"HGETALL", "mh"}, {"SMEMBERS", "ms"},
			{"HINCRBY", "mh", "f", "1"}, {"SPOP", "ms", "5"}, {"SINTERSTORE", "md", "ms", "u2"}, {"EXEC"},
		} {
			reply := difftest.SortElems(c.Do(cmd...))
			if cmd[0] == "SPOP" && cmd[1] == "p" { // random members: keep only how many
				for i := range reply.Elems {
					reply.Elems[i].Str = []byte("(random)")
				}
			}
			log.WriteString(strings.Join(cmd, " ") + ": " + difftest.Format(reply) + "\n")
			switch cmd[0] {
			case "MULTI":
				inMulti = true
			case "EXEC":
				inMulti = false
			}
			if !inMulti {
				drain(cmd[0])
			}
		}
		attempt := func(key string, change ...string) {
			log.WriteString("WATCH " + key + " then " + strings.Join(change, " ") + ": ")
			c.Do("WATCH", key)
			c2.Do(change...)
			c.Do("MULTI")
			c.Do("PING")
			log.WriteString(difftest.Format(c.Do("EXEC")) + "\n")
		}
		c2.Do("HSET", "w", "a", "1")
		attempt("w", "HSET", "w", "a", "1")
		attempt("w", "HSETNX", "w", "a", "2")
		attempt("w", "HSETNX", "w", "b", "2")
		attempt("w", "HGET", "w", "a")
		attempt("w", "HDEL", "w", "zz")
		attempt("w", "HINCRBY", "w", "a", "1")
		attempt("w", "HINCRBY", "w", "zz", "x")
		attempt("w", "HDEL", "w", "a", "b")
		c2.Do("SADD", "ws", "1", "2")
		attempt("ws", "SADD", "ws", "1")
		attempt("ws", "SADD", "ws", "3")
		attempt("ws", "SREM", "ws", "9")
		attempt("ws", "SMOVE", "ws", "other", "9")
		attempt("ws", "SMOVE", "ws", "other", "3")
		attempt("other", "SMOVE", "ws", "other", "2")
		attempt("ws", "SISMEMBER", "ws", "1")
		attempt("wd", "SINTERSTORE", "wd", "ws", "other")
		attempt("wd", "SUNIONSTORE", "wd", "nokey")
		attempt("ws", "SPOP", "ws", "0")
		attempt("ws", "SPOP", "ws")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
