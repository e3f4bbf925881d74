package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// restartResult is what a SIGTERM and a start with the same flags cost.
type restartResult struct {
	stop       time.Duration // SIGTERM to exit
	stopErr    string
	toPing     time.Duration // exec to the first PING answered
	toSelect   time.Duration // exec to the first SELECT <id> + GET answered
	selectID   uint64
	selectNote string // the value GET answered when it is not the one written
	rss        int64
	anon       int64
	fds        int
}

// restart stops the server as an operator would and starts it again, polling from the
// moment of exec for the first PING and then the first SELECT of a database written
// before the restart (its GET must answer what was written: data survives).
func (s *server) restart(id uint64, timeout time.Duration) (*restartResult, error) {
	r := &restartResult{selectID: id}
	d, err := s.stop(timeout)
	r.stop = d
	if err != nil {
		r.stopErr = errorKind(err)
	}
	if err := s.exec(); err != nil {
		return r, err
	}
	deadline := s.p.started.Add(timeout)
	for ping(s.respAddr) != nil {
		if err := s.pollWait(deadline, "PING"); err != nil {
			return r, err
		}
	}
	r.toPing = time.Since(s.p.started)
	for {
		v, err := s.selectGet(id)
		if err == nil {
			r.toSelect = time.Since(s.p.started)
			if v != "v" {
				r.selectNote = fmt.Sprintf("GET k answered %q, want \"v\"", v)
			}
			break
		}
		if err := s.pollWait(deadline, "SELECT + GET ("+errorKind(err)+")"); err != nil {
			return r, err
		}
	}
	r.rss, r.anon, r.fds = procRSS(s.pid()), procAnon(s.pid()), procFDs(s.pid())
	return r, nil
}

// pollWait is the pause between two readiness probes; it fails when the server died or
// the deadline passed.
func (s *server) pollWait(deadline time.Time, what string) error {
	if err := s.alive(); err != nil {
		return err
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("restart: no answer to %s by %v after exec", what, deadline.Sub(s.p.started))
	}
	time.Sleep(2 * time.Millisecond)
	return nil
}

// selectGet is SELECT id + GET k on a new admin connection; a missing key is "".
func (s *server) selectGet(id uint64) (string, error) {
	ctx := context.Background()
	c := s.adminClient(1)
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, int(id)).Err(); err != nil {
		return "", err
	}
	v, err := conn.Get(ctx, "k").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}
