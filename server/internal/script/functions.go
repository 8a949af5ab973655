package script

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// FUNCTION libraries: Redis 7's named functions, loaded from a library's code by redis.register_function and
// run by FCALL. They live in a VM of their own, as in Redis. While a library loads, its code sees a restricted
// redis table (register_function, log, setresp and the constants); its functions, when called, see the full one.

// Library is a loaded FUNCTION library.
type Library struct {
	Name  string
	Code  []byte
	Funcs []*Function // in the order registered
}

// Function is one function a library registered.
type Function struct {
	Name     string
	Desc     string // "" when none was given
	HasDesc  bool
	Flags    []string
	NoWrites bool // the flags that change how the server runs it
	AllowOOM bool
	Stale    bool // allow-stale
	Lib      *Library
	fn       *lua.LFunction
}

// The flags a function (or a script's shebang) may declare.
var functionFlags = map[string]bool{"no-writes": true, "allow-oom": true, "allow-stale": true, "no-cluster": true,
	"allow-cross-slot-keys": true}

// Functions holds the libraries and runs their functions. It is not safe for concurrent use.
type Functions struct {
	vm      *VM
	libs    map[string]*Library
	funcs   map[string]*Function
	envMeta *lua.LTable // the metatable of the functions' globals, whose __index is loadG or runG
	loadG   *lua.LTable
	runG    *lua.LTable
	env     *lua.LTable
}

// NewFunctions returns an empty function store with its own VM, whose math.random continues eval's sequence
// when eval is not nil (Redis has one generator for both).
func NewFunctions(eval *VM) *Functions {
	vm := New()
	if eval != nil {
		vm.rand = eval.rand
	}
	L := vm.L
	f := &Functions{vm: vm, libs: make(map[string]*Library), funcs: make(map[string]*Function)}
	missing := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	})
	copyGlobals := func(redis *lua.LTable) *lua.LTable {
		g := L.NewTable()
		vm.real.ForEach(func(k, v lua.LValue) {
			switch lua.LVAsString(k) {
			case "KEYS", "ARGV":
				return
			}
			g.RawSet(k, v)
		})
		g.RawSetString("redis", redis)
		mt := L.NewTable()
		mt.RawSetString("__index", missing)
		L.SetMetatable(g, mt)
		return g
	}
	register := L.NewFunction(vm.registerFunction)
	full := L.NewTable()
	vm.redisT.ForEach(func(k, v lua.LValue) { full.RawSet(k, v) })
	full.RawSetString("register_function", register)
	f.runG = copyGlobals(readonly(L, full))
	loadRedis := L.NewTable()
	for _, name := range []string{"log", "setresp", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE",
		"LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		loadRedis.RawSetString(name, full.RawGetString(name))
	}
	loadRedis.RawSetString("register_function", register)
	loadMeta := L.NewTable()
	loadMeta.RawSetString("__index", missing)
	L.SetMetatable(loadRedis, loadMeta)
	f.loadG = copyGlobals(readonly(L, loadRedis))
	f.env = L.NewTable()
	f.envMeta = L.NewTable()
	f.envMeta.RawSetString("__index", f.runG)
	f.envMeta.RawSetString("__newindex", L.NewFunction(readonlyError))
	f.envMeta.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(f.env, f.envMeta)
	f.runG.RawSetString("_G", f.env)
	f.loadG.RawSetString("_G", f.env)
	return f
}

// Close releases the VM.
func (f *Functions) Close() { f.vm.Close() }

// Library returns the library called name, or nil.
func (f *Functions) Library(name string) *Library { return f.libs[name] }

// Function returns the function called name, or nil.
func (f *Functions) Function(name string) *Function { return f.funcs[name] }

// Libraries returns the libraries sorted by name.
func (f *Functions) Libraries() []*Library {
	out := make([]*Library, 0, len(f.libs))
	for _, l := range f.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Counts returns the numbers of libraries and functions.
func (f *Functions) Counts() (libs, funcs int) { return len(f.libs), len(f.funcs) }

// Flush deletes every library.
func (f *Functions) Flush() {
	clear(f.libs)
	clear(f.funcs)
}

// Delete deletes a library; false when there is none by that name.
func (f *Functions) Delete(name string) bool {
	lib := f.libs[name]
	if lib == nil {
		return false
	}
	for _, fn := range lib.Funcs {
		delete(f.funcs, fn.Name)
	}
	delete(f.libs, name)
	return true
}

// validName reports whether a library or function name is Redis's: letters, digits and underscores.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// ParseLibraryHeader reads a library's "#!lua name=<name>" line, with Redis's errors.
func ParseLibraryHeader(code []byte) (name string, err error) {
	if !strings.HasPrefix(string(code), "#!") {
		return "", errors.New("ERR Missing library metadata")
	}
	line := string(code)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	parts := strings.Fields(line[2:])
	if len(parts) == 0 {
		return "", errors.New("ERR Invalid library metadata")
	}
	if parts[0] != "lua" {
		return "", fmt.Errorf("ERR Engine '%s' not found", parts[0])
	}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", fmt.Errorf("ERR Invalid metadata value given: %s", p)
		}
		name = v
	}
	if len(parts) == 1 {
		return "", errors.New("ERR Invalid library metadata")
	}
	if !validName(name) {
		return "", errors.New("ERR " + errBadName)
	}
	return name, nil
}

// loadTimeout bounds the run of a library's code at load, as Redis's.
const loadTimeout = 500 * time.Millisecond

// Compile runs a library's code and returns the library it registers, without adding it. Errors are reply
// texts.
func (f *Functions) Compile(code []byte) (*Library, error) {
	name, err := ParseLibraryHeader(code)
	if err != nil {
		return nil, &Error{Text: err.Error()}
	}
	src := code
	if i := indexByte(src, '\n'); i >= 0 {
		src = src[i:] // keep the newline: line numbers count the header
	} else {
		src = nil
	}
	L := f.vm.L
	fn, err := L.Load(strings.NewReader(string(src)), "user_function")
	if err != nil {
		var ae *lua.ApiError
		msg := err.Error()
		if errors.As(err, &ae) && ae.Object != nil {
			msg = strings.TrimSpace(ae.Object.String())
		}
		return nil, &Error{Text: "ERR Error compiling function: " + msg}
	}
	fn.Env = f.env
	lib := &Library{Name: name, Code: append([]byte(nil), code...)}
	f.envMeta.RawSetString("__index", f.loadG)
	f.vm.loading = lib
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	L.SetContext(ctx)
	L.SetTop(0)
	L.Push(fn)
	err = L.PCall(0, 0, L.NewFunction(errorHandler))
	L.RemoveContext()
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	L.SetTop(0)
	f.vm.loading = nil
	f.envMeta.RawSetString("__index", f.runG)
	if err != nil {
		if timedOut {
			return nil, &Error{Text: "ERR FUNCTION LOAD timeout"}
		}
		return nil, &Error{Text: "ERR Error registering functions: " + loadErrorText(err)}
	}
	if len(lib.Funcs) == 0 {
		return nil, &Error{Text: "ERR No functions registered"}
	}
	return lib, nil
}

func loadErrorText(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if m, ok := t.RawGetString("err").(lua.LString); ok {
				return oneLine(string(m))
			}
		}
		return lua.LVAsString(ae.Object)
	}
	return err.Error()
}

// Add adds compiled libraries, replacing those of the same names when replace is set; nothing is added on
// error. Errors are reply texts.
func (f *Functions) Add(libs []*Library, replace bool) error {
	names := make(map[string]bool)
	fnames := make(map[string]bool)
	for _, lib := range libs {
		if names[lib.Name] || f.libs[lib.Name] != nil && !replace {
			return &Error{Text: fmt.Sprintf("ERR Library %s already exists", lib.Name)}
		}
		names[lib.Name] = true
		for _, fn := range lib.Funcs {
			if old := f.funcs[fn.Name]; fnames[fn.Name] || old != nil && !names[old.Lib.Name] {
				return &Error{Text: fmt.Sprintf("ERR Function %s already exists", fn.Name)}
			}
			fnames[fn.Name] = true
		}
	}
	for _, lib := range libs {
		f.Delete(lib.Name)
		f.libs[lib.Name] = lib
		for _, fn := range lib.Funcs {
			f.funcs[fn.Name] = fn
		}
	}
	return nil
}

// Call runs fn with KEYS and ARGV as its two arguments and returns its result (see [VM.WriteReply], on
// [Functions.VM]).
func (f *Functions) Call(ctx context.Context, host Host, fn *Function, keys, argv [][]byte) (lua.LValue, error) {
	return f.vm.call(ctx, host, fn.fn, fn.Name, []lua.LValue{f.vm.strings(keys), f.vm.strings(argv)})
}

// VM returns the functions' VM.
func (f *Functions) VM() *VM { return f.vm }

// registerFunction is redis.register_function: while a library loads it adds a function to it.
func (vm *VM) registerFunction(L *lua.LState) int {
	lib := vm.loading
	if lib == nil {
		vm.raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	fn := &Function{Lib: lib}
	switch L.GetTop() {
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			vm.raise(L, "first argument to redis.register_function must be a string")
		}
		cb, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			vm.raise(L, "second argument to redis.register_function must be a function")
		}
		fn.Name, fn.fn = string(name), cb
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			vm.raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			key, ok := k.(lua.LString)
			if !ok {
				bad = "named argument key given to redis.register_function is not a string"
				return
			}
			switch key {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "function_name argument given to redis.register_function must be a string"
					return
				}
				fn.Name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "description argument given to redis.register_function must be a string"
					return
				}
				fn.Desc, fn.HasDesc = string(s), true
			case "callback":
				cb, ok := v.(*lua.LFunction)
				if !ok {
					bad = "callback argument given to redis.register_function must be a function"
					return
				}
				fn.fn = cb
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					s, ok := fv.(lua.LString)
					if !ok || !functionFlags[string(s)] {
						bad = "unknown flag given"
						return
					}
					fn.Flags = append(fn.Flags, string(s))
					switch s {
					case "no-writes":
						fn.NoWrites = true
					case "allow-oom":
						fn.AllowOOM = true
					case "allow-stale":
						fn.Stale = true
					}
				}
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			vm.raise(L, bad)
		}
		if fn.Name == "" && !validName(fn.Name) && t.RawGetString("function_name") == lua.LNil {
			vm.raise(L, "redis.register_function must get a function name argument")
		}
		if fn.fn == nil {
			vm.raise(L, "redis.register_function must get a callback argument")
		}
	default:
		vm.raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(fn.Name) {
		vm.raise(L, errBadName)
	}
	for _, other := range lib.Funcs {
		if other.Name == fn.Name {
			vm.raise(L, "Function already exists in the library")
		}
	}
	lib.Funcs = append(lib.Funcs, fn)
	return 0
}
