package server

import (
	"fmt"
	"slices"
	"strings"
)

// The admin's INFO shows the numbers /metrics shows, from the same counters
// (metrics.go), in INFO's shape: these are its extra lines.

// infoPersistence is the log and disk lines of the admin's persistence section.
func (s *Server) infoPersistence() []string {
	n := s.nodeStats()
	return []string{
		fmt.Sprintf("registered_databases:%d", n.registered),
		fmt.Sprintf("flush_lag_frames:%d", n.flushLag),
		fmt.Sprintf("wal_fsync_usec:%d", s.metrics.fsyncUsec.Load()),
		fmt.Sprintf("wal_synced_frames:%d", s.metrics.syncedFrames.Load()),
		fmt.Sprintf("disk_wal_bytes:%d", n.walBytes),
		fmt.Sprintf("disk_admin_bytes:%d", n.adminBytes),
		fmt.Sprintf("disk_open_databases_bytes:%d", n.openBytes),
	}
}

// infoAuthStats is the refused credentials, in total and by transport and reason, for
// the admin's stats section.
func (s *Server) infoAuthStats() []string {
	var total uint64
	var lines []string
	for f, n := range s.admin.AuthFailures() {
		total += n
		lines = append(lines, fmt.Sprintf("auth_failures_%s_%s:%d", f.Transport, f.Reason, n))
	}
	slices.Sort(lines)
	return append([]string{fmt.Sprintf("total_auth_failures:%d", total)}, lines...)
}

// infoCommandStats is Redis's commandstats section: one line per command called,
// cmdstat_<name>:calls=…,usec=…,usec_per_call=…,rejected_calls=…,failed_calls=…
func (s *Server) infoCommandStats() []string {
	var lines []string
	line := func(name string, st *cmdStat) {
		calls, usec, rejected, failed := st.calls.Load(), st.usec.Load(), st.rejected.Load(), st.failed.Load()
		if calls == 0 && rejected == 0 {
			return
		}
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		lines = append(lines, fmt.Sprintf("cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			name, calls, usec, per, rejected, failed))
	}
	for row, st := range s.metrics.rows {
		line(row.name, st)
	}
	line("unknown", &s.metrics.unknown)
	slices.SortFunc(lines, strings.Compare)
	return lines
}
