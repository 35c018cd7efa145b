# Cognito user-pool triggers in Go. `make demo` runs the suite locally,
# `make test` runs every test; both install what they need (into .bin/) and
# start and stop their own servers on 127.0.0.1.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/.bin

# Build and test with the patched Go toolchain: Go 1.26.8 (this machine's
# own) ships net/http, crypto/tls, crypto/x509 and html/template flaws that
# the functions reach (govulncheck, `make lint`), fixed by 1.26.10. The go
# command fetches this toolchain from the module proxy once (about 10 s).
GOTOOLCHAIN ?= go1.26.11
export GOTOOLCHAIN

# The Lambda Runtime Interface Emulator, pinned: the module proxy answers
# @latest with 404 for it.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(BIN)/aws-lambda-rie
# govulncheck, pinned, and a pinned vulnerability database: `make lint`
# never asks vuln.go.dev. The database is built by internal/tools/vulndb from
# the OSV entries in golang.org/x/vulndb at VULNDB_VERSION (fetched through
# the module proxy and checked against VULNDB_SUM) into $(VULNDB), in the v1
# layout `govulncheck -db file://` reads (x/vulndb's own cmd/indexdb writes a
# different one: the tool's doc comment says how and why it is not used).
# Its date is the pseudo-version's commit time; bump both lines together
# (`go mod download -json golang.org/x/vulndb@<commit>` prints Version and
# Sum).
GOVULNCHECK_VERSION := v1.9.0
GOVULNCHECK := $(BIN)/govulncheck-$(GOVULNCHECK_VERSION)
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB_SUM     := h1:mfngRv0Yoh0VApsXKEN82CjD99kl7mtparN3bs3JnqI=
VULNDB         := $(BIN)/vulndb
VULNDB_STAMP   := $(VULNDB)/.built-$(VULNDB_VERSION)
# -show version prints the Go version, the scanner and the DB with its date.
VULNCHECK = $(GOVULNCHECK) -db file://$(VULNDB) -show version ./...

FUNCTIONS := presignup pretoken postauth migrateuser custommessage
# Password hashing is single-threaded KDF work: the race detector finds
# nothing there and makes it 15-25x slower, so it runs without -race (and
# then no vector or timing test is skipped).
NO_RACE_PKGS := '/pkg/passhash$$'

FUZZTIME  ?= 3s
BENCHTIME ?= 2s

# How SAM (BuildMethod: makefile) and `make build` compile a function: a
# static linux/arm64 bootstrap without the legacy RPC runtime and without
# net/http's bundled HTTP/2 (the Lambda Runtime API, DynamoDB, Secrets
# Manager and legacy adapters all speak HTTP/1.1; dropping it saves about
# 0.45 MB per binary). internal/harness builds with the same tags, so the
# tests run what ships.
LAMBDA_TAGS  = lambda.norpc,nethttpomithttp2
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags $(LAMBDA_TAGS) -ldflags='-s -w'

.PHONY: all tools build test test-unit fuzz lint bench invoke demo clean \
	build-PreSignUpFunction build-PreTokenFunction build-PostAuthFunction build-MigrateUserFunction build-CustomMessageFunction

all: build

tools: $(RIE)

$(RIE):
	CGO_ENABLED=0 GOBIN=$(BIN) $(GO) install $(RIE_MODULE)@$(RIE_VERSION)

# The version is in the file name, so a bump installs the new one.
$(GOVULNCHECK):
	GOBIN=$(BIN)/.govulncheck-install $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	mv $(BIN)/.govulncheck-install/govulncheck $@ && rmdir $(BIN)/.govulncheck-install

# Built once per VULNDB_VERSION (the tool replaces $(VULNDB) as a whole).
$(VULNDB_STAMP): $(filter-out %_test.go,$(wildcard internal/tools/vulndb/*.go))
	$(GO) run ./internal/tools/vulndb -version $(VULNDB_VERSION) -sum $(VULNDB_SUM) -out $(VULNDB) -go $(GO)
	touch $@

# vulncheck: govulncheck alone (also the last step of lint). It fails on a
# vulnerability that the code reaches.
.PHONY: vulncheck
vulncheck: $(GOVULNCHECK) $(VULNDB_STAMP)
	$(VULNCHECK)

# build: every function as build/<name>/bootstrap (linux/arm64).
build:
	@for fn in $(FUNCTIONS); do \
		echo "build $$fn"; \
		$(LAMBDA_BUILD) -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# SAM's makefile builder calls build-<LogicalId> with ARTIFACTS_DIR set.
ARTIFACTS_DIR ?= $(CURDIR)/build/sam
build-PreSignUpFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/presignup
build-PreTokenFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/pretoken
build-PostAuthFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/postauth
build-MigrateUserFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/migrateuser
build-CustomMessageFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/custommessage

# test: unit, integration (moto) and emulator tests, then a short run of
# every fuzz target, then the template lint. Nothing is skipped.
test: tools
	@command -v moto_server >/dev/null || { echo "moto_server is not on PATH (it ships with this machine image)"; exit 1; }
	$(GO) vet ./...
	RIE_BIN=$(RIE) $(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v $(NO_RACE_PKGS))
	$(GO) test -count=1 -timeout 10m ./pkg/passhash/
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh
	@if [ -f template.yaml ]; then cfn-lint template.yaml; fi

# fuzz: every Fuzz target in the module for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

lint: $(GOVULNCHECK) $(VULNDB_STAMP)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	@if [ -f template.yaml ]; then cfn-lint template.yaml; fi
	$(VULNCHECK)

# bench: the benchmark report (see BENCHMARKS.md). BENCH_BASELINE=<git rev>
# also builds and measures the functions of that revision, side by side.
BENCH_BASELINE ?=
bench: tools
	RIE_BIN=$(RIE) BENCHTIME=$(BENCHTIME) $(GO) run ./cmd/local bench -out BENCHMARKS.md $(if $(BENCH_BASELINE),-baseline $(BENCH_BASELINE))

# invoke: our Docker-free `sam local invoke`, e.g.
#   make invoke FN=presignup EVENT=events/presignup-signup.json
invoke: tools
	RIE_BIN=$(RIE) $(GO) run ./cmd/local invoke -fn $(FN) -event $(EVENT)

# demo: the whole suite under the emulator against local DynamoDB and
# Secrets Manager, playing Cognito's part.
demo: tools
	@command -v moto_server >/dev/null || { echo "moto_server is not on PATH"; exit 1; }
	RIE_BIN=$(RIE) $(GO) run ./cmd/local demo

clean:
	rm -rf build
