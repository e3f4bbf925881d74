package server

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"
	lua "github.com/yuin/gopher-lua"
)

// The Lua side of a script: the state a run gets, the redis.* API, and Redis 7.0's
// conversions between Lua values and RESP (RESP2: herodb speaks no RESP3).

// scriptChunk is the chunk name Redis gives every script: errors read
// "user_script:<line>: …" and replies say "on @user_script:<line>.".
const scriptChunk = "user_script"

// Bounds of the interpreter. A frame costs about a hundred bytes and a registry slot 16
// (the call stack is of fixed size: gopher-lua's growing one misses its bound);
// the call stack bounds recursion (Lua's own LUAI_MAXCCALLS is 200), the registry the
// values a run may hold on its stack at once.
const (
	scriptCallStack  = 200
	scriptSlots      = 1024
	scriptSlotsMax   = 256 * 1024
	scriptSlotsStep  = 32 * 1024 // the registry grows by this much: gopher-lua's default (32) copies it at every 32 values, quadratic in a big unpack
	scriptMaxString  = 64 << 20  // the longest string string.rep (and the libraries) will build
	scriptBuiltMax   = 256 << 20 // what one run may build with them in all
	scriptReplyDepth = 1000      // nesting of a returned table, as Lua's stack limit bounds it in Redis
)

// Redis's log levels and replication flags, as redis.LOG_* and redis.REPL_*.
const (
	logDebug, logVerbose, logNotice, logWarning = 0, 1, 2, 3
	replNone, replAOF, replReplica, replAll     = 0, 1, 2, 3
)

// newScriptState is a fresh interpreter for one run: base, table, string and math,
// Redis's libraries (script_libs.go) and the redis table, with globals locked as in
// Redis. A fresh state per run means nothing a script changes (a library table, a
// metatable) reaches any other run, tenant or not. Nothing loaded reaches files, the OS
// or the network: no io, os, package/require, debug, dofile or loadfile; print and
// collectgarbage do nothing (they would write to the server's stdout and stop the
// whole process for a collection).
func newScriptState(rc *scriptRun) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: scriptCallStack,
		RegistrySize: scriptSlots, RegistryMaxSize: scriptSlotsMax, RegistryGrowStep: scriptSlotsStep})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	for _, name := range []string{"dofile", "loadfile", "require", "module", "_printregs", "newproxy"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("print", L.NewFunction(func(*lua.LState) int { return 0 }))
	g.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	g.RawSetString("pcall", L.NewFunction(rc.luaPcall))
	g.RawSetString("error", L.NewFunction(luaError))
	str := L.GetGlobal(lua.StringLibName).(*lua.LTable)
	str.RawSetString("dump", lua.LNil)
	str.RawSetString("rep", L.NewFunction(rc.stringRep))
	openPatterns(L, rc, str) // script_pattern.go
	L.GetGlobal(lua.TabLibName).(*lua.LTable).RawSetString("concat", L.NewFunction(tableConcat))
	openScriptLibs(L, rc)

	redis := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"call": rc.redisCall, "pcall": rc.redisPcall, "sha1hex": redisSha1hex,
		"error_reply": redisErrorReply, "status_reply": redisStatusReply, "log": rc.redisLog,
		"setresp": redisSetResp, "set_repl": redisSetRepl, "replicate_commands": redisReplicateCommands,
		"breakpoint": func(L *lua.LState) int { L.Push(lua.LFalse); return 1 }, "debug": func(*lua.LState) int { return 0 },
	} {
		redis.RawSetString(name, L.NewFunction(fn))
	}
	for name, n := range map[string]int{"LOG_DEBUG": logDebug, "LOG_VERBOSE": logVerbose, "LOG_NOTICE": logNotice,
		"LOG_WARNING": logWarning, "REPL_NONE": replNone, "REPL_AOF": replAOF, "REPL_SLAVE": replReplica,
		"REPL_REPLICA": replReplica, "REPL_ALL": replAll} {
		redis.RawSetString(name, lua.LNumber(n))
	}
	redis.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	redis.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum()))
	g.RawSetString("redis", redis)
	return L
}

// lockGlobals makes the globals read-only as Redis does: reading an unset global and
// setting any global are errors, in Redis's words.
func lockGlobals(L *lua.LState) {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckAny(2).String())
		return 0
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	L.SetMetatable(L.G.Global, mt)
}

// redisVersionNum is the version as Redis's 0x00MMmmpp number.
func redisVersionNum() int {
	n := 0
	for _, p := range strings.SplitN(redisVersion, ".", 3) {
		v, _ := strconv.Atoi(p)
		n = n<<8 | v
	}
	return n
}

// errorTable is Redis's error value: a table with the error, code first, in err.
func errorTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// codedError words msg as Redis's luaPushError: "-CODE rest" keeps its code, anything
// else gets ERR; trailing newlines go.
func codedError(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		code, text, found := strings.Cut(rest, " ")
		if !found {
			return "ERR " + strings.TrimRight(rest, "\r\n")
		}
		return code + " " + strings.TrimRight(text, "\r\n")
	}
	return "ERR " + strings.TrimRight(msg, "\r\n")
}

// raise raises Redis's error table for msg (a full "CODE text" reply, without '-').
func raise(L *lua.LState, msg string) int {
	L.Error(errorTable(L, msg), 1)
	return 0
}

// redis.call raises a command's error; redis.pcall returns it as a table.
func (rc *scriptRun) redisCall(L *lua.LState) int  { return rc.command(L, true) }
func (rc *scriptRun) redisPcall(L *lua.LState) int { return rc.command(L, false) }

func (rc *scriptRun) command(L *lua.LState, raising bool) int {
	args, msg := luaArgs(L)
	L.SetTop(0)
	if msg == "" {
		var r *reply
		r, msg = rc.run(args)
		if msg == "" {
			if len(r.b) > 0 && r.b[0] == '-' && raising {
				_, v := redcon.ReadNextRESP(r.b)
				return raise(L, string(v.Data))
			}
			L.Push(rc.toLua(L, r.b))
			return 1
		}
	}
	if raising {
		return raise(L, msg)
	}
	L.Push(errorTable(L, msg))
	return 1
}

// luaArgs are redis.call's arguments as a command: strings as they are, numbers as
// "%.17g" (Lua's own tostring would lose digits); anything else is refused.
func luaArgs(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, errScriptNoArgs
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(v)
		case lua.LNumber:
			args[i-1] = []byte(luaNumberArg(float64(v)))
		default:
			return nil, errScriptArgType
		}
	}
	return args, ""
}

// luaNumberArg is C's "%.17g" of f, as Redis formats a number passed to redis.call.
func luaNumberArg(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// toLua converts a command's RESP2 reply to Lua as Redis 7.0 does: an integer to a
// number, a bulk string to a string, a null to false, an array to a table, a status
// to {ok=…} and an error to {err=…}.
func (rc *scriptRun) toLua(L *lua.LState, b []byte) lua.LValue {
	_, v := redcon.ReadNextRESP(b)
	return respToLua(L, v)
}

func respToLua(L *lua.LState, v redcon.RESP) lua.LValue {
	switch v.Type {
	case redcon.Integer:
		n, _ := strconv.ParseInt(string(v.Data), 10, 64)
		return lua.LNumber(n)
	case redcon.Bulk:
		if v.Data == nil {
			return lua.LFalse
		}
		return lua.LString(v.Data)
	case redcon.String:
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(v.Data))
		return t
	case redcon.Error:
		return errorTable(L, string(v.Data))
	case redcon.Array:
		if v.Count < 0 {
			return lua.LFalse
		}
		t := L.CreateTable(v.Count, 0)
		v.ForEach(func(e redcon.RESP) bool {
			t.Append(respToLua(L, e))
			return true
		})
		return t
	}
	return lua.LFalse
}

// toRESP writes a script's result as Redis 7.0 replies it: a string as a bulk, a
// number as an integer (truncated), true as 1, false and nil as null, a table with
// err or ok as an error or status, double as a bulk (RESP2), map and set as arrays,
// any other table as an array of its elements up to the first nil.
func toRESP(r *reply, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		r.bulkString(string(v))
	case lua.LNumber:
		r.int(luaInteger(float64(v)))
	case lua.LBool:
		if v {
			r.int(1)
		} else {
			r.null()
		}
	case *lua.LTable:
		if depth >= scriptReplyDepth {
			r.err(errScriptStack)
			return
		}
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			r.err(string(e))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			r.simple(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
			return
		}
		if d, ok := v.RawGetString("double").(lua.LNumber); ok {
			r.bulkString(formatScore(float64(d)))
			return
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			var kv []lua.LValue
			m.ForEach(func(k, val lua.LValue) { kv = append(kv, k, val) })
			r.array(len(kv))
			for _, e := range kv {
				toRESP(r, e, depth+1)
			}
			return
		}
		if s, ok := v.RawGetString("set").(*lua.LTable); ok {
			var ks []lua.LValue
			s.ForEach(func(k, _ lua.LValue) { ks = append(ks, k) })
			r.array(len(ks))
			for _, e := range ks {
				toRESP(r, e, depth+1)
			}
			return
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		r.array(n)
		for i := 1; i <= n; i++ {
			toRESP(r, v.RawGetInt(i), depth+1)
		}
	default:
		r.null()
	}
}

// luaInteger is C's (long long) cast of a double on amd64: truncation, and the
// smallest integer for NaN and anything out of range.
func luaInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// pcall is Lua's, except that an error table of Redis's becomes its err string, as in
// Redis 7.0 (scripts written for older versions compare error strings). A killed run
// is not caught: the kill is raised again at the next instruction anyway.
func (rc *scriptRun) luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	if err := L.PCall(L.GetTop()-1, lua.MultRet, nil); err != nil {
		v := lua.LValue(lua.LString(err.Error()))
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			v = ae.Object
		}
		if t, ok := v.(*lua.LTable); ok {
			if e, ok := t.RawGetString("err").(lua.LString); ok {
				v = e
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(v)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// error is Lua 5.1's: at level n a string gets the place of the function n levels up,
// when that is Lua code (gopher-lua's would look past Go functions such as pcall).
func luaError(L *lua.LState) int {
	obj := L.CheckAny(1)
	level := L.OptInt(2, 1)
	switch obj.(type) {
	case lua.LString, lua.LNumber:
		if level <= 0 {
			break
		}
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, nil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
				obj = lua.LString(dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": " + lua.LVAsString(obj))
			}
		}
	}
	L.Error(obj, 0)
	return 0
}

// redis.sha1hex(string)
func redisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, errScriptSha1Args)
	}
	h := sha1.Sum([]byte(lua.LVAsString(L.Get(1))))
	L.Push(lua.LString(hex.EncodeToString(h[:])))
	return 1
}

// redis.error_reply(string): {err=…}, with ERR when the string has no code.
func redisErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, errScriptReplyArgs))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errorTable(L, codedError(msg)))
	return 1
}

// redis.status_reply(string): {ok=…}.
func redisStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, errScriptReplyArgs))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

// redis.log(level, message, ...): checked as Redis checks it, then written to the
// server log at debug level with the database (a tenant cannot fill the log at
// warning level).
func (rc *scriptRun) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		return raise(L, errScriptLogArgs)
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
			lv, ok = lua.LNumber(f), err == nil
		}
	}
	if !ok {
		return raise(L, errScriptLogLevel)
	}
	if level := int(lv); level < logDebug || level > logWarning {
		return raise(L, errScriptLogBadLevel)
	}
	var parts []string
	for i := 2; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString, lua.LNumber:
			parts = append(parts, v.String())
		}
	}
	rc.s.log.Debug("script log", "db", rc.db, "level", int(lv), "msg", strings.Join(parts, " "))
	return 0
}

// redis.setresp(2|3): RESP2 only is spoken, so 3 is accepted and changes nothing.
func redisSetResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, errScriptSetRespArgs)
	}
	if n := L.ToInt(1); n != 2 && n != 3 {
		return raise(L, errScriptSetRespVer)
	}
	return 0
}

// redis.set_repl(flags): herodb has no replication; checked as Redis checks it.
func redisSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, errScriptSetReplArgs)
	}
	if f := L.ToInt(1); f&^replAll != 0 {
		return raise(L, errScriptSetReplFlag)
	}
	return 0
}

// redis.replicate_commands(): always true since Redis 7.0.
func redisReplicateCommands(L *lua.LState) int {
	L.Push(lua.LTrue)
	return 1
}

// string.rep, bounded: no result over scriptMaxString, nor more than scriptBuiltMax
// built by one run.
func (rc *scriptRun) stringRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if err := rc.build(int64(len(s)) * int64(n)); err != "" {
		L.RaiseError("%s", err)
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// build counts size bytes about to be built by a library function, and says why not
// when they pass a bound.
func (rc *scriptRun) build(size int64) string {
	if size > scriptMaxString {
		return errScriptStringTooLong
	}
	rc.built += size
	if rc.built > scriptBuiltMax {
		return errScriptBuiltTooMuch
	}
	return ""
}
