# kscan — see README.md. Everything a test needs is built or started by the
# scripts in hack/; slow builds are cached in $(KSCAN_TESTBIN).
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin
export KSCAN_TESTBIN ?= $(HOME)/.cache/kscan-testbin

.PHONY: all build test unit lint demo bench testbin clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/kscan ./cmd/kscan

# The whole suite: unit tests, Rego tests, golden reports, conformance and the
# integration tests against real components (built once into KSCAN_TESTBIN).
test:
	bash hack/test.sh

# Unit tests only (no API server, registry or Pulumi CLI).
unit:
	$(GO) test ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

demo: build
	@echo "+ kscan scan testdata/demo --fail-on none"
	@$(BIN)/kscan scan testdata/demo --fail-on none

bench: build
	bash hack/bench.sh

testbin:
	bash hack/testbin.sh

clean:
	rm -rf $(BIN)
