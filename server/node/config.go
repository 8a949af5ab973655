package node

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// Config is the server's configuration, with redis.conf's parameter names in the tags of the parameter table
// (see [Config.Set]). The zero value is not useful; start from [DefaultConfig].
type Config struct {
	Port            int         // port: TCP port, 0 to pick a free one (tests)
	Bind            []string    // bind: addresses to listen on; a leading "-" marks one that may be unavailable
	Dir             string      // dir: working directory for data files (absolute after Validate)
	DBFilename      string      // dbfilename
	Save            []SavePoint // save: BGSAVE when a point is reached; none disables (see rdb.go)
	RDBCompression  bool        // rdbcompression: LZF-compress strings in RDB files
	RDBChecksum     bool        // rdbchecksum: end RDB files with their CRC-64 (else 0)
	RDBIncrFsync    bool        // rdb-save-incremental-fsync: fsync every 32 MB while saving
	AOF             AOFConfig   // the append-only file's parameters (see aof.go)
	LogLevel        string      // loglevel: debug, verbose, notice, warning, nothing
	Databases       int         // databases
	RequirePass     string      // requirepass: the default user's password, "" for none
	ProtoMaxBulkLen int64       // proto-max-bulk-len
	QueryBufLimit   int64       // client-query-buffer-limit: bytes a client's unparsed commands may take
	Timeout         int         // timeout: seconds a client may idle before it is closed; 0 = never
	TCPKeepAlive    int         // tcp-keepalive: seconds between keep-alive probes on client sockets; 0 = off
	HZ              int         // hz: background tasks (active expiry) per second
	EventLoops      int         // event-loops (Carmine's own): epoll loops serving clients; 0 = a goroutine per connection

	MaxMemory        int64           // maxmemory: bytes; 0 = no limit
	MaxMemoryPolicy  keyspace.Policy // maxmemory-policy
	MaxMemorySamples int             // maxmemory-samples
	MaxClients       int             // maxclients: connections beyond it are refused
	LFULogFactor     int             // lfu-log-factor
	LFUDecayTime     int             // lfu-decay-time: minutes

	NotifyKeyspaceEvents uint32         // notify-keyspace-events: the event classes, as notifyClass bits
	OutputLimits         [3]outputLimit // client-output-buffer-limit, by class: normal, replica, pubsub

	// Limits are the encoding limits (hash-max-listpack-entries and the like), handed to the keyspace.
	Limits keyspace.Limits

	BusyReplyThreshold int64  // busy-reply-threshold (lua-time-limit): ms a script runs before others get BUSY
	SlowlogSlowerThan  int64  // slowlog-log-slower-than: microseconds; negative disables the slow log, 0 logs everything
	SlowlogMaxLen      int64  // slowlog-max-len
	LatencyThreshold   int64  // latency-monitor-threshold: milliseconds, 0 = off
	DebugCommand       string // enable-debug-command: no, yes or local (loopback clients only)

	// ManageMemory lets the server own the process's Go runtime memory settings (see gcpolicy.go): maxmemory
	// becomes the soft memory limit, and memory freed while idle goes back to the system. Not a configuration
	// parameter: the carmine-server command sets it; tests and programs embedding a server leave it off.
	ManageMemory bool

	// ConfigFile is the absolute path of the configuration file the server was started with ("" for none), the
	// file CONFIG REWRITE rewrites. ParseArgs sets it.
	ConfigFile string

	Users        [][]string // user: the "user <name> <rules>..." lines of the configuration file, name first
	ACLFile      string     // aclfile: the ACL file, "" for none
	ACLLogMaxLen int64      // acllog-max-len

	ProtectedMode string // protected-mode: yes or no

	// Replication (see repl.go).
	ReplicaOf       string // replicaof (slaveof): "host port" of the primary to follow at start-up, "" for none
	MasterAuth      string // masterauth: the password AUTH sends to the primary
	MasterUser      string // masteruser: the user AUTH names, "" for the default user
	ReplicaReadOnly bool   // replica-read-only: a replica refuses writes from its clients
	ReplTimeout     int    // repl-timeout: seconds without a byte from the primary before the link is dropped
	ReplBacklogSize int64  // repl-backlog-size: bytes of the replication stream kept for partial resyncs
	ReplPingPeriod  int    // repl-ping-replica-period: seconds between the PINGs a primary sends its replicas
	MinReplicas     int    // min-replicas-to-write: writes are refused with fewer good replicas; 0 = off
	MinReplicasLag  int    // min-replicas-max-lag: seconds since its last ACK for a replica to be good

	// Cluster mode (see cluster.go).
	ClusterEnabled             bool   // cluster-enabled
	ClusterConfigFile          string // cluster-config-file: nodes.conf, in Dir
	ClusterNodeTimeout         int64  // cluster-node-timeout: milliseconds
	ClusterPort                int    // cluster-port: the bus port, 0 for port + 10000
	ClusterRequireFullCoverage bool   // cluster-require-full-coverage
	ClusterAllowReadsWhenDown  bool   // cluster-allow-reads-when-down
	ClusterAnnounceIP          string // cluster-announce-ip
	ClusterAnnounceHostname    string // cluster-announce-hostname
	ClusterAnnouncePort        int    // cluster-announce-port, 0 for port
	ClusterAnnounceBusPort     int    // cluster-announce-bus-port, 0 for the bus port
	// Failover (cluster_failover.go), read from the live configuration.
	ClusterAllowReplicaMigration bool // cluster-allow-replica-migration: a primary that lost its slots follows their owner
	ClusterReplicaNoFailover     bool // cluster-replica-no-failover
	ClusterReplicaValidityFactor int  // cluster-replica-validity-factor
	// Accepted and reported, without effect yet.
	ClusterAllowPubsubshardWhenDown bool   // cluster-allow-pubsubshard-when-down
	ClusterAnnounceTLSPort          int    // cluster-announce-tls-port
	ClusterLinkSendbufLimit         int64  // cluster-link-sendbuf-limit
	ClusterMigrationBarrier         int    // cluster-migration-barrier: replica migration is missing
	ClusterPreferredEndpointType    string // cluster-preferred-endpoint-type

	CompatConfig // the rest of Redis 7's parameters (config_compat.go)
}

// DefaultConfig returns Redis's defaults, except that it binds to loopback only (127.0.0.1 and, if present,
// ::1), as the redis.conf that Redis ships does, until protected mode exists.
func DefaultConfig() Config {
	return Config{
		Port:            6379,
		Bind:            []string{"127.0.0.1", "-::1"},
		Dir:             ".",
		DBFilename:      "dump.rdb",
		Save:            []SavePoint{{3600, 1}, {300, 100}, {60, 10000}},
		RDBCompression:  true,
		RDBChecksum:     true,
		RDBIncrFsync:    true,
		AOF:             DefaultAOFConfig(),
		LogLevel:        "notice",
		Databases:       16,
		ProtoMaxBulkLen: 512 << 20,
		QueryBufLimit:   1 << 30,
		TCPKeepAlive:    300,
		HZ:              10,
		EventLoops:      1,

		MaxMemoryPolicy:  keyspace.NoEviction,
		MaxMemorySamples: 5,
		MaxClients:       10000,
		LFULogFactor:     10,
		LFUDecayTime:     1,
		Limits:           keyspace.DefaultLimits(),
		OutputLimits:     defaultOutputLimits,

		ACLLogMaxLen:  128,
		ProtectedMode: "yes",

		ClusterConfigFile:               "nodes.conf",
		ClusterNodeTimeout:              15000,
		ClusterRequireFullCoverage:      true,
		ClusterAllowPubsubshardWhenDown: true,
		ClusterAllowReplicaMigration:    true,
		ClusterMigrationBarrier:         1,
		ClusterPreferredEndpointType:    "ip",
		ClusterReplicaValidityFactor:    10,

		SlowlogSlowerThan:  10000,
		BusyReplyThreshold: 5000,
		SlowlogMaxLen:      128,
		DebugCommand:       "no",

		ReplicaReadOnly: true,
		ReplTimeout:     60,
		ReplBacklogSize: 1 << 20,
		ReplPingPeriod:  10,
		MinReplicasLag:  10,

		CompatConfig: DefaultCompatConfig(),
	}
}

// Validate checks the values that Set cannot check one by one, and makes Dir absolute.
func (c *Config) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d out of range", c.Port)
	}
	if len(c.Bind) == 0 {
		return errors.New("bind: no address to listen on")
	}
	if c.Databases < 1 {
		return fmt.Errorf("databases %d: must be at least 1", c.Databases)
	}
	if c.SlowlogSlowerThan < -1 || c.SlowlogMaxLen < 0 || c.LatencyThreshold < 0 {
		return errors.New("slowlog-log-slower-than, slowlog-max-len or latency-monitor-threshold out of range")
	}
	if c.HZ < 1 || c.HZ > 500 {
		return fmt.Errorf("hz %d out of range (1-500)", c.HZ)
	}
	if c.ProtoMaxBulkLen < 1<<20 {
		return fmt.Errorf("proto-max-bulk-len %d: must be at least 1mb", c.ProtoMaxBulkLen)
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("dir %q: %w", c.Dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("can't chdir to %q: %w", c.Dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("can't chdir to %q: not a directory", c.Dir)
	}
	c.Dir = dir
	return nil
}

// param is one configuration parameter: its redis.conf name, how to set it from the words after the name, and
// how CONFIG GET shows it.
type param struct {
	name  string
	flags paramFlag
	set   func(c *Config, v []string) error
	get   func(c *Config) string
	// rewrite, when set, gives the values CONFIG REWRITE writes, one line each, instead of get's (memory in
	// units, as Redis writes it), with whether each differs from def.
	rewrite func(c, def *Config) []paramLine
}

// paramFlag says how CONFIG SET and CONFIG REWRITE treat a parameter.
type paramFlag uint8

const (
	// immutable parameters are read at startup only: CONFIG SET refuses them, as Redis does its IMMUTABLE_CONFIG.
	immutable paramFlag = 1 << iota
	// protected parameters are refused by CONFIG SET, as Redis refuses its PROTECTED_CONFIG ones while
	// enable-protected-configs is no (its default, and the only setting here).
	protected
	// words parameters take several words in redis.conf (bind, save); CONFIG SET splits its value at spaces.
	words
	// quoted parameters are strings that CONFIG REWRITE writes quoted, as Redis writes its string options.
	quoted
)

var errNotSupported = errors.New("not supported yet by Carmine")

func oneArg(v []string) (string, error) {
	if len(v) != 1 {
		return "", errors.New("wrong number of arguments")
	}
	return v[0], nil
}

// numParam is an integer parameter that must lie in [lo, hi], with Redis's error texts.
func numParam[T int | int64](name string, field func(c *Config) *T, lo, hi int64) param {
	return param{
		name: name,
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return errors.New("argument couldn't be parsed into an integer")
			}
			if n < lo || n > hi {
				return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
			}
			*field(c) = T(n)
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(*field(c)), 10) },
	}
}

// memoryParam is a parameter holding bytes, written with redis.conf's memory units ("100mb"), at least lo,
// with Redis's error texts.
func memoryParam(name string, field func(c *Config) *int64, lo int64) param {
	return param{
		name: name,
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			n, err := parseMemory(s)
			if err != nil {
				return errors.New("argument must be a memory value")
			}
			if n < lo {
				return fmt.Errorf("argument must be between %d and %d inclusive", lo, int64(math.MaxInt64))
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(*field(c), 10) },
		rewrite: func(c, def *Config) []paramLine {
			return []paramLine{{formatMemory(*field(c)), *field(c) != *field(def)}}
		},
	}
}

func stringParam(name string, field func(c *Config) *string, check func(string) error) param {
	return param{
		name:  name,
		flags: quoted,
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			if check != nil {
				if err := check(s); err != nil {
					return err
				}
			}
			*field(c) = s
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

// enumParam is a string parameter with a fixed set of values, matched without regard to case.
func enumParam(name string, field func(c *Config) *string, values ...string) param {
	p := stringParam(name, field, nil)
	p.flags = 0
	p.set = func(c *Config, v []string) error {
		s, err := oneArg(v)
		if err != nil {
			return err
		}
		for _, val := range values {
			if strings.EqualFold(s, val) {
				*field(c) = val
				return nil
			}
		}
		return errors.New("argument(s) must be one of the following: " + strings.Join(values, ", "))
	}
	return p
}

// boolParam is a yes/no parameter.
func boolParam(name string, field func(c *Config) *bool) param {
	return param{
		name: name,
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			switch strings.ToLower(s) {
			case "yes":
				*field(c) = true
			case "no":
				*field(c) = false
			default:
				return errors.New("argument must be 'yes' or 'no'")
			}
			return nil
		},
		get: func(c *Config) string {
			if *field(c) {
				return "yes"
			}
			return "no"
		},
	}
}

// limitParam is an encoding limit: a count or, with memory set, a size in bytes that may be written with memory
// units; 0 or more, as Redis's size_t parameters.
func limitParam(name string, field func(l *keyspace.Limits) *int, memory bool) param {
	p := numParam(name, func(c *Config) *int { return field(&c.Limits) }, 0, math.MaxInt64)
	if memory {
		p.set = func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			n, err := parseMemory(s)
			if err != nil || n < 0 {
				return errors.New("argument must be a memory value")
			}
			*field(&c.Limits) = int(n)
			return nil
		}
	}
	return p
}

// with returns p with more flags.
func (p param) with(f paramFlag) param {
	p.flags |= f
	return p
}

// fixed is a parameter that Carmine reports but whose value cannot change: it accepts only that value (in any
// case), so a redis.conf that asks for the default (or a feature off) still loads, and one that relies on a
// missing feature fails loudly instead of being ignored.
func fixed(name, value string) param {
	return param{
		name: name,
		set: func(c *Config, v []string) error {
			given := strings.Join(v, " ")
			if strings.EqualFold(given, value) {
				return nil
			}
			if _, err := strconv.ParseInt(value, 10, 64); err == nil {
				if _, err := strconv.ParseInt(given, 10, 64); err != nil {
					return errors.New("argument couldn't be parsed into an integer")
				}
			}
			return errNotSupported
		},
		get: func(c *Config) string { return value },
	}
}

// params is the parameter table, in the order CONFIG REWRITE appends parameters that the file lacks.
var params = []param{
	numParam("port", func(c *Config) *int { return &c.Port }, 0, 65535).with(immutable),
	{
		name:  "bind",
		flags: immutable | words,
		set: func(c *Config, v []string) error {
			if len(v) == 0 {
				return errors.New("wrong number of arguments")
			}
			c.Bind = append([]string(nil), v...)
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.Bind, " ") },
	},
	stringParam("dir", func(c *Config) *string { return &c.Dir }, nil).with(protected),
	stringParam("dbfilename", func(c *Config) *string { return &c.DBFilename }, func(s string) error {
		if strings.ContainsRune(s, '/') {
			return errors.New("dbfilename can't be a path, just a filename")
		}
		return nil
	}).with(protected),
	enumParam("loglevel", func(c *Config) *string { return &c.LogLevel }, "debug", "verbose", "notice", "warning", "nothing"),
	numParam("databases", func(c *Config) *int { return &c.Databases }, 1, math.MaxInt32).with(immutable),
	stringParam("requirepass", func(c *Config) *string { return &c.RequirePass }, nil),
	stringParam("aclfile", func(c *Config) *string { return &c.ACLFile }, nil).with(immutable),
	numParam("acllog-max-len", func(c *Config) *int64 { return &c.ACLLogMaxLen }, 0, math.MaxInt32),
	memoryParam("proto-max-bulk-len", func(c *Config) *int64 { return &c.ProtoMaxBulkLen }, 1<<20),
	memoryParam("client-query-buffer-limit", func(c *Config) *int64 { return &c.QueryBufLimit }, 1<<20),
	{
		name: "hz",
		set: func(c *Config, v []string) error {
			// Matches Redis: any non-negative int is accepted and then clamped to 1-500.
			if err := numParam("hz", func(c *Config) *int { return &c.HZ }, 0, math.MaxInt32).set(c, v); err != nil {
				return err
			}
			c.HZ = min(max(c.HZ, 1), 500)
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.HZ) },
	},
	memoryParam("maxmemory", func(c *Config) *int64 { return &c.MaxMemory }, 0),
	{
		name: "maxmemory-policy",
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			p, ok := keyspace.ParsePolicy(s)
			if !ok {
				return errors.New("argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")
			}
			c.MaxMemoryPolicy = p
			return nil
		},
		get: func(c *Config) string { return c.MaxMemoryPolicy.String() },
	},
	numParam("maxmemory-samples", func(c *Config) *int { return &c.MaxMemorySamples }, 1, math.MaxInt32),
	numParam("lfu-log-factor", func(c *Config) *int { return &c.LFULogFactor }, 0, math.MaxInt32),
	numParam("lfu-decay-time", func(c *Config) *int { return &c.LFUDecayTime }, 0, math.MaxInt32),
	limitParam("hash-max-listpack-entries", func(l *keyspace.Limits) *int { return &l.HashListpackEntries }, false),
	limitParam("hash-max-listpack-value", func(l *keyspace.Limits) *int { return &l.HashListpackValue }, true),
	limitParam("set-max-intset-entries", func(l *keyspace.Limits) *int { return &l.SetIntsetEntries }, false),
	limitParam("set-max-listpack-entries", func(l *keyspace.Limits) *int { return &l.SetListpackEntries }, false),
	limitParam("set-max-listpack-value", func(l *keyspace.Limits) *int { return &l.SetListpackValue }, true),
	limitParam("zset-max-listpack-entries", func(l *keyspace.Limits) *int { return &l.ZSetListpackEntries }, false),
	limitParam("zset-max-listpack-value", func(l *keyspace.Limits) *int { return &l.ZSetListpackValue }, true),
	limitParam("hll-sparse-max-bytes", func(l *keyspace.Limits) *int { return &l.HLLSparseMaxBytes }, true),
	limitParam("stream-node-max-bytes", func(l *keyspace.Limits) *int { return &l.StreamNodeBytes }, true),
	limitParam("stream-node-max-entries", func(l *keyspace.Limits) *int { return &l.StreamNodeEntries }, false),
	// Lists always use 8 KiB nodes (Redis's default, -2) and no compression.
	fixed("list-max-listpack-size", "-2"),
	fixed("list-compress-depth", "0"),
	outputLimitParam,
	numParam("event-loops", func(c *Config) *int { return &c.EventLoops }, 0, 64).with(immutable),
	numParam("busy-reply-threshold", func(c *Config) *int64 { return &c.BusyReplyThreshold }, 0, math.MaxInt64),
	numParam("slowlog-log-slower-than", func(c *Config) *int64 { return &c.SlowlogSlowerThan }, -1, math.MaxInt64),
	numParam("slowlog-max-len", func(c *Config) *int64 { return &c.SlowlogMaxLen }, 0, math.MaxInt64),
	numParam("latency-monitor-threshold", func(c *Config) *int64 { return &c.LatencyThreshold }, 0, math.MaxInt64),
	enumParam("enable-debug-command", func(c *Config) *string { return &c.DebugCommand }, "no", "yes", "local").with(immutable),
	fixed("enable-protected-configs", "no").with(immutable),
	fixed("enable-module-command", "no").with(immutable),
	boolParam("appendonly", func(c *Config) *bool { return &c.AOF.Enabled }),
	enumParam("appendfsync", func(c *Config) *string { return &c.AOF.Fsync }, "everysec", "always", "no"),
	stringParam("appendfilename", func(c *Config) *string { return &c.AOF.Filename }, aofNameCheck("appendfilename", "filename")).with(immutable),
	stringParam("appenddirname", func(c *Config) *string { return &c.AOF.DirName }, aofNameCheck("appenddirname", "dirname")).with(immutable),
	boolParam("aof-load-truncated", func(c *Config) *bool { return &c.AOF.LoadTruncated }),
	boolParam("aof-use-rdb-preamble", func(c *Config) *bool { return &c.AOF.RDBPreamble }),
	boolParam("aof-timestamp-enabled", func(c *Config) *bool { return &c.AOF.Timestamps }),
	boolParam("aof-rewrite-incremental-fsync", func(c *Config) *bool { return &c.AOF.RewriteIncrFsync }),
	boolParam("aof-disable-auto-gc", func(c *Config) *bool { return &c.AOF.DisableAutoGC }),
	boolParam("no-appendfsync-on-rewrite", func(c *Config) *bool { return &c.AOF.NoFsyncOnRewrite }),
	numParam("auto-aof-rewrite-percentage", func(c *Config) *int64 { return &c.AOF.AutoRewritePercentage }, 0, math.MaxInt32),
	memoryParam("auto-aof-rewrite-min-size", func(c *Config) *int64 { return &c.AOF.AutoRewriteMinSize }, 0),
	{
		name:  "replicaof",
		flags: immutable | words,
		set: func(c *Config, v []string) error {
			// Matches Redis: "replicaof no one" is no primary; otherwise a host and a port.
			if len(v) == 2 && strings.EqualFold(v[0], "no") && strings.EqualFold(v[1], "one") {
				c.ReplicaOf = ""
				return nil
			}
			if len(v) != 2 {
				return errors.New("wrong number of arguments")
			}
			if p, err := strconv.Atoi(v[1]); err != nil || p < 0 || p > 65535 {
				return errors.New("Invalid master port")
			}
			c.ReplicaOf = v[0] + " " + v[1]
			return nil
		},
		get: func(c *Config) string { return c.ReplicaOf },
	},
	stringParam("masterauth", func(c *Config) *string { return &c.MasterAuth }, nil),
	stringParam("masteruser", func(c *Config) *string { return &c.MasterUser }, nil),
	boolParam("replica-read-only", func(c *Config) *bool { return &c.ReplicaReadOnly }),
	numParam("repl-timeout", func(c *Config) *int { return &c.ReplTimeout }, 1, math.MaxInt32),
	memoryParam("repl-backlog-size", func(c *Config) *int64 { return &c.ReplBacklogSize }, 1),
	numParam("repl-ping-replica-period", func(c *Config) *int { return &c.ReplPingPeriod }, 1, math.MaxInt32),
	numParam("min-replicas-to-write", func(c *Config) *int { return &c.MinReplicas }, 0, math.MaxInt32),
	numParam("min-replicas-max-lag", func(c *Config) *int { return &c.MinReplicasLag }, 0, math.MaxInt32),
	{
		name:  "save",
		flags: words,
		set: func(c *Config, v []string) error {
			// Matches Redis: pairs of seconds and changes, or "" for none.
			if len(v) == 1 && v[0] == "" {
				v = nil
			}
			if len(v)%2 != 0 {
				return errors.New("Invalid save parameters")
			}
			var pts []SavePoint
			for i := 0; i < len(v); i += 2 {
				sec, err1 := strconv.ParseInt(v[i], 10, 64)
				n, err2 := strconv.ParseInt(v[i+1], 10, 64)
				if err1 != nil || err2 != nil || sec < 1 || n < 0 { // Matches Redis: seconds >= 1, changes >= 0
					return errors.New("Invalid save parameters")
				}
				pts = append(pts, SavePoint{sec, n})
			}
			c.Save = pts
			return nil
		},
		get: func(c *Config) string {
			var b []byte
			for i, p := range c.Save {
				if i > 0 {
					b = append(b, ' ')
				}
				b = fmt.Appendf(b, "%d %d", p.Seconds, p.Changes)
			}
			return string(b)
		},
	},
	boolParam("rdbcompression", func(c *Config) *bool { return &c.RDBCompression }),
	boolParam("rdbchecksum", func(c *Config) *bool { return &c.RDBChecksum }).with(immutable),
	boolParam("rdb-save-incremental-fsync", func(c *Config) *bool { return &c.RDBIncrFsync }),
	fixed("rdb-del-sync-files", "no"),
	numParam("maxclients", func(c *Config) *int { return &c.MaxClients }, 1, math.MaxUint32),
	numParam("timeout", func(c *Config) *int { return &c.Timeout }, 0, math.MaxInt32),
	numParam("tcp-keepalive", func(c *Config) *int { return &c.TCPKeepAlive }, 0, math.MaxInt32),
	fixed("tcp-backlog", "511").with(immutable),
	enumParam("protected-mode", func(c *Config) *string { return &c.ProtectedMode }, "yes", "no"),
	fixed("io-threads", "1").with(immutable),
	boolParam("cluster-enabled", func(c *Config) *bool { return &c.ClusterEnabled }).with(immutable),
	stringParam("cluster-config-file", func(c *Config) *string { return &c.ClusterConfigFile }, nil).with(immutable),
	// Mutable in Redis; the cluster reads them from the startup configuration here.
	numParam("cluster-node-timeout", func(c *Config) *int64 { return &c.ClusterNodeTimeout }, 0, math.MaxInt64).with(immutable),
	numParam("cluster-port", func(c *Config) *int { return &c.ClusterPort }, 0, 65535).with(immutable),
	boolParam("cluster-require-full-coverage", func(c *Config) *bool { return &c.ClusterRequireFullCoverage }).with(immutable),
	boolParam("cluster-allow-reads-when-down", func(c *Config) *bool { return &c.ClusterAllowReadsWhenDown }).with(immutable),
	stringParam("cluster-announce-ip", func(c *Config) *string { return &c.ClusterAnnounceIP }, nil).with(immutable),
	stringParam("cluster-announce-hostname", func(c *Config) *string { return &c.ClusterAnnounceHostname }, nil).with(immutable),
	numParam("cluster-announce-port", func(c *Config) *int { return &c.ClusterAnnouncePort }, 0, 65535).with(immutable),
	numParam("cluster-announce-bus-port", func(c *Config) *int { return &c.ClusterAnnounceBusPort }, 0, 65535).with(immutable),
	boolParam("cluster-allow-pubsubshard-when-down", func(c *Config) *bool { return &c.ClusterAllowPubsubshardWhenDown }),
	boolParam("cluster-allow-replica-migration", func(c *Config) *bool { return &c.ClusterAllowReplicaMigration }),
	numParam("cluster-announce-tls-port", func(c *Config) *int { return &c.ClusterAnnounceTLSPort }, 0, 65535),
	memoryParam("cluster-link-sendbuf-limit", func(c *Config) *int64 { return &c.ClusterLinkSendbufLimit }, 0),
	numParam("cluster-migration-barrier", func(c *Config) *int { return &c.ClusterMigrationBarrier }, 0, math.MaxInt32),
	enumParam("cluster-preferred-endpoint-type", func(c *Config) *string { return &c.ClusterPreferredEndpointType }, "ip", "hostname", "unknown-endpoint"),
	boolParam("cluster-replica-no-failover", func(c *Config) *bool { return &c.ClusterReplicaNoFailover }),
	numParam("cluster-replica-validity-factor", func(c *Config) *int { return &c.ClusterReplicaValidityFactor }, 0, math.MaxInt32),
	{
		name: "notify-keyspace-events",
		set: func(c *Config, v []string) error {
			s, err := oneArg(v)
			if err != nil {
				return err
			}
			f, ok := parseNotifyFlags(s)
			if !ok {
				return errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			c.NotifyKeyspaceEvents = uint32(f)
			return nil
		},
		// Matches Redis: shown as A plus K, E and m, which hides an n given with A (it still applies).
		get: func(c *Config) string { return notifyClass(c.NotifyKeyspaceEvents).String() },
	},
	fixed("unixsocket", "").with(immutable),
}

// paramAliases are the pre-7 names that Redis 7 still accepts, and CONFIG GET still lists, for its parameters.
var paramAliases = map[string]string{
	"hash-max-ziplist-entries":      "hash-max-listpack-entries",
	"hash-max-ziplist-value":        "hash-max-listpack-value",
	"zset-max-ziplist-entries":      "zset-max-listpack-entries",
	"zset-max-ziplist-value":        "zset-max-listpack-value",
	"list-max-ziplist-size":         "list-max-listpack-size",
	"cluster-slave-no-failover":     "cluster-replica-no-failover",
	"slave-announce-ip":             "replica-announce-ip",
	"slave-announce-port":           "replica-announce-port",
	"slave-ignore-maxmemory":        "replica-ignore-maxmemory",
	"slave-lazy-flush":              "replica-lazy-flush",
	"slave-priority":                "replica-priority",
	"slave-serve-stale-data":        "replica-serve-stale-data",
	"cluster-slave-validity-factor": "cluster-replica-validity-factor",
	"slaveof":                       "replicaof",
	"slave-read-only":               "replica-read-only",
	"repl-ping-slave-period":        "repl-ping-replica-period",
	"min-slaves-to-write":           "min-replicas-to-write",
	"min-slaves-max-lag":            "min-replicas-max-lag",
	"lua-time-limit":                "busy-reply-threshold",
}

// lookupParam returns the parameter called name, or by an alias, without regard to case; nil if there is none.
func lookupParam(name string) *param {
	if main, ok := paramAliases[strings.ToLower(name)]; ok {
		name = main
	}
	for i := range params {
		if strings.EqualFold(params[i].name, name) {
			return &params[i]
		}
	}
	return nil
}

// Set sets one parameter from its redis.conf name and the words that follow it.
func (c *Config) Set(name string, values []string) error {
	if strings.EqualFold(name, "user") {
		return c.addUser(values)
	}
	if strings.EqualFold(name, "rename-command") {
		if err := c.renameCommand(values); err != nil {
			return fmt.Errorf("option '%s': %w", name, err)
		}
		return nil
	}
	p := lookupParam(name)
	if p == nil {
		return fmt.Errorf("unknown option '%s'", name)
	}
	if p.flags&words != 0 && len(values) == 1 {
		values = strings.Fields(values[0]) // Matches Redis: one argument of a several-word parameter is split
	}
	if err := p.set(c, values); err != nil {
		return fmt.Errorf("option '%s': %w", name, err)
	}
	return nil
}

// Get returns a parameter's value as CONFIG GET shows it, and whether the parameter exists.
func (c *Config) Get(name string) (string, bool) {
	p := lookupParam(name)
	if p == nil {
		return "", false
	}
	return p.get(c), true
}

// LogLevel maps redis.conf's loglevel names onto hclog's levels.
func LogLevel(s string) hclog.Level {
	switch s {
	case "debug":
		return hclog.Trace
	case "verbose":
		return hclog.Debug
	case "warning":
		return hclog.Warn
	case "nothing":
		return hclog.Off
	default: // notice
		return hclog.Info
	}
}

// parseMemory parses a redis.conf memory value: "1024", "1k" (1000), "1kb" (1024), "5mb", "1gb".
func parseMemory(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	ls := strings.ToLower(s)
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid memory value %q", s)
	}
	return n * mul, nil
}

// ParseArgs builds a Config the way redis-server reads its command line: an optional configuration file as
// the first argument (redis.conf syntax), then options as "--name value..." (each option's words run until the
// next "--"), later settings winning over earlier ones. readFile reads the configuration file (os.ReadFile).
func ParseArgs(args []string, readFile func(string) ([]byte, error)) (Config, error) {
	cfg := DefaultConfig()
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		data, err := readFile(args[0])
		if err != nil {
			return cfg, fmt.Errorf("reading configuration file: %w", err)
		}
		sawSave := false
		if err := cfg.load(data, readFile, 0, &sawSave); err != nil {
			return cfg, fmt.Errorf("%s: %w", args[0], err)
		}
		if cfg.ConfigFile, err = filepath.Abs(args[0]); err != nil {
			return cfg, fmt.Errorf("configuration file: %w", err)
		}
		args = args[1:]
	}
	for i := 0; i < len(args); {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok || name == "" {
			return cfg, fmt.Errorf("argument %q: options must start with \"--\" (only the first argument may be a configuration file)", args[i])
		}
		j := i + 1
		for j < len(args) && !strings.HasPrefix(args[j], "--") {
			j++
		}
		if err := cfg.Set(name, args[i+1:j]); err != nil {
			return cfg, err
		}
		i = j
	}
	return cfg, nil
}

// Load applies a redis.conf-style text: one "name value..." directive per line, '#' starting a comment line,
// words split (and quoted) as redis-server splits them. "include <path or glob>" lines load other files.
func (c *Config) Load(data []byte) error {
	sawSave := false
	return c.load(data, os.ReadFile, 0, &sawSave)
}

// load is Load with the function that reads included files, the depth of inclusion, and whether a save line
// was seen (in this file or an including one).
func (c *Config) load(data []byte, readFile func(string) ([]byte, error), depth int, sawSave *bool) error {
	var words [][]byte
	lim := resp.DefaultLimits()
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var err error
		words, _, err = resp.ParseCommand(append(line, '\n'), words[:0], lim)
		if err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		if len(words) == 0 {
			continue
		}
		vals := make([]string, len(words)-1)
		for k, w := range words[1:] {
			vals[k] = string(w)
		}
		if strings.EqualFold(string(words[0]), "include") {
			if err := c.include(vals, readFile, depth, sawSave); err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
			continue
		}
		prev := c.Save
		if err := c.Set(string(words[0]), vals); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		if strings.EqualFold(string(words[0]), "save") {
			// Matches Redis: the save lines of a file add up; the first one replaces the defaults.
			if *sawSave {
				c.Save = append(prev[:len(prev):len(prev)], c.Save...)
			}
			*sawSave = true
		}
	}
	return nil
}
