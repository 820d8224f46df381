#!/usr/bin/env bash
# What `make test` runs after fmt/clippy/crds-check: every cargo test, with a real control plane
# (etcd + kube-apiserver from hack/envtest.sh) up for the tests that need one. The control plane
# is taken down on any exit, including failures and Ctrl-C.
#
# The tests find everything through the environment, so they can also be run by hand against a
# control plane started with `make envtest-up` (see docs/envtest.md). Extra arguments go to
# `cargo test` (e.g. `hack/test.sh --test smoke`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

envtest_dir="${GOTO_ENVTEST_DIR:-$PWD/target/envtest}"

# A control plane someone started by hand (`make envtest-up`) stays up for the next run; one this
# script starts is taken down on any exit, quietly: the output must end with cargo's own
# "test result" lines.
envtest_reuse_or_own

start=$(envtest_now)
echo "==> tools: kube-apiserver, etcd, kubectl, helm, argocd-lua, envtest-helper from Go modules (cached after the first build)"
hack/tools.sh
tools_s=$(envtest_since "$start")

start=$(envtest_now)
echo "==> control plane up"
hack/envtest.sh up
up_s=$(envtest_since "$start")

echo "==> timings: tools ${tools_s} s, control plane up ${up_s} s (cargo prints the test times)"

envtest_export_test_env "$envtest_dir"

echo "==> cargo test --all-targets"
${CARGO:-cargo} test --all-targets "$@"

# A full run (no arguments) runs the controller's end-to-end suite a second time with every
# GoToAccount speaking GoTo Meeting REST v1 (`api: v1`, the simulator's /G2M/rest, int64 keys):
# every test, none skipped. They name GoTo's wire through tests/controller/wire.rs (each job's
# path, fault glob and body in the suite's dialect) and, for what v1 cannot change (names,
# locale, time zone, roles), assert what v1 promises instead: nothing sent, Synced=False
# NotSupportedByApi naming the field, Ready True.
if [ $# -eq 0 ]; then
  echo "==> the controller suite again, through GoTo Meeting REST v1 (GOTO_TEST_API=v1)"
  GOTO_TEST_API=v1 ${CARGO:-cargo} test --test controller
fi

# A full run (no arguments) ends with the CI-sized chaos run of tests/chaos.rs, which a plain
# `cargo test` skips (ignored: minutes long). `make chaos` runs the full soak.
if [ $# -eq 0 ]; then
  echo "==> chaos, CI-sized (GOTO_CHAOS=ci; make chaos runs the full soak)"
  GOTO_CHAOS=ci ${CARGO:-cargo} test --test chaos -- --ignored
fi
