package server

// Server-wide commands for the admin (AUTH <admin secret> or SELECT 0 KEY <admin secret>).

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// adminCommands registers this file's commands (called from table.go).
func adminCommands() {
	register("admin",
		&command{name: "flushall", arity: -1, flags: flagAdmin | flagNoMulti | flagAllDBs, run: flushallCmd,
			syntax: "FLUSHALL [ASYNC|SYNC]", summary: "Removes every key of every database (admin only; DB 0 is untouched).",
			differs: "Admin only: a tenant cannot empty other tenants' databases. Refused inside MULTI."},
		&command{name: "authlog", arity: -1, flags: flagAdmin, run: authlogCmd,
			syntax: "AUTHLOG [count | RESET]", summary: "Recent authentication successes and failures, newest first (as ACL LOG; never a secret).",
			differs: "herodb's own, in the shape of ACL LOG."},
	)
}

// FLUSHALL [ASYNC|SYNC]
func flushallCmd(c *call) error {
	if !flushArgsOK(c.args) {
		c.r.err(errSyntax)
		return nil
	}
	for _, d := range c.s.admin.Databases() {
		if c.s.admin.Blank(d.ID) {
			continue // never written: nothing to flush, and no file is made for it
		}
		if err := c.s.withDB(d.ID, true, func(tx *storage.Tx) error { return tx.Flush() }, nil); err != nil {
			return c.fail(err)
		}
	}
	c.s.touch(0, c.row, nil)
	c.r.ok()
	return nil
}

// AUTHLOG [count | RESET]
func authlogCmd(c *call) error {
	n := 10
	if len(c.args) > 2 {
		c.r.err(errSyntax)
		return nil
	}
	if len(c.args) == 2 {
		if strings.EqualFold(string(c.args[1]), "reset") {
			c.s.admin.ResetAuthLog()
			c.r.ok()
			return nil
		}
		v, err := strconv.Atoi(string(c.args[1]))
		if err != nil || v < 0 {
			c.r.err(errNotInteger)
			return nil
		}
		n = v
	}
	events := c.s.admin.AuthLog(n)
	now := c.s.cfg.Clock.Now()
	c.r.array(len(events))
	for _, e := range events {
		result := "failure"
		if e.Success {
			result = "success"
		}
		kv := func(k, v string) { c.r.bulkString(k); c.r.bulkString(v) }
		ki := func(k string, v int64) { c.r.bulkString(k); c.r.int(v) }
		c.r.array(22)
		ki("count", int64(e.Count))
		kv("result", result)
		kv("reason", e.Reason)
		kv("context", e.Transport)
		kv("object", e.Database)
		kv("credential-kind", string(e.Kind))
		kv("fingerprint", e.Fingerprint)
		kv("age-seconds", fmt.Sprintf("%.3f", now.Sub(e.Time).Seconds()))
		kv("client-info", "addr="+e.Addr)
		ki("entry-id", e.ID)
		ki("timestamp-last-updated", e.Time.UnixMilli())
	}
	return nil
}
