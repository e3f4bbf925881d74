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

	"github.com/seed6aa118f9/herodb/internal/procs"
	"github.com/seed6aa118f9/herodb/storage"
)

// serverCommands registers this file's commands (called from table.go).
func serverCommands() {
	register("server",
		&command{name: "info", arity: -1, flags: flagNoMulti, run: infoCmd,
			syntax: "INFO [section ...]", summary: "Server, clients, persistence, stats and keyspace sections.",
			differs: "Sections server, clients, persistence, stats and keyspace, several at once; all, everything and default give all five (herodb has no others). A tenant's clients, persistence, stats and keyspace cover its own database; no secrets, ever. Refused inside MULTI."},
		&command{name: "dbsize", arity: 1, flags: flagRead | flagFast, run: dbsizeCmd,
			syntax: "DBSIZE", summary: "Number of keys in the selected database."},
		&command{name: "flushdb", arity: -1, flags: flagWrite | flagWholeDB, run: flushdbCmd,
			syntax: "FLUSHDB [ASYNC|SYNC]", summary: "Removes every key of the selected database."},
		&command{name: "time", arity: 1, flags: flagStateless | flagFast, run: timeCmd,
			syntax: "TIME", summary: "Server time: seconds and microseconds."},
		&command{name: "config", arity: -2,
			syntax: "CONFIG GET|SET ...", summary: "Reads settings; accepts Redis's encoding and tuning knobs."},
		&command{name: "config|get", arity: -3, run: configGetCmd,
			syntax: "CONFIG GET parameter [parameter ...]", summary: "Reads a safe subset of settings; never a secret.",
			differs: "Any authenticated client: a tenant sees port, maxclients, appendfsync, proto-max-bulk-len, save, appendonly and the knobs; bind, dir and databases (how many databases exist) are the admin's. The knobs answer what this connection set."},
		&command{name: "config|set", arity: -4, run: configSetCmd,
			syntax: "CONFIG SET parameter value [parameter value ...]", summary: "Accepts Redis's encoding and tuning knobs as no-ops, validated as Redis validates them.",
			differs: "Any authenticated client. notify-keyspace-events is a setting of the selected database (write on it needed; the admin with no database selected sets the default for the others), kept in memory only: events go to that database's own channels (docs/architecture.md). " + knobsDoc + " They change nothing: herodb's storage has no listpack or ziplist encodings, no rehashing and no server cron, and the values are remembered by the connection that set them, so they change nothing shared. save \"\" and appendonly no (what herodb answers) are accepted; the server's settings (bind, port, dir, appendfsync, maxclients, databases, proto-max-bulk-len) are herodb serve flags: CONFIG SET answers Redis's \"can't set immutable config\", for the admin too. Any other parameter is unknown, in Redis's words."},
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

// configValues is the safe subset CONFIG GET answers. Secrets are not in it, and can
// never be: they are not in Config's printable fields. bind, dir and databases are the
// admin's: the count of databases says how many tenants the node holds, dir is a path of
// the host.
func (s *Server) configValues(admin bool) [][2]string {
	vals := [][2]string{
		{"port", portOf(s.Addr())},
		{"appendfsync", s.cfg.Sync.String()},
		{"maxclients", strconv.Itoa(s.cfg.MaxClients)},
		{"proto-max-bulk-len", strconv.Itoa(s.cfg.MaxArgSize)},
		{"save", ""},
		{"appendonly", "no"},
	}
	if admin {
		vals = append(vals, [][2]string{
			{"bind", s.cfg.Bind},
			{"dir", s.admin.Dir()},
			{"databases", strconv.Itoa(s.admin.Count() + 1)},
		}...)
	}
	return vals
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// knobKind is how a knob's value is validated, as Redis's config.c types.
type knobKind uint8

const (
	knobBool knobKind = iota // yes or no
	knobInt                  // an integer (string2ll) within min..max
	knobMem                  // a memory value (memtoull: digits and b, k, kb, m, mb, g, gb) within min..max
)

// knob is a CONFIG parameter that clients and test suites set and herodb accepts
// without acting on it: Redis's encoding thresholds (herodb's storage has one record
// per element whatever the size), lazy freeing, rehashing and the server cron's rate
// (herodb has neither). Each is validated as Redis 7.0 validates it, so a value Redis
// refuses is refused here with Redis's text, and remembered by the connection (a
// tenant's setting cannot reach anyone else), so CONFIG GET answers what was set.
type knob struct {
	name     string
	alias    string // Redis 7.0's older name (ziplist for listpack), answered too
	kind     knobKind
	min, max int64
	def      string
	clamp    func(int64) int64 // what Redis stores for an accepted value (hz: 1..500)
}

const (
	intMax  = 1<<31 - 1
	intMin  = -1 << 31
	llMax   = 1<<63 - 1
	hzClamp = 500 // Redis's CONFIG_MAX_HZ
)

// knobs are in Redis 7.0's defaults; set-max-listpack-* are Redis 7.2's, accepted too.
var knobs = []knob{
	{name: "hash-max-listpack-entries", alias: "hash-max-ziplist-entries", kind: knobInt, max: llMax, def: "512"},
	{name: "hash-max-listpack-value", alias: "hash-max-ziplist-value", kind: knobInt, max: llMax, def: "64"},
	{name: "list-max-listpack-size", alias: "list-max-ziplist-size", kind: knobInt, min: intMin, max: intMax, def: "-2"},
	{name: "list-compress-depth", kind: knobInt, max: intMax, def: "0"},
	{name: "set-max-intset-entries", kind: knobInt, max: llMax, def: "512"},
	{name: "set-max-listpack-entries", kind: knobInt, max: llMax, def: "128"},
	{name: "set-max-listpack-value", kind: knobInt, max: llMax, def: "64"},
	{name: "zset-max-listpack-entries", alias: "zset-max-ziplist-entries", kind: knobInt, max: llMax, def: "128"},
	{name: "zset-max-listpack-value", alias: "zset-max-ziplist-value", kind: knobInt, max: llMax, def: "64"},
	{name: "hll-sparse-max-bytes", kind: knobMem, max: llMax, def: "3000"},
	{name: "stream-node-max-bytes", kind: knobMem, max: llMax, def: "4096"},
	{name: "stream-node-max-entries", kind: knobInt, max: llMax, def: "100"},
	{name: "lazyfree-lazy-eviction", kind: knobBool, def: "no"},
	{name: "lazyfree-lazy-expire", kind: knobBool, def: "no"},
	{name: "lazyfree-lazy-server-del", kind: knobBool, def: "no"},
	{name: "lazyfree-lazy-user-del", kind: knobBool, def: "no"},
	{name: "lazyfree-lazy-user-flush", kind: knobBool, def: "no"},
	{name: "activerehashing", kind: knobBool, def: "yes"},
	{name: "hz", kind: knobInt, max: intMax, def: "10", clamp: func(n int64) int64 { return min(max(n, 1), hzClamp) }},
	{name: "dynamic-hz", kind: knobBool, def: "yes"},
	{name: "active-expire-effort", kind: knobInt, min: 1, max: 10, def: "1"},
}

// knobsDoc lists the knobs for docs/commands.md.
var knobsDoc = func() string {
	var names []string
	for _, k := range knobs {
		n := k.name
		if k.alias != "" {
			n += " (" + k.alias + ")"
		}
		names = append(names, n)
	}
	return "It accepts these knobs, as no-ops: " + strings.Join(names, ", ") + "."
}()

// knobByName finds a knob by its name or alias, in any case.
func knobByName(name string) *knob {
	for i := range knobs {
		if strings.EqualFold(knobs[i].name, name) || (knobs[i].alias != "" && strings.EqualFold(knobs[i].alias, name)) {
			return &knobs[i]
		}
	}
	return nil
}

// parse validates a value as Redis 7.0's CONFIG SET does and returns what CONFIG GET
// then answers, or the reason in Redis's words.
func (k *knob) parse(v string) (string, string) {
	var n int64
	switch k.kind {
	case knobBool:
		switch strings.ToLower(v) {
		case "yes", "no":
			return strings.ToLower(v), ""
		}
		return "", "argument must be 'yes' or 'no'"
	case knobInt:
		var ok bool
		if n, ok = string2ll(v); !ok {
			return "", "argument couldn't be parsed into an integer"
		}
	case knobMem:
		u, ok := memToULL(v)
		if !ok {
			return "", "argument must be a memory value"
		}
		n = int64(u) // as Redis: a value past LLONG_MAX turns negative and fails the range
	}
	if n < k.min || n > k.max {
		return "", fmt.Sprintf("argument must be between %d and %d inclusive", k.min, k.max)
	}
	if k.clamp != nil {
		n = k.clamp(n)
	}
	return strconv.FormatInt(n, 10), ""
}

// string2ll reads an integer as Redis's string2ll: an optional minus sign and digits;
// no plus sign, spaces, leading zeros or "-0"; no overflow.
func string2ll(v string) (int64, bool) {
	if v == "0" {
		return 0, true
	}
	d := strings.TrimPrefix(v, "-")
	if d == "" || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// memToULL is Redis 7.0's memtoull: digits (none is 0) and an optional unit, strtoull's
// overflow saturating and the unit's multiplication wrapping as in C.
func memToULL(v string) (uint64, bool) {
	if strings.HasPrefix(v, "-") {
		return 0, false
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(v[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	var n uint64
	if i > 0 {
		var err error
		if n, err = strconv.ParseUint(v[:i], 10, 64); err != nil {
			n = 1<<64 - 1 // strtoull's ERANGE, which Redis does not check
		}
	}
	return n * mul, true
}

// connKnobs are the knob values this connection set, by canonical name. They live on
// the connection's framing guard, the one object of this package that lives exactly as
// long as the connection; nil when there is none (never, over TCP).
func (c *call) connKnobs(create bool) map[string]string {
	g := c.sess.limits
	if g == nil {
		return nil
	}
	if g.knobs == nil && create {
		g.knobs = map[string]string{}
	}
	return g.knobs
}

// knobValue is what CONFIG GET answers for k on this connection.
func (c *call) knobValue(k *knob) string {
	if v, ok := c.connKnobs(false)[k.name]; ok {
		return v
	}
	return k.def
}

// configEntries are the settings and knobs CONFIG GET answers on this connection.
func (c *call) configEntries() [][2]string {
	entries := c.s.configValues(c.sess.isAdmin())
	entries = append(entries, c.busyEntries()...) // busy-reply-threshold, per database (script.go)
	entries = append(entries, [2]string{notifyParam, c.notifyValue()})
	entries = append(entries, c.s.slowlogEntries()...)
	for i := range knobs {
		k := &knobs[i]
		v := c.knobValue(k)
		entries = append(entries, [2]string{k.name, v})
		if k.alias != "" {
			entries = append(entries, [2]string{k.alias, v})
		}
	}
	return entries
}

// CONFIG GET parameter [parameter ...]
//
// As Redis 7.0: a name without glob characters is answered under the name as given; a
// pattern matches names and aliases without regard to case; each name is answered once.
func configGetCmd(c *call) error {
	var out [][]byte
	entries := c.configEntries()
	seen := map[string]bool{}
	add := func(name, v string) {
		if key := strings.ToLower(name); !seen[key] {
			seen[key] = true
			out = append(out, []byte(name), []byte(v))
		}
	}
	for _, a := range c.args[2:] {
		pat := strings.ToLower(string(a))
		if !strings.ContainsAny(pat, "*?[") {
			for _, kv := range entries {
				if kv[0] == pat {
					add(string(a), kv[1])
				}
			}
			continue
		}
		for _, kv := range entries {
			if storage.Match([]byte(pat), []byte(kv[0])) {
				add(kv[0], kv[1])
			}
		}
	}
	c.r.bulks(out)
	return nil
}

// immutableConfig are the server's settings, herodb serve's flags, not changed at run
// time; and Redis 7.0's own immutable parameters, answered as Redis answers them.
var immutableConfig = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields("bind port dir appendfsync maxclients databases proto-max-bulk-len " +
		"rdbchecksum daemonize io-threads-do-reads always-show-logo set-proc-title syslog-enabled " +
		"cluster-enabled disable-thp aclfile unixsocket pidfile cluster-config-file syslog-ident " +
		"appendfilename appenddirname logfile supervised syslog-facility enable-protected-configs " +
		"enable-debug-command enable-module-command io-threads tcp-backlog cluster-port " +
		"unixsocketperm socket-mark-id replicaof slaveof") {
		m[n] = true
	}
	return m
}()

// CONFIG SET parameter value [parameter value ...]
//
// All or nothing, as Redis 7.0: names are checked first (unknown, immutable, given
// twice), then every value, and only then is anything remembered.
func configSetCmd(c *call) error {
	args := c.args[2:]
	if len(args)%2 != 0 {
		c.r.err(errSyntax)
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i < len(args); i += 2 {
		name := strings.ToLower(string(args[i]))
		switch {
		case immutableConfig[name]:
			c.r.err(errConfigFailed(args[i], errConfigImmutable))
			return nil
		case name != "save" && name != "appendonly" && name != notifyParam && !isBusyParam(name) && !isSlowlogParam(name) && knobByName(name) == nil:
			c.r.err(errConfigUnknown(args[i]))
			return nil
		case seen[name]:
			c.r.err(errConfigFailed(args[i], errConfigDuplicate))
			return nil
		}
		seen[name] = true
	}
	set := make([][2]string, 0, len(args)/2)
	var setBusy func()   // busy-reply-threshold, per database (script.go)
	var setNotify func() // keyspace notifications, per database (notify.go)
	var setSlow []func() // the slow log's settings, the admin's (slowlog.go)
	for i := 0; i < len(args); i += 2 {
		name, v := strings.ToLower(string(args[i])), string(args[i+1])
		switch name {
		case notifyParam:
			var msg string
			if setNotify, msg = c.notifySetter(args[i], v); msg != "" {
				c.r.err(msg)
				return nil
			}
		case busyParam, busyAlias:
			var msg string
			if setBusy, msg = c.busySetter(args[i], v); msg != "" {
				c.r.err(msg)
				return nil
			}
		case slowSlowerParam, slowMaxLenParam:
			fn, msg := c.slowlogSetter(args[i], v)
			if msg != "" {
				c.r.err(msg)
				return nil
			}
			setSlow = append(setSlow, fn)
		case "save":
			if v != "" {
				c.r.err(errConfigFailed(args[i], errConfigSave))
				return nil
			}
		case "appendonly":
			if !strings.EqualFold(v, "no") {
				c.r.err(errConfigFailed(args[i], errConfigAOF))
				return nil
			}
		default:
			k := knobByName(name)
			val, why := k.parse(v)
			if why != "" {
				c.r.err(errConfigFailed(args[i], why))
				return nil
			}
			set = append(set, [2]string{k.name, val})
		}
	}
	if setNotify != nil {
		setNotify()
	}
	if setBusy != nil {
		setBusy()
	}
	for _, fn := range setSlow {
		fn()
	}
	if len(set) > 0 {
		if m := c.connKnobs(true); m != nil {
			for _, kv := range set {
				m[kv[0]] = kv[1]
			}
		}
	}
	c.r.ok()
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
		// commandstats is not in the default sections, as in Redis: all and everything have it.
		if (!all || name == "commandstats" && !want["all"] && !want["everything"]) && !want[name] {
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
	clients := []string{fmt.Sprintf("connected_clients:%d", conns), fmt.Sprintf("maxclients:%d", s.cfg.MaxClients)}
	if admin { // a tenant's INFO counts its own database's clients only; waiters are node-wide
		clients = append(clients, fmt.Sprintf("blocked_clients:%d", s.BlockedClients()))
	}
	section("clients", clients...)
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
		rcs := s.admin.RecordCacheStats()
		section("persistence", append([]string{
			"loading:0",
			"appendfsync:" + s.cfg.Sync.String(),
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
			fmt.Sprintf("record_cache_bytes:%d", rcs.Used),
			fmt.Sprintf("record_cache_limit:%d", rcs.Limit),
			fmt.Sprintf("record_cache_hits:%d", rcs.Hits),
			fmt.Sprintf("record_cache_misses:%d", rcs.Misses),
		}, s.infoPersistence()...)...)
		section("stats", append([]string{
			fmt.Sprintf("total_connections_received:%d", s.stats.conns.Load()),
			fmt.Sprintf("total_commands_processed:%d", s.stats.cmds.Load()),
			fmt.Sprintf("rejected_connections:%d", s.stats.rejected.Load()),
			fmt.Sprintf("total_error_replies:%d", s.stats.errors.Load()),
			// Reads of pages not in memory, and the Ps they may have raised (herodb serve
			// raises GOMAXPROCS while they come: internal/procs).
			fmt.Sprintf("major_page_faults:%d", procs.Majflt()),
			fmt.Sprintf("gomaxprocs:%d", runtime.GOMAXPROCS(0)),
		}, s.infoAuthStats()...)...)
		section("commandstats", s.infoCommandStats()...)
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
