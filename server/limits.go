package server

// Redis's limits for connections that have not authenticated: a command may have at most
// preAuthArgs arguments of at most preAuthArgSize bytes each. The framing guard
// (framing.go) applies them to every header and inline line as it streams in;
// preAuthCheck applies them again in handle to commands the guard took while the
// connection was authenticated and that run after a RESET in the same pipeline.
const (
	preAuthArgs    = 10
	preAuthArgSize = 16 << 10
)

// Reply backpressure: once a connection's unsent replies reach outputFlush bytes, they
// are written out before any more of its pipelined commands run, so a client that
// sends many commands and never reads holds one reply plus outputFlush, not the sum.
const outputFlush = 64 << 10

// flushAt is where replies go out: outputFlush, or sooner under a smaller output limit
// (an embedding may set one), so a client that reads is never closed for replies it
// was not yet sent.
func (s *Server) flushAt() int { return min(outputFlush, s.cfg.MaxOutput) }

// preAuthCheck applies Redis's argument limits to a command from an unauthenticated
// connection; a violation closes the connection after the reply.
func preAuthCheck(args [][]byte) string {
	if len(args) > preAuthArgs {
		return errProtoUnauthMultibulk
	}
	for _, a := range args {
		if len(a) > preAuthArgSize {
			return errProtoUnauthBulk
		}
	}
	return ""
}
