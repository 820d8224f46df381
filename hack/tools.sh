#!/usr/bin/env bash
# Builds the test control plane's binaries (kube-apiserver, kubectl, etcd, helm) from their Go
# modules, because nothing here may download release binaries or images but the Go module proxy is
# reachable. The wrapper modules in hack/envtest/ pin every version through go.mod + go.sum.
#
# Binaries are cached in ~/.cache/goto-operator/bin/<name>-<version> (GOTO_TOOLS_BIN_DIR overrides):
# a warm machine never rebuilds, it only checks that four files exist. A version bump in a wrapper
# go.mod changes the file name and so triggers exactly one rebuild.
#
# Usage: hack/tools.sh          build what is missing
#        hack/tools.sh --env    also print NAME=path lines (for scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

print_env=false
[ "${1:-}" = --env ] && print_env=true

say() { echo "tools: $*" >&2; }

missing=()
for bin in "$KUBE_APISERVER_BIN" "$KUBECTL_BIN" "$ETCD_BIN" "$HELM_BIN"; do
  [ -x "$bin" ] || missing+=("$bin")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v go >/dev/null 2>&1; then
    say "error: 'go' (>= 1.26) is needed to build ${missing[*]##*/} from Go modules; install Go or put it on PATH" >&2
    exit 1
  fi
  mkdir -p "$TOOLS_BIN_DIR"
  # Several worktrees may run `make test` at once: one builds, the others wait for it.
  exec 9>"$TOOLS_BIN_DIR/.build.lock"
  if ! flock -n 9; then
    say "another build of the control-plane tools is running; waiting for it"
    flock 9
  fi

  # Reproducible, static, module-pinned builds: no workspace, no cgo, go.sum must already cover
  # everything (a missing entry is an error, not a silent re-resolution), no toolchain download.
  export GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=local

  # build <binary path> <wrapper dir> <package> <what it is, why it is slow> [ldflags]
  build() {
    local out=$1 dir=$2 pkg=$3 why=$4 ldflags=${5:-}
    if [ -x "$out" ]; then
      return 0 # built by a concurrent run while we waited for the lock
    fi
    local start tmp
    start=$(envtest_now)
    tmp="$out.tmp.$$"
    say "building ${out##*/} from Go module $pkg: $why"
    (cd "hack/envtest/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg")
    mv -f "$tmp" "$out"
    say "built $out in $(envtest_since "$start") s"
  }

  # The apiserver and kubectl report this version on /version and `kubectl version`; without it
  # they would say v0.0.0-master and version checks in tests could not be trusted.
  kube_ld=""
  kube_minor=${KUBE_VERSION#v1.}
  kube_minor=${kube_minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$kube_minor"
    kube_ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build "$ETCD_BIN" etcd go.etcd.io/etcd/server/v3 \
    "etcd $ETCD_VERSION, 1-2 minutes on a cold 2-core machine"
  build "$KUBE_APISERVER_BIN" kube k8s.io/kubernetes/cmd/kube-apiserver \
    "kube-apiserver $KUBE_VERSION compiles ~3000 packages of k8s.io/kubernetes: 7-12 minutes on a cold 2-core machine (once; cached afterwards)" \
    "$kube_ld"
  build "$KUBECTL_BIN" kube k8s.io/kubernetes/cmd/kubectl \
    "kubectl $KUBE_VERSION, shares most packages with kube-apiserver so it is quicker" "$kube_ld"
  # helm built with `go build` defaults to KubeVersion 1.20 for `helm template`/lint (upstream's
  # Makefile stamps it); stamp the version of the test control plane instead.
  build "$HELM_BIN" helm helm.sh/helm/v3/cmd/helm \
    "helm $HELM_VERSION, 2-4 minutes on a cold 2-core machine" \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean
     -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kube_minor
     -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kube_minor"
fi

if $print_env; then
  echo "GOTO_TEST_KUBE_APISERVER=$KUBE_APISERVER_BIN"
  echo "GOTO_TEST_ETCD=$ETCD_BIN"
  echo "GOTO_TEST_KUBECTL=$KUBECTL_BIN"
  echo "GOTO_TEST_HELM=$HELM_BIN"
fi
