//go:build !unix

package server

// watchPeer cannot peek at a socket here: a blocked client whose peer closes the
// connection is noticed when it is woken, times out or the server closes.
func watchPeer(sess *session) (gone <-chan struct{}, stop func()) { return nil, func() {} }
