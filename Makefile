# Cognito user-pool triggers in Go. `make demo` runs the suite locally,
# `make test` runs every test; both install what they need (into .bin/) and
# start and stop their own servers on 127.0.0.1.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/.bin

# The Lambda Runtime Interface Emulator, pinned: the module proxy answers
# @latest with 404 for it.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(BIN)/aws-lambda-rie
GOVULNCHECK_VERSION := v1.1.4
GOVULNCHECK := $(BIN)/govulncheck

FUNCTIONS := presignup pretoken postauth migrateuser custommessage
# Password hashing is single-threaded KDF work: the race detector finds
# nothing there and makes it 15-25x slower, so it runs without -race (and
# then no vector or timing test is skipped).
NO_RACE_PKGS := '/pkg/passhash$$'

FUZZTIME  ?= 3s
BENCHTIME ?= 2s

# How SAM (BuildMethod: makefile) and `make build` compile a function: a
# static linux/arm64 bootstrap without the legacy RPC runtime.
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w'

.PHONY: all tools build test test-unit fuzz lint bench invoke demo clean \
	build-PreSignUpFunction build-PreTokenFunction build-PostAuthFunction build-MigrateUserFunction build-CustomMessageFunction

all: build

tools: $(RIE)

$(RIE):
	CGO_ENABLED=0 GOBIN=$(BIN) $(GO) install $(RIE_MODULE)@$(RIE_VERSION)

$(GOVULNCHECK):
	GOBIN=$(BIN) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

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

lint: $(GOVULNCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	@if [ -f template.yaml ]; then cfn-lint template.yaml; fi
	$(GOVULNCHECK) ./...

# bench: the benchmark report (see BENCHMARKS.md).
bench: tools
	RIE_BIN=$(RIE) BENCHTIME=$(BENCHTIME) $(GO) run ./cmd/local bench

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
