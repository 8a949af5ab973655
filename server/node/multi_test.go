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
