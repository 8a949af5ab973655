package node

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/acl"
	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{"info": cmdInfo})

// infoSection is one INFO section: its name (lower case) and what writes its fields.
type infoSection struct {
	name  string
	inDef bool // part of INFO with no argument ("default")
	inAll bool // part of INFO all (everything else is only named or in "everything")
	write func(s *Server, b *infoBuf)
}

// infoSections are Redis 7's sections in Redis's order. Field names and their order follow Redis 7.0's INFO
// everything, plus the fields Redis 7.2 added.
var infoSections = []infoSection{
	{"server", true, true, (*Server).infoServer},
	{"clients", true, true, (*Server).infoClients},
	{"memory", true, true, (*Server).infoMemory},
	{"persistence", true, true, (*Server).infoPersistence},
	{"stats", true, true, (*Server).infoStats},
	{"replication", true, true, (*Server).infoReplication},
	{"cpu", true, true, (*Server).infoCPU},
	{"modules", true, true, func(*Server, *infoBuf) {}},
	{"commandstats", false, true, (*Server).infoCommandStats},
	{"errorstats", true, true, (*Server).infoErrorStats},
	{"latencystats", false, true, (*Server).infoLatencyStats},
	{"cluster", true, true, func(s *Server, b *infoBuf) {
		enabled := int64(0)
		if s.cluster != nil {
			enabled = 1
		}
		b.int("cluster_enabled", enabled)
	}},
	{"keyspace", true, true, (*Server).infoKeyspace},
}

// INFO [section [section ...]]: a text of "# Section" headers and "field:value" lines, sections separated by a
// blank line. Unknown section names are ignored, as in Redis.
func cmdInfo(c *client, args [][]byte) error {
	want := make(map[string]bool)
	def, all := len(args) == 1, false
	for _, a := range args[1:] {
		switch name := strings.ToLower(string(a)); name {
		case "default":
			def = true
		case "all", "everything":
			all = true
		default:
			want[name] = true
		}
	}
	b := &infoBuf{c: c}
	for _, sec := range infoSections {
		if !want[sec.name] && !(all && sec.inAll) && !(def && sec.inDef) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		title := strings.ToUpper(sec.name[:1]) + sec.name[1:]
		if sec.name == "cpu" {
			title = "CPU"
		}
		b.WriteString("# " + title + "\r\n")
		sec.write(c.srv, b)
	}
	// Matches Redis: a verbatim string ("txt") in RESP3, a bulk string in RESP2.
	c.w.WriteVerbatim("txt", b.String())
	return nil
}

// infoBuf builds an INFO text.
type infoBuf struct {
	strings.Builder
	c *client // the client asking, whose Txn the keyspace section reads in (it may be inside EXEC)
}

func (b *infoBuf) str(name, v string) {
	b.WriteString(name)
	b.WriteByte(':')
	b.WriteString(v)
	b.WriteString("\r\n")
}

func (b *infoBuf) int(name string, v int64) { b.str(name, strconv.FormatInt(v, 10)) }

func (b *infoBuf) float(name string, v float64) { b.str(name, strconv.FormatFloat(v, 'f', 2, 64)) }

// bytesToHuman formats a byte count as Redis's bytesToHuman does: 968.12K, 6.83M.
func bytesToHuman(n uint64) string {
	const k = 1024.0
	f := float64(n)
	switch {
	case f < k:
		return strconv.FormatUint(n, 10) + "B"
	case f < k*k:
		return fmt.Sprintf("%.2fK", f/k)
	case f < k*k*k:
		return fmt.Sprintf("%.2fM", f/(k*k))
	case f < k*k*k*k:
		return fmt.Sprintf("%.2fG", f/(k*k*k))
	case f < k*k*k*k*k:
		return fmt.Sprintf("%.2fT", f/(k*k*k*k))
	default:
		return fmt.Sprintf("%.2fP", f/(k*k*k*k*k))
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// osName is INFO's os field, as uname would give it: "Linux 6.1.0 x86_64".
func osName() string {
	name := strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += " " + strings.TrimSpace(string(rel))
	}
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	return name + " " + arch
}

func (s *Server) infoServer(b *infoBuf) {
	cfg := s.config()
	uptime := int64(time.Since(s.started).Seconds())
	exe, _ := os.Executable()
	mux := "epoll"
	if len(s.loops) == 0 {
		mux = "goroutines"
	}
	port := s.cfg.Port
	if addr := s.Addr(); addr != nil {
		if _, p, err := splitPort(addr.String()); err == nil {
			port = p
		}
	}
	b.str("redis_version", RedisVersion)
	b.str("carmine_version", Version)
	b.str("redis_git_sha1", "00000000")
	b.str("redis_git_dirty", "0")
	b.str("redis_build_id", "0")
	b.str("redis_mode", "standalone")
	b.str("os", osName())
	b.int("arch_bits", int64(strconv.IntSize))
	b.str("monotonic_clock", "POSIX clock_gettime")
	b.str("multiplexing_api", mux)
	b.str("atomicvar_api", "sync-atomic")
	b.str("gcc_version", "0.0.0")
	b.str("go_version", runtime.Version())
	b.int("process_id", int64(os.Getpid()))
	b.str("process_supervised", "no")
	b.str("run_id", s.runID)
	b.int("tcp_port", int64(port))
	b.int("server_time_usec", time.Now().UnixMicro())
	b.int("uptime_in_seconds", uptime)
	b.int("uptime_in_days", uptime/86400)
	b.int("hz", int64(cfg.HZ))
	b.int("configured_hz", int64(cfg.HZ))
	b.int("lru_clock", time.Now().Unix()&(1<<24-1))
	b.str("executable", exe)
	b.str("config_file", s.cfg.ConfigFile)
	b.int("io_threads_active", 0)
	for i, bind := range s.cfg.Bind { // Redis 7.2: one line per listener
		b.str(fmt.Sprintf("listener%d", i), fmt.Sprintf("name=tcp,bind=%s,port=%d", bind, port))
	}
}

func splitPort(hostport string) (string, int, error) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("no port in %q", hostport)
	}
	p, err := strconv.Atoi(hostport[i+1:])
	return hostport[:i], p, err
}

func (s *Server) infoClients(b *infoBuf) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	b.int("connected_clients", int64(n))
	clusterConns := 0
	if cl := s.cluster; cl != nil {
		// Matches Redis: two connections for each node but myself.
		cl.mu.Lock()
		clusterConns = 2 * (len(cl.nodes) - 1)
		cl.mu.Unlock()
	}
	b.int("cluster_connections", int64(clusterConns))
	b.int("maxclients", int64(s.config().MaxClients))
	b.int("client_recent_max_input_buffer", 0)
	b.int("client_recent_max_output_buffer", 0)
	b.int("blocked_clients", s.block.count.Load())
	b.int("tracking_clients", 0)
	b.int("pubsub_clients", 0)   // Redis 7.2
	b.int("watching_clients", 0) // Redis 7.2
	b.int("clients_in_timeout_table", 0)
	b.int("total_watched_keys", 0)                        // Redis 7.2
	b.int("total_blocking_keys", int64(s.blockingKeys())) // Redis 7.2
	b.int("total_blocking_keys_on_nokey", 0)              // Redis 7.2
}

// memory is what INFO memory reports, from the Go runtime and the kernel.
type memory struct {
	heap     uint64 // live and not yet swept heap objects: used_memory
	active   uint64 // heap spans in use
	resident uint64 // everything the runtime holds from the OS, less what it returned
	rss      uint64 // resident set size from /proc/self/statm
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

func readMemory() memory {
	samples := slices.Clone(memSamples)
	metrics.Read(samples)
	val := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	m := memory{heap: val(0), active: val(0) + val(1), resident: val(2) - val(3)}
	m.rss = readRSS()
	if m.rss == 0 {
		m.rss = m.resident
	}
	return m
}

// readRSS reads the resident set size from /proc/self/statm, or returns 0 where there is none.
func readRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo, or returns 0.
func totalSystemMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// notePeak raises the memory peak to used if it is higher, and returns the peak.
func (s *Server) notePeak(used uint64) uint64 {
	for {
		peak := s.stats.peakMemory.Load()
		if used <= peak {
			return peak
		}
		if s.stats.peakMemory.CompareAndSwap(peak, used) {
			return used
		}
	}
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoMemory(b *infoBuf) {
	m := readMemory()
	used := uint64(s.usedMemory()) // the keyspace's estimate, what maxmemory limits, as Redis's used_memory
	peak := s.notePeak(used)
	cfg := s.config()
	sys := totalSystemMemory()
	b.int("used_memory", int64(used))
	b.str("used_memory_human", bytesToHuman(used))
	b.int("used_memory_rss", int64(m.rss))
	b.str("used_memory_rss_human", bytesToHuman(m.rss))
	b.int("used_memory_peak", int64(peak))
	b.str("used_memory_peak_human", bytesToHuman(peak))
	b.str("used_memory_peak_perc", fmt.Sprintf("%.2f%%", ratio(used, peak)*100))
	b.int("used_memory_overhead", baseMemory)
	b.int("used_memory_startup", baseMemory)
	b.int("used_memory_dataset", int64(used)-baseMemory)
	b.str("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", ratio(used-baseMemory, used)*100))
	b.int("allocator_allocated", int64(m.heap))
	b.int("allocator_active", int64(m.active))
	b.int("allocator_resident", int64(m.resident))
	b.int("total_system_memory", int64(sys))
	b.str("total_system_memory_human", bytesToHuman(sys))
	for _, f := range []string{"used_memory_lua", "used_memory_vm_eval"} {
		b.int(f, 0)
	}
	b.str("used_memory_lua_human", "0B")
	// Scripts: the sizes are of the scripts' and libraries' source, the Lua VMs' own memory is not measured.
	evalBytes, fnBytes := s.script.evalBytes.Load(), s.script.fnBytes.Load()
	b.int("used_memory_scripts_eval", evalBytes)
	b.int("number_of_cached_scripts", s.script.cached.Load())
	b.int("number_of_functions", s.script.funcCount.Load())
	b.int("number_of_libraries", s.script.libCount.Load())
	b.int("used_memory_vm_functions", 0)
	b.int("used_memory_vm_total", 0)
	b.str("used_memory_vm_total_human", "0B")
	b.int("used_memory_functions", fnBytes)
	b.int("used_memory_scripts", evalBytes+fnBytes)
	b.str("used_memory_scripts_human", bytesToHuman(uint64(evalBytes+fnBytes)))
	b.int("maxmemory", cfg.MaxMemory)
	b.str("maxmemory_human", bytesToHuman(uint64(cfg.MaxMemory)))
	b.str("maxmemory_policy", cfg.MaxMemoryPolicy.String())
	b.float("allocator_frag_ratio", ratio(m.active, m.heap))
	b.int("allocator_frag_bytes", int64(m.active)-int64(m.heap))
	b.float("allocator_rss_ratio", ratio(m.resident, m.active))
	b.int("allocator_rss_bytes", int64(m.resident)-int64(m.active))
	b.float("rss_overhead_ratio", ratio(m.rss, m.resident))
	b.int("rss_overhead_bytes", int64(m.rss)-int64(m.resident))
	b.float("mem_fragmentation_ratio", ratio(m.rss, used))
	b.int("mem_fragmentation_bytes", int64(m.rss)-int64(used))
	for _, f := range []string{"mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves", "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer"} {
		b.int(f, 0)
	}
	b.str("mem_allocator", "go-"+runtime.Version())
	b.int("active_defrag_running", 0)
	b.int("lazyfree_pending_objects", 0)
	b.int("lazyfreed_objects", 0)
}

func (s *Server) infoPersistence(b *infoBuf) {
	b.int("loading", 0)
	b.int("async_loading", 0)
	for _, f := range []string{"current_cow_peak", "current_cow_size", "current_cow_size_age"} {
		b.int(f, 0)
	}
	b.str("current_fork_perc", "0.00")
	r := &s.rdb
	r.mu.Lock()
	job := r.job
	processed, total, current := int64(0), int64(0), int64(-1)
	if job != nil {
		processed, total = job.keys.Load(), job.keysTotal
		if job.bg {
			current = int64(time.Since(job.start).Seconds())
		}
	}
	lastTime := int64(-1)
	if r.lastTime >= 0 {
		lastTime = int64(r.lastTime.Seconds())
	}
	status := "ok"
	if !r.lastOK {
		status = "err"
	}
	changes, inProgress := s.dirty()-r.base, job != nil && job.bg
	lastSave, saves, loadedExpired, loaded := r.lastSave.Unix(), r.saves, r.expired, r.loaded
	r.mu.Unlock()
	b.int("current_save_keys_processed", processed)
	b.int("current_save_keys_total", total)
	b.int("rdb_changes_since_last_save", changes)
	b.int("rdb_bgsave_in_progress", boolInt(inProgress))
	b.int("rdb_last_save_time", lastSave)
	b.str("rdb_last_bgsave_status", status)
	b.int("rdb_last_bgsave_time_sec", lastTime)
	b.int("rdb_current_bgsave_time_sec", current)
	b.int("rdb_saves", saves)
	b.int("rdb_last_cow_size", 0)
	b.int("rdb_last_load_keys_expired", loadedExpired)
	b.int("rdb_last_load_keys_loaded", loaded)
	s.infoAOF(b)
}

func (s *Server) infoStats(b *infoBuf) {
	st := s.stats
	sum := func(f func(sh *statShard) int64) int64 { return st.sum(f) }
	_, _, errs := st.errorCounts()
	b.int("total_connections_received", st.connections.Load())
	b.int("total_commands_processed", st.processed())
	b.int("instantaneous_ops_per_sec", st.opsPerSec())
	for _, f := range []string{"total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes",
		"total_net_repl_output_bytes"} {
		b.int(f, 0)
	}
	for _, f := range []string{"instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps",
		"instantaneous_output_repl_kbps"} {
		b.str(f, "0.00")
	}
	b.int("rejected_connections", st.rejected.Load())
	b.int("sync_full", s.repl.syncFull.Load())
	b.int("sync_partial_ok", s.repl.syncPartialOK.Load())
	b.int("sync_partial_err", s.repl.syncPartialErr.Load())
	b.int("expired_keys", st.expired.Load())
	b.str("expired_stale_perc", "0.00")
	b.int("expired_time_cap_reached_count", 0)
	b.int("expire_cycle_cpu_milliseconds", 0)
	b.int("evicted_keys", s.ks.EvictedKeys())
	for _, f := range []string{"evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time"} {
		b.int(f, 0)
	}
	b.int("keyspace_hits", sum(func(sh *statShard) int64 { return sh.hits.Load() }))
	b.int("keyspace_misses", sum(func(sh *statShard) int64 { return sh.misses.Load() }))
	for _, f := range []string{"pubsub_channels", "pubsub_patterns", "pubsubshard_channels", "latest_fork_usec",
		"total_forks"} {
		b.int(f, 0)
	}
	b.int("migrate_cached_sockets", int64(s.migrate.len()))
	for _, f := range []string{"slave_expires_tracked_keys", "active_defrag_hits",
		"active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
		"current_active_defrag_time", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes",
		"unexpected_error_replies"} {
		b.int(f, 0)
	}
	b.int("total_error_replies", errs)
	for _, f := range []string{"dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
		"io_threaded_reads_processed", "io_threaded_writes_processed"} {
		b.int(f, 0)
	}
	b.int("client_query_buffer_limit_disconnections", st.queryKills.Load()) // Redis 7.2
	b.int("client_output_buffer_limit_disconnections", st.outputKills.Load())
	for _, f := range []string{"reply_buffer_shrinks", "reply_buffer_expands",
		"eventloop_cycles", "eventloop_duration_sum", "eventloop_duration_cmd_sum", // Redis 7.2
		"instantaneous_eventloop_cycles_per_sec", "instantaneous_eventloop_duration_usec"} {
		b.int(f, 0)
	}
	// Redis 7.2 (7.0 has none of these): failures counted as they are added to ACL LOG.
	b.int("acl_access_denied_auth", st.aclDenied[acl.DeniedAuth].Load())
	b.int("acl_access_denied_cmd", st.aclDenied[acl.DeniedCommand].Load())
	b.int("acl_access_denied_key", st.aclDenied[acl.DeniedKey].Load())
	b.int("acl_access_denied_channel", st.aclDenied[acl.DeniedChannel].Load())
}

func (s *Server) infoCPU(b *infoBuf) {
	u := readCPU()
	// Go has no main thread: the *_main_thread fields repeat the process's times.
	b.str("used_cpu_sys", fmt.Sprintf("%.6f", u.sys))
	b.str("used_cpu_user", fmt.Sprintf("%.6f", u.user))
	b.str("used_cpu_sys_children", fmt.Sprintf("%.6f", u.childSys))
	b.str("used_cpu_user_children", fmt.Sprintf("%.6f", u.childUser))
	b.str("used_cpu_sys_main_thread", fmt.Sprintf("%.6f", u.sys))
	b.str("used_cpu_user_main_thread", fmt.Sprintf("%.6f", u.user))
}

func (s *Server) infoCommandStats(b *infoBuf) {
	for _, cmd := range sortedCommands() {
		t := s.stats.command(cmd.idx)
		if t.calls == 0 && t.rejected == 0 && t.failed == 0 {
			continue
		}
		usec := t.ns / 1000
		perCall := 0.0
		if t.calls > 0 {
			perCall = float64(t.ns) / 1000 / float64(t.calls)
		}
		b.str("cmdstat_"+cmd.name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			t.calls, usec, perCall, t.rejected, t.failed))
	}
}

// sortedCommands returns the commands sorted by name.
func sortedCommands() []*command {
	cmds := slices.Clone(commandList)
	slices.SortFunc(cmds, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return cmds
}

func (s *Server) infoErrorStats(b *infoBuf) {
	codes, counts, _ := s.stats.errorCounts()
	for _, code := range codes {
		b.str("errorstat_"+code, fmt.Sprintf("count=%d", counts[code]))
	}
}

func (s *Server) infoKeyspace(b *infoBuf) {
	for db := 0; db < s.ks.Databases(); db++ {
		tx := b.c.beginDB(db)
		keys, expires, avgTTL := keyspaceCounts(&tx)
		tx.End()
		if keys > 0 {
			b.str(fmt.Sprintf("db%d", db), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=%d", keys, expires, avgTTL))
		}
	}
}

// keyspaceCounts counts a database's keys and its keys with a TTL. avg_ttl, which Redis estimates while
// sampling keys for active expiry, is 0 here.
func keyspaceCounts(tx *keyspace.Txn) (keys, expires, avgTTL int64) {
	return int64(tx.Len()), int64(tx.Expires()), 0
}
