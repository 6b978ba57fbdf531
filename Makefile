# kscan — see README.md. Everything a test needs is built or started by the
# scripts in hack/; slow builds are cached in $(KSCAN_TESTBIN).
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin
export KSCAN_TESTBIN ?= $(HOME)/.cache/kscan-testbin

.PHONY: all build test unit lint rego fuzz demo bench bench-peers testbin clean image release

all: build

# CGO off: kustomize links Go's plugin package, and with cgo that makes the
# linker export every symbol dynamically (a 165 MB binary that maps 105 MiB
# before reading any input, against 64 MiB without).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/kscan ./cmd/kscan

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

# The Rego rules with OPA's own tooling, through cmd/opa (OPA's CLI with
# kscan.graph registered; rule fixtures in testdata/ are not data): opa fmt
# in check mode, check --strict and the Rego tests. cmd/opa's Go test runs
# the same three in make test.
rego:
	$(GO) build -o $(BIN)/opa ./cmd/opa
	$(BIN)/opa fmt --list --fail policies/
	$(BIN)/opa check --strict policies/
	$(BIN)/opa test policies/

# Every Go fuzz target for a bounded time each (hack/fuzz.sh): FUZZTIME=60s
# by default, FUZZ=regexp to pick targets. make test fuzzes the YAML fast
# path (internal/fastyaml, against yaml.v3) for 60 s.
fuzz:
	bash hack/fuzz.sh

demo: build
	@echo "+ kscan scan testdata/demo --fail-on none --output-format html=kscan-report.html"
	@$(BIN)/kscan scan testdata/demo --fail-on none --output-format html=kscan-report.html
	@echo "HTML report: $(CURDIR)/kscan-report.html"

bench: build
	bash hack/bench.sh

# The tools make bench compares kscan with (kube-score, Trivy, and kubectl
# for the live cluster), built once from the Go module proxy into
# KSCAN_TESTBIN; Trivy and kubectl take minutes cold.
bench-peers:
	bash hack/testbin.sh kube-score trivy kubectl

testbin:
	bash hack/testbin.sh

# Release artefacts in dist/: kscan and the Pulumi analyzer plugin for
# linux/darwin/windows x amd64/arm64, archives, CycloneDX SBOMs and
# checksums.txt; reproducible (SOURCE_DATE_EPOCH defaults to the last commit).
#   make release VERSION=v0.1.0 [PLATFORMS=linux/amd64,linux/arm64]
release:
	@case "$(VERSION)" in v[0-9]*.[0-9]*.[0-9]*) ;; *) echo "usage: make release VERSION=vX.Y.Z"; exit 2;; esac
	$(GO) run ./hack/release --version $(VERSION) --out dist $(if $(PLATFORMS),--platforms $(PLATFORMS))

# The container image, built and pushed without Docker (hack/image): a
# multi-arch OCI index (linux/amd64 + linux/arm64 by default), non-root,
# CA certificates, OCI labels; SBOM=dist/….cdx.json attaches an SBOM.
#   make image REGISTRY=registry.example.com/team [IMAGE_TAG=v1] [BASE_IMAGE=gcr.io/distroless/static] [IMAGE_PLATFORMS=linux/arm64] [SBOM=…]
# It prints REGISTRY/kscan@sha256:…, the reference to pin in deploy/.
REGISTRY        ?=
IMAGE_TAG       ?= $(VERSION)
BASE_IMAGE      ?=
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
SBOM            ?=
comma := ,
image:
	@test -n "$(REGISTRY)" || { echo "usage: make image REGISTRY=registry.example.com/team"; exit 2; }
	@for p in $(subst $(comma), ,$(IMAGE_PLATFORMS)); do \
		echo "+ build kscan for $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/$${p%/*}-$${p#*/}/kscan ./cmd/kscan || exit 1; \
	done
	$(GO) run ./hack/image $(foreach p,$(subst $(comma), ,$(IMAGE_PLATFORMS)),--binary $(p)=$(BIN)/$(subst /,-,$(p))/kscan) \
		--image $(REGISTRY)/kscan:$(IMAGE_TAG) --version $(VERSION) $(if $(BASE_IMAGE),--base $(BASE_IMAGE)) $(if $(SBOM),--sbom $(SBOM))

clean:
	rm -rf $(BIN)

# The Pulumi policy-pack analyzer (docs/pulumi-analyzer.md): built into
# $(BIN) and installed into PLUGIN_DIR, which must be on PATH; or use
# pulumi plugin install analyzer policy-kscan <version> --file $(BIN)/pulumi-analyzer-policy-kscan
PLUGIN_DIR ?= $(HOME)/.local/bin
.PHONY: install-plugin
install-plugin:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/pulumi-analyzer-policy-kscan ./cmd/pulumi-analyzer-policy-kscan
	install -d $(PLUGIN_DIR)
	install -m 0755 $(BIN)/pulumi-analyzer-policy-kscan $(PLUGIN_DIR)/pulumi-analyzer-policy-kscan
	@echo "installed $(PLUGIN_DIR)/pulumi-analyzer-policy-kscan (make sure $(PLUGIN_DIR) is on PATH)"
