package server

// Server commands: https://redis.io/docs/latest/commands/?group=server

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// serverCommands registers this file's commands (called from table.go).
func serverCommands() {
	register("server",
		&command{name: "info", arity: -1, flags: flagNoMulti, run: infoCmd,
			syntax: "INFO [section ...]", summary: "Server, clients, persistence, stats and keyspace sections.",
			differs: "keyspace lists the databases this connection can see; no secrets, ever. Refused inside MULTI."},
		&command{name: "dbsize", arity: 1, flags: flagRead | flagFast, run: dbsizeCmd,
			syntax: "DBSIZE", summary: "Number of keys in the selected database."},
		&command{name: "flushdb", arity: -1, flags: flagWrite | flagWholeDB, run: flushdbCmd,
			syntax: "FLUSHDB [ASYNC|SYNC]", summary: "Removes every key of the selected database."},
		&command{name: "time", arity: 1, flags: flagStateless | flagFast, run: timeCmd,
			syntax: "TIME", summary: "Server time: seconds and microseconds."},
		&command{name: "command", arity: -1, flags: flagStateless,
			run:    commandCmd,
			syntax: "COMMAND [COUNT|INFO name ...|DOCS name ...|LIST]", summary: "Describes the command table."},
		&command{name: "command|count", arity: 2, flags: flagStateless, run: commandCountCmd,
			syntax: "COMMAND COUNT", summary: "Number of commands."},
		&command{name: "command|info", arity: -2, flags: flagStateless, run: commandInfoCmd,
			syntax: "COMMAND INFO [name ...]", summary: "Arity, flags and key positions."},
		&command{name: "command|docs", arity: -2, flags: flagStateless, run: commandDocsCmd,
			syntax: "COMMAND DOCS [name ...]", summary: "Summary and group, for redis-cli's hints."},
		&command{name: "command|list", arity: -2, flags: flagStateless, run: commandListCmd,
			syntax: "COMMAND LIST", summary: "Every command name."},
		&command{name: "config", arity: -2, flags: flagAdmin,
			syntax: "CONFIG GET parameter [parameter ...]", summary: "Reads settings (admin only)."},
		&command{name: "config|get", arity: -3, flags: flagAdmin, run: configGetCmd,
			syntax: "CONFIG GET parameter [parameter ...]", summary: "Reads a safe subset of settings; never a secret."},
	)
}

// DBSIZE
func dbsizeCmd(c *call) error { c.r.int(c.tx.DBSize()); return nil }

// FLUSHDB [ASYNC|SYNC]
func flushdbCmd(c *call) error {
	if !flushArgsOK(c.args) {
		c.r.err(errSyntax)
		return nil
	}
	if err := c.tx.Flush(); err != nil {
		return c.fail(err)
	}
	c.r.ok()
	return nil
}

// TIME
func timeCmd(c *call) error {
	now := c.s.cfg.Clock.Now()
	c.r.array(2)
	c.r.bulkInt(now.Unix())
	c.r.bulkInt(int64(now.Nanosecond() / 1000))
	return nil
}

// COMMAND
func commandCmd(c *call) error {
	if len(c.args) > 1 {
		c.r.err(errUnknownSub("command", c.args[1]))
		return nil
	}
	cmds := sortedCommands()
	c.r.array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c.r, cmd)
	}
	return nil
}

func writeCommandInfo(r *reply, cmd *command) {
	r.array(10)
	r.bulkString(cmd.name)
	r.int(int64(cmd.arity))
	flags := cmd.flags.names()
	r.array(len(flags))
	for _, f := range flags {
		r.simple(f)
	}
	r.int(int64(cmd.firstKey))
	r.int(int64(cmd.lastKey))
	r.int(int64(cmd.step))
	r.array(0) // ACL categories
	r.array(0) // tips
	r.array(0) // key specs
	subs := sortedSubs(cmd)
	r.array(len(subs))
	for _, s := range subs {
		writeCommandInfo(r, s)
	}
}

// COMMAND COUNT
func commandCountCmd(c *call) error { c.r.int(int64(len(table))); return nil }

// COMMAND LIST
func commandListCmd(c *call) error {
	cmds := sortedCommands()
	c.r.array(len(cmds))
	for _, cmd := range cmds {
		c.r.bulkString(cmd.name)
	}
	return nil
}

func namedCommands(args [][]byte) []*command {
	if len(args) == 0 {
		return sortedCommands()
	}
	out := make([]*command, len(args))
	for i, a := range args {
		out[i] = table[strings.ToLower(string(a))]
	}
	return out
}

// COMMAND INFO [name ...]
func commandInfoCmd(c *call) error {
	cmds := namedCommands(c.args[2:])
	c.r.array(len(cmds))
	for _, cmd := range cmds {
		if cmd == nil {
			c.r.null() // Redis answers a null bulk for an unknown name
			continue
		}
		writeCommandInfo(c.r, cmd)
	}
	return nil
}

// COMMAND DOCS [name ...]
func commandDocsCmd(c *call) error {
	var cmds []*command
	for _, cmd := range namedCommands(c.args[2:]) {
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	c.r.array(2 * len(cmds))
	for _, cmd := range cmds {
		c.r.bulkString(cmd.name)
		c.r.array(6)
		c.r.bulkString("summary")
		c.r.bulkString(cmd.summary)
		c.r.bulkString("since")
		c.r.bulkString("1.0.0")
		c.r.bulkString("group")
		c.r.bulkString(cmd.group)
	}
	return nil
}

// configValues is the safe subset CONFIG GET answers. Secrets are not in it, and can
// never be: they are not in Config's printable fields.
func (s *Server) configValues() [][2]string {
	return [][2]string{
		{"bind", s.cfg.Bind},
		{"port", portOf(s.Addr())},
		{"dir", s.admin.Dir()},
		{"appendfsync", s.cfg.Sync.String()},
		{"maxclients", strconv.Itoa(s.cfg.MaxClients)},
		{"databases", strconv.Itoa(s.admin.Count() + 1)},
		{"proto-max-bulk-len", strconv.Itoa(s.cfg.MaxArgSize)},
		{"save", ""},
		{"appendonly", "no"},
	}
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// CONFIG GET parameter [parameter ...]
func configGetCmd(c *call) error {
	var out [][]byte
	vals := c.s.configValues()
	for _, pat := range c.args[2:] {
		for _, kv := range vals {
			if storage.Match([]byte(strings.ToLower(string(pat))), []byte(kv[0])) {
				out = append(out, []byte(kv[0]), []byte(kv[1]))
			}
		}
	}
	c.r.bulks(out)
	return nil
}

// INFO [section ...]
func infoCmd(c *call) error {
	want := map[string]bool{}
	for _, a := range c.args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["everything"] || want["default"]
	var b strings.Builder
	section := func(name string, lines ...string) {
		if !all && !want[name] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "# %s\r\n", strings.ToUpper(name[:1])+name[1:])
		for _, l := range lines {
			b.WriteString(l)
			b.WriteString("\r\n")
		}
	}
	s := c.s
	up := time.Since(s.started)
	section("server",
		"redis_version:"+redisVersion,
		"herodb_version:"+Version,
		"redis_mode:standalone",
		"os:"+runtime.GOOS+" "+runtime.GOARCH,
		"arch_bits:64",
		"go_version:"+runtime.Version(),
		fmt.Sprintf("process_id:%d", os.Getpid()),
		"tcp_port:"+portOf(s.Addr()),
		fmt.Sprintf("uptime_in_seconds:%d", int64(up.Seconds())),
		fmt.Sprintf("uptime_in_days:%d", int64(up.Hours()/24)),
	)
	// A tenant sees its own database only: its connections, its commands, its keys.
	admin := c.sess.isAdmin()
	conns := 0
	for _, o := range s.sessionList() {
		o.mu.Lock()
		if admin || (c.sess.selected && o.listDB == int64(c.sess.db)) {
			conns++
		}
		o.mu.Unlock()
	}
	section("clients",
		fmt.Sprintf("connected_clients:%d", conns),
		fmt.Sprintf("maxclients:%d", s.cfg.MaxClients),
	)
	if admin {
		var commits, writes int64
		open := 0
		s.admin.Files().Each(func(_ uint64, db *storage.DB) {
			st := db.Stats()
			commits += int64(st.Commits)
			writes += int64(st.Writes)
			open++
		})
		ls, buffered := s.admin.LogStats()
		section("persistence",
			"loading:0",
			"appendfsync:"+s.cfg.Sync.String(),
			fmt.Sprintf("group_commits:%d", commits),
			fmt.Sprintf("group_commit_writers:%d", writes),
			fmt.Sprintf("open_database_files:%d", open),
			fmt.Sprintf("wal_segments:%d", ls.Segments),
			fmt.Sprintf("wal_bytes:%d", ls.Bytes),
			fmt.Sprintf("wal_frames_appended:%d", ls.Appended),
			fmt.Sprintf("wal_fsyncs:%d", ls.Fsyncs),
			fmt.Sprintf("wal_next_seq:%d", ls.NextSeq),
			fmt.Sprintf("wal_frames_at_start:%d", ls.FramesAtOpen),
			fmt.Sprintf("write_buffer_bytes:%d", buffered),
		)
		section("stats",
			fmt.Sprintf("total_connections_received:%d", s.stats.conns.Load()),
			fmt.Sprintf("total_commands_processed:%d", s.stats.cmds.Load()),
			fmt.Sprintf("rejected_connections:%d", s.stats.rejected.Load()),
			fmt.Sprintf("total_error_replies:%d", s.stats.errors.Load()),
		)
	} else {
		section("persistence", "loading:0", "appendfsync:"+s.cfg.Sync.String())
		var n int64
		if v, ok := s.dbCmds.Load(c.sess.db); ok && c.sess.selected {
			n = v.(*atomic.Int64).Load()
		}
		section("stats", fmt.Sprintf("total_commands_processed:%d", n))
	}
	// Keyspace: a tenant sees its own database; the admin sees every open one (INFO does
	// not open closed files just to count them).
	var ks []string
	count := func(id uint64) func(tx *storage.Tx) error {
		return func(tx *storage.Tx) error {
			if n, e := tx.DBSize(), tx.ExpiresCount(); n > 0 {
				ks = append(ks, fmt.Sprintf("db%d:keys=%d,expires=%d,avg_ttl=0", id, n, e))
			}
			return nil
		}
	}
	if admin {
		s.admin.Files().Each(func(id uint64, db *storage.DB) {
			if err := db.View(count(id)); err != nil {
				s.log.Warn("INFO keyspace: database unreadable", "db", id, "err", err)
			}
		})
	} else if c.sess.selected && c.sess.db != 0 {
		if err := s.withDB(c.sess.db, false, count(c.sess.db), nil); err != nil {
			s.log.Warn("INFO keyspace: database unreadable", "db", c.sess.db, "err", err)
		}
	}
	section("keyspace", ks...)
	c.r.bulkString(b.String())
	return nil
}
