module github.com/seed6aa118f9/herodb

go 1.26.0

require golang.org/x/crypto v0.58.0

require (
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
