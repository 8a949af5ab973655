// Package script is the Lua side of Carmine's server-side scripting (EVAL, FCALL): a sandboxed Lua 5.1 VM
// (github.com/yuin/gopher-lua) set up as Redis sets up its own, the redis.* API, the conversions between Lua
// values and RESP replies, and the libraries Redis bundles (cjson, cmsgpack, bit, struct). It knows nothing of
// the server: commands called from a script go through a [Host].
package script

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/resp"
	lua "github.com/yuin/gopher-lua"
)

// Host runs what a script asks of the server.
type Host interface {
	// Call runs a command for redis.call and redis.pcall and returns its reply, an error reply included, as
	// RESP of version proto (2 or 3).
	Call(args [][]byte, proto int) []byte
	// ACLCheck reports whether the script's user may run args (redis.acl_check_cmd); an error is raised in Lua.
	ACLCheck(args [][]byte) (bool, error)
	// Log writes a redis.log line at level (LogDebug ... LogWarning).
	Log(level int, msg string)
	// SetRepl receives redis.set_repl's flags (ReplNone ... ReplAll).
	SetRepl(flags int)
}

// The levels of redis.log.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// The flags of redis.set_repl.
const (
	ReplNone  = 0
	ReplAOF   = 1
	ReplSlave = 2
	ReplAll   = 3
)

// ErrKilled is the context cause of a script stopped by SCRIPT KILL or FUNCTION KILL.
var ErrKilled = errors.New("script killed")

// VM is one Lua state with Redis's sandbox. It runs one script at a time and is not safe for concurrent use.
type VM struct {
	L     *lua.LState
	env   *lua.LTable // the globals scripts see (read-only; misses are errors)
	real  *lua.LTable // what env reads from
	host  Host
	proto int     // redis.setresp
	rand  *rand48 // math.random's state, shared with the functions' VM as Redis's is one
	// funcs: compiled EVAL scripts by SHA1 (lower-case hex).
	funcs        map[string]*lua.LFunction
	redisT       *lua.LTable    // the redis table, before its read-only proxy
	onError      *lua.LFunction // errorHandler
	keys, argv   *lua.LTable    // KEYS and ARGV of EVAL scripts
	nkeys, nargv int
	// Functions: register_function's target while a library loads (see functions.go).
	loading *Library
}

// New returns a VM with Redis's libraries and sandbox.
func New() *VM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024, RegistrySize: 1024 * 20, RegistryMaxSize: 1024 * 1024})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	vm := &VM{L: L, funcs: make(map[string]*lua.LFunction), proto: 2}
	g := L.G.Global
	real := L.NewTable()
	for _, name := range []string{"assert", "collectgarbage", "error", "gcinfo", "getmetatable", "ipairs", "load",
		"loadstring", "next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable",
		"tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION", "coroutine", "string", "table", "math"} {
		if v := g.RawGetString(name); v != lua.LNil {
			real.RawSetString(name, v)
		}
	}
	// Matches Redis: pcall gives an error table (redis.call's, or error({err=...})) as its err string.
	pcall := real.RawGetString("pcall").(*lua.LFunction)
	real.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int {
		n := pcall.GFunction(L)
		if n >= 2 && L.Get(-n) == lua.LFalse {
			if t, ok := L.Get(-n + 1).(*lua.LTable); ok {
				if e, ok := t.RawGetString("err").(lua.LString); ok {
					L.Replace(-n+1, e)
				}
			}
		}
		return n
	}))
	// Lua 5.1's error, assert and setmetatable where gopher-lua's differ (see luaError).
	real.RawSetString("error", L.NewFunction(luaError))
	real.RawSetString("assert", L.NewFunction(luaAssert))
	setmt := real.RawGetString("setmetatable").(*lua.LFunction)
	real.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1) // gopher-lua would set the metatable of every value of the type, across scripts
		return setmt.GFunction(L)
	}))
	if real.RawGetString("gcinfo") == lua.LNil {
		real.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	}
	mathT := real.RawGetString("math").(*lua.LTable)
	mathT.RawSetString("random", L.NewFunction(vm.mathRandom))
	mathT.RawSetString("randomseed", L.NewFunction(vm.mathRandomSeed))
	if mathT.RawGetString("mod") == lua.LNil {
		mathT.RawSetString("mod", mathT.RawGetString("fmod"))
	}
	vm.rand = &rand48{x: 0x1234ABCD330E} // rand48's state before any seeding, where Redis leaves it
	vm.redisT = vm.redisLib()
	real.RawSetString("redis", vm.redisT)
	real.RawSetString("cjson", openCJSON(L))
	real.RawSetString("bit", openBit(L))
	real.RawSetString("cmsgpack", openCMsgpack(L))
	real.RawSetString("struct", openStruct(L))
	env := L.NewTable()
	real.RawSetString("_G", env)
	envMeta := L.NewTable()
	envMeta.RawSetString("__index", real)
	envMeta.RawSetString("__newindex", L.NewFunction(readonlyError))
	envMeta.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(env, envMeta)
	realMeta := L.NewTable()
	realMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	L.SetMetatable(real, realMeta)
	for _, name := range []string{"redis", "cjson", "bit", "cmsgpack", "struct", "string", "table", "math", "coroutine"} {
		real.RawSetString(name, readonly(L, real.RawGetString(name).(*lua.LTable)))
	}
	L.G.Global = env
	L.Env = env
	vm.env, vm.real = env, real
	return vm
}

// readonly returns a proxy of t whose writes fail with Redis's error.
func readonly(L *lua.LState, t *lua.LTable) *lua.LTable {
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	return p
}

func readonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// Close releases the VM.
func (vm *VM) Close() { vm.L.Close() }

// SHA1Hex returns the lower-case hex SHA1 of b, a script's name.
func SHA1Hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// Error is a script's failure as Redis reports it: the reply text (code and message).
type Error struct{ Text string }

func (e *Error) Error() string { return e.Text }

// Has reports whether the EVAL script sha is compiled.
func (vm *VM) Has(sha string) bool { return vm.funcs[sha] != nil }

// Len returns the number of compiled EVAL scripts.
func (vm *VM) Len() int { return len(vm.funcs) }

// Flush forgets every compiled script.
func (vm *VM) Flush() { clear(vm.funcs) }

// Compile compiles an EVAL script body under its SHA1 (see [SHA1Hex]) unless it is there already.
func (vm *VM) Compile(sha string, body []byte) error {
	if vm.funcs[sha] != nil {
		return nil
	}
	src := body
	if len(src) >= 2 && src[0] == '#' && src[1] == '!' {
		// The shebang line was parsed by the caller; Lua must not see it.
		if i := indexByte(src, '\n'); i >= 0 {
			src = src[i:]
		} else {
			src = nil
		}
	}
	// As Redis, the body becomes a function's ("function f_<sha>() <body> end"): unlike a chunk, which is a
	// vararg function and gets a fresh arg table at every call, it costs no allocation to call, and a script
	// using ... fails to compile as in Redis. The body starts on the wrapper's first line, so line numbers hold.
	wrapped := make([]byte, 0, len(src)+32)
	wrapped = append(append(append(wrapped, "return function() "...), src...), "\nend"...)
	chunk, err := vm.load(wrapped, "user_script")
	if err != nil {
		return &Error{Text: "ERR Error compiling script (new function): " + err.Error()}
	}
	L := vm.L
	L.Push(chunk)
	if err := L.PCall(0, 1, nil); err != nil {
		L.SetTop(0)
		return &Error{Text: "ERR Error compiling script (new function): " + err.Error()}
	}
	fn, ok := L.Get(-1).(*lua.LFunction)
	L.SetTop(0)
	if !ok {
		return &Error{Text: "ERR Error compiling script (new function): not a function"}
	}
	vm.funcs[sha] = fn
	return nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (vm *VM) load(src []byte, name string) (*lua.LFunction, error) {
	fn, err := vm.L.Load(strings.NewReader(string(src)), name)
	if err != nil {
		var ae *lua.ApiError
		if errors.As(err, &ae) && ae.Object != nil {
			return nil, errors.New(strings.TrimSpace(ae.Object.String()))
		}
		return nil, err
	}
	fn.Env = vm.env
	return fn, nil
}

// Run runs the compiled script sha with KEYS and ARGV and returns its result, which the caller writes with
// [WriteReply] before the next Run. ctx stops the script (SCRIPT KILL) at its next instruction.
func (vm *VM) Run(ctx context.Context, host Host, sha string, keys, argv [][]byte) (lua.LValue, error) {
	fn := vm.funcs[sha]
	if fn == nil {
		return lua.LNil, &Error{Text: "NOSCRIPT No matching script. Please use EVAL."}
	}
	if vm.keys == nil {
		vm.keys, vm.argv = vm.L.NewTable(), vm.L.NewTable()
		vm.real.RawSetString("KEYS", vm.keys)
		vm.real.RawSetString("ARGV", vm.argv)
	}
	// The same two tables every time: no script can keep them, the globals being read-only.
	vm.nkeys = fill(vm.keys, keys, vm.nkeys)
	vm.nargv = fill(vm.argv, argv, vm.nargv)
	return vm.call(ctx, host, fn, sha, nil)
}

// fill sets t to the strings of bs, clearing the rest of its old length had, and returns the new length. An
// element already equal to its string is kept, which saves converting it again (ARGV often repeats).
func fill(t *lua.LTable, bs [][]byte, had int) int {
	for i, b := range bs {
		if i < had {
			if old, ok := t.RawGetInt(i + 1).(lua.LString); ok && string(old) == string(b) {
				continue
			}
		}
		t.RawSetInt(i+1, lua.LString(b))
	}
	for i := len(bs) + 1; i <= had; i++ {
		t.RawSetInt(i, lua.LNil)
	}
	return len(bs)
}

func (vm *VM) strings(bs [][]byte) *lua.LTable {
	t := vm.L.CreateTable(len(bs), 0)
	for _, b := range bs {
		t.Append(lua.LString(b))
	}
	return t
}

// call runs fn with args in the sandbox. name names the script in error replies ("script: <name>").
func (vm *VM) call(ctx context.Context, host Host, fn *lua.LFunction, name string, args []lua.LValue) (lua.LValue, error) {
	L := vm.L
	vm.host = host
	vm.proto = 2
	defer func() { vm.host = nil }()
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.SetTop(0)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if vm.onError == nil {
		vm.onError = L.NewFunction(errorHandler)
	}
	err := L.PCall(len(args), 1, vm.onError)
	if err != nil {
		L.SetTop(0)
		if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrKilled) {
			if ae, ok := err.(*lua.ApiError); ok {
				if t, ok := ae.Object.(*lua.LTable); ok {
					t.RawSetString("err", lua.LString("ERR Script killed by user with SCRIPT KILL..."))
				}
			}
		}
		return lua.LNil, &Error{Text: errorText(err, "script: "+name)}
	}
	ret := L.Get(-1)
	L.SetTop(0)
	return ret, nil
}

// luaError is Lua 5.1's error: a string or number message gets the position of the function at level (1, the
// caller of error, by default; 0 for none); other values (nil for no argument) are raised as they are.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	switch obj.(type) {
	case lua.LString, lua.LNumber:
		if level > 0 {
			obj = lua.LString(where(L, level) + lua.LVAsString(obj))
		}
	}
	L.Error(obj, 0)
	return 0
}

// luaAssert is Lua 5.1's assert: on a false value it raises its message (a string or number, "assertion
// failed!" by default) with the caller's position; else it returns its arguments.
func luaAssert(L *lua.LState) int {
	L.CheckAny(1)
	if lua.LVAsBool(L.Get(1)) {
		return L.GetTop()
	}
	msg := "assertion failed!"
	if L.GetTop() >= 2 {
		switch m := L.Get(2).(type) {
		case lua.LString, lua.LNumber:
			msg = lua.LVAsString(m)
		case *lua.LNilType:
		default:
			L.ArgError(2, "string expected, got "+m.Type().String())
		}
	}
	L.Error(lua.LString(where(L, 1)+msg), 0)
	return 0
}

// where is luaL_where: "<source>:<line>: " of the Lua function level calls up from the running Go function,
// or "" if that is not a Lua function.
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// badArgument matches gopher-lua's "bad argument #1 to rep (...)", which Lua 5.1 words "to 'rep'".
var badArgument = regexp.MustCompile(`bad argument #(\d+) to ([A-Za-z_][A-Za-z0-9_.]*) \(`)

// lua51Wording rewrites what gopher-lua words differently from Lua 5.1 in an error message.
func lua51Wording(msg string) string {
	if strings.Contains(msg, "bad argument #") {
		msg = badArgument.ReplaceAllString(msg, "bad argument #$1 to '$2' (")
	}
	return msg
}

// errorHandler turns a Lua error into Redis's error table: {err=<text>, source=..., line=...}, with "ERR " before a
// plain string's text.
func errorHandler(L *lua.LState) int {
	e := L.Get(1)
	t, ok := e.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+lua51Wording(lua.LVAsString(e))))
		if e.Type() != lua.LTString && e.Type() != lua.LTNumber {
			t.RawSetString("err", lua.LString("ERR "+e.String()))
		}
	}
	for level := 0; level < 10; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What != "G" && dbg.CurrentLine > 0 {
			t.RawSetString("source", lua.LString("@"+dbg.Source))
			t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
			break
		}
	}
	L.Push(t)
	return 1
}

// errorText formats a script's error as Redis: "<text> script: <sha>, on @user_script:<line>.".
func errorText(err error, what string) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return "ERR " + err.Error()
	}
	t, ok := ae.Object.(*lua.LTable)
	if !ok { // raised past the handler (a stack overflow): the message has the position, if any
		msg := lua51Wording(oneLine(lua.LVAsString(ae.Object)))
		if m := position.FindStringSubmatch(msg); m != nil {
			return fmt.Sprintf("ERR %s %s, on @%s:%s.", msg, what, m[1], m[2])
		}
		return fmt.Sprintf("ERR %s %s.", msg, what)
	}
	msg := "ERR unknown error"
	if m, ok := t.RawGetString("err").(lua.LString); ok {
		msg = string(m)
	}
	msg = strings.TrimSpace(oneLine(msg))
	if src, ok := t.RawGetString("source").(lua.LString); ok {
		line := lua.LVAsString(t.RawGetString("line"))
		return fmt.Sprintf("%s %s, on %s:%s.", msg, what, src, line)
	}
	return fmt.Sprintf("%s %s.", msg, what)
}

// position matches the "<source>:<line>:" that starts a Lua error message.
var position = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*):(\d+):`)

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// redisLib builds the redis table.
func (vm *VM) redisLib() *lua.LTable {
	L := vm.L
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall": func(L *lua.LState) int { return vm.redisCall(L, false) },
		"error_reply": func(L *lua.LState) int {
			msg, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				return pushBadArgs(L)
			}
			if !strings.HasPrefix(string(msg), "-") { // Matches Redis: the text is taken as "-CODE msg"
				msg = "-" + msg
			}
			r := L.NewTable()
			r.RawSetString("err", lua.LString(errorCode(string(msg))))
			L.Push(r)
			return 1
		},
		"status_reply": func(L *lua.LState) int {
			msg, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				return pushBadArgs(L)
			}
			r := L.NewTable()
			r.RawSetString("ok", msg)
			L.Push(r)
			return 1
		},
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				vm.raise(L, "wrong number of arguments")
			}
			L.Push(lua.LString(SHA1Hex([]byte(L.ToString(1)))))
			return 1
		},
		"log": func(L *lua.LState) int {
			if L.GetTop() < 2 {
				vm.raise(L, "redis.log() requires two arguments or more.")
			}
			n, ok := L.Get(1).(lua.LNumber)
			if !ok {
				vm.raise(L, "First argument must be a number (log level).")
			}
			if n < LogDebug || n > LogWarning {
				vm.raise(L, "Invalid debug level.")
			}
			parts := make([]string, 0, L.GetTop()-1)
			for i := 2; i <= L.GetTop(); i++ {
				parts = append(parts, L.ToString(i))
			}
			if vm.host != nil {
				vm.host.Log(int(n), strings.Join(parts, " "))
			}
			return 0
		},
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				vm.raise(L, "redis.setresp() requires one argument.")
			}
			n := L.ToInt(1)
			if n != 2 && n != 3 {
				vm.raise(L, "RESP version must be 2 or 3.")
			}
			vm.proto = n
			return 0
		},
		"set_repl": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				vm.raise(L, "redis.set_repl() requires one argument.")
			}
			n := L.ToInt(1)
			if n&^ReplAll != 0 {
				vm.raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
			}
			if vm.host != nil {
				vm.host.SetRepl(n)
			}
			return 0
		},
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd": func(L *lua.LState) int {
			args := vm.callArgs(L)
			ok, err := vm.host.ACLCheck(args)
			if err != nil {
				vm.raiseReply(L, err.Error())
			}
			L.Push(lua.LBool(ok))
			return 1
		},
	})
	for name, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice,
		"LOG_WARNING": LogWarning, "REPL_NONE": ReplNone, "REPL_AOF": ReplAOF, "REPL_SLAVE": ReplSlave,
		"REPL_REPLICA": ReplSlave, "REPL_ALL": ReplAll} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(RedisVersionNum))
	return t
}

// pushBadArgs returns (not raises) Redis's error table for error_reply and status_reply called wrongly.
func pushBadArgs(L *lua.LState) int {
	r := L.NewTable()
	r.RawSetString("err", lua.LString("ERR wrong number or type of arguments"))
	L.Push(r)
	return 1
}

// RedisVersion is what redis.REDIS_VERSION says.
const (
	RedisVersion    = "7.2.0"
	RedisVersionNum = 0x070200
)

// errorCode gives an error text its code as Redis does: "-CODE msg" is "CODE msg", anything else gets ERR.
func errorCode(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		if strings.Contains(rest, " ") {
			return rest
		}
		return "ERR " + rest
	}
	return "ERR " + msg
}

// raise raises Redis's error table for a message of the redis library ("ERR " and msg).
func (vm *VM) raise(L *lua.LState, msg string) {
	vm.raiseReply(L, "ERR "+msg)
}

// raiseReply raises Redis's error table for an error reply text.
func (vm *VM) raiseReply(L *lua.LState, text string) {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(text))
	L.Error(t, 0)
}

// callArgs converts redis.call's arguments, raising Redis's errors.
func (vm *VM) callArgs(L *lua.LState) [][]byte {
	n := L.GetTop()
	if n == 0 {
		vm.raiseReply(L, "ERR Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(v)
		case lua.LNumber:
			args[i-1] = formatNumber(nil, float64(v))
		default:
			vm.raiseReply(L, "ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	return args
}

// formatNumber formats a Lua number argument as Redis does: an integer as one, else %.17g.
func formatNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e17 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

func (vm *VM) redisCall(L *lua.LState, raise bool) int {
	args := vm.callArgs(L)
	if vm.host == nil {
		vm.raiseReply(L, "ERR redis.call is not allowed here")
	}
	out := vm.host.Call(args, vm.proto)
	v, _, err := resp.Parse(out, resp.Limits{MaxDepth: 1 << 20})
	if err != nil {
		vm.raiseReply(L, "ERR bad reply: "+err.Error())
	}
	if raise && (v.Type == resp.TypeError || v.Type == resp.TypeBulkError) {
		vm.raiseReply(L, string(v.Str))
	}
	L.Push(ReplyToLua(L, v))
	return 1
}
