#!/usr/bin/env bash
# `make bench`: runs benches/convergence.rs (release build) against a real control plane and the
# GoTo simulator, and records the report in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/envtest/lib.sh
envtest_reuse_or_own
hack/tools.sh
hack/envtest.sh up
export GOTO_TEST_KUBECONFIG="${GOTO_ENVTEST_DIR:-$PWD/target/envtest}/admin.kubeconfig"
echo "==> cargo bench (release build; the first build takes minutes)"
report=$(cargo bench --bench convergence)
# BENCH_API=v1 measures the account through GoTo Meeting REST v1, recorded beside the v2 record.
out=docs/benchmarks.md
[ "${BENCH_API:-v2}" = v1 ] && out=docs/benchmarks-v1.md
{
  if [ "$out" = docs/benchmarks-v1.md ]; then echo "# Benchmarks through GoTo Meeting REST v1 (BENCH_API=v1)"; else echo "# Benchmarks"; fi
  echo
  echo "Recorded by \`make bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB),"
  echo "kube-apiserver $(basename "$KUBE_APISERVER_BIN" | sed 's/kube-apiserver-//') from hack/envtest, GoTo simulator in-process,"
  echo "operator release build with \`--concurrency 8\`; the simulator admits 10 requests in any sliding second (GoTo's"
  echo "published default) and the account runs at its default \`requestsPerSecond: 10\`."
  echo "Sizes: BENCH_ORGANIZERS=${BENCH_ORGANIZERS:-1000}, BENCH_STEADY_ORGANIZERS=${BENCH_STEADY_ORGANIZERS:-5000},"
  echo "BENCH_RESYNC_SECONDS=${BENCH_RESYNC_SECONDS:-60}, BENCH_PERIODS=${BENCH_PERIODS:-3}; exact command:"
  echo "\`BENCH_API=${BENCH_API:-v2} BENCH_ORGANIZERS=${BENCH_ORGANIZERS:-1000} BENCH_STEADY_ORGANIZERS=${BENCH_STEADY_ORGANIZERS:-5000} BENCH_RESYNC_SECONDS=${BENCH_RESYNC_SECONDS:-60} BENCH_PERIODS=${BENCH_PERIODS:-3} make bench\`."
  echo
  echo "$report"
  echo
  cat docs/benchmarks-notes.md
} > "$out"
echo "$report"
echo "==> wrote $out"
