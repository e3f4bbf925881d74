package rpc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"filippo.io/age"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/backup"
)

// The streaming endpoints of the HTTP transport. A backup is larger than any JSON-RPC
// body may be, so it is not a method: it is a plain HTTP POST on the RPC's listener,
// outside the 1 MiB body limit, authenticated by the same bearer check as every call
// (Service.bearer, admin's one credential check) and allowed to admin callers only (a
// backup carries every key of what it holds). Errors are JSON-RPC error objects with the
// status the RPC gives them. The Unix socket speaks JSON-RPC framing alone and has no
// such endpoint.
const (
	// BackupPath streams a backup: ?db=<id or name> or ?all=true, and
	// &recipient=age1…; the reply is the age file (application/octet-stream).
	BackupPath = "/backup"
	// RestorePath restores one database online from the backup's plaintext (the tar
	// archive age decrypted, sent as the body): ?name=<new name>, ?db=<id> for one
	// database of a node backup; the reply is {"id":…,"name":…,"keys":…}.
	RestorePath = "/restore"
)

// streamHandler returns the handler of a streaming endpoint, nil for any other path.
func (s *Service) streamHandler(path string) http.HandlerFunc {
	switch path {
	case BackupPath:
		return s.authorized(s.serveBackup)
	case RestorePath:
		return s.authorized(s.serveRestore)
	}
	return nil
}

// authorized runs h for a POST by an admin caller: 401 without a valid credential, 403
// for one that is not admin.
func (s *Service) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, response{JSONRPC: "2.0", Error: rpcError(CodeInvalidRequest, "use POST")})
			return
		}
		caller, authErr := s.bearer(r)
		if authErr != nil {
			writeJSON(w, http.StatusUnauthorized, response{JSONRPC: "2.0", Error: authErr})
			return
		}
		if !caller.has(RightAdmin) {
			writeJSON(w, http.StatusForbidden, response{JSONRPC: "2.0", Error: rpcError(CodeForbidden, "backups and restores need the admin secret or an admin token")})
			return
		}
		h(w, r)
	}
}

// streamError answers err before anything else was written.
func (s *Service) streamError(w http.ResponseWriter, r *http.Request, err error) {
	je, internal := toRPCError(err)
	if internal {
		s.log.Error("rpc stream failed", "path", r.URL.Path, "err", err)
	}
	status := httpStatus(je.Code)
	if status == http.StatusOK {
		status = http.StatusBadRequest
		if je.Code == CodeInternal {
			status = http.StatusInternalServerError
		}
	}
	writeJSON(w, status, response{JSONRPC: "2.0", Error: je})
}

func (s *Service) serveBackup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rcpt, err := age.ParseX25519Recipient(q.Get("recipient"))
	if err != nil {
		s.streamError(w, r, admin.Errorf(admin.EINVALID, "recipient: want an age X25519 recipient (age1…)"))
		return
	}
	version, _ := s.cfg.Info()["version"].(string)
	req := backup.Request{Recipient: rcpt, Version: version}
	switch {
	case q.Get("all") == "true" && q.Get("db") == "":
		req.All = true
	case q.Get("db") != "" && q.Get("all") == "":
		d, ok := s.cfg.Admin.Database(q.Get("db"))
		if !ok {
			s.streamError(w, r, admin.Errorf(admin.ENOTFOUND, "database %q does not exist", q.Get("db")))
			return
		}
		req.DB = d.ID
	default:
		s.streamError(w, r, admin.Errorf(admin.EINVALID, "give db=<id or name> or all=true"))
		return
	}
	// The status goes out with the first bytes of the file, once Write has checked the
	// request; an error after that can only cut the stream, which the client sees as a
	// body that ends early (and age as a file that does not decrypt).
	sw := &startWriter{w: w}
	if err := backup.Write(s.cfg.Admin, req, sw); err != nil {
		var se *backup.SnapshotError
		if !sw.started && errors.As(err, &se) {
			s.log.Error("backup refused: a database could not be copied", "db", se.DB, "err", se.Err)
			s.streamError(w, r, rpcError(CodeInternal, se.Error()))
			return
		}
		if !sw.started {
			s.streamError(w, r, err)
			return
		}
		s.log.Error("backup failed mid-stream: the client receives a cut file", "err", err)
		panic(http.ErrAbortHandler)
	}
	if !sw.started {
		sw.start()
	}
}

// startWriter sends the success headers with the first write.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (sw *startWriter) start() {
	sw.started = true
	sw.w.Header().Set("Content-Type", "application/octet-stream")
	sw.w.WriteHeader(http.StatusOK)
}

func (sw *startWriter) Write(p []byte) (int, error) {
	if !sw.started {
		sw.start()
	}
	return sw.w.Write(p)
}

func (s *Service) serveRestore(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := backup.RestoreOptions{Name: q.Get("name")}
	if v := q.Get("db"); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil || id == 0 {
			s.streamError(w, r, admin.Errorf(admin.EINVALID, "db: want the id of a database of the backup"))
			return
		}
		o.DB = id
	}
	res, err := backup.Restore(s.cfg.Admin, r.Body, o)
	if err != nil {
		s.streamError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}
