package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/storage"
)

// tJumpClock stands still until armed, then jumps ahead once after a number of reads:
// a credential expires at a chosen point inside one pipelined group.
type tJumpClock struct {
	mu    sync.Mutex
	now   time.Time
	left  atomic.Int64 // reads until the jump; <= 0: not armed
	jump  time.Duration
	armed atomic.Bool
}

func (c *tJumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed.Load() && c.left.Add(-1) == 0 {
		c.now = c.now.Add(c.jump)
	}
	return c.now
}

// TestGroupRevokedMidCheckStaysOnItsDatabase: a token that expires while a pipelined
// group is being checked deselects the connection; the writes checked before that must
// land in the tenant's database, and nothing may ever be written to DB 0 (a regression
// of the one-runner restructure wrote them there).
func TestGroupRevokedMidCheckStaysOnItsDatabase(t *testing.T) {
	clock := &tJumpClock{now: time.Unix(1_700_000_000, 0), jump: 2 * time.Hour}
	var _ storage.Clock = clock
	srv := herodbtest.Start(t, herodbtest.Options{Clock: clock})
	id := srv.CreateDatabase(t, "priv", false)
	tok, err := srv.Admin().CreateToken(&admin.Grant{Kind: admin.KindAdmin, Admin: true}, "t",
		[]admin.Scope{{Type: admin.ScopeDatabase, Name: "priv", Permissions: []admin.Permission{admin.PermRead, admin.PermWrite}}}, time.Hour)
	tNoErr(t, "create token", err)
	c := tDial(t, srv.Addr())
	tEq(t, "AUTH", c.do("AUTH", tok.Token), tOK)
	var pipe []byte
	for i := 0; i < 100; i++ {
		pipe = append(pipe, tEncode([]byte("SET"), []byte(fmt.Sprintf("zzkey%d", i)), []byte("v"))...)
	}
	clock.left.Store(20)
	clock.armed.Store(true)
	c.write(pipe)
	oks := 0
	for i := 0; i < 100; i++ {
		if rep := c.read(); rep == tOK {
			oks++
		} else if !strings.HasPrefix(rep, "-") {
			t.Fatalf("reply %d: %q", i, rep)
		}
	}
	if oks == 0 || oks == 100 {
		t.Fatalf("%d of 100 SETs answered OK; the token should expire partway", oks)
	}
	inDB0 := 0
	err = srv.Admin().DB0().View(func(tx *storage.Tx) error {
		for i := 0; i < 100; i++ {
			if ok, _ := tx.Exists([]byte(fmt.Sprintf("zzkey%d", i))); ok {
				inDB0++
			}
		}
		return nil
	})
	tNoErr(t, "read DB 0", err)
	if inDB0 != 0 {
		t.Errorf("%d tenant keys were written to DB 0", inDB0)
	}
	db, release, err := srv.Admin().Acquire(id)
	tNoErr(t, "acquire", err)
	defer release()
	inPriv := 0
	db.View(func(tx *storage.Tx) error {
		for i := 0; i < 100; i++ {
			if ok, _ := tx.Exists([]byte(fmt.Sprintf("zzkey%d", i))); ok {
				inPriv++
			}
		}
		return nil
	})
	tEq(t, "keys in the tenant's database", inPriv, oks)
}
