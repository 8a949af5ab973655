package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// saveClients is how many connections send GET and SET, one at a time each, while the BGSAVE row measures.
const saveClients = 4

// savePause is one run of the BGSAVE row: command latencies while a BGSAVE runs and while none does.
type savePause struct {
	took         time.Duration // BGSAVE to rdb_bgsave_in_progress:0
	saving, idle latencies
}

// latencies are sorted command latencies in milliseconds.
type latencies []float64

// at returns the p-quantile (0 <= p <= 1); 0 when there are none.
func (l latencies) at(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// loadSaveKeys fills a server with n string keys key:0000000 ... of 16-byte values.
func loadSaveKeys(port, n int) error {
	return load(port, n, func(w *bufio.Writer, i int) {
		writeCommand(w, "SET", fmt.Sprintf("key:%07d", i), fmt.Sprintf("%016d", i))
	})
}

// bgsavePause measures how long commands wait while the server writes a snapshot: saveClients connections send
// GET and SET of random keys among the n loaded ones, one command at a time; after an idle stretch a BGSAVE
// starts, and every command that was in flight at some moment between BGSAVE and the end of the save counts
// as "saving" (so Redis's fork, which stops it inside BGSAVE, counts). Commands of the idle stretch before it
// are the baseline.
func bgsavePause(port, n int) (savePause, error) {
	type sample struct{ start, end time.Time }
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples []sample
		errs    = make(chan error, saveClients)
	)
	for w := range saveClients {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return savePause{}, err
		}
		defer conn.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, bw, rnd := bufio.NewReader(conn), bufio.NewWriter(conn), rand.New(rand.NewPCG(uint64(w), 7))
			var local []sample
			for !stop.Load() {
				key := fmt.Sprintf("key:%07d", rnd.IntN(n))
				start := time.Now()
				if rnd.IntN(2) == 0 {
					writeCommand(bw, "GET", key)
				} else {
					writeCommand(bw, "SET", key, "0123456789abcdef")
				}
				if err := bw.Flush(); err != nil {
					errs <- err
					return
				}
				if err := readReply(r); err != nil {
					errs <- err
					return
				}
				local = append(local, sample{start, time.Now()})
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		}()
	}
	idleFrom := time.Now()
	time.Sleep(time.Second)
	saveStart := time.Now()
	if err := runCommands(port, [][]string{{"BGSAVE"}}); err != nil {
		stop.Store(true)
		wg.Wait()
		return savePause{}, err
	}
	var saveEnd time.Time
	for deadline := time.Now().Add(2 * time.Minute); ; {
		busy, err := infoInt(port, "persistence", "rdb_bgsave_in_progress")
		if err == nil && busy == 0 {
			saveEnd = time.Now()
			break
		}
		if err != nil || time.Now().After(deadline) {
			stop.Store(true)
			wg.Wait()
			return savePause{}, fmt.Errorf("waiting for BGSAVE to end: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errs:
		return savePause{}, err
	default:
	}
	res := savePause{took: saveEnd.Sub(saveStart)}
	for _, s := range samples {
		ms := float64(s.end.Sub(s.start).Microseconds()) / 1000
		switch {
		case s.end.After(saveStart) && s.start.Before(saveEnd):
			res.saving = append(res.saving, ms)
		case s.start.After(idleFrom.Add(200*time.Millisecond)) && s.end.Before(saveStart):
			res.idle = append(res.idle, ms)
		}
	}
	slices.Sort(res.saving)
	slices.Sort(res.idle)
	if len(res.saving) == 0 || len(res.idle) == 0 {
		return res, fmt.Errorf("no commands measured (%d while saving, %d idle)", len(res.saving), len(res.idle))
	}
	return res, nil
}

// readReply reads one simple reply: a status, an error, an integer, or a bulk string (GET and SET's replies).
func readReply(r *bufio.Reader) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	switch line[0] {
	case '+', ':':
		return nil
	case '$':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil || n < 0 {
			return err
		}
		_, err = r.Discard(n + 2)
		return err
	default:
		return fmt.Errorf("unexpected reply %q", line)
	}
}

// medianPause returns, for each statistic, its median over the runs.
func medianPause(rs []savePause) (took time.Duration, saving, idle [3]float64) {
	stat := func(f func(savePause) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	took = time.Duration(stat(func(r savePause) float64 { return float64(r.took) }))
	for i, p := range []float64{0.99, 0.999, 1} {
		saving[i] = stat(func(r savePause) float64 { return r.saving.at(p) })
		idle[i] = stat(func(r savePause) float64 { return r.idle.at(p) })
	}
	return took, saving, idle
}
