# omen — build, test, demo, bench, lint.
# Everything the targets need is installed by the targets themselves:
# Go modules through the Go module proxy, the real servers the tests run
# (Prometheus, VictoriaMetrics, Alertmanager) from Debian's packages, and
# Gitea built once from the Go module proxy into a cache outside the checkout.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.8.2
# Each binary the tests run, with the Debian package that ships it (binary:package).
# Only the packages of missing binaries are installed: a machine whose Node.js
# already brings npm must not be asked for Debian's npm, which conflicts with it.
SERVER_BINARIES := prometheus:prometheus promtool:prometheus victoria-metrics:victoria-metrics \
	vmalert:victoria-metrics prometheus-alertmanager:prometheus-alertmanager chromium:chromium \
	git:git npm:npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Tools the tests run that Debian does not package, built once per machine
# (the same directory internal/testrig looks in: the user cache directory).
GITEA_VERSION := v1.26.0
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/omen/tools
GITEA_DIR := $(TOOLS_DIR)/gitea-$(GITEA_VERSION)
# Mermaid as Gitea bundles it, to check that pull request charts render.
MERMAID_VERSION := 11.14.0
MERMAID_DIR := $(TOOLS_DIR)/mermaid-$(MERMAID_VERSION)
# helm, to render the chart in deploy/helm (the same version as internal/testrig.HelmVersion).
HELM_VERSION := v3.19.5
HELM_DIR := $(TOOLS_DIR)/helm-$(HELM_VERSION)

.PHONY: all build test demo bench lint servers tools fuzz clean

all: build

## build: compile bin/omen with its version, commit and build date
BIN ?= bin/omen
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X github.com/omenhq/omen/internal/cli.Version=$(VERSION) -X github.com/omenhq/omen/internal/cli.BuildDate=$(BUILD_DATE)
build:
	$(GO) build -trimpath -buildvcs=true -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/omen

## demo: run omen's main job on the embedded demo fleet (no server needed)
demo: build
	./bin/omen demo --html demo-report.html
	@echo "HTML report: demo-report.html (open it in a browser)"

## servers: install the real servers (and the browser) the tests run, when their binaries are missing
servers:
	@missing=""; pkgs=""; for bp in $(SERVER_BINARIES); do b=$${bp%%:*}; p=$${bp#*:}; \
		if ! command -v $$b >/dev/null 2>&1; then missing="$$missing $$b"; \
			case " $$pkgs " in *" $$p "*) ;; *) pkgs="$$pkgs $$p";; esac; fi; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages$$pkgs for:$$missing"; \
		$(SUDO) apt-get update -o DPkg::Lock::Timeout=600; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 $$pkgs; \
	fi

## tools: build Gitea $(GITEA_VERSION) and helm $(HELM_VERSION) from the Go module proxy (about 6 + 4 minutes) and fetch Mermaid $(MERMAID_VERSION) from npm into $(TOOLS_DIR), once
tools: servers
	@GO=$(GO) GOTOOLCHAIN=local scripts/build-gitea.sh $(GITEA_DIR) $(GITEA_VERSION)
	@GO=$(GO) GOTOOLCHAIN=local scripts/build-helm.sh $(HELM_DIR) $(HELM_VERSION)
	@scripts/fetch-mermaid.sh $(MERMAID_DIR) $(MERMAID_VERSION)

## test: the whole suite, real servers included (the log names each server started)
test: servers tools
	$(GO) mod download
	OMEN_GITEA_DIR=$(GITEA_DIR) OMEN_MERMAID_DIR=$(MERMAID_DIR) OMEN_HELM=$(HELM_DIR)/helm $(GO) test -count=1 -timeout 14m -v ./... > .test.log 2>&1 || { grep -E '^(--- FAIL|FAIL|panic:|ok )|_test.go:[0-9]+:' .test.log | tail -200; echo "make test: FAILED (full log in .test.log)"; exit 1; }
	@grep -E '^(--- SKIP|ok |FAIL)|real server|started (prometheus|victoria-metrics|alertmanager|gitea|git http-backend)' .test.log || true
	@echo "$$(grep -c -- '--- PASS' .test.log) passed, $$(grep -c -- '--- FAIL' .test.log) failed, $$(grep -c -- '--- SKIP' .test.log) skipped"

## fuzz: run every fuzz target for FUZZTIME each (default 60s)
FUZZTIME ?= 60s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## bench: Go benchmarks of every package (figures go to bench/RESULTS.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## lint: gofmt, go vet and staticcheck
lint:
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

clean:
	rm -rf bin .test.log demo-report.html
