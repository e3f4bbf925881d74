package rpc

import "context"

func rotateDatabaseKey(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	rewrite, err := a.boolean(1, false)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.RotateDatabaseKey(d.ID, rewrite)
}
