package node

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// scriptModes runs f with one event loop, two (so that some clients share the script's loop and some do not),
// and a goroutine per connection.
func scriptModes(t *testing.T, f func(t *testing.T, mode func(*Config))) {
	for _, m := range []struct {
		name  string
		loops int
	}{{"loop", 1}, {"loops2", 2}, {"goroutine", 0}} {
		t.Run(m.name, func(t *testing.T) { f(t, func(c *Config) { c.EventLoops = m.loops }) })
	}
}

// TestScriptBusy checks BUSY and SCRIPT KILL: a script past busy-reply-threshold makes the other clients'
// commands fail with BUSY, whether they share the script's event loop or not and whether they were sent before
// or after the threshold; SCRIPT KILL stops a script that has not written and cannot stop one that has;
// SHUTDOWN that saves is refused and SHUTDOWN NOSAVE stops the server.
func TestScriptBusy(t *testing.T) { scriptModes(t, testScriptBusy) }

func testScriptBusy(t *testing.T, mode func(*Config)) {
	srv, addr := startServer(t, mode)
	a, others := busyClients(t, addr, 4, "200")

	start := time.Now()
	a.Send("EVAL", "local i = 0 while true do i = i + 1 end", "0")
	require.Eventually(t, func() bool { return srv.script.running.Load() != nil }, 5*time.Second, time.Millisecond)
	// Sent while the script may still be under the threshold: refused once it passes, not held to its end.
	for _, o := range others {
		o.Send("GET", "k")
	}
	for i, o := range others {
		v := o.Receive()
		assert.Equal(t, "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", string(v.Str), "client %d", i)
	}
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	for i, o := range others {
		assert.Contains(t, string(o.Do("PING").Str), "BUSY", "client %d", i)
	}
	assert.Equal(t, "OK", string(others[1].Do("SCRIPT", "KILL").Str))
	v := a.Receive()
	assert.Regexp(t, `^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$`, string(v.Str))
	for _, o := range others {
		assert.Equal(t, "v", string(o.Do("GET", "k").Str))
	}
	assert.Equal(t, "NOTBUSY No scripts in execution right now.", string(others[0].Do("SCRIPT", "KILL").Str))

	// A script that wrote cannot be killed; SHUTDOWN NOSAVE stops it and the server.
	a.Send("EVAL", "redis.call('SET', 'w', '1') while true do end", "0")
	require.Eventually(t, func() bool { return strings.HasPrefix(string(others[2].Do("PING").Str), "BUSY") },
		5*time.Second, 10*time.Millisecond)
	assert.Contains(t, string(others[0].Do("SCRIPT", "KILL").Str), "UNKILLABLE Sorry the script already executed write commands")
	assert.Contains(t, string(others[0].Do("SHUTDOWN").Str), "BUSY")
	others[3].Send("SHUTDOWN", "NOSAVE")
	select {
	case <-srv.done:
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE did not stop the server")
	}
}

// busyClients connects the client that will run a script and n others, sets busy-reply-threshold (ms) and
// the key k to "v".
func busyClients(t *testing.T, addr string, n int, thresholdMs string) (*difftest.Conn, []*difftest.Conn) {
	a := difftest.Dial(t, addr)
	others := make([]*difftest.Conn, n)
	for i := range others {
		others[i] = difftest.Dial(t, addr)
		require.Equal(t, "PONG", string(others[i].Do("PING").Str))
	}
	require.Equal(t, "OK", string(a.Do("CONFIG", "SET", "busy-reply-threshold", thresholdMs).Str))
	require.Equal(t, "OK", string(a.Do("SET", "k", "v").Str))
	return a, others
}

// TestScriptAtomic checks that nothing interleaves with a script: clients incrementing a key with INCR while
// scripts read it twice with a busy loop between never see it change within a script.
func TestScriptAtomic(t *testing.T) { scriptModes(t, testScriptAtomic) }

func testScriptAtomic(t *testing.T, mode func(*Config)) {
	_, addr := startServer(t, mode)
	const scriptText = `local a = redis.call('GET', KEYS[1]) local i = 0 while i < 20000 do i = i + 1 end
		if a ~= redis.call('GET', KEYS[1]) then return 1 end return 0`
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 3; i++ {
		c := difftest.Dial(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c.Do("INCR", "ctr")
			}
		}()
	}
	s := difftest.Dial(t, addr)
	for i := 0; i < 100; i++ {
		require.Equal(t, int64(0), s.Do("EVAL", scriptText, "1", "ctr").Int, "script %d saw a change", i)
	}
	close(stop)
	wg.Wait()
}

// TestScriptJobQueue is the reliable-queue scenario: producers push jobs, and many workers take them with a
// Lua script that moves a job from the queue to a processing hash and later acknowledges it with another.
// Every job is taken exactly once: none is lost, none is handed out twice.
func TestScriptJobQueue(t *testing.T) { scriptModes(t, testScriptJobQueue) }

func testScriptJobQueue(t *testing.T, mode func(*Config)) {
	_, addr := startServer(t, mode)
	const (
		jobs    = 2000
		workers = 8
	)
	const take = `local job = redis.call('RPOP', KEYS[1])
if not job then return false end
redis.call('HSET', KEYS[2], job, ARGV[1])
redis.call('INCR', KEYS[3])
return job`
	const ack = `if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
  return 1
end
return redis.error_reply('not processing ' .. ARGV[1])`
	c := difftest.Dial(t, addr)
	takeSHA := string(c.Do("SCRIPT", "LOAD", take).Str)
	ackSHA := string(c.Do("SCRIPT", "LOAD", ack).Str)
	var prod sync.WaitGroup
	for p := 0; p < 2; p++ {
		pc := difftest.Dial(t, addr)
		prod.Add(1)
		go func() {
			defer prod.Done()
			for j := p; j < jobs; j += 2 {
				pc.Do("LPUSH", "queue", fmt.Sprintf("job-%d", j))
			}
		}()
	}
	var mu sync.Mutex
	seen := make(map[string]int)
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wc := difftest.Dial(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				v := wc.Do("EVALSHA", takeSHA, "3", "queue", "processing", "taken", fmt.Sprint(w))
				if v.Null {
					mu.Lock()
					n := len(seen)
					mu.Unlock()
					if n >= jobs {
						return
					}
					continue
				}
				if v.Type != '$' {
					errs <- difftest.Format(v)
					return
				}
				job := string(v.Str)
				mu.Lock()
				seen[job]++
				mu.Unlock()
				if r := wc.Do("EVALSHA", ackSHA, "2", "processing", "done", job); r.Int != 1 {
					errs <- difftest.Format(r)
					return
				}
			}
		}()
	}
	prod.Wait()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	require.Len(t, seen, jobs)
	for job, n := range seen {
		assert.Equal(t, 1, n, job)
	}
	assert.Equal(t, int64(jobs), c.Do("SCARD", "done").Int)
	assert.Equal(t, int64(0), c.Do("HLEN", "processing").Int)
	assert.Equal(t, int64(0), c.Do("LLEN", "queue").Int)
	assert.Equal(t, fmt.Sprint(jobs), string(c.Do("GET", "taken").Str))
}

// TestFunctionRDB: libraries are saved in the RDB file (Redis's function records) and loaded again by DEBUG
// RELOAD and by a server starting on the file; real Redis loads the file and runs the functions too.
func TestFunctionRDB(t *testing.T) {
	dir := t.TempDir()
	_, addr := startServer(t, func(c *Config) {
		c.Dir = dir
		c.DebugCommand = "yes"
	})
	c := difftest.Dial(t, addr)
	lib := "#!lua name=saved\nredis.register_function('sv', function(keys, args) return 'saved ' .. args[1] end)"
	require.Equal(t, "saved", string(c.Do("FUNCTION", "LOAD", lib).Str))
	require.Equal(t, "OK", string(c.Do("SET", "k", "v").Str))
	require.Equal(t, "OK", string(c.Do("DEBUG", "RELOAD").Str))
	assert.Equal(t, "saved x", string(c.Do("FCALL", "sv", "0", "x").Str))

	_, addr2 := startServer(t, func(c *Config) { c.Dir = dir })
	c2 := difftest.Dial(t, addr2)
	assert.Equal(t, "saved y", string(c2.Do("FCALL", "sv", "0", "y").Str))
	assert.Equal(t, "v", string(c2.Do("GET", "k").Str))

	redis := difftest.StartRedis(t, "--dir", dir, "--dbfilename", "dump.rdb")
	r := difftest.Dial(t, redis.Addr)
	assert.Equal(t, "saved z", string(r.Do("FCALL", "sv", "0", "z").Str))
	assert.Equal(t, "v", string(r.Do("GET", "k").Str))
}

// TestScriptInfo checks INFO memory's script counts.
func TestScriptInfo(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	c.Do("SCRIPT", "LOAD", "return 1")
	c.Do("EVAL", "return 2", "0")
	c.Do("EVAL", "return 2", "0")
	c.Do("FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('a', function() end)\nredis.register_function('b', function() end)")
	info := string(c.Do("INFO", "memory").Str)
	for _, want := range []string{"number_of_cached_scripts:2\r\n", "number_of_functions:2\r\n", "number_of_libraries:1\r\n",
		"used_memory_scripts_eval:16\r\n"} {
		assert.Contains(t, info, want)
	}
	c.Do("SCRIPT", "FLUSH")
	c.Do("FUNCTION", "FLUSH")
	info = string(c.Do("INFO", "memory").Str)
	for _, want := range []string{"number_of_cached_scripts:0\r\n", "number_of_functions:0\r\n", "number_of_libraries:0\r\n"} {
		assert.Contains(t, info, want)
	}
}

// TestScriptCompileError: a script that does not compile is refused with Redis's prefix (the parser's own words
// after it are gopher-lua's, not Lua's) and is not cached.
func TestScriptCompileError(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	for _, args := range [][]string{{"EVAL", "return 1 +", "0"}, {"SCRIPT", "LOAD", "return 1 +"}, {"EVAL", "return ...", "0"}} {
		v := c.Do(args...)
		assert.Equal(t, byte('-'), byte(v.Type), args)
		assert.True(t, strings.HasPrefix(string(v.Str), "ERR Error compiling script (new function): "), "%q", v.Str)
	}
	assert.Equal(t, "[(integer) 0]", difftest.Format(c.Do("SCRIPT", "EXISTS", "2b1542794fdd1688e17864bfe9b6bd02547420a8")))
	assert.Contains(t, string(c.Do("FUNCTION", "LOAD", "#!lua name=bad\nreturn 1 +").Str), "ERR Error compiling function: user_function")
}

// TestScriptServesBlocked: a client blocked on a list is served after a script that pushed to it ends, with
// what the script left (as after EXEC).
func TestScriptServesBlocked(t *testing.T) { scriptModes(t, testScriptServesBlocked) }

func testScriptServesBlocked(t *testing.T, mode func(*Config)) {
	srv, addr := startServer(t, mode)
	a, b := difftest.Dial(t, addr), difftest.Dial(t, addr)
	a.Send("BLPOP", "q", "0")
	require.Eventually(t, func() bool { return srv.block.count.Load() > 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, "x", string(b.Do("EVAL", "redis.call('RPUSH', 'q', 'x') return redis.call('LPOP', 'q')", "0").Str))
	assert.Equal(t, `["q", "y"]`, difftest.Format(func() resp.Value {
		b.Do("EVAL", "redis.call('RPUSH', 'q', 'y') return 1", "0")
		return a.Receive()
	}()))
}

// TestScriptBusyInMulti checks that a long script inside MULTI/EXEC makes the other clients get BUSY as a
// plain EVAL does, including clients that connect while it runs, and that SCRIPT KILL makes the script's
// entry in EXEC's reply the kill error (as real Redis replies).
func TestScriptBusyInMulti(t *testing.T) { scriptModes(t, testScriptBusyInMulti) }

func testScriptBusyInMulti(t *testing.T, mode func(*Config)) {
	srv, addr := startServer(t, mode, func(c *Config) { c.DebugCommand = "yes" })
	a, others := busyClients(t, addr, 3, "100")
	require.Equal(t, "OK", string(a.Do("MULTI").Str))
	require.Equal(t, "QUEUED", string(a.Do("SET", "m", "1").Str))
	require.Equal(t, "QUEUED", string(a.Do("DEBUG", "SLEEP", "0.5").Str))
	require.Equal(t, "QUEUED", string(a.Do("EVAL", "local i = 0 while true do i = i + 1 end", "0").Str))
	a.Send("EXEC")
	// Sent while EXEC runs but before its script starts: they wait, and get BUSY once the script passes the
	// threshold (not stuck behind EXEC, whichever loop serves them).
	require.Eventually(t, srv.ks.Exclusive, 5*time.Second, time.Millisecond)
	for _, o := range others {
		o.Send("GET", "k")
	}
	const busy = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	for i, o := range others {
		v, err := o.ReceiveErr(5 * time.Second)
		require.NoError(t, err, "client %d", i)
		assert.Equal(t, busy, string(v.Str), "client %d", i)
	}
	require.True(t, srv.script.running.Load().isBusy.Load())
	for i := range 3 { // new connections, on every loop
		n := difftest.Dial(t, addr)
		v, err := func() (resp.Value, error) { n.Send("PING"); return n.ReceiveErr(5 * time.Second) }()
		require.NoError(t, err, "new client %d", i)
		assert.Equal(t, busy, string(v.Str), "new client %d", i)
	}
	assert.Equal(t, "OK", string(others[0].Do("SCRIPT", "KILL").Str))
	v := a.Receive()
	require.Len(t, v.Elems, 3)
	assert.Equal(t, "OK", string(v.Elems[0].Str))
	assert.Equal(t, "OK", string(v.Elems[1].Str))
	assert.Regexp(t, `^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$`,
		string(v.Elems[2].Str))
	assert.Equal(t, "NOTBUSY No scripts in execution right now.", string(others[1].Do("SCRIPT", "KILL").Str))
	for _, o := range others {
		assert.Equal(t, "v", string(o.Do("GET", "k").Str))
		assert.Equal(t, "1", string(o.Do("GET", "m").Str))
	}
}

// TestScriptStale checks scripts on a stale replica (its link down, replica-serve-stale-data no), the state set
// directly: as in Redis's tests, a script without a shebang and one without allow-stale get MASTERDOWN, one
// with allow-stale runs but cannot call a command that is not allowed while stale, EVALSHA and FCALL alike.
func TestScriptStale(t *testing.T) {
	srv, addr := startServer(t)
	c := difftest.Dial(t, addr)
	require.Equal(t, "OK", string(c.Do("SET", "x", "1").Str))
	require.Equal(t, "OK", string(c.Do("CONFIG", "SET", "replica-serve-stale-data", "no").Str))
	sha := string(c.Do("SCRIPT", "LOAD", "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')").Str)
	require.Equal(t, "oslib", string(c.Do("FUNCTION", "LOAD", "#!lua name=oslib\n"+
		"redis.register_function{function_name='st', callback=function() return redis.call('ECHO', 'fn') end, flags={'allow-stale', 'no-writes'}}\n"+
		"redis.register_function{function_name='nost', callback=function() return 1 end, flags={'no-writes'}}").Str))
	srv.repl.replica.Store(true)
	t.Cleanup(func() { srv.repl.replica.Store(false) })
	require.True(t, srv.servingStale())

	const down = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	assert.Equal(t, down, string(c.Do("EVAL", "return redis.call('get','x')", "1", "x").Str))
	assert.Equal(t, down, string(c.Do("EVAL", "#!lua flags=no-writes\nreturn 1", "0").Str))
	assert.Equal(t, int64(1), c.Do("EVAL", "#!lua flags=allow-stale,no-writes\nreturn 1", "0").Int)
	assert.Regexp(t, `^ERR Can not execute the command on a stale replica script: [0-9a-f]{40}, on @user_script:2\.$`,
		string(c.Do("EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", "1", "x").Str))
	assert.Equal(t, "foobar", string(c.Do("EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", "0").Str))
	assert.Equal(t, "foobar", string(c.Do("EVALSHA", sha, "0").Str))
	assert.Equal(t, "fn", string(c.Do("FCALL", "st", "0").Str))
	assert.Equal(t, down, string(c.Do("FCALL", "nost", "0").Str))

	require.Equal(t, "OK", string(c.Do("CONFIG", "SET", "replica-serve-stale-data", "yes").Str))
	assert.Equal(t, "1", string(c.Do("EVAL", "return redis.call('get','x')", "1", "x").Str))
}
