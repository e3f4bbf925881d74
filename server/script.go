package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// Scripts: EVAL and friends run a Lua script inside the caller's selected database, in
// the one storage transaction of the command (runner.go), so a script is atomic: one
// commit, and no other write of that database between its commands. Each redis.call
// goes through the same check as a command sent by the client (dispatch.go: arity,
// limits, the one permission check) and the same handler, with the script's
// transaction. As in Redis, an error stops the script but what it wrote stays.
//
// While a script runs, the database's other clients wait for it as they wait for any
// write (reads see the state before it). Once it has run longer than
// busy-reply-threshold, they are answered -BUSY instead, until it ends or SCRIPT KILL
// stops it; other databases are served all along.

// scriptRun is one run of a script: what redis.call needs, and what SCRIPT KILL and
// the BUSY check read from other goroutines (start, dirty, the cancel).
type scriptRun struct {
	s        *Server
	sess     *session
	db       uint64
	tx       *storage.Tx
	sha      string
	readOnly bool        // EVAL_RO, EVALSHA_RO, a no-writes shebang
	touched  *[]touched  // the step's changed keys (runner.go): WATCH and blocked clients learn of them
	notes    *notes      // the step's keyspace events (notify.go), published after its commit; nil when off
	built    int64       // bytes built by bounded library functions (script_lua.go)
	fatal    error       // a storage failure inside a command: the transaction fails
	start    time.Time   // when the run began, for busy-reply-threshold
	dirty    atomic.Bool // a write command ran: SCRIPT KILL answers UNKILLABLE
	why      atomic.Value
	cancel   context.CancelFunc
}

// Why a run was stopped from outside.
const (
	stopKilled   = "killed"
	stopShutdown = "shutdown"
)

// scriptRegistry knows the scripts running in each database.
type scriptRegistry struct {
	once    sync.Once
	cache   *scriptCache
	mu      sync.Mutex
	running map[uint64][]*scriptRun
	n       atomic.Int64 // runs under way: the BUSY check costs one load when none
	// busy is busy-reply-threshold in milliseconds, per database (CONFIG SET on a
	// selected database) and for the node (0 key: CONFIG SET with none selected).
	busy map[uint64]int64
}

// defaultBusyMS is Redis's default busy-reply-threshold.
const defaultBusyMS = 5000

// scripts is the server's registry (Server.scripting), its maps made on first use.
func (s *Server) scripts() *scriptRegistry {
	sr := &s.scripting
	sr.once.Do(func() {
		sr.cache, sr.running, sr.busy = newScriptCache(), map[uint64][]*scriptRun{}, map[uint64]int64{}
	})
	return sr
}

// threshold is busy-reply-threshold for database db.
func (sr *scriptRegistry) threshold(db uint64) time.Duration {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return time.Duration(sr.thresholdLocked(db)) * time.Millisecond
}

func (sr *scriptRegistry) thresholdLocked(db uint64) int64 {
	if ms, ok := sr.busy[db]; ok {
		return ms
	}
	if ms, ok := sr.busy[0]; ok {
		return ms
	}
	return defaultBusyMS
}

func (sr *scriptRegistry) setThreshold(db uint64, ms int64) {
	sr.mu.Lock()
	sr.busy[db] = ms
	sr.mu.Unlock()
}

func (sr *scriptRegistry) begin(rc *scriptRun) {
	sr.mu.Lock()
	sr.running[rc.db] = append(sr.running[rc.db], rc)
	sr.mu.Unlock()
	sr.n.Add(1)
}

func (sr *scriptRegistry) end(rc *scriptRun) {
	sr.mu.Lock()
	runs := sr.running[rc.db]
	for i, r := range runs {
		if r == rc {
			runs = append(runs[:i], runs[i+1:]...)
			break
		}
	}
	if len(runs) == 0 {
		delete(sr.running, rc.db)
	} else {
		sr.running[rc.db] = runs
	}
	sr.mu.Unlock()
	sr.n.Add(-1)
}

// timedOut reports whether a script of database db has run past the threshold (0:
// never, as in Redis).
func (sr *scriptRegistry) timedOut(db uint64) bool {
	if sr.n.Load() == 0 {
		return false
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	ms := sr.thresholdLocked(db)
	if ms <= 0 {
		return false
	}
	for _, rc := range sr.running[db] {
		if time.Since(rc.start) >= time.Duration(ms)*time.Millisecond {
			return true
		}
	}
	return false
}

// kill stops the longest running script of database db, as SCRIPT KILL: "" when it
// was stopped, else the reply.
func (sr *scriptRegistry) kill(db uint64) string {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	runs := sr.running[db]
	if len(runs) == 0 {
		return errNotBusy
	}
	rc := runs[0]
	if rc.dirty.Load() {
		return errUnkillable
	}
	rc.stop(stopKilled)
	return ""
}

// stopAll stops every run: the server is closing.
func (sr *scriptRegistry) stopAll() {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, runs := range sr.running {
		for _, rc := range runs {
			rc.stop(stopShutdown)
		}
	}
}

func (rc *scriptRun) stop(why string) {
	rc.why.CompareAndSwap(nil, why)
	rc.cancel()
}

func (rc *scriptRun) stopped() string {
	why, _ := rc.why.Load().(string)
	return why
}

// scriptBusy is the BUSY answer for a command of a session whose database has a
// script past the threshold. Connection and stateless commands are answered (SELECT
// of another database, AUTH, QUIT…), and SCRIPT KILL.
func (s *Server) scriptBusy(sess *session, row *command) string {
	if !sess.selected || row == nil || row.is(flagStateless|flagConn|flagAllowBusy) {
		return ""
	}
	if s.scripts().timedOut(sess.db) {
		return errBusyScript
	}
	return ""
}

// errScriptStopped aborts the transaction of a run the server stopped as it closed.
var errScriptStopped = errors.New("script stopped: the server is closing")

// runScript runs sp with keys and argv on the call's transaction and writes its reply.
func (c *call) runScript(sp *script, keys, argv [][]byte) error {
	if sp.shebang && !sp.noWrites && !c.row.is(flagMayWrite) {
		c.r.err(errScriptROFlags)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := &scriptRun{s: c.s, sess: c.sess, db: c.sess.db, tx: c.tx, sha: sp.sha, touched: c.touched, notes: c.notes,
		readOnly: sp.noWrites || !c.row.is(flagMayWrite), start: time.Now(), cancel: cancel}
	sr := c.s.scripts()
	sr.begin(rc)
	defer sr.end(rc)
	go rc.watch(c.s.stopping, ctx.Done(), c.s.scriptMemoryLimit()) // script_memory.go

	L := newScriptState(rc)
	defer L.Close()
	L.SetGlobal("KEYS", stringTable(L, keys))
	L.SetGlobal("ARGV", stringTable(L, argv))
	lockGlobals(L)
	L.SetContext(ctx)
	L.Push(L.NewFunctionFromProto(sp.proto))
	err := protectedCall(L)
	switch {
	case rc.fatal != nil:
		return rc.fatal
	case rc.stopped() == stopShutdown:
		return errScriptStopped
	case err != nil:
		c.r.err(rc.failure(err))
		return nil
	}
	toRESP(c.r, L.Get(-1), 0)
	return nil
}

// protectedCall runs the script's function under errorHandler. gopher-lua pushes the
// handler on the registry before calling it, so an error raised with the registry
// full (unpack or string.byte of 256 Ki values) panics out of PCall, and out of any
// xpcall on the way: that panic is the script's error, not the server's.
func protectedCall(L *lua.LState) (err error) {
	defer func() {
		if p := recover(); p != nil {
			ae, ok := p.(*lua.ApiError)
			if !ok {
				panic(p)
			}
			err = ae
		}
	}()
	return L.PCall(0, 1, L.NewFunction(errorHandler))
}

// stringTable is KEYS or ARGV.
func stringTable(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(lua.LString(it))
	}
	return t
}

// errorHandler is Redis's __redis__err__handler: the error as a table {err, source,
// line}, the place being the Lua code that raised it (past the Go function, such as
// redis.call or error, that did).
func errorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok {
		t = errorTable(L, "ERR "+lua.LVAsString(v))
		switch v.(type) {
		case lua.LString, lua.LNumber:
		case *lua.LUserData, *lua.LFunction, *lua.LState, lua.LChannel:
			// By its type alone: their String is "userdata: 0xc000…", an address
			// of the server's heap that is no business of a tenant's.
			t = errorTable(L, "ERR "+v.Type().String())
		default:
			t = errorTable(L, "ERR "+v.String())
		}
	}
	for level := 1; level <= 2; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, nil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LString(strconv.Itoa(dbg.CurrentLine)))
		break
	}
	L.Push(t)
	return 1
}

// failure is the reply of a run that ended in an error: the message, then where, as
// Redis 7.0 words it.
func (rc *scriptRun) failure(err error) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return "ERR Error running script " + rc.sha + ", " + err.Error()
	}
	t, ok := ae.Object.(*lua.LTable)
	if !ok {
		// The handler could not run (the call stack was full): the place is read from
		// the message, "user_script:<line>: …".
		msg := lua.LVAsString(ae.Object)
		if rest, ok := strings.CutPrefix(msg, scriptChunk+":"); ok {
			if line, _, ok := strings.Cut(rest, ":"); ok {
				if _, err := strconv.Atoi(line); err == nil {
					return fmt.Sprintf("ERR %s script: %s, on @%s:%s.", msg, rc.sha, scriptChunk, line)
				}
			}
		}
		return fmt.Sprintf("ERR Error running script %s, %.100s", rc.sha, msg)
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	switch rc.stopped() {
	case stopKilled:
		msg = errScriptKilled
	case stopMemory:
		msg = errScriptMemory
	}
	source, line := t.RawGetString("source"), t.RawGetString("line")
	if source != lua.LNil && line != lua.LNil {
		msg += fmt.Sprintf(" script: %s, on %s:%s.", rc.sha, lua.LVAsString(source), lua.LVAsString(line))
	}
	return msg
}

// run is one redis.call: found, refused as Redis refuses it inside a script, checked
// by the one check, run by its handler on the script's transaction. It returns the
// reply, or the error message (code first) of a command that did not run.
func (rc *scriptRun) run(args [][]byte) (*reply, string) {
	st := newStep(args)
	switch {
	case st.top == nil || (st.top.subs != nil && st.row == st.top && st.row.run == nil):
		return nil, errScriptUnknown
	case !st.row.arityOK(len(args)):
		return nil, errScriptArity
	case scriptRefused(st.top) || scriptRefused(st.row):
		return nil, errScriptNotAllowed
	}
	if msg := rc.s.checkArgs(rc.sess, &st); msg != "" {
		return nil, msg
	}
	if st.row.is(flagWrite) {
		if rc.readOnly {
			return nil, errScriptROWrite
		}
		rc.dirty.Store(true)
	}
	// The call gets what runner.go's steps get, but no far transaction: a COPY … DB or
	// MOVE to another database is refused (cmd_copy.go), since a script never leaves
	// its database.
	r := &reply{}
	before, noted := rc.tx.Mutations(), 0
	if rc.notes != nil {
		noted = rc.notes.begin()
	}
	if err := rc.s.guard(&call{s: rc.s, sess: rc.sess, args: args, row: st.row, tx: rc.tx, r: r, notes: rc.notes, touched: rc.touched,
		farID: st.far}); err != nil {
		rc.fatal = err
		return nil, errInternal
	}
	if rc.notes != nil && rc.tx.Mutations() == before {
		rc.notes.evs = rc.notes.evs[:noted] // as runner.go: a command that changed nothing reports nothing
	}
	if rc.tx.Mutations() != before && rc.touched != nil {
		rc.s.touch(rc.db, st.row, args)
		*rc.touched = append(*rc.touched, touched{st.row, args})
	}
	return r, ""
}

// scriptRefused says which rows a script may not call, as Redis's noscript flag:
// connection state (MULTI, EXEC, WATCH, SELECT: a script never leaves its database,
// AUTH, HELLO, CLIENT, SUBSCRIBE…), admin commands, the scripting commands
// themselves, and commands that need no database and are not stateless (INFO,
// CONFIG). Blocking commands run as in MULTI: they never wait.
func scriptRefused(row *command) bool {
	return row.is(flagConn|flagAdmin|flagNoScript) || !row.data() && !row.is(flagStateless)
}

// canWrite says whether the session may write its selected database: EVAL then runs
// in a write transaction (runner.go).
func (sess *session) canWrite() bool {
	return sess.selected && sess.db != 0 && sess.access >= admin.AccessReadWrite
}

// busy-reply-threshold (lua-time-limit, its old name) is a setting of the selected
// database, kept in memory: a tenant changes when its own database answers BUSY, no
// one else's. With no database selected (the admin) it is the node's default.
const busyParam, busyAlias = "busy-reply-threshold", "lua-time-limit"

func isBusyParam(name string) bool { return name == busyParam || name == busyAlias }

// busyKnob validates a value as Redis 7.0 does: milliseconds, 0 to LLONG_MAX.
var busyKnob = knob{name: busyParam, kind: knobInt, max: llMax}

// busyDB is the database whose setting this connection reads and sets.
func (c *call) busyDB() uint64 {
	if c.sess.selected {
		return c.sess.db
	}
	return 0
}

// busyEntries are CONFIG GET's answers, under both names.
func (c *call) busyEntries() [][2]string {
	sr := c.s.scripts()
	sr.mu.Lock()
	v := strconv.FormatInt(sr.thresholdLocked(c.busyDB()), 10)
	sr.mu.Unlock()
	return [][2]string{{busyParam, v}, {busyAlias, v}}
}

// busySetter checks v for CONFIG SET and returns what applies it (after every other
// parameter was checked: CONFIG SET is all or nothing).
func (c *call) busySetter(name []byte, v string) (func(), string) {
	val, why := busyKnob.parse(v)
	if why != "" {
		return nil, errConfigFailed(name, why)
	}
	ms, _ := strconv.ParseInt(val, 10, 64)
	db := c.busyDB()
	return func() { c.s.scripts().setThreshold(db, ms) }, ""
}
