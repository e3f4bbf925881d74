//go:build !(crashhooks && unix)

package main

import "github.com/seed6aa118f9/herodb/admin"

// crashAt is nil in a real build: no step of a change of the admin secret stops the
// process (crashhook.go is the test build's).
var crashAt func(admin.RekeyStep)
