package script

import lua "github.com/yuin/gopher-lua"

// Library is a FUNCTION library: its name, code and registered functions.
type Library struct {
	Name  string
	Code  []byte
	Funcs map[string]*Function
}

// Function is one function a library registered, with its flags.
type Function struct {
	Name  string
	Desc  string
	Flags []string
	fn    *lua.LFunction
}

func (vm *VM) registerFunction(L *lua.LState) int {
	L.RaiseError("redis.register_function can only be called on FUNCTION LOAD command")
	return 0
}
