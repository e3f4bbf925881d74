package server

// SAVE, BGSAVE, LASTSAVE and BGREWRITEAOF, for redis-cli habits and the scripts that call
// them. herodb has no RDB file and no AOF: an acknowledged write is durable already, in
// the node's write-ahead log, and a flusher writes the changes into each database's file
// on a size or time trigger (docs/storage.md). So these do the nearest thing: write
// every open database's unflushed changes into its file now and let the log drop what
// the files then hold (storage.Manager.FlushAll), and fsync DB 0.

import (
	"strings"
	"sync"
	"sync/atomic"
)

// saveState is the server's record of flushes asked for by these commands.
type saveState struct {
	last    atomic.Int64 // unix time of the last completed flush of everything (0: none yet)
	mu      sync.Mutex
	running bool // a background flush is under way
	again   bool // one more was asked for meanwhile (BGSAVE SCHEDULE, BGREWRITEAOF)
}

const saveDoc = "Admin only: every write is durable already in the write-ahead log; this writes every open database's changes into its file now (docs/storage.md)."

// saveCommands registers this file's commands (called from table.go).
func saveCommands() {
	register("server",
		&command{name: "save", arity: 1, flags: flagAdmin | flagNoMulti, run: saveCmd,
			syntax: "SAVE", summary: "Writes every open database's unflushed changes into its file, then answers.",
			differs: saveDoc + " No RDB file is written."},
		&command{name: "bgsave", arity: -1, flags: flagAdmin | flagNoMulti, run: bgsaveCmd,
			syntax: "BGSAVE [SCHEDULE]", summary: "Starts writing every open database's unflushed changes into its file.",
			differs: saveDoc + " With one under way: an error, or with SCHEDULE another after it."},
		&command{name: "bgrewriteaof", arity: 1, flags: flagAdmin | flagNoMulti, run: bgrewriteaofCmd,
			syntax: "BGREWRITEAOF", summary: "Starts the flush BGSAVE starts; the log then drops what the files hold.",
			differs: saveDoc + " There is no AOF: the log is truncated past what every file holds, as after any flush. With one under way, another after it."},
		&command{name: "lastsave", arity: 1, flags: flagAdmin | flagFast, run: lastsaveCmd,
			syntax: "LASTSAVE", summary: "Unix time of the last completed SAVE, BGSAVE or BGREWRITEAOF, or of the server's start.",
			differs: "Admin only. The flusher's own flushes are not counted: they run all the time."},
	)
}

// flushEverything writes every open database's changes into its file and fsyncs DB 0;
// on success it records the time for LASTSAVE.
func (s *Server) flushEverything() error {
	err := s.admin.Files().FlushAll()
	if serr := s.admin.DB0().Sync(); err == nil {
		err = serr
	}
	if err != nil {
		s.log.Error("flushing every database failed", "err", err)
		return err
	}
	s.saves.last.Store(s.cfg.Clock.Now().Unix())
	return nil
}

// startFlush starts flushEverything in the background, or when one is under way asks
// for another after it (when again) and reports false.
func (s *Server) startFlush(again bool) bool {
	st := &s.saves
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.running {
		st.again = st.again || again
		return false
	}
	// The background flush holds runMu for reading, as a handler does, so Close waits
	// for it. TryRLock: when Close is already waiting, a second read lock taken here
	// would wait behind it forever; the files are flushed as they close anyway.
	if !s.runMu.TryRLock() {
		return true
	}
	st.running = true
	go func() {
		defer s.runMu.RUnlock()
		for {
			s.flushEverything()
			st.mu.Lock()
			if !st.again || s.closing.Load() {
				st.running, st.again = false, false
				st.mu.Unlock()
				return
			}
			st.again = false
			st.mu.Unlock()
		}
	}()
	return true
}

// SAVE
func saveCmd(c *call) error {
	if err := c.s.flushEverything(); err != nil {
		return c.fail(err)
	}
	c.r.ok()
	return nil
}

// BGSAVE [SCHEDULE]
func bgsaveCmd(c *call) error {
	schedule := false
	switch {
	case len(c.args) == 2 && strings.EqualFold(string(c.args[1]), "schedule"):
		schedule = true
	case len(c.args) > 1:
		c.r.err(errSyntax)
		return nil
	}
	switch {
	case c.s.startFlush(schedule):
		c.r.simple("Background saving started")
	case schedule:
		c.r.simple("Background saving scheduled")
	default:
		c.r.err(errBgsaveRunning)
	}
	return nil
}

// BGREWRITEAOF
func bgrewriteaofCmd(c *call) error {
	if c.s.startFlush(true) {
		c.r.simple("Background append only file rewriting started")
	} else {
		c.r.simple("Background append only file rewriting scheduled")
	}
	return nil
}

// LASTSAVE
func lastsaveCmd(c *call) error {
	t := c.s.saves.last.Load()
	if t == 0 {
		t = c.s.started.Unix()
	}
	c.r.int(t)
	return nil
}
