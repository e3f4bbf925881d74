//go:build crashhooks && unix

package main

import (
	"os"
	"syscall"

	"github.com/seed6aa118f9/herodb/admin"
)

// crashAt kills the process with SIGKILL at the step of a change of the admin secret
// that env HERODB_CRASH_AT names. It exists only in a binary built with -tags
// crashhooks: the tests that cut a rekey at every step (rekey_test.go) build one.
var crashAt = func(s admin.RekeyStep) {
	if os.Getenv("HERODB_CRASH_AT") == string(s) {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
