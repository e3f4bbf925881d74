package rpc

import (
	"context"
)

// rotateAdminSecret makes new_secret the admin secret (admin.RotateSecret): DB 0's key
// is wrapped again under it, no data file is rewritten, and every caller holding the old
// secret, over RESP or the RPC, is refused from its next command on. The reply never
// holds either secret; the caller keeps the new one (the server's next start needs it).
func rotateAdminSecret(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	secret, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.RotateSecret([]byte(secret))
}
