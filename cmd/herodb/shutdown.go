package main

import (
	"log/slog"
	"os"
	"syscall"
)

// forceOnSecondSignal exits at once on a second SIGTERM or SIGINT while the graceful
// stop runs (a client holding it up, a slow flush). Nothing acknowledged is lost: every
// acknowledged write is in the log, replayed at the next start. SIGHUP is ignored then.
func forceOnSecondSignal(sig <-chan os.Signal, log *slog.Logger) {
	for s := range sig {
		if s == syscall.SIGHUP {
			continue
		}
		log.Warn("second signal: exiting now, without waiting; the log is replayed at the next start", "signal", s.String())
		os.Exit(1)
	}
}
