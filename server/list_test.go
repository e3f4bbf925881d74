package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// End-to-end tests of the list commands: a real server (herodbtest), a real client
// (go-redis, RESP2), and the replies and error strings exactly as a user sees them.

func TestListPushPop(t *testing.T) {
	h := hlNewClient(t)

	h.is(3, "LPUSH", "l", "a", "b", "c")
	h.is([]string{"c", "b", "a"}, "LRANGE", "l", "0", "-1")
	h.is(5, "RPUSH", "l", "d", "e")
	h.is([]string{"c", "b", "a", "d", "e"}, "LRANGE", "l", "0", "-1")
	h.is(5, "LLEN", "l")
	h.is(0, "LLEN", "nokey")
	h.is("list", "TYPE", "l")

	h.is(0, "LPUSHX", "nokey", "a")
	h.is(0, "RPUSHX", "nokey", "a", "b")
	h.is(0, "EXISTS", "nokey")
	h.is(6, "RPUSHX", "l", "f")
	h.is(8, "LPUSHX", "l", "y", "z")
	h.is([]string{"z", "y", "c", "b", "a", "d", "e", "f"}, "LRANGE", "l", "0", "-1")

	h.is("z", "LPOP", "l")
	h.is("f", "RPOP", "l")
	h.is([]string{"y", "c"}, "LPOP", "l", "2")
	h.is([]string{"e", "d"}, "RPOP", "l", "2") // last first
	h.is([]any{}, "LPOP", "l", "0")
	h.is([]any{}, "RPOP", "l", "0")
	h.is(hlErr("ERR value is out of range, must be positive"), "LPOP", "l", "-1")
	h.is(hlErr("ERR value is out of range, must be positive"), "RPOP", "l", "x")
	h.is(hlErr("ERR wrong number of arguments for 'lpop' command"), "LPOP", "l", "1", "2")
	h.is(hlErr("ERR wrong number of arguments for 'rpop' command"), "RPOP", "l", "1", "2")
	h.is([]string{"b", "a"}, "LRANGE", "l", "0", "-1")
	h.is([]string{"b", "a"}, "LPOP", "l", "10")
	h.is(0, "EXISTS", "l") // popping the last element removes the key

	h.is(hlNil, "LPOP", "nokey")
	h.is(hlNil, "RPOP", "nokey")
	h.is(hlNil, "LPOP", "nokey", "2")
	if got := h.raw("LPOP", "nokey", "2"); got != "*-1\r\n" {
		t.Errorf("LPOP nokey 2: %q, want a null array", got)
	}
	if got := h.raw("RPOP", "nokey", "0"); got != "*-1\r\n" {
		t.Errorf("RPOP nokey 0: %q, want a null array", got)
	}
	if got := h.raw("LPOP", "nokey"); got != "$-1\r\n" {
		t.Errorf("LPOP nokey: %q, want a null bulk", got)
	}

	h.is(1, "RPUSH", "one", "x")
	h.is("x", "RPOP", "one")
	h.is(0, "EXISTS", "one")
	h.is(1, "RPUSH", "one", "x")
	h.is([]string{"x"}, "RPOP", "one", "1")
	h.is(0, "EXISTS", "one")
}

func TestListIndexRange(t *testing.T) {
	h := hlNewClient(t)
	h.is(5, "RPUSH", "l", "a", "b", "c", "d", "e")

	h.is("a", "LINDEX", "l", "0")
	h.is("e", "LINDEX", "l", "-1")
	h.is("d", "LINDEX", "l", "3")
	h.is(hlNil, "LINDEX", "l", "5")
	h.is(hlNil, "LINDEX", "l", "-6")
	h.is(hlNil, "LINDEX", "nokey", "0")
	h.is(hlErr("ERR value is not an integer or out of range"), "LINDEX", "l", "x")

	h.is([]string{"b", "c"}, "LRANGE", "l", "1", "2")
	h.is([]string{"d", "e"}, "LRANGE", "l", "-2", "-1")
	h.is([]string{"a", "b", "c", "d", "e"}, "LRANGE", "l", "-100", "100")
	h.is([]any{}, "LRANGE", "l", "3", "1")
	h.is([]any{}, "LRANGE", "l", "5", "10")
	h.is([]any{}, "LRANGE", "nokey", "0", "-1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LRANGE", "l", "a", "1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LRANGE", "l", "0", "1.5")

	h.is("OK", "LSET", "l", "0", "A")
	h.is("OK", "LSET", "l", "-1", "E")
	h.is([]string{"A", "b", "c", "d", "E"}, "LRANGE", "l", "0", "-1")
	h.is(hlErr("ERR index out of range"), "LSET", "l", "5", "x")
	h.is(hlErr("ERR index out of range"), "LSET", "l", "-6", "x")
	h.is(hlErr("ERR no such key"), "LSET", "nokey", "0", "x")
	h.is(hlErr("ERR value is not an integer or out of range"), "LSET", "l", "x", "y")
	h.is(0, "EXISTS", "nokey")
}

func TestListRemTrimInsert(t *testing.T) {
	h := hlNewClient(t)

	h.is(6, "RPUSH", "r", "a", "b", "a", "c", "a", "b")
	h.is(1, "LREM", "r", "1", "a")
	h.is([]string{"b", "a", "c", "a", "b"}, "LRANGE", "r", "0", "-1")
	h.is(1, "LREM", "r", "-1", "b")
	h.is([]string{"b", "a", "c", "a"}, "LRANGE", "r", "0", "-1")
	h.is(2, "LREM", "r", "0", "a")
	h.is([]string{"b", "c"}, "LRANGE", "r", "0", "-1")
	h.is(0, "LREM", "r", "0", "zz")
	h.is(0, "LREM", "nokey", "0", "a")
	h.is(hlErr("ERR value is not an integer or out of range"), "LREM", "r", "x", "a")
	h.is(1, "LREM", "r", "5", "b")
	h.is(1, "LREM", "r", "-5", "c")
	h.is(0, "EXISTS", "r")

	h.is(5, "RPUSH", "t", "1", "2", "3", "4", "5")
	h.is("OK", "LTRIM", "t", "1", "3")
	h.is([]string{"2", "3", "4"}, "LRANGE", "t", "0", "-1")
	h.is("OK", "LTRIM", "t", "-2", "100")
	h.is([]string{"3", "4"}, "LRANGE", "t", "0", "-1")
	h.is("OK", "LTRIM", "nokey", "0", "1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LTRIM", "t", "0", "x")
	h.is("OK", "LTRIM", "t", "5", "10")
	h.is(0, "EXISTS", "t")

	h.is(2, "RPUSH", "i", "a", "c")
	h.is(3, "LINSERT", "i", "BEFORE", "c", "b")
	h.is(4, "LINSERT", "i", "after", "c", "d")
	h.is(5, "LINSERT", "i", "Before", "a", "_")
	h.is([]string{"_", "a", "b", "c", "d"}, "LRANGE", "i", "0", "-1")
	h.is(-1, "LINSERT", "i", "BEFORE", "zz", "x")
	h.is(0, "LINSERT", "nokey", "BEFORE", "a", "x")
	h.is(0, "EXISTS", "nokey")
	h.is(hlErr("ERR syntax error"), "LINSERT", "i", "MIDDLE", "c", "x")
	h.is(5, "LLEN", "i")
}

func TestListPos(t *testing.T) {
	h := hlNewClient(t)
	h.is(8, "RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")

	h.is(2, "LPOS", "l", "c")
	h.is(6, "LPOS", "l", "c", "RANK", "2")
	h.is(7, "LPOS", "l", "c", "RANK", "3")
	h.is(hlNil, "LPOS", "l", "c", "RANK", "4")
	h.is(7, "LPOS", "l", "c", "RANK", "-1")
	h.is(6, "LPOS", "l", "c", "RANK", "-2")
	h.is([]int{2, 6}, "LPOS", "l", "c", "COUNT", "2")
	h.is([]int{2, 6, 7}, "LPOS", "l", "c", "COUNT", "0")
	h.is([]int{6, 7}, "LPOS", "l", "c", "RANK", "2", "COUNT", "0")
	h.is([]int{7, 6}, "LPOS", "l", "c", "RANK", "-1", "COUNT", "2")
	h.is([]int{2}, "LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3")
	h.is(hlNil, "LPOS", "l", "c", "MAXLEN", "2")
	h.is(hlNil, "LPOS", "l", "c", "RANK", "2", "MAXLEN", "3")
	h.is([]int{7, 6}, "LPOS", "l", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "2")
	h.is(0, "LPOS", "l", "a", "maxlen", "0")
	h.is(hlNil, "LPOS", "l", "zz")
	h.is([]any{}, "LPOS", "l", "zz", "COUNT", "1")
	h.is(hlNil, "LPOS", "nokey", "a")
	h.is([]any{}, "LPOS", "nokey", "a", "COUNT", "1")

	h.is(hlErr("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
		"LPOS", "l", "c", "RANK", "0")
	h.is(hlErr("ERR COUNT can't be negative"), "LPOS", "l", "c", "COUNT", "-1")
	h.is(hlErr("ERR MAXLEN can't be negative"), "LPOS", "l", "c", "MAXLEN", "-1")
	h.is(hlErr("ERR value is not an integer or out of range"), "LPOS", "l", "c", "RANK", "x")
	h.is(hlErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
		"LPOS", "l", "c", "RANK", "-9223372036854775808")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "FOO", "1")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "RANK")
	h.is(hlErr("ERR syntax error"), "LPOS", "l", "c", "COUNT", "1", "MAXLEN")
	// Options are checked before the key, as Redis does.
	h.is(hlErr("ERR COUNT can't be negative"), "LPOS", "nokey", "c", "COUNT", "-1")
}

func TestListMove(t *testing.T) {
	h := hlNewClient(t)
	h.is(3, "RPUSH", "src", "1", "2", "3")

	h.is("3", "LMOVE", "src", "dst", "RIGHT", "LEFT")
	h.is("1", "LMOVE", "src", "dst", "left", "right")
	h.is([]string{"2"}, "LRANGE", "src", "0", "-1")
	h.is([]string{"3", "1"}, "LRANGE", "dst", "0", "-1")
	h.is("3", "LMOVE", "dst", "dst", "LEFT", "RIGHT") // rotate
	h.is([]string{"1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is("3", "LMOVE", "dst", "dst", "RIGHT", "RIGHT")
	h.is([]string{"1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is(hlNil, "LMOVE", "nokey", "dst", "LEFT", "LEFT")
	h.is(0, "EXISTS", "nokey")
	h.is(hlErr("ERR syntax error"), "LMOVE", "src", "dst", "UP", "LEFT")
	h.is(hlErr("ERR syntax error"), "LMOVE", "src", "dst", "LEFT", "DOWN")

	h.is("2", "RPOPLPUSH", "src", "dst")
	h.is(0, "EXISTS", "src") // the last element moved away
	h.is([]string{"2", "1", "3"}, "LRANGE", "dst", "0", "-1")
	h.is(hlNil, "RPOPLPUSH", "src", "dst")
	h.is("3", "RPOPLPUSH", "dst", "dst")
	h.is([]string{"3", "2", "1"}, "LRANGE", "dst", "0", "-1")

	// A wrong-typed destination moves nothing.
	h.is("OK", "SET", "s", "v")
	h.is(hlErr(hlWrongType), "LMOVE", "dst", "s", "LEFT", "LEFT")
	h.is(hlErr(hlWrongType), "RPOPLPUSH", "dst", "s")
	h.is(hlErr(hlWrongType), "RPOPLPUSH", "s", "dst")
	h.is([]string{"3", "2", "1"}, "LRANGE", "dst", "0", "-1")
	h.is("v", "GET", "s")
	// An absent source answers nil whatever the destination holds, as Redis.
	h.is(hlNil, "RPOPLPUSH", "nokey", "s")
}

func TestListWrongTypeAndArity(t *testing.T) {
	h := hlNewClient(t)
	h.is("OK", "SET", "s", "v")
	for _, args := range [][]any{
		{"LPUSH", "s", "a"}, {"RPUSH", "s", "a"}, {"LPUSHX", "s", "a"}, {"RPUSHX", "s", "a"},
		{"LPOP", "s"}, {"RPOP", "s"}, {"LPOP", "s", "2"}, {"RPOP", "s", "0"}, {"LLEN", "s"},
		{"LRANGE", "s", "0", "-1"}, {"LINDEX", "s", "0"}, {"LSET", "s", "0", "x"},
		{"LREM", "s", "0", "x"}, {"LTRIM", "s", "0", "1"}, {"LINSERT", "s", "BEFORE", "a", "b"},
		{"LPOS", "s", "a"}, {"LPOS", "s", "a", "COUNT", "0"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
		{"RPOPLPUSH", "s", "d"},
	} {
		h.is(hlErr(hlWrongType), args...)
	}
	h.is("v", "GET", "s")
	h.is(1, "HSET", "h", "f", "v")
	h.is(hlErr(hlWrongType), "LPUSH", "h", "a")
	h.is(1, "RPUSH", "l", "a")
	h.is(hlErr(hlWrongType), "HGET", "l", "f")

	for _, args := range [][]any{
		{"LPUSH", "l"}, {"RPUSH", "l"}, {"LPUSHX", "l"}, {"RPUSHX"}, {"LPOP"}, {"RPOP"},
		{"LLEN"}, {"LRANGE", "l", "0"}, {"LINDEX", "l"}, {"LSET", "l", "0"},
		{"LREM", "l", "0"}, {"LTRIM", "l", "0"}, {"LINSERT", "l", "BEFORE", "a"},
		{"LPOS", "l"}, {"LMOVE", "a", "b", "LEFT"}, {"RPOPLPUSH", "a"}, {"RPOPLPUSH", "a", "b", "c"},
	} {
		name := strings.ToLower(args[0].(string))
		h.is(hlErr(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)), args...)
	}
}

// TestListMoveWatch checks a write to LMOVE's second key reaches WATCH.
func TestListMoveWatch(t *testing.T) {
	h := hlNewClient(t)
	ctx := context.Background()
	h.is(2, "RPUSH", "src", "a", "b")
	other := redis.NewClient(&redis.Options{Addr: h.srv.Addr(), DB: int(h.db), Protocol: 2})
	defer other.Close()
	err := h.rdb.Watch(ctx, func(tx *redis.Tx) error {
		if err := other.LMove(ctx, "src", "dst", "LEFT", "LEFT").Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.RPush(ctx, "dst", "x")
			return nil
		})
		return err
	}, "dst")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a watched LMOVE destination changed: %v, want a failed transaction", err)
	}
	h.is([]string{"a"}, "LRANGE", "dst", "0", "-1")
}
