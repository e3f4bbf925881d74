package server_test

// Scripts end to end: tenancy (a script sees its database only, the cache is per
// database), permissions, SCRIPT KILL, BUSY, hostile scripts, atomicity, WATCH and
// blocked clients, and the scripts real libraries run.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

const tReturnLoaded = "b534286061d4b9e4026607613b95c06c06015ae8" // SHA1 of "return 'loaded'"

// Tenant A's scripts, keys and cache are not tenant B's; SELECT cannot leave.
func TestScriptTenants(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	ca, cb := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	tEq(t, "A SET", ca.do("SET", "secret", "a-value"), tOK)
	tEq(t, "A LOAD", ca.do("SCRIPT", "LOAD", "return 'loaded'"), tBulk(tReturnLoaded))
	tEq(t, "A EVALSHA", ca.do("EVALSHA", tReturnLoaded, "0"), tBulk("loaded"))
	tEq(t, "B EVALSHA", cb.do("EVALSHA", tReturnLoaded, "0"), tErr("NOSCRIPT No matching script. Please use EVAL."))
	tEq(t, "B EXISTS", cb.do("SCRIPT", "EXISTS", tReturnLoaded), "*1\r\n:0\r\n")
	tEq(t, "B reads A's key", cb.do("EVAL", "return redis.call('get', KEYS[1])", "1", "secret"), tNil)
	got := cb.do("EVAL", "redis.call('select', ARGV[1]) return redis.call('get', 'secret')", "0", strconv.FormatUint(a, 10))
	if !strings.HasPrefix(got, "-ERR This Redis command is not allowed from script script: ") {
		t.Errorf("SELECT in a script: %q", got)
	}
	tEq(t, "B still in B", cb.do("EVAL", "return redis.call('dbsize')", "0"), tInt(0))
	tEq(t, "B FLUSH", cb.do("SCRIPT", "FLUSH"), tOK)
	tEq(t, "A keeps its cache", ca.do("SCRIPT", "EXISTS", tReturnLoaded), "*1\r\n:1\r\n")
	nodb := tDial(t, srv.Addr())
	tEq(t, "EVAL with no database", nodb.do("EVAL", "return 1", "0"), tErr(tNoAuth))
	tEq(t, "SCRIPT LOAD with no database", nodb.do("SCRIPT", "LOAD", "return 1"), tErr(tNoAuth))
}

// A read-only credential's script reads; its writes answer NOPERM as a direct write
// does; EVAL_RO refuses writes in Redis's words.
func TestScriptReadOnlyCredential(t *testing.T) {
	srv := herodbtest.Start(t, herodbtest.Options{})
	d, err := srv.Admin().CreateDatabase(admin.CreateOptions{Name: "priv"})
	tNoErr(t, "create", err)
	tNoErr(t, "read key", srv.Admin().AddAccessKey(d.ID, "read-key-7Yx2-Pq81Lm", admin.AccessRead))
	tNoErr(t, "rw key", srv.Admin().AddAccessKey(d.ID, "rw-key-9Kq4-Zt63Wn", admin.AccessReadWrite))
	id := strconv.FormatUint(d.ID, 10)
	rw, ro := tDial(t, srv.Addr()), tDial(t, srv.Addr())
	tEq(t, "rw SELECT", rw.do("SELECT", id, "KEY", "rw-key-9Kq4-Zt63Wn"), tOK)
	tEq(t, "ro SELECT", ro.do("SELECT", id, "KEY", "read-key-7Yx2-Pq81Lm"), tOK)
	tEq(t, "rw SET", rw.do("SET", "k", "v"), tOK)
	direct := ro.do("SET", "k", "w")
	tEq(t, "ro reads", ro.do("EVAL", "return redis.call('get', 'k')", "0"), tBulk("v"))
	want := strings.TrimSuffix(direct, "\r\n") + " script: "
	if got := ro.do("EVAL", "return redis.call('set', 'k', 'w')", "0"); !strings.HasPrefix(got, want) {
		t.Errorf("ro write in a script: %q, want prefix %q", got, want)
	}
	tEq(t, "ro pcall", ro.do("EVAL", "return redis.pcall('del', 'k')", "0"), direct)
	tEq(t, "ro SCRIPT FLUSH", ro.do("SCRIPT", "FLUSH"), direct)
	tEq(t, "ro SCRIPT KILL", ro.do("SCRIPT", "KILL"), direct)
	tEq(t, "ro SCRIPT LOAD", ro.do("SCRIPT", "LOAD", "return 1"), tBulk("e0e1f9fabfc9d4800c877a703b823ac0578ff8db"))
	if got := rw.do("EVAL_RO", "return redis.call('set', 'k', 'w')", "0"); !strings.HasPrefix(got, "-ERR Write commands are not allowed from read-only scripts. script: ") {
		t.Errorf("EVAL_RO write: %q", got)
	}
	tEq(t, "value unchanged", rw.do("GET", "k"), tBulk("v"))
	tEq(t, "rw script writes", rw.do("EVAL", "return redis.call('set', 'k', 'w')", "0"), tOK)
	tEq(t, "written", ro.do("GET", "k"), tBulk("w"))
}

// A runaway script: past busy-reply-threshold its database answers BUSY while another
// database is served; SCRIPT KILL stops it; one that wrote is UNKILLABLE.
func TestScriptKillAndBusy(t *testing.T) {
	srv, a := tServer(t, herodbtest.Options{})
	b := srv.CreateDatabase(t, "other", true)
	runner, other, killer := tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), a), tSelected(t, srv.Addr(), b)
	tEq(t, "CONFIG SET", other.do("CONFIG", "SET", "busy-reply-threshold", "100"), tOK)
	tEq(t, "CONFIG GET", other.do("CONFIG", "GET", "lua-time-limit"), "*2\r\n$14\r\nlua-time-limit\r\n$3\r\n100\r\n")
	tEq(t, "other database's own", killer.do("CONFIG", "GET", "busy-reply-threshold"), "*2\r\n$20\r\nbusy-reply-threshold\r\n$4\r\n5000\r\n")
	tEq(t, "NOTBUSY", other.do("SCRIPT", "KILL"), tErr("NOTBUSY No scripts in execution right now."))

	runner.send("EVAL", "local i = 0 while true do i = i + 1 end", "0")
	tEventually(t, "BUSY", func() bool {
		return other.do("GET", "k") == tErr("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	})
	tEq(t, "another database serves", killer.do("SET", "k", "v"), tOK)
	tEq(t, "another database has no script", killer.do("SCRIPT", "KILL"), tErr("NOTBUSY No scripts in execution right now."))
	tEq(t, "PING", other.do("PING"), "+PONG\r\n")
	tEq(t, "SCRIPT KILL", other.do("SCRIPT", "KILL"), tOK)
	if got := runner.read(); !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: ") {
		t.Errorf("killed script's reply: %q", got)
	}
	tEq(t, "served again", other.do("GET", "k"), tNil)

	// pcall cannot catch the kill.
	runner.send("EVAL", "while true do pcall(function() while true do end end) end", "0")
	tEventually(t, "BUSY again", func() bool { return strings.HasPrefix(other.do("GET", "k"), "-BUSY") })
	tEq(t, "SCRIPT KILL through pcall", other.do("SCRIPT", "KILL"), tOK)
	if got := runner.read(); !strings.HasPrefix(got, "-ERR Script killed by user") {
		t.Errorf("killed script's reply: %q", got)
	}

	// A script that wrote runs to its end: UNKILLABLE, and its writes are kept.
	deadline := strconv.FormatInt(time.Now().Add(1500*time.Millisecond).Unix()+1, 10)
	runner.send("EVAL", "redis.call('set', 'w', 'written') while tonumber(redis.call('time')[1]) < tonumber(ARGV[1]) do end return 'done'", "0", deadline)
	tEventually(t, "BUSY writer", func() bool { return strings.HasPrefix(other.do("GET", "k"), "-BUSY") })
	if got := other.do("SCRIPT", "KILL"); !strings.HasPrefix(got, "-UNKILLABLE Sorry the script already executed write commands against the dataset.") {
		t.Errorf("SCRIPT KILL of a writer: %q", got)
	}
	tEq(t, "writer ends", runner.read(), tBulk("done"))
	tEq(t, "its write", other.do("GET", "w"), tBulk("written"))
	tEq(t, "CONFIG SET bad", other.do("CONFIG", "SET", "busy-reply-threshold", "-1"),
		tErr("ERR CONFIG SET failed (possibly related to argument 'busy-reply-threshold') - argument must be between 0 and 9223372036854775807 inclusive"))
}

// Hostile scripts are answered with an error, and the server goes on.
func TestScriptHostile(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	for _, tc := range []struct{ script, want string }{
		{"local function f(n) return 1 + f(n + 1) end return f(1)", "-ERR user_script:1: stack overflow"},
		{"local function f(n) return f(n + 1) + 1 end return f(1)", "-ERR user_script:1: stack overflow"},
		{"local function f() pcall(f) error('x') end f()", "-ERR user_script:1: "},
		{"return string.rep('x', 1e10)", "-ERR user_script:1: string longer than 64 MiB"},
		{"return string.rep('x', 2^31)", "-ERR user_script:1: string longer than 64 MiB"},
		{"local t = {} for i = 1, 1000 do t[i] = string.rep('x', 2^20) end", "-ERR user_script:1: more than 256 MiB built"},
		{"local t = {} t[1] = t return t", "*1\r\n"},
		{"return setmetatable({}, {__index = function(t, k) return t[k] end}).x", "-ERR user_script:1: "},
		{"return loadstring('return 1')()", ":1"},
		{"return collectgarbage('count')", ":0"},
		{"print('to stdout') return 1", ":1"},
	} {
		got := c.do("EVAL", tc.script, "0")
		if !strings.HasPrefix(got, tc.want) && !(strings.HasPrefix(tc.want, "-") && strings.HasPrefix(got, strings.TrimSuffix(tc.want, ": "))) {
			t.Errorf("%s: %.200q, want prefix %q", tc.script, got, tc.want)
		}
	}
	tEq(t, "alive", c.do("PING"), "+PONG\r\n")
	tEq(t, "compile error", c.do("EVAL", "return +", "0")[:59], "-ERR Error compiling script (new function): user_script:1: ")
	tEq(t, "runtime error", c.do("EVAL", "local t = nil\nreturn t.x", "0")[:20], "-ERR user_script:2: ")
}

// string.dump is gone from the string table, not the globals: the case above reads a
// global; this one reads the field.
func TestScriptNoDump(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "string.dump", c.do("EVAL", "return type(string.dump)", "0"), tBulk("nil"))
}

// go-redis's Script: EVALSHA, then EVAL when the cache does not have it.
func TestScriptGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	incr := redis.NewScript(`return redis.call('incrby', KEYS[1], ARGV[1])`)
	n, err := incr.Run(tCtx, rdb, []string{"counter"}, 5).Int64()
	tNoErr(t, "Run", err)
	tEq(t, "Run", n, 5)
	exists, err := incr.Exists(tCtx, rdb).Result()
	tNoErr(t, "Exists", err)
	tEq(t, "cached by EVAL", exists, []bool{true})
	n, err = incr.EvalSha(tCtx, rdb, []string{"counter"}, 2).Int64()
	tNoErr(t, "EvalSha", err)
	tEq(t, "EvalSha", n, 7)
	tNoErr(t, "flush", rdb.ScriptFlush(tCtx).Err())
	if err := incr.EvalSha(tCtx, rdb, []string{"counter"}, 1).Err(); !redis.HasErrorPrefix(err, "NOSCRIPT") {
		t.Errorf("EvalSha after FLUSH: %v", err)
	}
	n, err = incr.Run(tCtx, rdb, []string{"counter"}, 1).Int64()
	tNoErr(t, "Run after FLUSH", err)
	tEq(t, "Run after FLUSH", n, 8)
	v, err := rdb.Eval(tCtx, "return {1, 'two', {3}}", nil).Result()
	tNoErr(t, "Eval", err)
	tEq(t, "Eval", v, []any{int64(1), "two", []any{int64(3)}})
}

// The lock and rate-limiter scripts libraries ship, unchanged.
func TestScriptLibraries(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	// Redlock's release: delete the lock only if it is still ours.
	unlock := redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)
	tNoErr(t, "lock", rdb.SetNX(tCtx, "lock", "token-1", time.Minute).Err())
	n, err := unlock.Run(tCtx, rdb, []string{"lock"}, "token-2").Int64()
	tNoErr(t, "unlock other", err)
	tEq(t, "not ours", n, 0)
	n, err = unlock.Run(tCtx, rdb, []string{"lock"}, "token-1").Int64()
	tNoErr(t, "unlock", err)
	tEq(t, "ours", n, 1)

	// go-redis/redis_rate's GCRA (allowN), which calls redis.replicate_commands().
	gcra := redis.NewScript(`
redis.replicate_commands()
local rate_limit_key = KEYS[1]
local burst = ARGV[1]
local rate = ARGV[2]
local period = ARGV[3]
local cost = tonumber(ARGV[4])
local emission_interval = period / rate
local increment = emission_interval * cost
local burst_offset = emission_interval * burst
local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)
local tat = redis.call("GET", rate_limit_key)
if not tat then
  tat = now
else
  tat = tonumber(tat)
end
tat = math.max(tat, now)
local new_tat = tat + increment
local allow_at = new_tat - burst_offset
local diff = now - allow_at
local remaining = diff / emission_interval
if remaining < 0 then
  local reset_after = tat - now
  local retry_after = diff * -1
  return {0, 0, tostring(retry_after), tostring(reset_after)}
end
local reset_after = new_tat - now
if reset_after > 0 then
  redis.call("SET", rate_limit_key, new_tat, "EX", math.ceil(reset_after))
end
local retry_after = -1
return {cost, remaining, tostring(retry_after), tostring(reset_after)}
`)
	allowed := 0
	for i := 0; i < 15; i++ {
		v, err := gcra.Run(tCtx, rdb, []string{"rate:user"}, 10, 10, 60, 1).Slice()
		tNoErr(t, "gcra", err)
		if v[0].(int64) == 1 {
			allowed++
		}
	}
	tEq(t, "a burst of 10 allowed", allowed, 10)
	ttl, err := rdb.TTL(tCtx, "rate:user").Result()
	tNoErr(t, "TTL", err)
	if ttl <= 0 {
		t.Errorf("rate key TTL %v", ttl)
	}
}

// Scripts are atomic: concurrent read-modify-write scripts lose no update.
func TestScriptAtomic(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	const clients, each = 8, 50
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rdb := tClient(t, srv.Addr(), db)
			for j := 0; j < each; j++ {
				err := rdb.Eval(tCtx, "local v = tonumber(redis.call('get', KEYS[1]) or '0') redis.call('set', KEYS[1], v + 1) return v + 1", []string{"n"}).Err()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	v, err := tClient(t, srv.Addr(), db).Get(tCtx, "n").Int()
	tNoErr(t, "GET", err)
	tEq(t, "no lost update", v, clients*each)
}

// A key a script changes counts as changed for WATCH, and wakes a client blocked on it.
func TestScriptWatchAndBlocked(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	w, s, blocked := tSelected(t, srv.Addr(), db), tSelected(t, srv.Addr(), db), tSelected(t, srv.Addr(), db)
	tEq(t, "WATCH", w.do("WATCH", "k"), tOK)
	tEq(t, "script writes k", s.do("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "k"), tOK)
	tEq(t, "MULTI", w.do("MULTI"), tOK)
	tEq(t, "queued", w.do("SET", "k", "y"), "+QUEUED\r\n")
	tEq(t, "EXEC aborted", w.do("EXEC"), tNilA)

	blocked.send("BLPOP", "q", "10")
	adm := tDial(t, srv.Addr())
	tEq(t, "AUTH admin", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	tEventually(t, "blocked", func() bool { return strings.Contains(adm.do("INFO", "clients"), "blocked_clients:1\r\n") })
	tEq(t, "script pushes", s.do("EVAL", "return redis.call('rpush', 'q', 'job')", "0"), tInt(1))
	tEq(t, "woken", blocked.read(), "*2\r\n$1\r\nq\r\n$3\r\njob\r\n")
	// Blocking commands inside a script never wait.
	tEq(t, "BLMPOP in a script", s.do("EVAL", "return redis.call('blmpop', 0, 1, 'none', 'LEFT')", "0"), tNil)
	// EVAL inside MULTI runs in EXEC's transaction.
	tEq(t, "MULTI", s.do("MULTI"), tOK)
	tEq(t, "queued EVAL", s.do("EVAL", "return redis.call('incr', 'm')", "0"), "+QUEUED\r\n")
	tEq(t, "queued INCR", s.do("INCR", "m"), "+QUEUED\r\n")
	tEq(t, "EXEC", s.do("EXEC"), "*2\r\n:1\r\n:2\r\n")
}

// The cache is not persistent: after a restart EVALSHA answers NOSCRIPT, as Redis.
func TestScriptAfterRestart(t *testing.T) {
	dir := t.TempDir()
	srv := herodbtest.Start(t, herodbtest.Options{Dir: dir})
	db := srv.CreateDatabase(t, "app", true)
	c := tSelected(t, srv.Addr(), db)
	tEq(t, "LOAD", c.do("SCRIPT", "LOAD", "return 'loaded'"), tBulk(tReturnLoaded))
	tEq(t, "EVALSHA", c.do("EVALSHA", tReturnLoaded, "0"), tBulk("loaded"))
	srv.Close()
	srv = herodbtest.Start(t, herodbtest.Options{Dir: dir})
	c = tSelected(t, srv.Addr(), db)
	tEq(t, "EVALSHA after restart", c.do("EVALSHA", tReturnLoaded, "0"), tErr("NOSCRIPT No matching script. Please use EVAL."))
}

// A script of ten commands (BullMQ's are so), against the same commands pipelined.
func BenchmarkScriptTenCalls(b *testing.B) {
	srv, db := tServer(b, herodbtest.Options{})
	rdb := tClient(b, srv.Addr(), db)
	body := `for i = 1, 5 do redis.call('hset', KEYS[1], 'f' .. i, ARGV[1]) redis.call('hget', KEYS[1], 'f' .. i) end return 1`
	script := redis.NewScript(body)
	tNoErr(b, "load", script.Load(tCtx, rdb).Err())
	b.Run("evalsha", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := script.EvalSha(tCtx, rdb, []string{"job"}, "v").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipelined", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, err := rdb.Pipelined(tCtx, func(p redis.Pipeliner) error {
				for j := 1; j <= 5; j++ {
					p.HSet(tCtx, "job", fmt.Sprint("f", j), "v")
					p.HGet(tCtx, "job", fmt.Sprint("f", j))
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
