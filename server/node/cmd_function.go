package node

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/server/internal/script"
)

// FUNCTION and FCALL: Redis 7's function libraries. The libraries live in their own VM (script.Functions),
// guarded like the EVAL VM by s.script.mu; an FCALL runs as an EVAL does (runScript in cmd_script.go).

var _ = register(map[string]handler{
	"fcall":            cmdFCall,
	"fcall_ro":         cmdFCallRO,
	"function|load":    cmdFunctionLoad,
	"function|delete":  cmdFunctionDelete,
	"function|flush":   cmdFunctionFlush,
	"function|list":    cmdFunctionList,
	"function|dump":    cmdFunctionDump,
	"function|restore": cmdFunctionRestore,
	"function|stats":   cmdFunctionStats,
	"function|kill":    cmdFunctionKill,
	"function|help":    cmdFunctionHelp,
})

// functions returns the function store; s.script.mu must be held.
func (s *Server) functions() *script.Functions {
	if s.script.fn == nil {
		s.script.fn = script.NewFunctions(s.scriptVM())
	}
	return s.script.fn
}

// countFunctions publishes the numbers of libraries and functions for FUNCTION STATS, which runs while a
// script holds s.script.mu; s.script.mu must be held.
func (s *Server) countFunctions() {
	libs, funcs := s.functions().Counts()
	s.script.libCount.Store(int64(libs))
	s.script.funcCount.Store(int64(funcs))
	codes := make([][]byte, 0, libs)
	size := 0
	for _, lib := range s.functions().Libraries() {
		codes = append(codes, lib.Code)
		size += len(lib.Code)
	}
	s.script.fnBytes.Store(int64(size))
	s.script.codes.Store(&codes)
}

// libraryCodes returns the code of every library, for saving. It takes no lock: a save holds every shard lock,
// which a running script holds while it holds s.script.mu.
func (s *Server) libraryCodes() [][]byte {
	if p := s.script.codes.Load(); p != nil {
		return *p
	}
	return nil
}

// loadLibrary adds a library read from an RDB file, replacing one of the same name (DEBUG RELOAD).
func (s *Server) loadLibrary(code []byte) error {
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	fns := s.functions()
	lib, err := fns.Compile(code)
	if err != nil {
		return err
	}
	if err := fns.Add([]*script.Library{lib}, true); err != nil {
		return err
	}
	s.countFunctions()
	return nil
}

func cmdFCall(c *client, args [][]byte) error   { return c.fcall(args, false) }
func cmdFCallRO(c *client, args [][]byte) error { return c.fcall(args, true) }

// fcall is FCALL and FCALL_RO.
func (c *client) fcall(args [][]byte, readOnly bool) error {
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		return errorf("Bad number of keys provided")
	}
	if n < 0 {
		return errorf("Number of keys can't be negative")
	}
	if n > int64(len(args)-3) {
		return errorf("Number of keys can't be greater than number of args")
	}
	keys, argv := args[3:3+n], args[3+n:]
	s := c.srv
	s.script.mu.Lock()
	fns := s.functions()
	fn := fns.Function(string(args[1]))
	s.script.mu.Unlock()
	if fn == nil {
		return errorf("Function not found")
	}
	if err := s.staleScript(functionFlags(fn)); err != nil {
		return err
	}
	if readOnly && !fn.NoWrites {
		return errorf("Can not execute a script with write flag using *_ro command.")
	}
	err = c.runScript(false, fn.Name, func(ctx context.Context, h *scriptHost) error {
		h.readOnly = readOnly || fn.NoWrites
		h.allowOOM = fn.AllowOOM
		v, err := fns.Call(ctx, h, fn, keys, argv)
		if err != nil {
			return err
		}
		fns.VM().WriteReply(c.w, v)
		return nil
	})
	if err != nil {
		return scriptError(err)
	}
	return nil
}

// FUNCTION LOAD [REPLACE] code
func cmdFunctionLoad(c *client, args [][]byte) error {
	replace := false
	code := args[len(args)-1]
	for _, a := range args[2 : len(args)-1] {
		if !strings.EqualFold(string(a), "replace") {
			return errorf("Unknown option given: " + string(a))
		}
		replace = true
	}
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	fns := s.functions()
	if name, err := script.ParseLibraryHeader(code); err == nil && fns.Library(name) != nil && !replace {
		return errorf("Library '" + name + "' already exists")
	}
	lib, err := fns.Compile(code)
	if err != nil {
		return scriptError(err)
	}
	if err := fns.Add([]*script.Library{lib}, replace); err != nil {
		return scriptError(err)
	}
	s.countFunctions()
	c.forcePropagation()
	c.w.WriteBulkString(lib.Name)
	return nil
}

// FUNCTION DELETE library
func cmdFunctionDelete(c *client, args [][]byte) error {
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	if !s.functions().Delete(string(args[2])) {
		return errorf("Library not found")
	}
	s.countFunctions()
	c.forcePropagation()
	c.w.WriteSimple("OK")
	return nil
}

// FUNCTION FLUSH [ASYNC|SYNC]
func cmdFunctionFlush(c *client, args [][]byte) error {
	if len(args) > 3 || len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async") {
		return errorf("FUNCTION FLUSH only supports SYNC|ASYNC option")
	}
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	s.functions().Flush()
	s.countFunctions()
	c.forcePropagation()
	c.w.WriteSimple("OK")
	return nil
}

// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
func cmdFunctionList(c *client, args [][]byte) error {
	var pattern []byte
	withCode, hasPattern := false, false
	for i := 2; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "withcode") && !withCode:
			withCode = true
		case strings.EqualFold(string(args[i]), "libraryname") && !hasPattern:
			if i+1 >= len(args) {
				return errorf("library name argument was not given")
			}
			pattern, hasPattern = args[i+1], true
			i++
		default:
			return errorf("Unknown argument " + string(args[i]))
		}
	}
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	var libs []*script.Library
	for _, lib := range s.functions().Libraries() {
		if !hasPattern || keyspace.Match(pattern, []byte(lib.Name)) {
			libs = append(libs, lib)
		}
	}
	w := c.w
	w.WriteArrayLen(len(libs))
	for _, lib := range libs {
		if withCode {
			w.WriteMapLen(4)
		} else {
			w.WriteMapLen(3)
		}
		w.WriteBulkString("library_name")
		w.WriteBulkString(lib.Name)
		w.WriteBulkString("engine")
		w.WriteBulkString("LUA")
		w.WriteBulkString("functions")
		w.WriteArrayLen(len(lib.Funcs))
		for _, fn := range lib.Funcs {
			w.WriteMapLen(3)
			w.WriteBulkString("name")
			w.WriteBulkString(fn.Name)
			w.WriteBulkString("description")
			if fn.HasDesc {
				w.WriteBulkString(fn.Desc)
			} else {
				w.WriteNull()
			}
			w.WriteBulkString("flags")
			w.WriteSetLen(len(fn.Flags))
			for _, f := range fn.Flags {
				w.WriteSimple(f)
			}
		}
		if withCode {
			w.WriteBulkString("library_code")
			w.WriteBulk(lib.Code)
		}
	}
	return nil
}

// FUNCTION DUMP: the libraries as a payload real Redis restores: each library's code as an RDB function record
// (opcode FUNCTION2 and the code as an RDB string), then a DUMP footer (RDB version, CRC-64).
func cmdFunctionDump(c *client, args [][]byte) error {
	s := c.srv
	s.script.mu.Lock()
	var p []byte
	for _, lib := range s.functions().Libraries() {
		p = rdbfmt.AppendString(append(p, byte(rdbfmt.OpFunction2)), lib.Code, true)
	}
	s.script.mu.Unlock()
	c.w.WriteBulk(rdbfmt.SealDump(p, 0, rdbfmt.Version))
	return nil
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
func cmdFunctionRestore(c *client, args [][]byte) error {
	policy := "append"
	if len(args) > 4 {
		return errSyntax
	}
	if len(args) == 4 {
		policy = strings.ToLower(string(args[3]))
		if policy != "flush" && policy != "append" && policy != "replace" {
			return errorf("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		}
	}
	codes, err := parseFunctionDump(args[2])
	if err != nil {
		return err
	}
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	fns := s.functions()
	libs := make([]*script.Library, 0, len(codes))
	for _, code := range codes {
		lib, err := fns.Compile(code)
		if err != nil {
			return scriptError(err)
		}
		libs = append(libs, lib)
	}
	if policy == "flush" {
		old := fns.Libraries()
		fns.Flush()
		if err := fns.Add(libs, false); err != nil {
			fns.Add(old, false)
			return scriptError(err)
		}
	} else if err := fns.Add(libs, policy == "replace"); err != nil {
		return scriptError(err)
	}
	s.countFunctions()
	c.forcePropagation()
	c.w.WriteSimple("OK")
	return nil
}

// parseFunctionDump checks a FUNCTION DUMP payload and returns the libraries' code.
func parseFunctionDump(p []byte) ([][]byte, error) {
	if _, err := rdbfmt.ParseDump(p); err != nil && !strings.Contains(err.Error(), "unknown type") {
		return nil, errDumpPayload
	}
	body := p[:len(p)-10]
	var codes [][]byte
	for len(body) > 0 {
		if rdbfmt.Opcode(body[0]) != rdbfmt.OpFunction2 {
			return nil, errorf("given type is not a function")
		}
		code, n, err := rdbfmt.ParseString(body[1:])
		if err != nil {
			return nil, errorf("failed loading the given functions payload")
		}
		codes = append(codes, append([]byte(nil), code...))
		body = body[1+n:]
	}
	return codes, nil
}

// FUNCTION STATS: the running script, if any, and the numbers of libraries and functions. Allowed while busy.
func cmdFunctionStats(c *client, args [][]byte) error {
	s := c.srv
	w := c.w
	w.WriteMapLen(2)
	w.WriteBulkString("running_script")
	if r := s.script.running.Load(); r != nil && !r.eval {
		w.WriteMapLen(3)
		w.WriteBulkString("name")
		w.WriteBulkString(r.name)
		w.WriteBulkString("command")
		w.WriteArrayLen(len(r.argv))
		for _, a := range r.argv {
			w.WriteBulk(a)
		}
		w.WriteBulkString("duration_ms")
		w.WriteInt((time.Now().UnixNano() - r.startNs.Load()) / int64(time.Millisecond))
	} else {
		w.WriteNull()
	}
	w.WriteBulkString("engines")
	w.WriteMapLen(1)
	w.WriteBulkString("LUA")
	w.WriteMapLen(2)
	w.WriteBulkString("libraries_count")
	w.WriteInt(s.script.libCount.Load())
	w.WriteBulkString("functions_count")
	w.WriteInt(s.script.funcCount.Load())
	return nil
}

// FUNCTION KILL
func cmdFunctionKill(c *client, args [][]byte) error {
	if err := c.srv.killScript(false, false); err != nil {
		return err
	}
	c.w.WriteSimple("OK")
	return nil
}

func cmdFunctionHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "FUNCTION", []string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this case there is no guarantee that the",
		"      functions will be successfully restored, even on collision).",
	})
	return nil
}
