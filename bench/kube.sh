#!/usr/bin/env bash
# bench/kube.sh: the kubernetes target against the Kubernetes API test
# server (tests/tools/kube-server) on loopback, side by side with kubectl
# on the same objects and a fresh server of its own (see docs/performance.md,
# "## Kubernetes target").
#
# For N objects (bench/gen_kube.py: Namespaces, ConfigMaps, Secrets,
# Services, Deployments) measures wall time, requests made (the server's
# --log) and peak RSS of:
#   first apply     sluice apply            vs kubectl apply --server-side -f DIR
#   no-op re-apply  sluice apply (again)    vs kubectl apply --server-side -f DIR (again)
#   no-op diff      sluice diff (exit 0)    vs kubectl diff -f DIR (exit 0)
# and prints a Markdown table with the ratios (kubectl / sluice) and the
# goals: >= 5x faster than kubectl for each, no-op diff < 1 s, RSS < 50 MB.
#
# Environment: N=1000, REPS=3 (median of the timed no-op runs), BUILD_DIR=build,
# SLUICE=PATH, KUBE_SERVER=PATH, KEEP=1 (keep the work folder), STRICT=1
# (exit 1 when a goal is missed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000}
REPS=${REPS:-3}
BUILD_DIR=${BUILD_DIR:-build}
STRICT=${STRICT:-0}
SLUICE=${SLUICE:-$ROOT/$BUILD_DIR/sluice}
KUBE_SERVER=${KUBE_SERVER:-$ROOT/$BUILD_DIR/kube-server}
[ -x "$SLUICE" ] && [ -x "$KUBE_SERVER" ] || (cd "$ROOT" && BUILD_DIR=$BUILD_DIR scripts/build.sh)
command -v kubectl >/dev/null || { echo "bench: kubectl not installed" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/kbench.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$W"; }
trap cleanup EXIT

python3 "$ROOT/bench/gen_kube.py" "$W/m" "$N"

# start_server NAME: a fresh server, its kubeconfig in $W/NAME.kubeconfig.
start_server() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -f "$W/port"
  "$KUBE_SERVER" --listen 127.0.0.1:0 --port-file "$W/port" --log "$W/$1.log" >/dev/null 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
  cat >"$W/$1.kubeconfig" <<Y
apiVersion: v1
kind: Config
clusters: [{name: b, cluster: {server: "http://127.0.0.1:$(cat "$W/port")"}}]
users: [{name: b, user: {}}]
contexts: [{name: b, context: {cluster: b, user: b}}]
current-context: b
Y
}

# measure NAME LOG EXPECT_RC CMD...: one run; prints "seconds requests kib".
measure() {
  local log=$2 want=$3 rc
  shift 3
  : >"$log"
  set +e
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out" 2>"$W/err"
  rc=$?
  set -e
  if [ "$rc" -ne "$want" ] && ! { [ "$want" = 01 ] && [ "$rc" -le 1 ]; }; then
    echo "bench: $* exited $rc (expected $want)" >&2
    tail -5 "$W/err" >&2
    exit 1
  fi
  echo "$(cut -d' ' -f1 "$W/time") $(wc -l <"$log") $(cut -d' ' -f2 "$W/time")"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# best_of REPS NAME LOG RC CMD...: medians of time, requests and RSS over REPS runs.
best_of() {
  local reps=$1 t r m
  shift
  : >"$W/runs"
  for _ in $(seq "$reps"); do measure "$@" >>"$W/runs"; done
  t=$(cut -d' ' -f1 "$W/runs" | median)
  r=$(cut -d' ' -f2 "$W/runs" | median)
  m=$(cut -d' ' -f3 "$W/runs" | median)
  echo "$t $r $m"
}

# sluice
start_server sluice
cat >"$W/sluice.yaml" <<Y
stateDir: $W/state
sources: { m: { dir: $W/m } }
targets: { k: { kubernetes: { kubeconfig: $W/sluice.kubeconfig } } }
apps: [ { name: bench, source: m, render: manifests, target: k, prune: true } ]
Y
s_first=$(measure x "$W/sluice.log" 0 "$SLUICE" apply -c "$W/sluice.yaml")
grep -q "$N to create" "$W/out" || { echo "bench: sluice did not create $N objects" >&2; exit 1; }
s_reapply=$(best_of "$REPS" x "$W/sluice.log" 0 "$SLUICE" apply -c "$W/sluice.yaml")
s_diff=$(best_of "$REPS" x "$W/sluice.log" 0 "$SLUICE" diff -c "$W/sluice.yaml")
grep -q "$N unchanged" "$W/out" || { echo "bench: sluice diff is not a no-op" >&2; exit 1; }

# kubectl
start_server kubectl
export KUBECONFIG=$W/kubectl.kubeconfig KUBECACHEDIR=$W/kubecache
k_first=$(measure x "$W/kubectl.log" 0 kubectl apply --server-side -f "$W/m")
k_reapply=$(best_of "$REPS" x "$W/kubectl.log" 0 kubectl apply --server-side -f "$W/m")
# kubectl diff may exit 1: against the test server its client-side merge
# shows an empty "annotations: {}" on some objects (a test-server quirk);
# the work it does is the same either way.
k_diff=$(best_of "$REPS" x "$W/kubectl.log" 01 kubectl diff -f "$W/m")

missed=0
row() { # row WHAT SLUICE KUBECTL DIFF_GOAL
  local st sr sm kt kr ratio goal
  read -r st sr sm <<<"$2"
  read -r kt kr _ <<<"$3"
  ratio=$(awk -v a="$kt" -v b="$st" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
  goal=PASS
  awk -v r="$ratio" 'BEGIN { exit !(r >= 5) }' || goal=MISS
  [ "$4" = 1 ] && ! awk -v t="$st" 'BEGIN { exit !(t < 1) }' && goal=MISS
  [ "$sm" -ge 51200 ] && goal=MISS
  [ "$goal" = MISS ] && missed=1
  printf '| %s | %.2f s | %s | %.1f MB | %.2f s | %s | %sx | %s |\n' "$1" "$st" "$sr" \
    "$(awk -v m="$sm" 'BEGIN { print m / 1024 }')" "$kt" "$kr" "$ratio" "$goal"
}
echo "Kubernetes target, N=$N objects, kube-server on loopback (http), $(nproc) CPUs"
echo
echo "| run | sluice | requests | peak RSS | kubectl | requests | kubectl/sluice | goal |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
row "first apply" "$s_first" "$k_first" 0
row "no-op re-apply" "$s_reapply" "$k_reapply" 0
row "no-op diff" "$s_diff" "$k_diff" 1
[ "$STRICT" = 1 ] && [ "$missed" = 1 ] && exit 1
exit 0
