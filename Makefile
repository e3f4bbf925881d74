# herodb — make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/seed6aa118f9/herodb/server.Version=$(VERSION)
PORT    ?= 6379
DIST    ?= dist

.PHONY: help build release run test compat bench bench-scale gobench fuzz soak crash lint docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/herodb
	go build -ldflags "$(LDFLAGS)" -o bin/herodb ./cmd/herodb

release: ## static linux amd64 and arm64 binaries and their SHA256SUMS in dist/ (DIST=dir)
	rm -rf $(DIST) && mkdir -p $(DIST)
	for arch in amd64 arm64; do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch go build -trimpath -ldflags "$(LDFLAGS)" \
			-o $(DIST)/herodb-linux-$$arch ./cmd/herodb || exit 1; \
	done
	cd $(DIST) && sha256sum herodb-linux-* > SHA256SUMS

run: build ## run the dev server on ./data (generated admin secret, public database "demo")
	@echo "connect with: redis-cli -p $(PORT)   then: SELECT 1"
	./bin/herodb serve --dev --dir ./data --port $(PORT)

test: ## run every test with the race detector
	go test -race -count=1 -timeout 9m ./...

compat: build ## RQ, Celery, Sidekiq and BullMQ workloads against redis-server, then herodb (frameworks not installed skip)
	./compat/run.sh

gobench: ## Go benchmarks of the hot paths
	go test -run '^$$' -bench . -benchmem ./storage ./server

bench: build ## herodb beside redis-server, same run, as ratios (N=100000; BENCH_FULL=1 adds 1M keys); report in bench/results/
	./scripts/bench.sh

bench-scale: build ## N databases (100000; N=1000000 for the full run): create rate, cold/warm latency, RSS, fds, disk, restart, listing; report in bench/results/
	go run ./cmd/herodb-scale -bin bin/herodb -n $(or $(N),100000)

fuzz: ## a short run of every fuzz target
	./scripts/fuzz.sh 10s

soak: ## the real binary for SOAK_SECONDS (60): 1,000 connections, 100 databases, key revocations
	./scripts/soak.sh

crash: build ## kill -9 the real binary under write load HERODB_CRASH_CYCLES (300) times; check every acknowledged write
	go run ./cmd/herodb-crash -bin bin/herodb

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt: files above need formatting"; exit 1)
	go vet ./...

docs: ## regenerate docs/commands.md and docs/rpc.md from their tables
	go test ./server -run TestCommandsDoc -update-docs
	go test ./rpc -run TestRPCDoc -update-docs

clean: ## remove build output (not ./data)
	rm -rf bin dist
