package server

import (
	"container/list"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// The script cache: what EVAL and SCRIPT LOAD compiled, by database and SHA1, so that
// EVALSHA finds it. Each database has its own (tenant A's SHA means nothing to tenant
// B) and each is bounded: at most scriptsPerDB scripts and scriptBytesPerDB bytes of
// source per database, and scriptBytesAll over the node; past a bound the least
// recently used scripts go (EVALSHA then answers NOSCRIPT, and clients such as go-redis
// fall back to EVAL). Like Redis's, the cache is not persistent: a restart empties it.
const (
	scriptsPerDB     = 500 // Redis 7.4 keeps at most 500 EVAL scripts, too
	scriptBytesPerDB = 8 << 20
	scriptBytesAll   = 256 << 20
)

// script is one compiled script. The prototype is read-only once compiled and shared
// by every run, each in a state of its own.
type script struct {
	sha      string
	db       uint64
	size     int
	proto    *lua.FunctionProto
	noWrites bool // the shebang says flags=no-writes
	shebang  bool // the body starts with "#!lua": not Redis's compatibility mode
	inDB     *list.Element
	inAll    *list.Element
}

type scriptCache struct {
	mu    sync.Mutex
	dbs   map[uint64]*dbScripts
	all   *list.List // every script, most recently used first
	bytes int
	swept time.Time // when deleted databases' scripts were last dropped
}

type dbScripts struct {
	byID  map[string]*script
	lru   *list.List
	bytes int
}

func newScriptCache() *scriptCache {
	return &scriptCache{dbs: map[uint64]*dbScripts{}, all: list.New()}
}

// scriptSHA is the lower-case hex SHA1 of a body, the script's name.
func scriptSHA(body []byte) string {
	h := sha1.Sum(body)
	return hex.EncodeToString(h[:])
}

// get finds a script of database db by SHA (in any case) and marks it used.
func (sc *scriptCache) get(db uint64, sha string) *script {
	if len(sha) != 40 {
		return nil
	}
	sha = strings.ToLower(sha)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	d := sc.dbs[db]
	if d == nil {
		return nil
	}
	sp := d.byID[sha]
	if sp != nil {
		d.lru.MoveToFront(sp.inDB)
		sc.all.MoveToFront(sp.inAll)
	}
	return sp
}

// load finds the script of body in database db, compiling and caching it if absent.
// It returns the error reply for a body that does not compile.
func (sc *scriptCache) load(db uint64, body []byte, live func(uint64) bool) (*script, string) {
	sha := scriptSHA(body)
	if sp := sc.get(db, sha); sp != nil {
		return sp, ""
	}
	sp, msg := compileScript(body)
	if msg != "" {
		return nil, msg
	}
	sp.sha, sp.db = sha, db
	sc.mu.Lock()
	defer sc.mu.Unlock()
	d := sc.dbs[db]
	if d == nil {
		d = &dbScripts{byID: map[string]*script{}, lru: list.New()}
		sc.dbs[db] = d
	}
	if old := d.byID[sha]; old != nil { // compiled meanwhile by another client
		return old, ""
	}
	d.byID[sha] = sp
	sp.inDB, sp.inAll = d.lru.PushFront(sp), sc.all.PushFront(sp)
	d.bytes += sp.size
	sc.bytes += sp.size
	for d.lru.Len() > scriptsPerDB || d.bytes > scriptBytesPerDB {
		sc.dropLocked(d.lru.Back().Value.(*script))
	}
	for sc.bytes > scriptBytesAll {
		sc.dropLocked(sc.all.Back().Value.(*script))
	}
	sc.sweepLocked(live)
	return sp, ""
}

// sweepLocked drops, at most once a minute, the scripts of databases that were
// deleted (ids are never reused, so nothing could call them again).
func (sc *scriptCache) sweepLocked(live func(uint64) bool) {
	if live == nil || time.Since(sc.swept) < time.Minute {
		return
	}
	sc.swept = time.Now()
	for id := range sc.dbs {
		if !live(id) {
			sc.flushLocked(id)
		}
	}
}

func (sc *scriptCache) dropLocked(sp *script) {
	d := sc.dbs[sp.db]
	delete(d.byID, sp.sha)
	d.lru.Remove(sp.inDB)
	sc.all.Remove(sp.inAll)
	d.bytes -= sp.size
	sc.bytes -= sp.size
	if len(d.byID) == 0 {
		delete(sc.dbs, sp.db)
	}
}

// flush empties database db's cache (SCRIPT FLUSH, a deleted database).
func (sc *scriptCache) flush(db uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.flushLocked(db)
}

func (sc *scriptCache) flushLocked(db uint64) {
	if d := sc.dbs[db]; d != nil {
		for _, sp := range d.byID {
			sc.dropLocked(sp)
		}
	}
}

// count is how many scripts database db has cached.
func (sc *scriptCache) count(db uint64) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if d := sc.dbs[db]; d != nil {
		return len(d.byID)
	}
	return 0
}

// compileScript reads the shebang, if any, and compiles the body under the chunk name
// Redis gives it, so errors read "user_script:<line>: …". A shebang line is blanked,
// not cut, so line numbers stay the user's.
func compileScript(body []byte) (*script, string) {
	sp := &script{size: len(body)}
	src := string(body)
	if strings.HasPrefix(src, "#!") {
		end := strings.IndexByte(src, '\n')
		if end < 0 {
			return nil, errShebangInvalid
		}
		if msg := sp.readShebang(src[:end]); msg != "" {
			return nil, msg
		}
		src = src[end:]
	}
	if len(body) > scriptMaxBody {
		return nil, errScriptCompile(fmt.Sprintf("%s: script of %d bytes, over the %d a script may have", scriptChunk, len(body), scriptMaxBody))
	}
	chunk, err := parse.Parse(strings.NewReader(src), scriptChunk)
	if err == nil {
		w := syntaxWalk{}
		switch w.ok(reflect.ValueOf(chunk), 0); {
		case w.deep:
			return nil, errScriptCompile(scriptChunk + ": chunk has too many syntax levels")
		case w.names > scriptMaxNames:
			return nil, errScriptCompile(fmt.Sprintf("%s: %d constants and names, over the %d a script may hold", scriptChunk, w.names, scriptMaxNames))
		}
	}
	if err == nil {
		sp.proto, err = lua.Compile(chunk, scriptChunk)
	}
	if err != nil {
		return nil, errScriptCompile(compileMessage(err, src))
	}
	return sp, ""
}

// scriptMaxSyntaxDepth bounds the nesting of a script's syntax tree, as Lua 5.1's
// parser bounds its own (LUAI_MAXCCALLS: "chunk has too many syntax levels"; about 200
// nested blocks, functions or table constructors here, 400 operands of a chain of ..).
// gopher-lua's compiler takes time quadratic in the nesting (20,000 nested function
// statements, 340 KB, took 5 s of a core; a chain of 100,000 concatenations 13 s),
// in the command's own call, before any run SCRIPT KILL could stop.
const scriptMaxSyntaxDepth = 400

// scriptMaxNames bounds the distinct literals and names (string and number constants,
// variable and field names) a script's syntax tree holds, and scriptMaxBody its size.
// gopher-lua's compiler looks each one up in a list as it meets it, so its time grows
// with their number times their uses, in the command's own call where SCRIPT KILL does
// not reach: 40,000 distinct took 9 s of a core; 8,000 used 24 times each (1.2 MB) 3 s.
// Within both bounds a compile stays well under a second. The job-queue libraries'
// largest scripts hold a few hundred names in tens of kilobytes.
const (
	scriptMaxNames = 4096
	scriptMaxBody  = 256 << 10
)

// syntaxWalk walks the tree gopher-lua's parser built (its node structs, through
// pointers, interfaces and slices): deep when a path nests more than
// scriptMaxSyntaxDepth of them; names counts the distinct literals and names.
type syntaxWalk struct {
	deep  bool
	names int
	seen  map[string]struct{}
}

var (
	astString = reflect.TypeOf(ast.StringExpr{})
	astNumber = reflect.TypeOf(ast.NumberExpr{})
	astIdent  = reflect.TypeOf(ast.IdentExpr{})
)

func (w *syntaxWalk) ok(v reflect.Value, depth int) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || w.ok(v.Elem(), depth)
	case reflect.Slice:
		for i := range v.Len() {
			if !w.ok(v.Index(i), depth) {
				return false
			}
		}
	case reflect.Struct:
		if depth++; depth > scriptMaxSyntaxDepth {
			w.deep = true
			return false
		}
		if t := v.Type(); t == astString || t == astNumber || t == astIdent {
			name := string(t.Name()[0]) + v.Field(v.NumField()-1).String() // its kind, then its text
			if _, ok := w.seen[name]; !ok {
				if w.seen == nil {
					w.seen = map[string]struct{}{}
				}
				w.seen[name] = struct{}{}
				if w.names++; w.names > scriptMaxNames {
					return false
				}
			}
		}
		for i := range v.NumField() {
			if !w.ok(v.Field(i), depth) {
				return false
			}
		}
	}
	return true
}

// readShebang reads "#!lua [flags=a,b]" as Redis 7.0 does; no-writes is the flag that
// changes anything here (the others concern clusters, replicas and OOM).
func (sp *script) readShebang(line string) string {
	parts := strings.Fields(line)
	if len(parts) == 0 {
		return errShebangEngine
	}
	if parts[0] != "#!lua" {
		return errShebangUnexpected(parts[0])
	}
	sp.shebang = true
	for _, p := range parts[1:] {
		flags, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return errShebangOption(p)
		}
		if flags == "" {
			continue
		}
		for _, f := range strings.Split(flags, ",") {
			switch f {
			case "no-writes":
				sp.noWrites = true
			case "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys":
			default:
				return errShebangFlag(f)
			}
		}
	}
	return ""
}

// compileMessage words a compile error as Lua's "user_script:<line>: <what> near
// '<token>'". The words of the message are gopher-lua's, not those of Redis's Lua.
func compileMessage(err error, src string) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		line, near := pe.Pos.Line, pe.Token
		if line == parse.EOF {
			line, near = strings.Count(src, "\n")+1, "<eof>"
		}
		return fmt.Sprintf("%s:%d: %s near '%s'", scriptChunk, line, strings.TrimSpace(pe.Message), near)
	}
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%s:%d: %s", scriptChunk, ce.Line, ce.Message)
	}
	return scriptChunk + ": " + err.Error()
}
