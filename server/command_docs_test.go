package server_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/seed6aa118f9/herodb/herodbtest"
)

// go-redis parses the whole COMMAND reply (ten fields, tips, key specs, subcommands)
// and finds the key positions and ACL categories the table gives.
func TestCommandGoRedisParses(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	cmds, err := rdb.Command(tCtx).Result()
	tNoErr(t, "COMMAND", err)
	for name, want := range map[string]struct {
		first, last, step int8
		acl               string
		movable           bool
	}{
		"get":         {1, 1, 1, "@read @string @fast", false},
		"mset":        {1, -1, 2, "@write @string @slow", false},
		"blpop":       {1, -2, 1, "@write @list @slow @blocking", false},
		"lmpop":       {0, 0, 0, "@write @list @slow", true},
		"zunionstore": {1, 1, 1, "@write @sortedset @slow", true},
		"sinterstore": {1, -1, 1, "@write @set @slow", false},
		"sort":        {1, 1, 1, "@write @set @sortedset @list @slow @dangerous", true},
		"ping":        {0, 0, 0, "@fast @connection", false},
	} {
		c := cmds[name]
		if c == nil {
			t.Errorf("COMMAND lacks %s", name)
			continue
		}
		if c.FirstKeyPos != want.first || c.LastKeyPos != want.last || c.StepCount != want.step {
			t.Errorf("%s: keys %d,%d,%d, want %d,%d,%d", name, c.FirstKeyPos, c.LastKeyPos, c.StepCount, want.first, want.last, want.step)
		}
		if got := strings.Join(c.ACLFlags, " "); got != want.acl {
			t.Errorf("%s: ACL categories %q, want %q", name, got, want.acl)
		}
		if got := slices.Contains(c.Flags, "movablekeys"); got != want.movable {
			t.Errorf("%s: flags %v, movablekeys want %v", name, c.Flags, want.movable)
		}
	}
	if !cmds["get"].ReadOnly || cmds["set"].ReadOnly {
		t.Errorf("readonly: get %v, set %v", cmds["get"].ReadOnly, cmds["set"].ReadOnly)
	}

	// go-redis's own key lookup for movable commands: COMMAND GETKEYS.
	keys, err := rdb.CommandGetKeys(tCtx, "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2").Result()
	tNoErr(t, "COMMAND GETKEYS", err)
	tEq(t, "GETKEYS zunionstore", strings.Join(keys, " "), "d a b")
	kf, err := rdb.CommandGetKeysAndFlags(tCtx, "lmove", "a", "b", "LEFT", "RIGHT").Result()
	tNoErr(t, "COMMAND GETKEYSANDFLAGS", err)
	if len(kf) != 2 || kf[0].Key != "a" || strings.Join(kf[0].Flags, " ") != "RW access delete" || kf[1].Key != "b" || strings.Join(kf[1].Flags, " ") != "RW insert" {
		t.Errorf("GETKEYSANDFLAGS lmove: %+v", kf)
	}
	_, err = rdb.CommandGetKeys(tCtx, "nosuch", "a").Result()
	tErrIs(t, "GETKEYS unknown", err, "ERR Invalid command specified")
}

// COMMAND COUNT is the number of top-level commands, COMMAND LIST names them and
// their subcommands, and FILTERBY filters as Redis 7.0's does.
func TestCommandListFilter(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	n, err := rdb.Do(tCtx, "COMMAND", "COUNT").Int64()
	tNoErr(t, "COMMAND COUNT", err)
	all, err := rdb.Command(tCtx).Result()
	tNoErr(t, "COMMAND", err)
	tEq(t, "COUNT is COMMAND's length", n, int64(len(all)))
	names, err := rdb.CommandList(tCtx, nil).Result()
	tNoErr(t, "COMMAND LIST", err)
	var top int64
	for _, name := range names {
		if !strings.Contains(name, "|") {
			top++
			if all[name] == nil {
				t.Errorf("COMMAND LIST names %s, COMMAND does not", name)
			}
		}
	}
	tEq(t, "COUNT is LIST's top-level names", top, n)
	if !slices.Contains(names, "client|kill") {
		t.Errorf("COMMAND LIST lacks client|kill")
	}

	hll, err := rdb.CommandList(tCtx, &redis.FilterBy{ACLCat: "hyperloglog"}).Result()
	tNoErr(t, "ACLCAT", err)
	slices.Sort(hll)
	tEq(t, "ACLCAT hyperloglog", strings.Join(hll, " "), "pfadd pfcount pfmerge")
	blocking, err := rdb.CommandList(tCtx, &redis.FilterBy{ACLCat: "BLOCKING"}).Result()
	tNoErr(t, "ACLCAT", err)
	if !slices.Contains(blocking, "blpop") || slices.Contains(blocking, "lpop") {
		t.Errorf("ACLCAT blocking: %v", blocking)
	}
	subs, err := rdb.CommandList(tCtx, &redis.FilterBy{Pattern: "COMMAND|*"}).Result()
	tNoErr(t, "PATTERN", err)
	slices.Sort(subs)
	tEq(t, "PATTERN COMMAND|*", strings.Join(subs, " "),
		"command|count command|docs command|getkeys command|getkeysandflags command|help command|info command|list")
	mods, err := rdb.CommandList(tCtx, &redis.FilterBy{Module: "json"}).Result()
	tNoErr(t, "MODULE", err)
	tEq(t, "MODULE", len(mods), 0)

	c := tSelected(t, srv.Addr(), db)
	tEq(t, "LIST x", c.do("COMMAND", "LIST", "x"), tErr("ERR syntax error"))
	tEq(t, "FILTERBY FOO", c.do("COMMAND", "LIST", "FILTERBY", "FOO", "x"), tErr("ERR syntax error"))
	tEq(t, "ACLCAT unknown", c.do("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"), "*0\r\n")
}

// COMMAND DOCS answers summary, since, group and arguments; redis-cli reads it.
func TestCommandDocsReply(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	docs, err := rdb.Do(tCtx, "COMMAND", "DOCS", "lmpop", "age").Slice()
	tNoErr(t, "COMMAND DOCS", err)
	if len(docs) != 4 || docs[0] != "lmpop" || docs[2] != "age" {
		t.Fatalf("COMMAND DOCS: %v", docs)
	}
	m := tDocPairs(docs[1].([]any))
	tEq(t, "lmpop since", m["since"], "7.0.0")
	tEq(t, "lmpop group", m["group"], "list")
	args := m["arguments"].([]any)
	if len(args) != 4 || tDocPairs(args[1].([]any))["type"] != "key" {
		t.Errorf("lmpop arguments: %v", args)
	}
	age := tDocPairs(docs[3].([]any))
	if _, ok := age["arguments"]; ok {
		t.Errorf("age: a container has no arguments: %v", age)
	}
	subs := tDocPairs(age["subcommands"].([]any))
	enc := tDocPairs(subs["age|encrypt"].([]any))
	tEq(t, "age|encrypt since", enc["since"], "0.1.0")

	// A subcommand by its full name, as Redis answers it.
	kill, err := rdb.Do(tCtx, "COMMAND", "DOCS", "client|kill").Slice()
	tNoErr(t, "DOCS client|kill", err)
	if len(kill) != 2 || kill[0] != "client|kill" {
		t.Errorf("DOCS client|kill: %v", kill)
	}

	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	host, port, _ := strings.Cut(srv.Addr(), ":")
	out, err := exec.Command(cli, "-h", host, "-p", port, "COMMAND", "DOCS", "set").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v: %s", err, out)
	}
	for _, want := range []string{"set", "summary", "since", "1.0.0", "string", "arguments", "key_spec_index", "KEEPTTL", "pure-token", "optional"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("redis-cli COMMAND DOCS set lacks %q:\n%s", want, out)
		}
	}
}

// tDocPairs reads a flat key/value array from go-redis.
func tDocPairs(a []any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(a); i += 2 {
		if k, ok := a[i].(string); ok {
			m[k] = a[i+1]
		}
	}
	return m
}
