// Package cmdspec is the server's one command table: the metadata of every
// Redis 7.2 command (arity, flags, ACL categories, key specs, docs), as Redis
// reports it through COMMAND INFO and COMMAND DOCS.
//
// The data is embedded from commands.json (recorded from a real redis-server
// by tools/cmdmeta) merged with overlay72.json (commands and subcommands that
// Redis 7.2 added). The server attaches handlers to the [Spec] values that
// [Lookup] returns, and renders COMMAND replies with [Spec.WriteInfo] and
// [Spec.WriteDocs]:
//
//	s := cmdspec.Lookup("get")
//	s.Arity              // 2
//	s.Has(cmdspec.FlagReadonly) // true
//	s.KeyPositions([][]byte{[]byte("GET"), []byte("k")}) // [1]
package cmdspec

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed commands.json
var commandsJSON []byte

//go:embed overlay72.json
var overlayJSON []byte

// Spec is one command's or subcommand's metadata, as Redis 7.2 reports it.
// Specs are shared and must not be modified.
type Spec struct {
	Name          string   // lower case full name: "get", "client|setname"
	Arity         int      // as in Redis: negative means at least -Arity arguments, name included
	Flags         []string // as COMMAND INFO lists them: "write", "readonly", "denyoom", ...
	FirstKey      int      // legacy (first, last, step) key range; 0 when the command has no keys
	LastKey       int
	Step          int
	ACLCategories []string  // without the '@' that COMMAND INFO puts in front: "read", "string", "fast"
	Tips          []string  // "nondeterministic_output", "request_policy:all_shards", ...
	KeySpecs      []KeySpec // in Redis's order; Arg.KeySpecIndex indexes it
	Subcommands   []*Spec   // sorted by name
	Docs          Docs      // the COMMAND DOCS entry
	Parent        *Spec     // the container of a subcommand, nil for a top-level command
	Bits          Flag      // Flags as a bit set, for [Spec.Has]
	categories    []string  // ACLCategories with '@', as rendered
	subByName     map[string]*Spec
}

// KeySpec says where some of a command's keys are and how it uses them.
type KeySpec struct {
	Notes       string
	Flags       []string // "RW", "RO", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"
	BeginSearch BeginSearch
	FindKeys    FindKeys
}

// BeginSearch says where the search for keys starts.
type BeginSearch struct {
	Type      string // "index", "keyword" or "unknown"
	Index     int    // for "index": argument index of the first key
	Keyword   string // for "keyword": the keys follow this argument
	StartFrom int    // for "keyword": where to look for it; negative counts from the end, backwards
}

// FindKeys says how many keys follow the start found by BeginSearch.
type FindKeys struct {
	Type      string // "range", "keynum" or "unknown"
	LastKey   int    // for "range": last key relative to the start; -1 is the last argument, -2 the one before
	KeyStep   int    // for "range" and "keynum": distance between keys
	Limit     int    // for "range" with LastKey -1: keys are only the first 1/Limit of the rest
	KeyNumIdx int    // for "keynum": index of the key count, relative to the start
	FirstKey  int    // for "keynum": first key, relative to the start
}

// Docs is the COMMAND DOCS entry of a command. Empty strings and nil slices
// are fields Redis leaves out.
type Docs struct {
	Summary         string
	Since           string
	Group           string
	Complexity      string
	DocFlags        []string // "deprecated", "syscmd"
	DeprecatedSince string
	ReplacedBy      string
	History         []History
	Arguments       []*Arg
}

// History is one entry of a command's history.
type History struct {
	Version string // "6.2.0"
	Change  string // "Added the `GET` option."
}

// Arg describes one argument of a command in COMMAND DOCS.
type Arg struct {
	Name            string
	Type            string // "key", "string", "integer", "double", "pattern", "unix-time", "pure-token", "oneof", "block"
	DisplayText     string
	KeySpecIndex    int     // index into Spec.KeySpecs for "key" arguments, -1 otherwise
	Token           *string // nil without a token; may point to "" (MIGRATE's "")
	Summary         string
	Since           string
	DeprecatedSince string
	Flags           []string // "optional", "multiple", "multiple_token"
	Value           string
	Arguments       []*Arg // for "oneof" and "block"
}

// Flag is a command flag as a bit, for fast checks with [Spec.Has].
type Flag uint64

// Command flags. The names are those COMMAND INFO uses (see [FlagName]).
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagSentinel
	FlagOnlySentinel
	FlagNoMandatoryKeys
	FlagProtected
	FlagModuleGetKeys
	FlagModuleNoCluster
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

var flagNames = map[string]Flag{
	"write": FlagWrite, "readonly": FlagReadonly, "denyoom": FlagDenyOOM, "module": FlagModule,
	"admin": FlagAdmin, "pubsub": FlagPubSub, "noscript": FlagNoScript, "blocking": FlagBlocking,
	"loading": FlagLoading, "stale": FlagStale, "skip_monitor": FlagSkipMonitor,
	"skip_slowlog": FlagSkipSlowlog, "asking": FlagAsking, "fast": FlagFast, "no_auth": FlagNoAuth,
	"may_replicate": FlagMayReplicate, "sentinel": FlagSentinel, "only_sentinel": FlagOnlySentinel,
	"no_mandatory_keys": FlagNoMandatoryKeys, "protected": FlagProtected,
	"module_getkeys": FlagModuleGetKeys, "module_no_cluster": FlagModuleNoCluster,
	"no_async_loading": FlagNoAsyncLoading, "no_multi": FlagNoMulti, "movablekeys": FlagMovableKeys,
	"allow_busy": FlagAllowBusy,
}

// FlagName returns the bit of the flag that COMMAND INFO calls name, or 0
// if there is none.
func FlagName(name string) Flag { return flagNames[name] }

// Has reports whether s has all the flags in f.
func (s *Spec) Has(f Flag) bool { return s.Bits&f == f }

// HasFlag reports whether s has the flag that COMMAND INFO calls name.
func (s *Spec) HasFlag(name string) bool {
	f := flagNames[name]
	return f != 0 && s.Has(f)
}

// IsContainer reports whether s has subcommands, like CLIENT and CONFIG.
func (s *Spec) IsContainer() bool { return len(s.Subcommands) > 0 }

// Sub returns the subcommand of s named sub (any case, without the
// container's name: "setname"), or nil.
func (s *Spec) Sub(sub string) *Spec {
	if c := s.subByName[sub]; c != nil {
		return c
	}
	return s.subByName[strings.ToLower(sub)]
}

type table struct {
	all    []*Spec
	byName map[string]*Spec // top-level and "container|sub"
}

var (
	loadOnce sync.Once
	loaded   *table
)

func get() *table {
	loadOnce.Do(func() {
		t, err := load(commandsJSON, overlayJSON)
		if err != nil {
			panic("cmdspec: embedded command table: " + err.Error()) // a bug caught by the tests
		}
		loaded = t
	})
	return loaded
}

// Lookup returns the command or subcommand with the lower-case full name,
// "get" or "client|setname", or nil if Redis 7.2 has none.
func Lookup(name string) *Spec { return get().byName[name] }

// All returns the top-level commands sorted by name. The slice is shared and
// must not be modified.
func All() []*Spec { return get().all }

// LookupArgs returns the command that args (args[0] is the command's name)
// calls, descending into a container when args has a subcommand name: for
// "CLIENT SETNAME x" it returns client|setname. Names match in any case. It
// returns the container itself if args has no known subcommand, and nil if
// the command is unknown.
func LookupArgs(args [][]byte) *Spec {
	if len(args) == 0 {
		return nil
	}
	t := get()
	s := t.byName[string(args[0])]
	if s == nil {
		s = t.byName[strings.ToLower(string(args[0]))]
	}
	if s == nil || len(args) < 2 || !s.IsContainer() {
		return s
	}
	if sub := s.Sub(string(args[1])); sub != nil {
		return sub
	}
	return s
}

// ErrInvalidArgs is returned by [Spec.KeyPositions] when the arguments do
// not fit the command's key specs, such as a bad numkeys. Redis then reports
// no keys, and COMMAND GETKEYS replies "Invalid arguments specified for
// command" unless the command has the no_mandatory_keys flag.
var ErrInvalidArgs = errors.New("cmdspec: arguments do not match the key specs")

// load parses the base table and merges the overlay into it: an overlay
// entry replaces the command or subcommand of the same name, or adds it.
func load(base, overlay []byte) (*table, error) {
	var cmds, extra []*jsonCommand
	if err := json.Unmarshal(base, &cmds); err != nil {
		return nil, fmt.Errorf("commands.json: %w", err)
	}
	if len(overlay) > 0 {
		if err := json.Unmarshal(overlay, &extra); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
	}
	t := &table{byName: make(map[string]*Spec, 512)}
	for _, jc := range cmds {
		s, err := jc.spec(nil)
		if err != nil {
			return nil, err
		}
		t.all = append(t.all, s)
	}
	top := make(map[string]*Spec, len(t.all))
	for _, s := range t.all {
		top[s.Name] = s
	}
	for _, jc := range extra {
		container, _, isSub := strings.Cut(jc.Name, "|")
		if !isSub {
			s, err := jc.spec(nil)
			if err != nil {
				return nil, err
			}
			if old := top[s.Name]; old != nil {
				*old = *s // keep pointers handed out stable
				for _, sub := range old.Subcommands {
					sub.Parent = old
				}
			} else {
				top[s.Name] = s
				t.all = append(t.all, s)
			}
			continue
		}
		parent := top[container]
		if parent == nil {
			return nil, fmt.Errorf("overlay: %s: no container %q", jc.Name, container)
		}
		s, err := jc.spec(parent)
		if err != nil {
			return nil, err
		}
		replaced := false
		for i, old := range parent.Subcommands {
			if old.Name == s.Name {
				parent.Subcommands[i], replaced = s, true
			}
		}
		if !replaced {
			parent.Subcommands = append(parent.Subcommands, s)
		}
	}
	sort.Slice(t.all, func(i, j int) bool { return t.all[i].Name < t.all[j].Name })
	var index func(ss []*Spec)
	index = func(ss []*Spec) {
		sort.Slice(ss, func(i, j int) bool { return ss[i].Name < ss[j].Name })
		for _, s := range ss {
			t.byName[s.Name] = s
			if len(s.Subcommands) > 0 {
				s.subByName = make(map[string]*Spec, len(s.Subcommands))
				for _, sub := range s.Subcommands {
					_, short, _ := strings.Cut(sub.Name, "|")
					s.subByName[short] = sub
				}
			}
			index(s.Subcommands)
		}
	}
	index(t.all)
	return t, nil
}
