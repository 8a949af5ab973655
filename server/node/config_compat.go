package node

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// CompatConfig holds the parameters of Redis 7 that an operator's redis.conf may set and that Carmine knows only
// so that the file loads unchanged (see compatParams): a few with their Redis meaning, most of them tuning knobs
// of Redis's own machinery (allocator, defragmenter, process title, syslog, TLS files) that Carmine accepts with
// Redis's checks and reports in CONFIG GET, without effect.
type CompatConfig struct {
	// With effect.

	StopWritesOnBgsaveError bool   // stop-writes-on-bgsave-error: MISCONF on writes after a failed BGSAVE
	ACLPubsubDefault        string // acl-pubsub-default: allchannels or resetchannels, new users' channels

	// lazyfree-lazy-*: whether Redis frees the values of evicted, expired, server-deleted (RENAME, SET over a
	// key), DEL-ed and flushed keys in the background. Carmine's garbage collector always frees in the
	// background; the one visible effect in Redis is that evictions and expiries propagate as UNLINK, not DEL.
	LazyfreeLazyEviction  bool
	LazyfreeLazyExpire    bool
	LazyfreeLazyServerDel bool
	LazyfreeLazyUserDel   bool
	LazyfreeLazyUserFlush bool

	// Replication settings accepted and reported without effect yet: diskless loading, announcing, the
	// priority (for Sentinel), serving stale data (a replica always serves its data), the backlog's TTL.
	ReplBacklogTTL               int64  // repl-backlog-ttl, seconds
	ReplDisableTCPNoDelay        bool   // repl-disable-tcp-nodelay
	ReplDisklessLoad             string // repl-diskless-load: disabled, on-empty-db or swapdb
	ReplDisklessSync             bool   // repl-diskless-sync
	ReplDisklessSyncDelay        int    // repl-diskless-sync-delay, seconds
	ReplDisklessSyncMaxReplicas  int    // repl-diskless-sync-max-replicas
	ReplicaAnnounceIP            string // replica-announce-ip
	ReplicaAnnouncePort          int    // replica-announce-port
	ReplicaAnnounced             bool   // replica-announced
	ReplicaIgnoreDiskWriteErrors bool   // replica-ignore-disk-write-errors
	ReplicaIgnoreMaxmemory       bool   // replica-ignore-maxmemory
	ReplicaLazyFlush             bool   // replica-lazy-flush
	ReplicaPriority              int    // replica-priority
	ReplicaServeStaleData        bool   // replica-serve-stale-data

	ShutdownTimeout   int    // shutdown-timeout: seconds SHUTDOWN waits for replicas
	ShutdownOnSigint  string // shutdown-on-sigint: "default" or SHUTDOWN's flags (save, nosave, now, force)
	ShutdownOnSigterm string // shutdown-on-sigterm

	TrackingTableMaxKeys int64 // tracking-table-max-keys: 0 = no limit

	LatencyTracking            bool      // latency-tracking: per-command latency histograms
	LatencyTrackingPercentiles []float64 // latency-tracking-info-percentiles: INFO latencystats's percentiles

	// The process's files and supervisor, which the carmine-server command handles (a Server ignores them).
	Daemonize  bool   // daemonize: run in the background, detached (the pid file defaults to /var/run/redis.pid)
	LogFile    string // logfile: "" for standard output (/dev/null when daemonized)
	PidFile    string // pidfile: "" for none
	Supervised string // supervised: no, upstart, systemd or auto (by NOTIFY_SOCKET or UPSTART_JOB)

	// RenameCommands are the rename-command lines, in order: a command's name as the commands before left it,
	// and its new name ("" removes it), both lower case. See renamedCommands.
	RenameCommands [][2]string

	BindSourceAddr string // bind-source-addr: the local address of outgoing connections ("" = any)
	LocaleCollate  string // locale-collate (Redis 7.2): "", C or POSIX only; Carmine compares bytes

	// Without effect (see compatParams).

	ActiveDefragCycleMax      int
	ActiveDefragCycleMin      int
	ActiveDefragIgnoreBytes   int64
	ActiveDefragMaxScanFields int64
	ActiveDefragThresholdLow  int
	ActiveDefragThresholdHigh int
	ActiveExpireEffort        int
	ActiveRehashing           bool
	AlwaysShowLogo            bool
	CPULists                  [4]string // server_cpulist, bio_cpulist, aof_rewrite_cpulist, bgsave_cpulist
	CrashLogEnabled           bool
	CrashMemcheckEnabled      bool
	DisableTHP                bool
	DynamicHZ                 bool
	IgnoreWarnings            string
	IOThreadsDoReads          bool
	JemallocBgThread          bool
	MaxMemoryClients          string // maxmemory-clients: only 0 (client eviction is missing)
	MaxMemoryEvictionTenacity int
	OOMScoreAdj               string
	OOMScoreAdjValues         [3]int
	ProcTitleTemplate         string
	PropagationErrorBehavior  string
	SanitizeDumpPayload       string
	SetProcTitle              bool
	SocketMarkID              int64
	SyslogEnabled             bool
	SyslogFacility            string
	SyslogIdent               string
	UnixSocketPerm            int64

	TLSPort                int // tls-port, tls-replication, tls-cluster: only off (TLS is missing)
	TLSReplication         bool
	TLSCluster             bool
	TLSAuthClients         string
	TLSPreferServerCiphers bool
	TLSSessionCaching      bool
	TLSSessionCacheSize    int
	TLSSessionCacheTimeout int
	TLSFiles               [12]string // the tls-*-file, -dir, -pass, ciphers and protocols strings, as tlsStrings
}

// DefaultCompatConfig returns Redis 7's defaults.
func DefaultCompatConfig() CompatConfig {
	return CompatConfig{
		StopWritesOnBgsaveError:    true,
		ReplBacklogTTL:             3600,
		ReplDisklessLoad:           "disabled",
		ReplDisklessSync:           true,
		ReplDisklessSyncDelay:      5,
		ReplicaAnnounced:           true,
		ReplicaIgnoreMaxmemory:     true,
		ReplicaPriority:            100,
		ReplicaServeStaleData:      true,
		ACLPubsubDefault:           "resetchannels",
		Supervised:                 "no",
		ShutdownTimeout:            10,
		ShutdownOnSigint:           "default",
		ShutdownOnSigterm:          "default",
		TrackingTableMaxKeys:       1000000,
		LatencyTracking:            true,
		LatencyTrackingPercentiles: []float64{50, 99, 99.9},

		ActiveDefragCycleMax:      25,
		ActiveDefragCycleMin:      1,
		ActiveDefragIgnoreBytes:   100 << 20,
		ActiveDefragMaxScanFields: 1000,
		ActiveDefragThresholdLow:  10,
		ActiveDefragThresholdHigh: 100,
		ActiveExpireEffort:        1,
		ActiveRehashing:           true,
		CrashLogEnabled:           true,
		CrashMemcheckEnabled:      true,
		DisableTHP:                true,
		DynamicHZ:                 true,
		JemallocBgThread:          true,
		MaxMemoryClients:          "0",
		MaxMemoryEvictionTenacity: 10,
		OOMScoreAdj:               "no",
		OOMScoreAdjValues:         [3]int{0, 200, 800},
		ProcTitleTemplate:         "{title} {listen-addr} {server-mode}",
		PropagationErrorBehavior:  "ignore",
		SanitizeDumpPayload:       "no",
		SetProcTitle:              true,
		SyslogFacility:            "local0",
		SyslogIdent:               "redis",
		TLSAuthClients:            "yes",
		TLSSessionCaching:         true,
		TLSSessionCacheSize:       20480,
		TLSSessionCacheTimeout:    300,
	}
}

// tlsStrings are the string parameters of TLS, in CompatConfig.TLSFiles's order. They only matter once TLS is
// on, which tls-port, tls-replication and tls-cluster refuse, so they are accepted as Redis accepts them.
var tlsStrings = [len(CompatConfig{}.TLSFiles)]string{
	"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
	"tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-protocols",
	"tls-ciphers", "tls-ciphersuites",
}

// cpuLists are the CPU affinity parameters, in CompatConfig.CPULists's order.
var cpuLists = [len(CompatConfig{}.CPULists)]string{"server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist"}

// compatParams are the parameters of CompatConfig, joined to params at init. Each has Redis's default, range,
// error texts and mutability, so CONFIG GET, SET and REWRITE treat them as Redis does.
var compatParams = []param{
	numParam("repl-backlog-ttl", func(c *Config) *int64 { return &c.ReplBacklogTTL }, 0, math.MaxInt64),
	boolParam("repl-disable-tcp-nodelay", func(c *Config) *bool { return &c.ReplDisableTCPNoDelay }),
	enumParam("repl-diskless-load", func(c *Config) *string { return &c.ReplDisklessLoad }, "disabled", "on-empty-db", "swapdb"),
	boolParam("repl-diskless-sync", func(c *Config) *bool { return &c.ReplDisklessSync }),
	numParam("repl-diskless-sync-delay", func(c *Config) *int { return &c.ReplDisklessSyncDelay }, 0, math.MaxInt32),
	numParam("repl-diskless-sync-max-replicas", func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas }, 0, math.MaxInt32),
	stringParam("replica-announce-ip", func(c *Config) *string { return &c.ReplicaAnnounceIP }, nil),
	numParam("replica-announce-port", func(c *Config) *int { return &c.ReplicaAnnouncePort }, 0, 65535),
	boolParam("replica-announced", func(c *Config) *bool { return &c.ReplicaAnnounced }),
	boolParam("replica-ignore-disk-write-errors", func(c *Config) *bool { return &c.ReplicaIgnoreDiskWriteErrors }),
	boolParam("replica-ignore-maxmemory", func(c *Config) *bool { return &c.ReplicaIgnoreMaxmemory }),
	boolParam("replica-lazy-flush", func(c *Config) *bool { return &c.ReplicaLazyFlush }),
	numParam("replica-priority", func(c *Config) *int { return &c.ReplicaPriority }, 0, math.MaxInt32),
	boolParam("replica-serve-stale-data", func(c *Config) *bool { return &c.ReplicaServeStaleData }),
	// With effect.
	boolParam("stop-writes-on-bgsave-error", func(c *Config) *bool { return &c.StopWritesOnBgsaveError }),
	enumParam("acl-pubsub-default", func(c *Config) *string { return &c.ACLPubsubDefault }, "allchannels", "resetchannels"),
	boolParam("lazyfree-lazy-eviction", func(c *Config) *bool { return &c.LazyfreeLazyEviction }),
	boolParam("lazyfree-lazy-expire", func(c *Config) *bool { return &c.LazyfreeLazyExpire }),
	boolParam("lazyfree-lazy-server-del", func(c *Config) *bool { return &c.LazyfreeLazyServerDel }),
	boolParam("lazyfree-lazy-user-del", func(c *Config) *bool { return &c.LazyfreeLazyUserDel }),
	boolParam("lazyfree-lazy-user-flush", func(c *Config) *bool { return &c.LazyfreeLazyUserFlush }),
	numParam("shutdown-timeout", func(c *Config) *int { return &c.ShutdownTimeout }, 0, math.MaxInt32),
	shutdownFlagsParam("shutdown-on-sigint", func(c *Config) *string { return &c.ShutdownOnSigint }),
	shutdownFlagsParam("shutdown-on-sigterm", func(c *Config) *string { return &c.ShutdownOnSigterm }),
	numParam("tracking-table-max-keys", func(c *Config) *int64 { return &c.TrackingTableMaxKeys }, 0, math.MaxInt64),
	boolParam("latency-tracking", func(c *Config) *bool { return &c.LatencyTracking }),
	percentilesParam,
	boolParam("daemonize", func(c *Config) *bool { return &c.Daemonize }).with(immutable),
	stringParam("logfile", func(c *Config) *string { return &c.LogFile }, nil).with(immutable),
	stringParam("pidfile", func(c *Config) *string { return &c.PidFile }, nil).with(immutable),
	enumParam("supervised", func(c *Config) *string { return &c.Supervised }, "upstart", "systemd", "auto", "no").with(immutable),
	stringParam("bind-source-addr", func(c *Config) *string { return &c.BindSourceAddr }, nil),
	stringParam("locale-collate", func(c *Config) *string { return &c.LocaleCollate }, func(s string) error {
		switch s {
		case "", "C", "POSIX":
			return nil
		}
		return errNotSupported // Carmine's SORT ALPHA compares bytes, as the C locale does
	}),

	// Without effect: Redis's allocator, defragmenter, hash table rehashing and expiry effort, process title,
	// OOM score, CPU affinity, crash report, logo, syslog and I/O threads. Carmine has none of these to tune
	// (its memory is Go's, its threads the Go scheduler's, its log hclog's); the values are kept and reported.
	activeDefragParam,
	numParam("active-defrag-cycle-max", func(c *Config) *int { return &c.ActiveDefragCycleMax }, 1, 99),
	numParam("active-defrag-cycle-min", func(c *Config) *int { return &c.ActiveDefragCycleMin }, 1, 99),
	memoryParam("active-defrag-ignore-bytes", func(c *Config) *int64 { return &c.ActiveDefragIgnoreBytes }, 0),
	numParam("active-defrag-max-scan-fields", func(c *Config) *int64 { return &c.ActiveDefragMaxScanFields }, 1, math.MaxInt64),
	numParam("active-defrag-threshold-lower", func(c *Config) *int { return &c.ActiveDefragThresholdLow }, 0, 1000),
	numParam("active-defrag-threshold-upper", func(c *Config) *int { return &c.ActiveDefragThresholdHigh }, 0, 1000),
	numParam("active-expire-effort", func(c *Config) *int { return &c.ActiveExpireEffort }, 1, 10),
	boolParam("activerehashing", func(c *Config) *bool { return &c.ActiveRehashing }),
	boolParam("always-show-logo", func(c *Config) *bool { return &c.AlwaysShowLogo }).with(immutable),
	stringParam(cpuLists[0], func(c *Config) *string { return &c.CPULists[0] }, nil).with(immutable),
	stringParam(cpuLists[1], func(c *Config) *string { return &c.CPULists[1] }, nil).with(immutable),
	stringParam(cpuLists[2], func(c *Config) *string { return &c.CPULists[2] }, nil).with(immutable),
	stringParam(cpuLists[3], func(c *Config) *string { return &c.CPULists[3] }, nil).with(immutable),
	boolParam("crash-log-enabled", func(c *Config) *bool { return &c.CrashLogEnabled }),
	boolParam("crash-memcheck-enabled", func(c *Config) *bool { return &c.CrashMemcheckEnabled }),
	boolParam("disable-thp", func(c *Config) *bool { return &c.DisableTHP }).with(immutable),
	boolParam("dynamic-hz", func(c *Config) *bool { return &c.DynamicHZ }),
	stringParam("ignore-warnings", func(c *Config) *string { return &c.IgnoreWarnings }, nil),
	boolParam("io-threads-do-reads", func(c *Config) *bool { return &c.IOThreadsDoReads }).with(immutable),
	boolParam("jemalloc-bg-thread", func(c *Config) *bool { return &c.JemallocBgThread }),
	numParam("maxmemory-eviction-tenacity", func(c *Config) *int { return &c.MaxMemoryEvictionTenacity }, 0, 100),
	oomScoreAdjParam,
	oomScoreAdjValuesParam,
	stringParam("proc-title-template", func(c *Config) *string { return &c.ProcTitleTemplate }, checkProcTitle),
	enumParam("propagation-error-behavior", func(c *Config) *string { return &c.PropagationErrorBehavior },
		"ignore", "panic", "panic-on-replicas"),
	// Carmine's RESTORE always checks a payload whole, which is what any value asks for or more.
	enumParam("sanitize-dump-payload", func(c *Config) *string { return &c.SanitizeDumpPayload }, "no", "yes", "clients"),
	boolParam("set-proc-title", func(c *Config) *bool { return &c.SetProcTitle }).with(immutable),
	numParam("socket-mark-id", func(c *Config) *int64 { return &c.SocketMarkID }, 0, math.MaxUint32).with(immutable),
	boolParam("syslog-enabled", func(c *Config) *bool { return &c.SyslogEnabled }).with(immutable),
	enumParam("syslog-facility", func(c *Config) *string { return &c.SyslogFacility },
		"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7").with(immutable),
	stringParam("syslog-ident", func(c *Config) *string { return &c.SyslogIdent }, nil).with(immutable),
	unixSocketPermParam, // unixsocket itself is refused, so the permissions apply to nothing

	// Client eviction and TLS are missing: only their off values load, so a configuration that relies on them
	// fails at startup instead of running without them.
	onlyDefault(maxMemoryClientsParam),
	onlyDefault(numParam("tls-port", func(c *Config) *int { return &c.TLSPort }, 0, 65535)),
	onlyDefault(boolParam("tls-replication", func(c *Config) *bool { return &c.TLSReplication })),
	onlyDefault(boolParam("tls-cluster", func(c *Config) *bool { return &c.TLSCluster })),
	enumParam("tls-auth-clients", func(c *Config) *string { return &c.TLSAuthClients }, "no", "yes", "optional"),
	boolParam("tls-prefer-server-ciphers", func(c *Config) *bool { return &c.TLSPreferServerCiphers }),
	boolParam("tls-session-caching", func(c *Config) *bool { return &c.TLSSessionCaching }),
	numParam("tls-session-cache-size", func(c *Config) *int { return &c.TLSSessionCacheSize }, 0, math.MaxInt32),
	numParam("tls-session-cache-timeout", func(c *Config) *int { return &c.TLSSessionCacheTimeout }, 0, math.MaxInt32),
	tlsFileParam(0), tlsFileParam(1), tlsFileParam(2), tlsFileParam(3), tlsFileParam(4), tlsFileParam(5),
	tlsFileParam(6), tlsFileParam(7), tlsFileParam(8), tlsFileParam(9), tlsFileParam(10), tlsFileParam(11),
}

func init() { params = append(params, compatParams...) }

// activeDefragParam is activedefrag: Carmine has no defragmenter, so only no loads, refused with the text of a
// Redis built without one (as Debian's and most distributions' packages are).
var activeDefragParam = param{
	name: "activedefrag",
	set: func(c *Config, v []string) error {
		var on bool
		if err := boolParam("activedefrag", func(*Config) *bool { return &on }).set(c, v); err != nil {
			return err
		}
		if on {
			return errors.New("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
		}
		return nil
	},
	get: func(c *Config) string { return "no" },
}

// oomScoreAdjParam is oom-score-adj: no, yes, or absolute; relative is another name for yes.
var oomScoreAdjParam = func() param {
	p := enumParam("oom-score-adj", func(c *Config) *string { return &c.OOMScoreAdj }, "no", "yes", "relative", "absolute")
	set := p.set
	p.set = func(c *Config, v []string) error {
		if err := set(c, v); err != nil {
			return err
		}
		if c.OOMScoreAdj == "relative" {
			c.OOMScoreAdj = "yes" // Matches Redis: shown as yes
		}
		return nil
	}
	return p
}()

func tlsFileParam(i int) param {
	return stringParam(tlsStrings[i], func(c *Config) *string { return &c.TLSFiles[i] }, nil)
}

// onlyDefault is p restricted to its default value: a value p refuses gets p's (Redis's) error, a valid value
// other than the default gets errNotSupported.
func onlyDefault(p param) param {
	set := p.set
	p.set = func(c *Config, v []string) error {
		scratch := DefaultConfig()
		if err := set(&scratch, v); err != nil {
			return err
		}
		def := DefaultConfig()
		if p.get(&scratch) != p.get(&def) {
			return errNotSupported
		}
		return nil
	}
	return p
}

// shutdownFlagsParam is shutdown-on-sigint or shutdown-on-sigterm: "default", or any of SHUTDOWN's flags save,
// nosave, now and force, shown in that order.
func shutdownFlagsParam(name string, field func(c *Config) *string) param {
	flags := []string{"save", "nosave", "now", "force"}
	return param{
		name:  name,
		flags: words,
		set: func(c *Config, v []string) error {
			if len(v) == 0 {
				return errors.New("argument(s) must be one of the following: default, save, nosave, now, force")
			}
			set := make([]bool, len(flags))
			for _, w := range v {
				i := 0
				for i < len(flags) && !strings.EqualFold(w, flags[i]) {
					i++
				}
				switch {
				case i < len(flags):
					set[i] = true
				case !strings.EqualFold(w, "default"):
					return errors.New("argument(s) must be one of the following: default, save, nosave, now, force")
				}
			}
			if set[0] && set[1] {
				return errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
			}
			var out []string
			for i, on := range set {
				if on {
					out = append(out, flags[i])
				}
			}
			if len(out) == 0 {
				out = []string{"default"}
			}
			*field(c) = strings.Join(out, " ")
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

var percentilesParam = param{
	name:  "latency-tracking-info-percentiles",
	flags: words,
	set: func(c *Config, v []string) error {
		if len(v) == 1 && v[0] == "" {
			v = nil
		}
		ps := make([]float64, 0, len(v))
		for _, s := range v {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return errors.New("Invalid latency-tracking-info-percentiles parameters")
			}
			if f < 0 || f > 100 {
				return errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
			}
			ps = append(ps, f)
		}
		c.LatencyTrackingPercentiles = ps
		return nil
	},
	get: func(c *Config) string {
		var b []byte
		for i, f := range c.LatencyTrackingPercentiles {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendPercentile(b, f)
		}
		return string(b)
	},
}

// appendPercentile appends f as Redis prints a percentile: six decimals, trailing zeros and point removed.
func appendPercentile(b []byte, f float64) []byte {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	return append(b, s...)
}

var oomScoreAdjValuesParam = param{
	name:  "oom-score-adj-values",
	flags: words,
	set: func(c *Config, v []string) error {
		if len(v) != 3 {
			return errors.New("wrong number of arguments")
		}
		var vals [3]int
		for i, s := range v {
			n, err := strconv.Atoi(s)
			if err != nil || n < -2000 || n > 2000 {
				return errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
			}
			vals[i] = n
		}
		c.OOMScoreAdjValues = vals
		return nil
	},
	get: func(c *Config) string {
		v := c.OOMScoreAdjValues
		return strconv.Itoa(v[0]) + " " + strconv.Itoa(v[1]) + " " + strconv.Itoa(v[2])
	},
}

var unixSocketPermParam = param{
	name:  "unixsocketperm",
	flags: immutable,
	set: func(c *Config, v []string) error {
		s, err := oneArg(v)
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(s, 8, 64)
		if err != nil {
			return errors.New("argument couldn't be parsed as an octal number")
		}
		if n < 0 || n > 0o777 {
			return errors.New("argument must be between 0 and 777 inclusive")
		}
		c.UnixSocketPerm = n
		return nil
	},
	get: func(c *Config) string { return strconv.FormatInt(c.UnixSocketPerm, 8) },
}

// maxMemoryClientsParam is maxmemory-clients: bytes with memory units, or a percentage of maxmemory ("10%").
var maxMemoryClientsParam = param{
	name: "maxmemory-clients",
	set: func(c *Config, v []string) error {
		s, err := oneArg(v)
		if err != nil {
			return err
		}
		if pct, ok := strings.CutSuffix(s, "%"); ok {
			n, err := strconv.ParseInt(pct, 10, 64)
			if err != nil || n < 0 {
				return errors.New("argument must be a memory or percent value")
			}
			if n > 100 {
				return errors.New("percentage argument must be less or equal to 100")
			}
			c.MaxMemoryClients = strconv.FormatInt(n, 10)
			if n > 0 {
				c.MaxMemoryClients += "%" // Matches Redis: 0% shows as 0
			}
			return nil
		}
		n, err := parseMemory(s)
		if err != nil {
			return errors.New("argument must be a memory or percent value")
		}
		c.MaxMemoryClients = strconv.FormatInt(n, 10)
		return nil
	},
	get: func(c *Config) string { return c.MaxMemoryClients },
}

// procTitleVars are the variables of proc-title-template, with what a standalone server without a Unix socket
// expands them to when the template is checked.
var procTitleVars = map[string]string{
	"title": "", "listen-addr": "*:6379", "server-mode": "", "port": "6379", "tls-port": "0", "unixsocket": "",
	"config-file": "redis.conf",
}

// checkProcTitle checks a proc-title-template as Redis does: "{name}" variables of procTitleVars, "{{" and "}}"
// for braces, and a non-empty expansion once trimmed of spaces.
func checkProcTitle(s string) error {
	bad := errors.New("template format is invalid or contains unknown variables")
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '{' && i+1 < len(s) && s[i+1] == '{', s[i] == '}' && i+1 < len(s) && s[i+1] == '}':
			out.WriteByte(s[i])
			i++
		case s[i] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return bad
			}
			val, ok := procTitleVars[s[i+1:i+end]]
			if !ok {
				return bad
			}
			out.WriteString(val)
			i += end
		default:
			out.WriteByte(s[i])
		}
	}
	if strings.Trim(out.String(), " ") == "" {
		return bad
	}
	return nil
}

// maxIncludeDepth bounds nested include lines, so that a file including itself fails instead of looping.
const maxIncludeDepth = 16

// include loads the files of an include line, as Redis does: one path, which may be a glob pattern (its files in
// name order, none being no error); a plain path must exist.
func (c *Config) include(v []string, readFile func(string) ([]byte, error), depth int, sawSave *bool) error {
	if len(v) != 1 {
		return errors.New("include: wrong number of arguments")
	}
	if depth >= maxIncludeDepth {
		return fmt.Errorf("include %s: nested more than %d deep", v[0], maxIncludeDepth)
	}
	paths := []string{v[0]}
	if strings.ContainsAny(v[0], "*?[") {
		var err error
		if paths, err = filepath.Glob(v[0]); err != nil {
			return fmt.Errorf("include %s: %w", v[0], err)
		}
	}
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			return fmt.Errorf("include: %w", err)
		}
		if err := c.load(data, readFile, depth+1, sawSave); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// renameCommand applies a "rename-command <command> <new name>" line, with Redis's checks.
func (c *Config) renameCommand(v []string) error {
	if len(v) != 2 {
		return errors.New("wrong number of arguments")
	}
	from, to := strings.ToLower(v[0]), strings.ToLower(v[1])
	table := renamedCommands(c.RenameCommands)
	if table[from] == nil {
		return errors.New("No such command in rename-command")
	}
	if to != "" && to != from && table[to] != nil {
		return errors.New("Target command name already exists")
	}
	c.RenameCommands = append(c.RenameCommands[:len(c.RenameCommands):len(c.RenameCommands)], [2]string{from, to})
	return nil
}

// renamedCommands returns the dispatch table after the renames: the shared table itself when there are none.
// A renamed command keeps its own name everywhere else (COMMAND INFO, ACL rules, INFO commandstats), as in
// Redis, where rename-command changes only the name the dispatcher looks up.
// servedNames returns the names (in the command table, cmdspec) of the top-level commands that table serves
// under some name, or nil when rename-command changed nothing (then every implemented command is served).
func servedNames(table map[string]*command) map[string]bool {
	if len(table) == len(commands) && maps.EqualFunc(table, commands, func(a, b *command) bool { return a == b }) {
		return nil
	}
	names := make(map[string]bool, len(table))
	for _, cmd := range table {
		names[cmd.name] = true
	}
	return names
}

func renamedCommands(renames [][2]string) map[string]*command {
	if len(renames) == 0 {
		return commands
	}
	table := make(map[string]*command, len(commands))
	for name, cmd := range commands {
		table[name] = cmd
	}
	for _, r := range renames {
		cmd := table[r[0]]
		delete(table, r[0])
		if r[1] != "" {
			table[r[1]] = cmd
		}
	}
	return table
}
