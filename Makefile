# goto-operator — every developer and CI entry point.
# `make test` runs everything CI runs; `make demo` shows the operator working end to end.
# Nothing else needs installing by hand: the first run builds or installs what it needs into
# ~/.cache/goto-operator (hack/tools.sh), and says so, tool by tool.
SHELL := /bin/bash
CARGO ?= cargo
# The toolchains where rustup and Go's installer put them, for shells whose PATH lacks them.
export PATH := $(PATH):$(HOME)/.cargo/bin:/usr/local/go/bin

.PHONY: test toolchain fmt-check clippy crds crds-check install-yaml unit-test tools envtest-up envtest-down build demo bench chaos image image-test

## test: fmt check, clippy -D warnings, CRD drift check, then every test against the simulator and a real kube-apiserver
test: fmt-check clippy crds-check
	hack/test.sh

## toolchain: add rustfmt and clippy to the Rust toolchain when missing (rustup)
toolchain:
	@missing=""; \
	for c in fmt clippy; do $(CARGO) $$c --version >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  echo "==> adding Rust components:$${missing/fmt/rustfmt} (rustup component add, once)"; \
	  rustup component add $${missing/fmt/rustfmt}; \
	fi

fmt-check: toolchain
	$(CARGO) fmt --all -- --check

clippy: toolchain
	$(CARGO) clippy --all-targets -- -D warnings

build:
	$(CARGO) build

## crds: regenerate crds/, the chart's templates/crds.yaml and deploy/install.yaml from the Rust types
crds: build
	hack/crds.sh write

## crds-check: fail when crds/ or the chart's templates/crds.yaml differ from what the Rust types generate
crds-check: build
	hack/crds.sh check

## install-yaml: regenerate deploy/install.yaml, the chart rendered with its defaults (kubectl users; builds helm when missing)
install-yaml:
	hack/crds.sh install-yaml

## unit-test: only the tests that need no control plane
unit-test:
	$(CARGO) test --lib --bins

## tools: build kube-apiserver, etcd, kubectl, helm, argocd-lua and envtest-helper from Go modules into ~/.cache/goto-operator/bin
tools:
	hack/tools.sh

## envtest-up / envtest-down: a real etcd + kube-apiserver on 127.0.0.1 (idempotent)
envtest-up: tools
	hack/envtest.sh up

envtest-down:
	hack/envtest.sh down

## demo: control plane + simulator + operator + examples; ARGS=--once exits after printing
demo:
	hack/demo.sh $(ARGS)

## chaos: the soak of docs/reliability.md (faults, kill -9 x20, kube-apiserver restarts x3, 300 organizers); `make test` runs a CI-sized one
chaos:
	hack/chaos.sh

## bench: benchmarks, numbers recorded in docs/benchmarks.md
bench:
	hack/bench.sh

## image: the operator's image FROM scratch with podman (installs podman from Debian when missing), tagged localhost/goto-operator:dev
image:
	hack/image.sh

## image-test: build the image and run it with podman against a real kube-apiserver and the simulator, as the chart runs it
image-test: tools
	hack/image-test.sh
