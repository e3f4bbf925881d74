package server

import lua "github.com/yuin/gopher-lua"

// openScriptLibs loads the libraries Redis gives scripts: cjson, bit, cmsgpack, struct.
func openScriptLibs(L *lua.LState, rc *scriptRun) {}
