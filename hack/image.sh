#!/usr/bin/env bash
# `make image`: builds the operator's image FROM scratch (hack/image/Containerfile) with podman,
# without pulling anything: the release binary plus what it needs at run time, staged from this
# machine into target/image/rootfs.
#
#   GOTO_IMAGE        the tag (default localhost/goto-operator:dev)
#   GOTO_GIT_COMMIT   the commit goto_operator_build_info names (default: git rev-parse HEAD)
#
# Prints the image's tag on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${GOTO_IMAGE:-localhost/goto-operator:dev}"
STAGE="${CARGO_TARGET_DIR:-$PWD/target}/image"
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/goto-operator"

say() { echo "image: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

start=$SECONDS
hack/podman.sh --version >&2 # installs podman (and CA certificates) first when missing

# goto_operator_build_info names the commit the binary was built from.
GOTO_GIT_COMMIT="${GOTO_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
export GOTO_GIT_COMMIT
say "cargo build --release at commit $GOTO_GIT_COMMIT (the first release build takes several minutes)"
${CARGO:-cargo} build --release --locked --bin goto-operator >&2

say "staging $STAGE/rootfs"
rm -rf "$STAGE"
root="$STAGE/rootfs"
mkdir -p "$root/etc/ssl/certs"
install -m 0755 "$BIN" "$root/goto-operator"

# The shared libraries and the dynamic loader, at the paths the binary looks for them. ldd prints
# "name => /path (addr)" for libraries, "/path (addr)" for the loader, and no path for the vDSO.
libs=$(ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || die "ldd listed no libraries for $BIN (a static build needs none: remove this check)"
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib" # the file itself, not the symlink
  say "  $lib"
done

# The GoTo client trusts the system's roots.
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# Name lookups: /etc/hosts and DNS (the container runtime provides both files).
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
# The non-root user the image runs as (and root, which owns the files).
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
chmod -R go-w "$root"

say "podman build -t $IMAGE -f hack/image/Containerfile $STAGE"
hack/podman.sh build --quiet -t "$IMAGE" -f hack/image/Containerfile "$STAGE" >&2
size=$(hack/podman.sh image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE ($((size / 1024 / 1024)) MiB) in $((SECONDS - start)) s"
echo "$IMAGE"
