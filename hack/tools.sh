#!/usr/bin/env bash
# Builds every tool the tests and the demo need that is not a toolchain, from its Go module,
# because nothing here may download release binaries or images but the Go module proxy is
# reachable. The wrapper modules in hack/envtest/ pin every version through go.mod + go.sum.
#
#   kube-apiserver, kubectl, etcd   the test control plane (hack/envtest.sh)
#   helm                            the chart tests
#   argocd-lua                      deploy/argocd/health.lua in Argo CD's own Lua (gopher-lua)
#   envtest-helper                  certificates, tokens and HTTP probes for hack/envtest.sh,
#                                   so that no openssl or curl is needed
#
# Binaries are cached in ~/.cache/goto-operator/bin/<name>-<version> (GOTO_TOOLS_BIN_DIR overrides):
# a warm machine never rebuilds, it only checks that the files exist. A version bump in a wrapper
# go.mod (or an edit of a main.go here) changes the file name and so triggers exactly one rebuild.
#
# Usage: hack/tools.sh [--env] [NAME...]   build what is missing (only NAMEs, if given);
#                                           --env also prints GOTO_TEST_*=path lines (for scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

print_env=false
if [ "${1:-}" = --env ]; then
  print_env=true
  shift
fi

say() { echo "tools: $*" >&2; }

# name | binary | wrapper dir | package | what it is and how long a cold build takes (2 cores)
TOOLS=(
  "etcd|$ETCD_BIN|etcd|go.etcd.io/etcd/server/v3|etcd $ETCD_VERSION: 1-2 minutes"
  "kube-apiserver|$KUBE_APISERVER_BIN|kube|k8s.io/kubernetes/cmd/kube-apiserver|kube-apiserver $KUBE_VERSION compiles ~3000 packages of k8s.io/kubernetes: 7-12 minutes"
  "kubectl|$KUBECTL_BIN|kube|k8s.io/kubernetes/cmd/kubectl|kubectl $KUBE_VERSION shares most packages with kube-apiserver: 1-3 minutes after it"
  "helm|$HELM_BIN|helm|helm.sh/helm/v3/cmd/helm|helm $HELM_VERSION: 2-4 minutes"
  "argocd-lua|$LUA_BIN|lua|.|gopher-lua $GOPHER_LUA_VERSION, Argo CD's Lua: under a minute"
  "envtest-helper|$HELPER_BIN|helper|.|certificates and probes for the control plane (Go standard library): under a minute"
)

wanted() { # <name>: named on the command line, or no names given
  [ ${#SELECTED[@]} -eq 0 ] && return 0
  local n
  for n in "${SELECTED[@]}"; do
    [ "$n" = "$1" ] && return 0
  done
  return 1
}
SELECTED=("$@")
for n in "${SELECTED[@]}"; do
  printf '%s\n' "${TOOLS[@]}" | grep -q "^$n|" || {
    say "error: unknown tool '$n'"
    exit 2
  }
done

missing=()
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name bin _ <<<"$entry"
  if wanted "$name"; then
    [ -x "$bin" ] || missing+=("$name")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v go >/dev/null 2>&1; then
    say "error: 'go' (>= 1.26) is needed to build ${missing[*]} from Go modules; install Go or put it on PATH" >&2
    exit 1
  fi
  mkdir -p "$TOOLS_BIN_DIR"
  # Several worktrees may run `make test` at once: one builds, the others wait for it.
  exec 9>"$TOOLS_BIN_DIR/.build.lock"
  if ! flock -n 9; then
    say "another build of the tools is running; waiting for it"
    flock 9
  fi
  say "first run: building ${missing[*]} from Go modules into $TOOLS_BIN_DIR (once; later runs reuse them)"

  # Reproducible, static, module-pinned builds: no workspace, no cgo, go.sum must already cover
  # everything (a missing entry is an error, not a silent re-resolution), no toolchain download.
  export GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=local

  # The apiserver and kubectl report this version on /version and `kubectl version`; without it
  # they would say v0.0.0-master and version checks in tests could not be trusted.
  kube_ld=""
  kube_minor=${KUBE_VERSION#v1.}
  kube_minor=${kube_minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$kube_minor"
    kube_ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  # helm built with `go build` defaults to KubeVersion 1.20 for `helm template`/lint (upstream's
  # Makefile stamps it); stamp the version of the test control plane instead.
  helm_ld="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean
     -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kube_minor
     -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kube_minor"

  i=0
  for entry in "${TOOLS[@]}"; do
    IFS='|' read -r name out dir pkg why <<<"$entry"
    case " ${missing[*]} " in *" $name "*) ;; *) continue ;; esac
    i=$((i + 1))
    if [ -x "$out" ]; then
      continue # built by a concurrent run while we waited for the lock
    fi
    case "$name" in
      kube-apiserver | kubectl) ldflags=$kube_ld ;;
      helm) ldflags=$helm_ld ;;
      *) ldflags="" ;;
    esac
    start=$(envtest_now)
    tmp="$out.tmp.$$"
    say "[$i/${#missing[@]}] building $name: $why"
    (cd "hack/envtest/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg")
    mv -f "$tmp" "$out"
    say "[$i/${#missing[@]}] built $out in $(envtest_since "$start") s"
  done
fi

if $print_env; then
  echo "GOTO_TEST_KUBE_APISERVER=$KUBE_APISERVER_BIN"
  echo "GOTO_TEST_ETCD=$ETCD_BIN"
  echo "GOTO_TEST_KUBECTL=$KUBECTL_BIN"
  echo "GOTO_TEST_HELM=$HELM_BIN"
  echo "GOTO_TEST_LUA=$LUA_BIN"
fi
