package server_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// TestBitmapsGoRedis: the bitmap commands through go-redis, as an application uses them
// (a daily-active-users bitmap), inside MULTI too; replies as redis-server's
// (diff_bits_test.go compares them byte for byte).
func TestBitmapsGoRedis(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	rdb := tClient(t, srv.Addr(), db)
	for _, user := range []int64{3, 17, 1000, 4095} {
		tEq(t, "SETBIT", rdb.SetBit(tCtx, "dau:mon", user, 1).Val(), int64(0))
	}
	for _, user := range []int64{17, 20} {
		tEq(t, "SETBIT", rdb.SetBit(tCtx, "dau:tue", user, 1).Val(), int64(0))
	}
	tEq(t, "SETBIT again", rdb.SetBit(tCtx, "dau:mon", 17, 1).Val(), int64(1))
	tEq(t, "GETBIT", rdb.GetBit(tCtx, "dau:mon", 1000).Val(), int64(1))
	tEq(t, "BITCOUNT", rdb.BitCount(tCtx, "dau:mon", nil).Val(), int64(4))
	tEq(t, "BITCOUNT range", rdb.BitCount(tCtx, "dau:mon", &redis.BitCount{Start: 0, End: 2}).Val(), int64(2))
	tEq(t, "BITPOS", rdb.BitPos(tCtx, "dau:mon", 1).Val(), int64(3))
	tEq(t, "BITOP AND", rdb.BitOpAnd(tCtx, "both", "dau:mon", "dau:tue").Val(), int64(512))
	tEq(t, "both days", rdb.BitCount(tCtx, "both", nil).Val(), int64(1))
	tEq(t, "BITOP OR", rdb.BitOpOr(tCtx, "either", "dau:mon", "dau:tue").Val(), int64(512))
	tEq(t, "either day", rdb.BitCount(tCtx, "either", nil).Val(), int64(5))
	tEq(t, "TYPE", rdb.Type(tCtx, "both").Val(), "string")

	cmds, err := rdb.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.SetBit(tCtx, "tx", 9, 1)
		p.GetBit(tCtx, "tx", 9)
		p.BitCount(tCtx, "tx", nil)
		return nil
	})
	tNoErr(t, "MULTI", err)
	tEq(t, "SETBIT in MULTI", cmds[0].(*redis.IntCmd).Val(), int64(0))
	tEq(t, "GETBIT in MULTI", cmds[1].(*redis.IntCmd).Val(), int64(1))
	tEq(t, "BITCOUNT in MULTI", cmds[2].(*redis.IntCmd).Val(), int64(1))

	rdb.HSet(tCtx, "h", "f", "v")
	tErrIs(t, "SETBIT on a hash", rdb.SetBit(tCtx, "h", 1, 1).Err(), "WRONGTYPE")
	tErrIs(t, "BITOP from a hash", rdb.BitOpAnd(tCtx, "d", "h").Err(), "WRONGTYPE")
}
