#!/usr/bin/env bash
# `make image-test`: the image, built and run for real. Builds it (hack/image.sh) under a test
# tag, starts its own control plane (target/image-test/envtest), and runs tests/image.rs, which
# runs the image with podman the way the Helm chart's Deployment runs the operator and checks
# that it reconciles an organizer as the non-root user and answers its probes from inside.
# The image, the control plane and the test's containers are removed on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

export GOTO_IMAGE=localhost/goto-operator:image-test
export GOTO_ENVTEST_DIR="$PWD/target/image-test/envtest"

cleanup() {
  hack/envtest.sh down >/dev/null 2>&1 || echo "warning: hack/envtest.sh down failed" >&2
  hack/podman.sh rmi --force "$GOTO_IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "==> make image (GOTO_IMAGE=$GOTO_IMAGE)"
hack/image.sh >/dev/null
echo "==> control plane up ($GOTO_ENVTEST_DIR)"
hack/envtest.sh up

envtest_export_test_env "$GOTO_ENVTEST_DIR"
export GOTO_TEST_IMAGE="$GOTO_IMAGE"
export GOTO_TEST_PODMAN="$PWD/hack/podman.sh"
echo "==> cargo test --test image"
${CARGO:-cargo} test --test image "$@"
