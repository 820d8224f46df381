#!/usr/bin/env bash
# `make demo`: the operator working end to end on this machine, with nothing but the toolchains.
#
# Builds the operator, builds/starts a local control plane (etcd + kube-apiserver, hack/envtest.sh)
# and the GoTo simulator (seeded from examples/simulator/seed.yaml), runs the operator against
# them, applies examples/, waits until everything converges, then offboards sam-taylor, whose
# deletion is blocked by two upcoming meetings. It prints the organizers and the recent events and
# stays up until Ctrl-C; `make demo ARGS=--once` exits 0 right after printing.
#
# Everything it starts (control plane, simulator, operator) is stopped on any exit, by pid. It
# uses its own control plane in target/demo/envtest, so it never touches one started by
# `make envtest-up` or `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

once=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    -h | --help)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "demo: unknown argument '$arg' (only --once)" >&2
      exit 2
      ;;
  esac
done

# shellcheck source=hack/envtest/lib.sh
source hack/envtest/lib.sh

DEMO_DIR="$PWD/target/demo"
export GOTO_ENVTEST_DIR="$DEMO_DIR/envtest"
NS=goto-demo
SIM_ADDR=127.0.0.1:8089 # examples/account.yaml points here
WAIT=${GOTO_DEMO_TIMEOUT:-90s}
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/goto-operator"

step() { printf '\n==> %s\n' "$*"; }
say() { echo "demo: $*" >&2; }

sim_pid=""
op_pid=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  step "cleaning up"
  for pid in "$op_pid" "$sim_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  hack/envtest.sh down >/dev/null 2>&1 || say "warning: hack/envtest.sh down failed"
  echo "stopped the operator, the simulator and the control plane (logs stay in $DEMO_DIR)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The operator's and simulator's logs, shown when something does not converge.
show_logs() {
  for f in operator simulator; do
    if [ -s "$DEMO_DIR/$f.log" ]; then
      echo "--- last lines of $DEMO_DIR/$f.log" >&2
      tail -n 25 "$DEMO_DIR/$f.log" >&2
    fi
  done
}
fail() {
  say "error: $*"
  show_logs
  exit 1
}

mkdir -p "$DEMO_DIR"

step "building goto-operator (cargo build; the first build takes a few minutes)"
${CARGO:-cargo} build --bin goto-operator
[ -x "$BIN" ] || fail "cargo build did not produce $BIN"

step "building the control-plane tools (hack/tools.sh; cached after the first build)"
hack/tools.sh
KUBECTL="$KUBECTL_BIN"

step "starting a local control plane: etcd + kube-apiserver (hack/envtest.sh up)"
hack/envtest.sh up
export KUBECONFIG="$GOTO_ENVTEST_DIR/admin.kubeconfig"
k() { "$KUBECTL" "$@"; }

step "starting the GoTo simulator on $SIM_ADDR, seeded from examples/simulator/seed.yaml"
if (exec 3<>"/dev/tcp/${SIM_ADDR%:*}/${SIM_ADDR#*:}") 2>/dev/null; then
  fail "$SIM_ADDR is already in use (examples/account.yaml points the demo account there); stop what listens on it"
fi
# Keys from 2^53 + 2009 on: beyond what a float holds, within v1's int64 (the v1 account below
# reads the same world).
"$BIN" simulate --seed examples/simulator/seed.yaml --bind "$SIM_ADDR" --first-key 9007199254742001 \
  >"$DEMO_DIR/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening" "$DEMO_DIR/simulator.log" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || fail "the simulator exited"
  sleep 0.1
done
grep -q "listening" "$DEMO_DIR/simulator.log" || fail "the simulator did not start within 10 s"
echo "simulator: $(grep -m1 listening "$DEMO_DIR/simulator.log")"

step "installing the CRDs (crds/)"
k apply --server-side --field-manager=goto-demo -f crds/
k wait --for=condition=Established --timeout="$WAIT" \
  crd/gotoaccounts.goto-operator.dev crd/gotoorganizers.goto-operator.dev

step "starting the operator: goto-operator run --leader-election false --reaudit-seconds 10 (log: $DEMO_DIR/operator.log)"
# A free port: nobody answers a connection to it.
metrics_port=""
while [ -z "$metrics_port" ]; do
  p=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || metrics_port=$p
done
"$BIN" run --leader-election false --reaudit-seconds 10 --metrics-bind "127.0.0.1:$metrics_port" \
  >"$DEMO_DIR/operator.log" 2>&1 &
op_pid=$!
for _ in $(seq 1 100); do
  "$BIN" probe "http://127.0.0.1:$metrics_port/readyz" >/dev/null 2>&1 && break
  kill -0 "$op_pid" 2>/dev/null || fail "the operator exited"
  sleep 0.1
done
"$BIN" probe "http://127.0.0.1:$metrics_port/readyz" >/dev/null || fail "the operator is not ready after 10 s"
echo "operator ready; metrics on http://127.0.0.1:$metrics_port/metrics"

step "applying examples/ to namespace $NS: secret.yaml, account.yaml, organizers.yaml"
k create namespace "$NS" --dry-run=client -o yaml | k apply -f -
k -n "$NS" apply -f examples/secret.yaml -f examples/account.yaml -f examples/organizers.yaml

step "waiting for the account and the four organizers to be Ready (timeout $WAIT)"
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" gotoaccount/acme ||
  fail "the GoToAccount did not become Ready"
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" \
  gotoorganizer/jane-doe gotoorganizer/jordan-lee gotoorganizer/riley-chen gotoorganizer/sam-taylor ||
  fail "the organizers did not become Ready"
k -n "$NS" get gotoorganizers -o wide

step "offboarding sam-taylor: kubectl delete (the seed gives Sam two upcoming meetings)"
k -n "$NS" delete gotoorganizer sam-taylor --wait=false
k -n "$NS" wait --timeout="$WAIT" \
  --for=jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'=DeletionBlocked \
  gotoorganizer/sam-taylor || fail "the deletion of sam-taylor was not blocked"
echo "sam-taylor's deletion is blocked; the operator re-audits until the meetings are reassigned:"
k -n "$NS" get gotoorganizer sam-taylor \
  -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}  Ready={.status} reason={.reason}: {.message}{"\n"}{end}'
k -n "$NS" get gotoorganizer sam-taylor -o jsonpath='  status.meetingAudit: {.status.meetingAudit.upcomingMeetingCount} upcoming meeting(s), audited at {.status.meetingAudit.auditedAt}{"\n"}{range .status.meetingAudit.upcomingMeetings[*]}    - {.startTime}  {.subject}  (meetingId {.meetingId}){"\n"}{end}'

# --- day-2 operations (issue 13): export -> apply -> plan -> scheduled suspension ----------------
# Kept as one block so other edits of this script do not collide with it.
day2_writes() { # API writes the simulator received so far (token requests excluded)
  "$HELPER_BIN" get "http://$SIM_ADDR/_sim/requests" |
    grep -o '"method":"[A-Z]*","path":"/G2M[^"]*"' | grep -vc '"method":"GET"' || true
}

step "day 2: two people were given seats by hand in GoTo, outside Kubernetes"
for person in '{"email":"alex.kim@example.com","firstName":"Alex","lastName":"Kim","locale":"en_GB","timeZone":"Europe/London"}' \
  '{"email":"morgan.diaz@example.com","firstName":"Morgan","lastName":"Diaz","status":"SUSPENDED"}'; do
  "$HELPER_BIN" post "http://$SIM_ADDR/_sim/organizers" "$person"
  echo
done

step "goto-operator export --namespace $NS --account acme -o $DEMO_DIR/imported (reads GoTo and the cluster, writes neither)"
rm -rf "$DEMO_DIR/imported"
"$BIN" export --namespace "$NS" --account acme -o "$DEMO_DIR/imported" || fail "export failed"
ls "$DEMO_DIR/imported"
echo "--- $DEMO_DIR/imported/alex-kim.yaml"
cat "$DEMO_DIR/imported/alex-kim.yaml"

step "applying the exported manifests: the account is imported without a single GoTo write"
before=$(day2_writes)
k -n "$NS" apply -f "$DEMO_DIR/imported"
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" gotoorganizer/alex-kim gotoorganizer/morgan-diaz ||
  fail "the imported organizers did not become Ready"
k -n "$NS" get gotoorganizers alex-kim morgan-diaz -o wide
after=$(day2_writes)
echo "GoTo writes during the import: $((after - before))"
[ "$after" = "$before" ] || fail "the import wrote to GoTo"
echo "exporting again finds nothing left to import:"
"$BIN" export --namespace "$NS" --account acme

step "goto-operator plan: Jane marries, a new hire starts (what would apply do? nothing is written)"
cat >"$DEMO_DIR/changes.yaml" <<YAML
apiVersion: goto-operator.dev/v1alpha1
kind: GoToOrganizer
metadata: {name: jane-doe, namespace: $NS}
spec: {accountRef: {name: acme}, email: jane.doe@example.com, firstName: Jane, lastName: Doe-Martin,
       locale: en_US, timeZone: America/New_York}
---
apiVersion: goto-operator.dev/v1alpha1
kind: GoToOrganizer
metadata: {name: casey-new, namespace: $NS}
spec: {accountRef: {name: acme}, email: casey.new@example.com, firstName: Casey, lastName: New,
       timeZone: Europe/Berlin}
YAML
before=$(day2_writes)
set +e
"$BIN" plan -f "$DEMO_DIR/changes.yaml"
code=$?
set -e
echo "exit code $code (2: changes); GoTo writes while planning: $(($(day2_writes) - before))"
[ "$code" = 2 ] || fail "plan should have exited 2"

step "applying them: the GoTo writes are exactly what the plan said"
before=$(day2_writes)
k apply -f "$DEMO_DIR/changes.yaml"
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" gotoorganizer/casey-new ||
  fail "casey-new did not become Ready"
k -n "$NS" wait --timeout="$WAIT" --for=jsonpath='{.status.observedGeneration}'=2 gotoorganizer/jane-doe ||
  fail "jane-doe was not reconciled"
echo "GoTo writes: $(($(day2_writes) - before)) (create + PUT for casey-new, PUT for jane-doe)"
"$HELPER_BIN" get "http://$SIM_ADDR/_sim/requests" |
  grep -o '"method":"[A-Z]*","path":"/G2M[^"]*"' | grep -v '"method":"GET"' | tail -n 3
"$BIN" plan -f "$DEMO_DIR/changes.yaml" && echo "plan again: exit 0, nothing to do"

step "a scheduled suspension: Jordan's last day is in 15 seconds (spec.suspendAt)"
last_day=$(date -u -d "+15 seconds" +%Y-%m-%dT%H:%M:%SZ)
k -n "$NS" patch gotoorganizer jordan-lee --type merge -p "{\"spec\":{\"suspendAt\":\"$last_day\"}}"
sleep 2
k -n "$NS" get gotoorganizer jordan-lee \
  -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}  Ready={.status} reason={.reason}: {.message}{"\n"}{end}'
k -n "$NS" wait --timeout="$WAIT" --for=jsonpath='{.status.state}'=SUSPENDED gotoorganizer/jordan-lee ||
  fail "jordan-lee was not suspended at $last_day"
echo "suspended at $(date -u +%H:%M:%S) (scheduled for $last_day):"
k -n "$NS" get events --field-selector involvedObject.name=jordan-lee,reason=Suspended -o custom-columns=REASON:.reason,MESSAGE:.message
# --- end of the day-2 block ----------------------------------------------------------------------

# --- GoTo Meeting REST v1 (issue 20): the same GoTo account through the API GoTo publishes ------
step "a second GoToAccount, acme-v1: the same simulated account through GoTo Meeting REST v1 (spec.api: v1)"
k -n "$NS" apply -f - <<YAML
apiVersion: goto-operator.dev/v1alpha1
kind: GoToAccount
metadata: {name: acme-v1}
spec:
  accountKey: "4200000000000000001"
  credentialsSecretRef: {name: goto-oauth}
  api: v1
  apiBaseUrl: http://$SIM_ADDR/G2M/rest
  tokenUrl: http://$SIM_ADDR/oauth/token
---
apiVersion: goto-operator.dev/v1alpha1
kind: GoToOrganizer
metadata: {name: morgan-v1}
spec: {accountRef: {name: acme-v1}, email: morgan.v1@example.com, firstName: Morgan, lastName: Vance,
       timeZone: Europe/Berlin}
YAML
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" gotoaccount/acme-v1 ||
  fail "the v1 GoToAccount did not become Ready"
k -n "$NS" wait --for=condition=Ready --timeout="$WAIT" gotoorganizer/morgan-v1 ||
  fail "the organizer of the v1 account did not become Ready"
k -n "$NS" wait --timeout="$WAIT" \
  --for=jsonpath='{.status.conditions[?(@.type=="Synced")].reason}'=NotSupportedByApi \
  gotoorganizer/morgan-v1 || fail "the v1 organizer did not report its time zone as NotSupportedByApi"
echo "created through v1; what v1 cannot change is said, not sent:"
k -n "$NS" get gotoorganizer morgan-v1 \
  -o jsonpath='{range .status.conditions[?(@.type=="Synced")]}  Synced={.status} reason={.reason}: {.message}{"\n"}{end}'
k -n "$NS" get gotoaccounts

step "kubectl get gotoorganizers -A"
k get gotoorganizers -A -o wide

step "recent events in $NS"
k -n "$NS" get events --sort-by=.metadata.creationTimestamp | tail -n 20

if $once; then
  step "done (--once)"
  exit 0
fi

cat <<EOF

==> the demo is up; press Ctrl-C to stop it and clean up
Point kubectl at it:
  export KUBECONFIG=$KUBECONFIG
  alias kubectl=$KUBECTL   # same version as the control plane (or use your own kubectl)
Try:
  kubectl -n $NS get gto -o wide
  kubectl -n $NS patch gto sam-taylor --type merge -p '{"spec":{"onUpcomingMeetings":"Cancel"}}'   # unblock: cancels Sam's meetings
  kubectl -n $NS annotate gto jane-doe goto-operator.dev/paused=true                                # pause
  curl -s http://127.0.0.1:$metrics_port/metrics | grep ^goto_operator_
  curl -s http://$SIM_ADDR/_sim/state                                                                # the simulator's view (JSON)
  curl -s -X DELETE http://$SIM_ADDR/_sim/meetings/9007199254741901                               # "reassign" one of Sam's meetings
Logs: $DEMO_DIR/operator.log, $DEMO_DIR/simulator.log
EOF
wait "$op_pid" || fail "the operator exited"
