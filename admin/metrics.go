package admin

import (
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// AuthFailure is one class of refused credentials, for metrics: the transport it came
// over and a reason from a short, fixed set, never the text of the refusal (which may
// carry a database's name) and never anything of the credential.
type AuthFailure struct {
	Transport string // resp, rpc or other
	Reason    string // invalid, expired, invalid_jwt or wrong_database
}

// failureClass folds a refusal's reason into AuthFailure's fixed set, so a metric label
// can never grow with what clients send.
func failureClass(transport, reason string) AuthFailure {
	f := AuthFailure{Transport: "other", Reason: "invalid"}
	switch transport {
	case "resp", "rpc":
		f.Transport = transport
	}
	switch {
	case reason == reasonWrongDatabase:
		f.Reason = "wrong_database"
	case strings.HasPrefix(reason, JWTExpired), strings.Contains(reason, "expired"):
		f.Reason = "expired"
	case strings.HasPrefix(reason, "AUTH_JWT"):
		f.Reason = "invalid_jwt"
	}
	return f
}

// reasonWrongDatabase is the auth log's reason for a valid credential that does not
// open the database it was presented for.
const reasonWrongDatabase = "credential does not open this database"

// AuthFailures returns how many credentials were refused since start, by class.
func (a *Admin) AuthFailures() map[AuthFailure]uint64 {
	a.guard.mu.Lock()
	defer a.guard.mu.Unlock()
	out := make(map[AuthFailure]uint64, len(a.guard.failures))
	for k, v := range a.guard.failures {
		out[k] = v
	}
	return out
}

// ObserveLogSyncs sets the observer of the write-ahead log's fsyncs (metrics).
func (a *Admin) ObserveLogSyncs(fn wal.SyncObserver) { a.log.ObserveSyncs(fn) }

// FlushLag is how many log frames are not yet in the database files: from the oldest
// frame an open database holds only in memory to the log's end (0: every file is up to
// date). It is the work a restart would replay.
func (a *Admin) FlushLag() uint64 {
	next := a.log.NextSeq()
	oldest := next
	a.files.Each(func(_ uint64, db *storage.DB) {
		if u := db.Unflushed(); u != 0 && u < oldest {
			oldest = u
		}
	})
	return next - oldest
}
