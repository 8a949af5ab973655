package script

import lua "github.com/yuin/gopher-lua"

func openCMsgpack(L *lua.LState) *lua.LTable { return L.NewTable() }
