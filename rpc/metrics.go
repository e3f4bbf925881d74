package rpc

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The operational endpoints on the RPC's HTTP listener, beside the JSON-RPC API:
//
//	/metrics  Prometheus text format, behind the admin secret or a token with the
//	          metrics (or admin) scope: the bearer check of every other call.
//	/healthz  200 while the process answers HTTP: liveness.
//	/readyz   200 once the data directory is recovered and the server serves, 503
//	          otherwise: readiness.
//
// The last two answer without a credential, so they say one word and nothing else.
const (
	MetricsPath = "/metrics"
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
)

// opsHandler returns the handler of an operational endpoint, or nil for any other path.
func (s *Service) opsHandler(path string) http.HandlerFunc {
	switch path {
	case MetricsPath:
		return s.serveMetrics
	case HealthPath:
		return func(w http.ResponseWriter, r *http.Request) { plain(w, http.StatusOK, "ok") }
	case ReadyPath:
		return func(w http.ResponseWriter, r *http.Request) {
			if s.cfg.Ready != nil && !s.cfg.Ready() {
				plain(w, http.StatusServiceUnavailable, "not ready")
				return
			}
			plain(w, http.StatusOK, "ready")
		}
	}
	return nil
}

// serveMetrics answers a scrape: 401 without a valid credential, 403 with one that has
// neither the admin's rights nor the metrics scope, 404 when the server has no metrics.
func (s *Service) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	caller, authErr := s.bearer(r)
	if authErr != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="herodb"`)
		plain(w, http.StatusUnauthorized, "missing or invalid credential: send Authorization: Bearer <admin secret or a token with the metrics scope>")
		return
	}
	if !caller.Grant.Admin && !caller.Grant.Metrics {
		plain(w, http.StatusForbidden, "this credential may not read metrics: it needs the admin secret or a token with the metrics scope")
		return
	}
	if s.cfg.Metrics == nil {
		plain(w, http.StatusNotFound, "no metrics")
		return
	}
	promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{ErrorLog: nil}).ServeHTTP(w, r)
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}
