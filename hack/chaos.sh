#!/usr/bin/env bash
# `make chaos`: the soak of docs/reliability.md (tests/chaos.rs with GOTO_CHAOS=full) against the
# GoTo simulator and a real kube-apiserver, which it restarts (hack/envtest.sh restart-apiserver).
# The report is printed and written to target/chaos-report.json. GOTO_CHAOS_SEED=<n> replays the
# random choices of a run (the report names its seed); GOTO_CHAOS=ci runs the CI-sized variant.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

envtest_dir="${GOTO_ENVTEST_DIR:-$PWD/target/envtest}"
envtest_reuse_or_own
hack/tools.sh
hack/envtest.sh up

envtest_export_test_env "$envtest_dir"
export GOTO_CHAOS="${GOTO_CHAOS:-full}"
export GOTO_CHAOS_REPORT="${GOTO_CHAOS_REPORT:-$PWD/target/chaos-report.json}"

echo "==> chaos ($GOTO_CHAOS): report in $GOTO_CHAOS_REPORT"
${CARGO:-cargo} test --test chaos -- --ignored --nocapture
