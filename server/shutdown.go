package server

import "time"

// A graceful stop (Close, SIGTERM in herodb serve): no new connection is accepted, the
// commands already running finish and answer, blocked clients (BLPOP and friends) and
// subscribers are answered `-ERR herodb is shutting down` (they leave on the stopping
// channel by themselves), and only then are the connections closed, the log and every
// file flushed and closed. A client that does not read its replies cannot hold the stop
// up for longer than drainTimeout.

// drainTimeout bounds the wait for running commands before connections are closed.
const drainTimeout = 5 * time.Second

// subscriberDrain bounds the wait for subscribers' writers to send their last error
// and close (each bounded by pubsubCloseWrite).
const subscriberDrain = pubsubCloseWrite + 150*time.Millisecond

// drain stops accepting and waits for what is in flight; stopping is already closed.
func (s *Server) drain() {
	s.ports.stopAccepting()
	done := make(chan struct{})
	go func() {
		// Every handler holds runMu for reading while it runs. A handler starting now
		// sees closing and closes its connection without running anything.
		s.runMu.Lock()
		s.runMu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		s.log.Warn("stopping: commands still running after the drain timeout; closing their connections", "timeout", drainTimeout)
	}
	for deadline := time.Now().Add(subscriberDrain); time.Now().Before(deadline) && s.subscribersLeft(); {
		time.Sleep(5 * time.Millisecond)
	}
}

// subscribersLeft reports whether a subscriber's connection is still open.
func (s *Server) subscribersLeft() bool {
	for _, sess := range s.sessionList() {
		if sess.sub.Load() != nil {
			return true
		}
	}
	return false
}
