#!/usr/bin/env bash
# A real Kubernetes control plane for the tests: etcd + kube-apiserver built from Go modules
# (hack/tools.sh), on free 127.0.0.1 ports, the way controller-runtime's envtest runs them. No
# kubelet and no controllers: namespaces stay Terminating after deletion, which is why every test
# uses a fresh namespace.
#
#   hack/envtest.sh up      start (idempotent: if already up and healthy, do nothing)
#   hack/envtest.sh down    stop exactly the processes `up` started (by pid) and remove their data
#   hack/envtest.sh status  exit 0 when up and healthy
#   hack/envtest.sh restart-apiserver  kill -9 the kube-apiserver, compact etcd's history (every
#                           watch must re-list), start it again on the same port and etcd (state
#                           survives), as a long outage would (used by `make chaos`)
#
# Everything lives in target/envtest/ (GOTO_ENVTEST_DIR overrides): admin.kubeconfig (user `admin`
# in system:masters), operator.kubeconfig (user `operator`, no rights until RBAC grants them),
# *.log, *.pid.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

DIR="${GOTO_ENVTEST_DIR:-$PWD/target/envtest}"
READY_TIMEOUT=${GOTO_ENVTEST_READY_TIMEOUT:-90}

say() { echo "envtest: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# A free TCP port on 127.0.0.1. Binding port 0 lets the kernel choose; the tiny window before the
# real server binds it is covered by `up` retrying with new ports.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    # A refused connection means nobody listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

# pid from a pid file, if that process is still the one we started (guards against pid reuse:
# its command line must mention our state directory).
live_pid() { # <name>
  local f="$DIR/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(<"$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR/" || return 1
  echo "$pid"
}

api_ready() {
  [ -f "$DIR/apiserver.url" ] && [ -f "$DIR/pki/ca.crt" ] && [ -f "$DIR/admin.token" ] || return 1
  "$HELPER_BIN" get -cacert "$DIR/pki/ca.crt" -token-file "$DIR/admin.token" \
    "$(<"$DIR/apiserver.url")/readyz" >/dev/null 2>&1
}

healthy() { live_pid etcd >/dev/null && live_pid kube-apiserver >/dev/null && api_ready; }

stop_one() { # <name>
  local pid
  if pid=$(live_pid "$1"); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$1 (pid $pid) ignored SIGTERM for 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$DIR/$1.pid"
}

down() {
  stop_one kube-apiserver
  stop_one etcd
  # Logs stay for post-mortems; state, credentials and kubeconfigs go so nothing points at a dead
  # server.
  rm -rf "$DIR/etcd-data" "$DIR/pki" "$DIR"/*.kubeconfig "$DIR/tokens.csv" "$DIR/admin.token" \
    "$DIR/apiserver.url" "$DIR/etcd.port"
}

# CA (CA:TRUE) plus a separate serving leaf (CA:FALSE): rustls refuses a CA certificate used as
# the server certificate (CaUsedAsEndEntity), so the two must differ. Plus the service-account
# signing key pair. envtest-helper (hack/envtest/helper) writes them: no openssl needed.
make_pki() {
  "$HELPER_BIN" pki "$DIR/pki"
}

write_kubeconfig() { # <user> <token>
  local file="$DIR/$1.kubeconfig"
  (
    umask 077
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: $(<"$DIR/apiserver.url")
    certificate-authority-data: $(base64 -w0 <"$DIR/pki/ca.crt")
users:
- name: $1
  user:
    token: $2
contexts:
- name: $1@envtest
  context:
    cluster: envtest
    user: $1
current-context: $1@envtest
EOF
  )
}

# Waits until <check> succeeds; fails early, with the log's tail, when <name> has died.
wait_for() { # <name> <what> <check...>
  local name=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + READY_TIMEOUT))
  until "$@"; do
    # kill -0, not live_pid: right after `&` the child may not have exec'd yet, and its command
    # line would still be this script's.
    if ! kill -0 "$(<"$DIR/$name.pid")" 2>/dev/null; then
      say "$name exited before $what; last lines of $DIR/$name.log:"
      tail -n 30 "$DIR/$name.log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$name not $what after ${READY_TIMEOUT}s; last lines of $DIR/$name.log:"
      tail -n 30 "$DIR/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

etcd_healthy() { "$HELPER_BIN" get "http://127.0.0.1:$1/health" 2>/dev/null | grep -q '"health":"true"'; }

start_once() {
  local etcd_port etcd_peer_port api_port url
  etcd_port=$(free_port)
  etcd_peer_port=$(free_port)
  api_port=$(free_port)
  url="https://127.0.0.1:$api_port"
  echo "$url" >"$DIR/apiserver.url"

  # No fsync: test data is throw-away, and fsync dominates etcd latency on shared disks.
  "$ETCD_BIN" --name=envtest --data-dir="$DIR/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="envtest=http://127.0.0.1:$etcd_peer_port" \
    --unsafe-no-fsync=true --log-level=warn \
    >"$DIR/etcd.log" 2>&1 </dev/null &
  echo $! >"$DIR/etcd.pid"
  wait_for etcd "healthy" etcd_healthy "$etcd_port" || return 1
  echo "$etcd_port" >"$DIR/etcd.port"
  : >"$DIR/kube-apiserver.log"
  start_apiserver "$etcd_port" "$api_port"
}

start_apiserver() { # <etcd port> <api port>
  local etcd_port=$1 api_port=$2 url
  url="https://127.0.0.1:$api_port"
  # Flags as controller-runtime's envtest uses them. --advertise-address because machines with no
  # default route make the apiserver die guessing one; ServiceAccount admission is off because no
  # controller creates the default service accounts; priority-and-fairness off for a faster start.
  "$KUBE_APISERVER_BIN" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address=127.0.0.1 \
    --cert-dir="$DIR/pki" \
    --tls-cert-file="$DIR/pki/apiserver.crt" --tls-private-key-file="$DIR/pki/apiserver.key" \
    --client-ca-file="$DIR/pki/ca.crt" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=RBAC \
    --token-auth-file="$DIR/tokens.csv" \
    --service-account-issuer="$url/" \
    --service-account-key-file="$DIR/pki/sa.pub" \
    --service-account-signing-key-file="$DIR/pki/sa.key" \
    --disable-admission-plugins=ServiceAccount \
    --enable-priority-and-fairness=false \
    --allow-privileged=true \
    --profiling=false \
    >>"$DIR/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$DIR/kube-apiserver.pid"
  wait_for kube-apiserver "ready (/readyz)" api_ready
}

# An outage of the API server alone: SIGKILL, then the same flags, port and etcd.
# Compacts etcd's history up to its current revision, through etcd's JSON gateway.
compact_etcd() { # <etcd port>
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to compact etcd"
  python3 - "$1" <<'PY'
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/v3/kv/"
def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)
revision = int(post("range", {"key": "AA=="})["header"]["revision"])
post("compaction", {"revision": revision, "physical": True})
PY
}

restart_apiserver() {
  local pid url
  healthy || die "not up"
  pid=$(live_pid kube-apiserver)
  url=$(<"$DIR/apiserver.url")
  kill -KILL "$pid" 2>/dev/null || true
  # live_pid, not kill -0: an unreaped (zombie) apiserver has no command line left.
  for _ in $(seq 1 100); do
    live_pid kube-apiserver >/dev/null || break
    sleep 0.05
  done
  rm -f "$DIR/kube-apiserver.pid"
  # A long outage, or the API server's own compaction every 5 minutes, leaves no watch history to
  # resume from: compact etcd to now, so every watch re-lists (410 Gone) when the server is back.
  compact_etcd "$(<"$DIR/etcd.port")" || die "could not compact etcd's history"
  say "killed kube-apiserver (pid $pid), compacted etcd; starting it again"
  # Its listening socket may outlive its command line for a moment: retry while the port is busy.
  local attempt
  for attempt in 1 2 3 4 5; do
    if start_apiserver "$(<"$DIR/etcd.port")" "${url##*:}" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  die "kube-apiserver did not come back; see $DIR/kube-apiserver.log"
}

up() {
  mkdir -p "$DIR"
  if healthy; then
    say "already up at $(<"$DIR/apiserver.url") (kubeconfigs in $DIR)"
    return 0
  fi
  # Half-up or stale (e.g. after a reboot): start over from a clean state.
  down 2>/dev/null
  hack/tools.sh etcd kube-apiserver envtest-helper
  local start admin_token operator_token attempt
  start=$(envtest_now)
  make_pki
  admin_token=$("$HELPER_BIN" token)
  operator_token=$("$HELPER_BIN" token)
  (
    umask 077
    echo "$admin_token" >"$DIR/admin.token"
    {
      echo "$admin_token,admin,admin-uid,\"system:masters\""
      echo "$operator_token,operator,operator-uid"
    } >"$DIR/tokens.csv"
  )
  for attempt in 1 2 3; do
    if start_once; then
      write_kubeconfig admin "$admin_token"
      write_kubeconfig operator "$operator_token"
      say "up at $(<"$DIR/apiserver.url") in $(envtest_since "$start") s (kube-apiserver $KUBE_VERSION, etcd $ETCD_VERSION)"
      say "  KUBECONFIG=$DIR/admin.kubeconfig (admin, system:masters)"
      say "  KUBECONFIG=$DIR/operator.kubeconfig (operator, no rights until RBAC grants them)"
      return 0
    fi
    # Most likely a port taken between choosing and binding it: retry on new ports.
    say "start attempt $attempt failed; retrying on new ports"
    stop_one kube-apiserver
    stop_one etcd
    rm -rf "$DIR/etcd-data"
  done
  down
  die "could not start the control plane; see $DIR/etcd.log and $DIR/kube-apiserver.log"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) healthy ;;
  restart-apiserver) restart_apiserver ;;
  *)
    echo "usage: $0 up|down|status|restart-apiserver" >&2
    exit 2
    ;;
esac
