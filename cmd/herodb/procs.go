package main

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/seed6aa118f9/herodb/internal/procs"
)

// faultProcs is --fault-procs: the watcher that raises GOMAXPROCS while major page
// faults come (internal/procs says why), or nil when it is off. An operator who set
// GOMAXPROCS in the environment keeps it.
func faultProcs(n int, log *slog.Logger) (*procs.Watcher, error) {
	switch {
	case n < -1 || n > procs.MaxHigh:
		return nil, fmt.Errorf("--fault-procs: %d; want -1 (automatic), 0 (off) or a number of Ps up to %d", n, procs.MaxHigh)
	case n == 0:
		return nil, nil
	case procs.Fixed():
		log.Info("GOMAXPROCS is set in the environment: --fault-procs does not change it", "gomaxprocs", runtime.GOMAXPROCS(0))
		return nil, nil
	}
	w := procs.Default()
	if n > 0 {
		w.High = n
	}
	if w.High <= runtime.GOMAXPROCS(0) {
		return nil, nil // no more than there are already
	}
	w.Changed = func(p int, raised bool) {
		if raised {
			log.Debug("major page faults: GOMAXPROCS raised", "gomaxprocs", p)
		} else {
			log.Debug("no major page faults for a while: GOMAXPROCS back to the default", "gomaxprocs", p)
		}
	}
	return w, nil
}
