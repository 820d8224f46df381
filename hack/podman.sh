#!/usr/bin/env bash
# podman with the settings that work on machines like the CI ones (README, "The image"): Debian's podman,
# runc with cgroupfs (crun refuses the default rlimits on these hybrid cgroups), and no default
# ulimits. Installs podman, buildah and runc from Debian when missing (as root; otherwise it
# says what to install). Every argument goes to podman: hack/podman.sh images, ... run ...
set -euo pipefail

CACHE_DIR="${GOTO_CACHE_DIR:-$HOME/.cache/goto-operator}"

say() { echo "podman: $*" >&2; }

missing=()
for tool in podman buildah runc; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
# CA certificates go into the image (the GoTo client trusts the system roots).
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "error: ${missing[*]} missing; install them (Debian: apt-get install -y podman buildah runc ca-certificates)"
    exit 1
  fi
  # Serialized: two worktrees installing at once would fight over dpkg's lock.
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.apt.lock"
  flock 8
  say "first run: installing ${missing[*]} from Debian (apt-get; about 1-2 minutes, once)"
  start=$SECONDS
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc ca-certificates >/dev/null
  say "installed in $((SECONDS - start)) s"
  exec 8>&-
fi

conf="$CACHE_DIR/containers.conf"
if [ ! -f "$conf" ]; then
  mkdir -p "$CACHE_DIR"
  printf '[containers]\ndefault_ulimits = []\n' >"$conf.tmp.$$"
  mv -f "$conf.tmp.$$" "$conf"
fi
export CONTAINERS_CONF="$conf"
exec podman --runtime runc --cgroup-manager cgroupfs "$@"
