package rpc

import "context"

func checkDatabase(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.CheckDatabase(d.ID)
}

func acceptDatabaseFile(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.AcceptFile(d.ID)
}
