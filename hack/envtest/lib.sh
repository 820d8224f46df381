# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared by hack/tools.sh, hack/envtest.sh and hack/test.sh: where the test tools come
# from (the wrapper modules next to this file) and where their builds are cached.
#
# The versions are read from the wrapper go.mod files so that bumping a version is a one-line
# go.mod change (plus `go mod tidy`), and the cache key changes with it.

ENVTEST_MODULES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_BIN_DIR="${GOTO_TOOLS_BIN_DIR:-$HOME/.cache/goto-operator/bin}"

# Version of a required module, read straight from a wrapper go.mod (no `go` call: a warm
# machine must not pay for loading the module graph).
envtest_mod_version() { # <wrapper dir> <module path>
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' \
    "$ENVTEST_MODULES/$1/go.mod"
}

KUBE_VERSION="$(envtest_mod_version kube k8s.io/kubernetes)"
ETCD_VERSION="$(envtest_mod_version etcd go.etcd.io/etcd/server/v3)"
HELM_VERSION="$(envtest_mod_version helm helm.sh/helm/v3)"
GOPHER_LUA_VERSION="$(envtest_mod_version lua github.com/yuin/gopher-lua)"

# The two tools whose main.go lives here are keyed by a hash of their source as well, so that an
# edit to main.go rebuilds them exactly once.
envtest_src_hash() { # <wrapper dir>
  cat "$ENVTEST_MODULES/$1/go.mod" "$ENVTEST_MODULES/$1"/*.go | sha256sum | cut -c1-12
}

KUBE_APISERVER_BIN="$TOOLS_BIN_DIR/kube-apiserver-$KUBE_VERSION"
KUBECTL_BIN="$TOOLS_BIN_DIR/kubectl-$KUBE_VERSION"
ETCD_BIN="$TOOLS_BIN_DIR/etcd-$ETCD_VERSION"
HELM_BIN="$TOOLS_BIN_DIR/helm-$HELM_VERSION"
LUA_BIN="$TOOLS_BIN_DIR/argocd-lua-$GOPHER_LUA_VERSION-$(envtest_src_hash lua)"
HELPER_BIN="$TOOLS_BIN_DIR/envtest-helper-$(envtest_src_hash helper)"

# Seconds since the epoch with a fraction, for the per-phase timings.
envtest_now() { date +%s.%N; }
envtest_since() { awk -v s="$1" -v e="$(envtest_now)" 'BEGIN { printf "%.1f", e - s }'; }

# What the tests read to find the control plane and the tools (tests/common, tests/controller):
# one place for hack/test.sh, hack/chaos.sh and hack/image-test.sh.
envtest_export_test_env() { # <envtest dir>
  export GOTO_TEST_KUBECONFIG="$1/admin.kubeconfig"
  export GOTO_TEST_OPERATOR_KUBECONFIG="$1/operator.kubeconfig"
  export GOTO_TEST_KUBECTL="$KUBECTL_BIN"
  export GOTO_TEST_HELM="$HELM_BIN"
  export GOTO_TEST_LUA="${GOTO_TEST_LUA:-$LUA_BIN}"
}

# A control plane someone started by hand (`make envtest-up`) is reused and stays up; otherwise
# the calling script owns the one it is about to start and takes it down on any exit (an EXIT
# trap), quietly. One place for hack/test.sh, hack/chaos.sh and hack/bench.sh.
envtest_reuse_or_own() {
  if hack/envtest.sh status 2>/dev/null; then
    echo "==> reusing the control plane already up (make envtest-down stops it)"
  else
    trap 'hack/envtest.sh down >/dev/null 2>&1 || echo "warning: hack/envtest.sh down failed" >&2' EXIT
  fi
}
