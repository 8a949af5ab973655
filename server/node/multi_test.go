package node

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestExecIsAtomic runs transactions that increment two keys on several connections, served by several event
// loops (and in goroutine mode), while another connection reads both keys in transactions: it must never see
// them differ, on any number of cores.
func TestExecIsAtomic(t *testing.T) {
	for _, loops := range []int{0, 2} {
		t.Run("loops="+strconv.Itoa(loops), func(t *testing.T) {
			_, addr := startServer(t, func(c *Config) { c.EventLoops = loops })
			const writers, rounds, filler = 4, 200, 30
			var wg sync.WaitGroup
			for i := 0; i < writers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := difftest.Dial(t, addr)
					for r := 0; r < rounds; r++ {
						// Commands between the two increments widen the window a non-atomic EXEC would leave.
						c.Send("MULTI")
						c.Send("INCR", "a")
						for j := 0; j < filler; j++ {
							c.Send("STRLEN", "a")
						}
						c.Send("INCR", "b")
						c.Send("EXEC")
						for j := 0; j < filler+4; j++ {
							c.Receive()
						}
					}
				}()
			}
			reader := difftest.Dial(t, addr)
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			checks := 0
			for {
				reader.Send("MULTI")
				reader.Send("GET", "a")
				reader.Send("GET", "b")
				reader.Send("EXEC")
				reader.Receive()
				reader.Receive()
				reader.Receive()
				v := reader.Receive()
				require.Len(t, v.Elems, 2)
				require.Equal(t, string(v.Elems[0].Str), string(v.Elems[1].Str), "a transaction saw half of another")
				checks++
				select {
				case <-done:
					v := reader.Do("MGET", "a", "b")
					require.Equal(t, strconv.Itoa(writers*rounds), string(v.Elems[0].Str))
					require.Equal(t, strconv.Itoa(writers*rounds), string(v.Elems[1].Str))
					t.Logf("%d checks", checks)
					return
				default:
				}
			}
		})
	}
}

// TestWatchRace runs optimistic increments (WATCH, GET, MULTI, SET, EXEC) from several connections at once, on
// real Redis and on Carmine in both I/O modes: every EXEC that succeeds must count, none that failed may, so the
// final value equals the number of successful transactions (the log shows how many lost the race).
func TestWatchRace(t *testing.T) {
	redis := difftest.StartRedis(t)
	_, loop := startServer(t, func(c *Config) { c.EventLoops = 2 })
	_, gor := startServer(t, func(c *Config) { c.EventLoops = 0 })
	for name, addr := range map[string]string{"redis": redis.Addr, "loops": loop, "goroutines": gor} {
		t.Run(name, func(t *testing.T) {
			const clients, rounds = 4, 150
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, lost := 0, 0
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := difftest.Dial(t, addr)
					for r := 0; r < rounds; r++ {
						c.Do("WATCH", "counter")
						n, _ := strconv.Atoi(string(c.Do("GET", "counter").Str))
						c.Do("MULTI")
						c.Do("SET", "counter", strconv.Itoa(n+1))
						v := c.Do("EXEC")
						mu.Lock()
						if v.Null || v.Elems == nil {
							lost++
						} else {
							won++
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			final, _ := strconv.Atoi(string(difftest.Dial(t, addr).Do("GET", "counter").Str))
			require.Equal(t, won, final, "every successful EXEC counts once")
			require.Equal(t, clients*rounds, won+lost)
			t.Logf("%d won, %d lost", won, lost)
		})
	}
}
