package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// writeReport prints the markdown report and writes it to <out>/<UTC date>-scale-<N>.md
// (a second run of the same N on the same day replaces it, as make bench's do).
func (b *bench) writeReport() error {
	var w strings.Builder
	b.header(&w)
	b.results(&w)
	b.sliceTable(&w)
	b.errorTable(&w)
	fmt.Print("\n" + w.String())
	if err := os.MkdirAll(b.cfg.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(b.cfg.out, fmt.Sprintf("%s-scale-%d.md", b.began.Format("2006-01-02"), b.cfg.n))
	if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
		return err
	}
	fmt.Println("report written to", path)
	return nil
}

// header is the machine and the exact parameters: a number without them says nothing.
func (b *bench) header(w *strings.Builder) {
	fmt.Fprintf(w, "# herodb with %d databases on one node, %s UTC\n\n", b.cfg.n, b.began.Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "`make bench-scale` (cmd/herodb-scale, issue 14). Wall time of the run: %v.\n\n", time.Since(b.began).Round(time.Second))
	w.WriteString("## Machine\n\n")
	fmt.Fprintf(w, "- CPUs (nproc): %d\n", runtime.NumCPU())
	fmt.Fprintf(w, "- CPU: %s\n", cpuModel())
	fmt.Fprintf(w, "- memory: %s\n", memTotal())
	fmt.Fprintf(w, "- kernel: %s\n", firstLine("/proc/sys/kernel/osrelease"))
	fmt.Fprintf(w, "- go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "- herodb: commit %s; `%s version`: %s\n", gitCommit(), b.cfg.bin, commandLine(b.cfg.bin, "version"))
	fmt.Fprintf(w, "- RLIMIT_NOFILE: soft %d, hard %d (raised to the hard limit; the server inherits it)\n", b.limit.Cur, b.limit.Max)
	fmt.Fprintf(w, "- load average (1, 5, 15 min): %s at the start, %s at the end (other work on the machine skews the latencies)\n\n",
		b.loadAtStart, loadAvg())
	w.WriteString("## Parameters\n\n")
	fmt.Fprintf(w, "- command: `%s`\n", strings.Join(b.command, " "))
	fmt.Fprintf(w, "- server: `%s %s` (the same flags after the restart)\n", b.cfg.bin, strings.Join(b.s.args, " "))
	fmt.Fprintf(w, "- flags: -n %d -workers %d -bulk %d -max-open-dbs %d -sync %s -m %d -cold-conc %d -warm-conns %d -warm-rate %d -list-limit %d -list-max %d\n",
		b.cfg.n, b.cfg.workers, b.cfg.bulk, b.cfg.maxOpenDBs, b.cfg.sync, b.cfg.m, b.cfg.coldConc, b.cfg.warmConns, b.cfg.warmRate, b.cfg.listLimit, b.cfg.listMax)
	w.WriteString("- creates: `herodb_createDatabase [\"bbolt\", {name, storage_path, max_size, redis_version all null}, null]` over HTTP with the admin secret as bearer token")
	if b.create.bulkNote != "" {
		fmt.Fprintf(w, "; -bulk: %s", b.create.bulkNote)
	}
	w.WriteString("\n- latency: go-redis, `AUTH <admin secret>` on connect (not timed); each sample is one op pair, two round trips\n")
	fmt.Fprintf(w, "- disk and RSS after creating are taken %v after the last create (the flusher writes what the log holds)\n", settle)
	w.WriteString("- the `--dev` database `demo` (id 1) exists besides the N created\n\n")
}

// results is the main table, one measure a row.
func (b *bench) results(w *strings.Builder) {
	c := b.create
	row := func(k, v string) { fmt.Fprintf(w, "| %s | %s |\n", k, v) }
	w.WriteString("## Results\n\n| measure | value |\n| --- | --- |\n")
	created := len(c.ids)
	stop := ""
	if c.stopped {
		stop = fmt.Sprintf("; **stopped early after more than %d errors**", maxCreateErrors)
	}
	row("databases created", fmt.Sprintf("%d of %d in %s, %d errors%s", created, b.cfg.n, dur(c.elapsed), c.nerrs, stop))
	how := "one createDatabase per call"
	if c.bulk > 1 {
		how = fmt.Sprintf("createDatabases, %d per call", c.bulk)
	}
	row("create rate, overall", fmt.Sprintf("%.0f/s (%d workers, %s)", rate(created, c.elapsed), b.cfg.workers, how))
	if len(c.slices) > 0 {
		rates := sliceRates(c.slices)
		row("create rate, first tenth → last tenth", fmt.Sprintf("%.0f/s → %.0f/s", rates[0], rates[len(rates)-1]))
	}
	for _, l := range []*latencies{b.cold, b.warmBusy, b.warm, b.redisWarm, b.warmPaced, b.redisPaced, b.unopened} {
		if l != nil {
			row(l.name, latencyText(l))
		}
	}
	row(fmt.Sprintf("RSS: start / after creating / after the latency passes / at the first answer after restart / %v later", restartIdle),
		fmt.Sprintf("%s / %s / %s / %s / %s", mib(b.base.rss), mib(b.afterCreate.rss), mib(b.afterLatency.rss),
			mib(b.restartRSS()), mib(b.restartIdleRSS())))
	restartAnon, idleAnon := int64(-1), int64(-1)
	if b.restart != nil {
		restartAnon, idleAnon = b.restart.anon, b.restartIdle.anon
	}
	row("of which anonymous (RssAnon: heap and stacks; the rest is mostly DB 0's mapped file, page cache the kernel can drop)",
		fmt.Sprintf("%s / %s / %s / %s / %s", mib(b.base.anon), mib(b.afterCreate.anon), mib(b.afterLatency.anon),
			mib(restartAnon), mib(idleAnon)))
	if b.reopened > 0 {
		row(fmt.Sprintf("RSS after the restart with %d databases opened (SELECT + GET each; --max-open-dbs %d), of which anonymous",
			b.reopened, b.cfg.maxOpenDBs), fmt.Sprintf("%s, %s; %d open files", mib(b.reopenedSnap.rss), mib(b.reopenedSnap.anon), b.reopenedSnap.fds))
		row(fmt.Sprintf("the same %v later (DB 0's mapped pages are dropped every 5 s and every 256 opens: what is left is what was read since), of which anonymous", dropWait),
			fmt.Sprintf("%s, %s; %d open files", mib(b.reopenedLater.rss), mib(b.reopenedLater.anon), b.reopenedLater.fds))
	}
	if live := created + 1; created > 0 {
		// Not a difference with the start: the start holds the admin secret's Argon2id
		// memory for a few seconds, so RSS can fall while databases are created.
		row("anonymous RSS after creating / live databases (an upper bound of the heap per registered database)",
			fmt.Sprintf("%.0f bytes", float64(b.afterCreate.anon)/float64(live)))
	}
	if g, ok := rssSlope(c.slices); ok {
		row("anonymous RSS growth per database from half of N to N", fmt.Sprintf("%.0f bytes", g))
	}
	row(fmt.Sprintf("open files: start / after creating / after the latency passes / after restart (--max-open-dbs %d)", b.cfg.maxOpenDBs),
		fmt.Sprintf("%d / %d / %d / %s", b.base.fds, b.afterCreate.fds, b.afterLatency.fds, b.restartFDs()))
	b.diskRows(row, created)
	b.listRows(row)
	b.restartRows(row)
	row("server log", fmt.Sprintf("%d warnings, %d errors", b.logWarns, b.logErrs))
	w.WriteString("\n")
}

// diskRows are the data directory's cost after creating, before any database is
// written: what a million never-written databases cost.
func (b *bench) diskRows(row func(k, v string), created int) {
	d, base := b.afterCreate.disk, b.base.disk
	if b.afterCreate.diskErr != nil {
		row("disk", "unreadable: "+errorKind(b.afterCreate.diskErr))
		return
	}
	row("disk of the data directory after creating (st_blocks)", fmt.Sprintf("%s (%s at start); %d files, %d database files besides DB 0",
		mib(d.total), mib(base.total), d.files, d.dbFiles))
	if created > 0 {
		row("disk growth per created database", fmt.Sprintf("%.0f bytes", float64(d.total-base.total)/float64(created)))
	}
	if d.db0Found {
		row("DB 0 (`0.db`): length / on disk", fmt.Sprintf("%s / %s (at start %s / %s)", mib(d.db0Size), mib(d.db0Disk), mib(base.db0Size), mib(base.db0Disk)))
	} else {
		row("DB 0", "no 0.db in the data directory")
	}
	row("write-ahead log (`wal/`) on disk", mib(d.walDisk))
	if a := b.afterLatency.disk; b.afterLatency.diskErr == nil && len(b.written) > 0 {
		row("disk after the latency passes", fmt.Sprintf("%s; %d database files besides DB 0; %.0f bytes more per database the cold pass wrote (%d)",
			mib(a.total), a.dbFiles, float64(a.total-d.total)/float64(len(b.written)), len(b.written)))
	}
}

// listRows say which listing form the server has and what it cost.
func (b *bench) listRows(row func(k, v string)) {
	l := b.list
	if l == nil {
		return
	}
	if l.paginated {
		row(fmt.Sprintf("listDatabases, first page of %d", b.cfg.listLimit), dur(l.firstPage))
		check := "equals"
		if l.walked != l.live || l.dups > 0 {
			check = "**differs from**"
		}
		capped := ""
		if l.capped {
			capped = fmt.Sprintf(", capped by -list-max %d", b.cfg.listMax)
		}
		row("listDatabases, every page", fmt.Sprintf("%s: %d pages, %d databases (%d listed twice%s); %s the %d live (getServerInfo)",
			dur(l.walk), l.pages, l.walked, l.dups, capped, check, l.live))
	} else {
		row("listDatabases, paginated `{cursor: null, limit}`", "not available: "+l.pageErr)
	}
	if l.plainErr != "" {
		row("listDatabases, plain `[]`", fmt.Sprintf("%s, error: %s", dur(l.plain), l.plainErr))
	} else {
		row("listDatabases, plain `[]`", fmt.Sprintf("%s, %d databases (%d live)", dur(l.plain), l.plainCount, l.live))
	}
	if l.liveErr != "" {
		row("getServerInfo", "error: "+l.liveErr)
	}
}

// restartRows are SIGTERM to exit, and exec to the first answers.
func (b *bench) restartRows(row func(k, v string)) {
	r := b.restart
	if r == nil {
		row("restart", "not run: the cold pass wrote no database")
		return
	}
	stop := dur(r.stop)
	if r.stopErr != "" {
		stop += " (" + r.stopErr + ")"
	}
	row("stop: SIGTERM to exit", stop)
	row("restart: exec to the first PING answered", dur(r.toPing))
	sel := dur(r.toSelect)
	if r.selectNote != "" {
		sel += "; **" + r.selectNote + "**"
	}
	row(fmt.Sprintf("restart: exec to the first SELECT %d + GET answered", r.selectID), sel)
	final := dur(b.finalStop)
	if b.finalStopErr != "" {
		final += " (" + b.finalStopErr + ")"
	}
	row("final stop: SIGTERM to exit", final)
}

// sliceTable shows the create rate and the server's footprint at every tenth of N, so
// a slowdown or a leak as the count grows shows.
func (b *bench) sliceTable(w *strings.Builder) {
	c := b.create
	if len(c.slices) == 0 {
		return
	}
	w.WriteString("## Creating, by tenth of N\n\n| databases | elapsed | create rate in this tenth | RSS | of which anonymous | open files |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	rates := sliceRates(c.slices)
	for i, s := range c.slices {
		fmt.Fprintf(w, "| %d | %s | %.0f/s | %s | %s | %d |\n", s.done, dur(s.at), rates[i], mib(s.rss), mib(s.anon), s.fds)
	}
	w.WriteString("\n")
}

// errorTable lists every error by message: creation, each latency pass, the server log.
func (b *bench) errorTable(w *strings.Builder) {
	type row struct {
		where, msg string
		n          int
	}
	var rows []row
	add := func(where string, m map[string]int) {
		for msg, n := range m {
			rows = append(rows, row{where, msg, n})
		}
	}
	add("create", b.create.errs)
	for _, l := range []*latencies{b.cold, b.warmBusy, b.warm, b.redisWarm, b.warmPaced, b.redisPaced, b.unopened} {
		if l != nil {
			add(strings.SplitN(l.name, ":", 2)[0], l.errs)
		}
	}
	if len(rows) == 0 && len(b.logSamples) == 0 {
		w.WriteString("No errors.\n")
		return
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].n > rows[j].n })
	if len(rows) > 0 {
		w.WriteString("## Errors\n\n| where | count | message |\n| --- | ---: | --- |\n")
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %d | %s |\n", r.where, r.n, strings.ReplaceAll(r.msg, "|", `\|`))
		}
		w.WriteString("\n")
	}
	if len(b.logSamples) > 0 {
		w.WriteString("Errors in the server log (first distinct ones):\n\n")
		for _, s := range b.logSamples {
			fmt.Fprintf(w, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
		}
		w.WriteString("\n")
	}
}

func (b *bench) restartRSS() int64 {
	if b.restart == nil {
		return -1
	}
	return b.restart.rss
}

func (b *bench) restartIdleRSS() int64 {
	if b.restart == nil {
		return -1
	}
	return b.restartIdle.rss
}

func (b *bench) restartFDs() string {
	if b.restart == nil {
		return "-"
	}
	return strconv.Itoa(b.restart.fds)
}

// sliceRates is the create rate within each tenth (databases attempted over its time).
func sliceRates(ss []sliceStat) []float64 {
	out := make([]float64, len(ss))
	prevN, prevT := 0, time.Duration(0)
	for i, s := range ss {
		out[i] = rate(s.done-prevN, s.at-prevT)
		prevN, prevT = s.done, s.at
	}
	return out
}

// rssSlope is anonymous RSS growth per database between half of N and N (the mapped
// share of RSS rises and falls with the drops of DB 0's map). The first seconds are
// left out because the admin secret's Argon2id memory is given back then, which can make
// RSS fall while databases are created; it is reported only when half of N took at
// least slopeAfter, so that memory is gone and the heap has grown a few times.
func rssSlope(ss []sliceStat) (float64, bool) {
	if len(ss) < tenths {
		return 0, false
	}
	mid, last := ss[tenths/2-1], ss[len(ss)-1]
	if mid.at < slopeAfter || last.done <= mid.done || mid.anon < 0 || last.anon < 0 {
		return 0, false
	}
	return float64(last.anon-mid.anon) / float64(last.done-mid.done), true
}

// slopeAfter is how long creating half of N must take for rssSlope to mean something.
const slopeAfter = 5 * time.Second

// latencyText is p50 / p99 / max of a pass, with its count and errors.
func latencyText(l *latencies) string {
	if len(l.d) == 0 {
		return fmt.Sprintf("no successful op, %d errors", l.nerrs())
	}
	return fmt.Sprintf("p50 %s, p99 %s, max %s (%d ops, %d errors)", dur(l.quantile(0.50)), dur(l.quantile(0.99)),
		dur(l.quantile(1)), len(l.d), l.nerrs())
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// dur is milliseconds with two decimals under a second, seconds above.
func dur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mib(b int64) string {
	if b < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal is MemTotal of /proc/meminfo, in GiB.
func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

func loadAvg() string {
	f := strings.Fields(firstLine("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// gitCommit is the short HEAD, marked when the working tree differs from it.
func gitCommit() string {
	c := commandLine("git", "rev-parse", "--short", "HEAD")
	if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
		c += " (working tree has uncommitted changes)"
	}
	return c
}

// commandLine is the first line a command prints, or why it printed none.
func commandLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
