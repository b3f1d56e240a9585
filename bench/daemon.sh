#!/usr/bin/env bash
# bench/daemon.sh: the daemon benchmark (see docs/performance.md, "The daemon").
#
# Three measurements of `sluice run`, each against its own daemon on
# 127.0.0.1:<ephemeral>, with local bare repositories (file://) and a
# directory target:
#
#   latency     PUSHES times: edit one manifest, commit, push, send a signed
#               GitHub push webhook, and time from the request until the
#               target file holds the change (polled every 1 ms), and until
#               /api/v1/apps shows the commit applied. Polling is 1h, so
#               only the webhook can bring the change. p50/p90/p99/max.
#   throughput  wrk fires signed push deliveries (valid HMAC, distinct
#               X-GitHub-Delivery ids) at /hooks/github for WRK_SECONDS
#               while a background loop pushes a commit every
#               PUSH_INTERVAL s, so the daemon fetches and reconciles
#               during the run. Verified/s comes from sluice's own
#               sluice_webhook_deliveries_total (accepted+duplicate+ignored).
#   idle        IDLE_APPS apps (plain app entries spread over IDLE_SOURCES git
#               sources, interval 30s) are started; after /readyz and
#               IDLE_SETTLE s, VmRSS/VmHWM and utime+stime of the daemon are
#               sampled every second for IDLE_SECONDS.
#
# Then prints a Markdown table: measure, value, goal, PASS/MISS.
#
# Environment:
#   PUSHES=100          timed pushes (plus LAT_WARMUP=3 untimed ones)
#   LAT_GAP_MS=100      pause between pushes
#   WRK_SECONDS=10  WRK_THREADS=2  WRK_CONNS=32
#   PUSH_INTERVAL=0.5   commit+push period during the wrk run (0: none)
#   IDLE_APPS=100  IDLE_SOURCES=4  IDLE_SECONDS=60  IDLE_SETTLE=5
#   ONLY="latency throughput idle"   which parts to run
#   BUILD_DIR=build-dbench   where scripts/build.sh builds sluice
#   SLUICE=PATH         use this binary instead of building one
#   BENCH_DIR=PATH      work folder (default: mktemp -d, removed at exit)
#   KEEP=1              keep the work folder (daemon logs, results/*.json)
#   STRICT=1            exit 1 when a goal is missed
#   SKIP_SETUP=1        never apt-get install (wrk)
#   PROFILE=1           perf record -e cpu-clock -g on the daemon during each
#                       phase (needs perf; KEEP=1 keeps results/perf-*.data);
#                       prints the hottest symbols. Timings are then a bit slower.
#   PROFILE_HZ=999  PROFILE_TOP=25
#
# Exit status: 0 done (goals may be missed unless STRICT=1), 1 a
# measurement failed or a goal was missed with STRICT=1, 2 setup error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/bench/daemon_bench.py"
PUSHES=${PUSHES:-100}
LAT_WARMUP=${LAT_WARMUP:-3}
LAT_GAP_MS=${LAT_GAP_MS:-100}
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
PUSH_INTERVAL=${PUSH_INTERVAL:-0.5}
IDLE_APPS=${IDLE_APPS:-100}
IDLE_SOURCES=${IDLE_SOURCES:-4}
IDLE_SECONDS=${IDLE_SECONDS:-60}
IDLE_SETTLE=${IDLE_SETTLE:-5}
ONLY=${ONLY:-latency throughput idle}
BUILD_DIR=${BUILD_DIR:-build-dbench}
KEEP=${KEEP:-0}
STRICT=${STRICT:-0}
SKIP_SETUP=${SKIP_SETUP:-0}
PROFILE=${PROFILE:-0}
PROFILE_HZ=${PROFILE_HZ:-999}
PROFILE_TOP=${PROFILE_TOP:-25}

die() { echo "bench: $*" >&2; exit 2; }
step() { echo "== $*"; }
for v in PUSHES WRK_SECONDS WRK_THREADS WRK_CONNS IDLE_APPS IDLE_SOURCES IDLE_SECONDS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ "$IDLE_SOURCES" -le "$IDLE_APPS" ] || die "IDLE_SOURCES must not exceed IDLE_APPS"

# ---------------------------------------------------------------- tools
want() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }
for tool in git python3 curl openssl; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done
if [ "$PROFILE" = 1 ]; then
  command -v perf >/dev/null || die "PROFILE=1 needs perf (Debian: linux-perf)"
  perf record -q -e cpu-clock -o /dev/null true >/dev/null 2>&1 || die "perf record does not work here (perf_event_paranoid?)"
fi
if want throughput && ! command -v wrk >/dev/null; then
  [ "$SKIP_SETUP" = 1 ] && die "wrk is missing; install it (Debian: wrk) or unset SKIP_SETUP"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  step "installing wrk (apt-get)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

if [ -z "${SLUICE:-}" ]; then
  step "building sluice ($BUILD_DIR, ${BUILD_TYPE:-RelWithDebInfo})"
  BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh"
  SLUICE="$ROOT/$BUILD_DIR/sluice"
fi
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"

if [ -n "${BENCH_DIR:-}" ]; then
  B=$BENCH_DIR; mkdir -p "$B"
else
  B=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dbench.XXXXXX")
fi
R="$B/results"; mkdir -p "$R"
DPID=""; PUSHER=""; PERF=""
cleanup() {
  if [ -n "$PUSHER" ]; then kill "$PUSHER" 2>/dev/null || true; fi
  if [ -n "$PERF" ]; then kill -INT "$PERF" 2>/dev/null || true; fi
  if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ] || [ -n "${BENCH_DIR:-}" ]; then echo "bench: work folder kept: $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@sluice.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@sluice.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME="$B"   # no user config (hooks, signing) in the timing
export SLUICE_LOG=${SLUICE_LOG:-info}

openssl rand -hex 32 >"$B/secret"
chmod 600 "$B/secret"

# ---------------------------------------------------------------- helpers
make_repo() { # make_repo NAME: bare $B/NAME.git, work clone $B/NAME
  rm -rf "${B:?}/$1.git" "${B:?}/$1"
  git init -q --bare -b main "$B/$1.git"
  git init -q -b main "$B/$1"
  git -C "$B/$1" remote add origin "$B/$1.git"
}
commit_push() { # commit_push NAME MESSAGE
  git -C "$B/$1" add -A
  git -C "$B/$1" commit -q -m "$2"
  git -C "$B/$1" push -q origin main
}
configmap() { # configmap NAME VERSION
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: bench\ndata:\n  version: "%s"\n  payload: "%s"\n' \
    "$1" "$2" "$(printf 'x%.0s' $(seq 64))"
}
start_daemon() { # start_daemon CONFIG LOG: sets DPID, BASE; waits for /readyz
  "$SLUICE" run -c "$1" >"$2" 2>&1 &
  DPID=$!
  local port="" i
  for i in $(seq 200); do
    port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$2" | head -1)
    [ -n "$port" ] && break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$2" >&2; die "the daemon did not start (log above)"; }
  BASE="http://127.0.0.1:$port"
  for i in $(seq 1200); do
    curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && return 0
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$2" >&2; die "the daemon never became ready (log above)"
}
# PROFILE=1: perf record (cpu-clock, call graphs) on the daemon for one phase.
PERF=""
profile_start() { # profile_start PHASE
  [ "$PROFILE" = 1 ] || return 0
  perf record -q -e cpu-clock -F "$PROFILE_HZ" -g -p "$DPID" -o "$R/perf-$1.data" >"$B/perf-$1.log" 2>&1 &
  PERF=$!
  sleep 0.5
}
profile_stop() { # profile_stop PHASE: prints the hottest symbols (self time)
  [ -n "$PERF" ] || return 0
  kill -INT "$PERF" 2>/dev/null || true
  wait "$PERF" 2>/dev/null || true
  PERF=""
  echo "-- perf, $1: hottest symbols (self), $R/perf-$1.data"
  perf report -i "$R/perf-$1.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | head -"$PROFILE_TOP" || true
}
stop_daemon() {
  kill -TERM "$DPID" 2>/dev/null || true
  wait "$DPID" 2>/dev/null || true
  DPID=""
}

# The latency and throughput daemon: one git source (polling 1h: only
# webhooks bring changes), one app of five ConfigMaps, a directory target.
hook_setup() {
  rm -rf "$B/state-hook" "$B/out"
  make_repo app
  mkdir -p "$B/app/deploy"
  for i in 1 2 3 4 5; do configmap "cm$i" 0 >"$B/app/deploy/cm$i.yaml"; done
  commit_push app "first"
  cat >"$B/hook.yaml" <<Y
stateDir: $B/state-hook
listen: 127.0.0.1:0
webhook: { rateLimit: 1000000000 }
sources:
  app:
    git: "file://$B/app.git"
    ref: main
    interval: 1h
    webhook:
      github: { secretFile: $B/secret }
targets:
  out: { directory: $B/out }
apps:
  - name: demo
    source: app
    render: { manifests: { path: deploy } }
    target: out
    prune: true
Y
  "$SLUICE" validate -c "$B/hook.yaml" >/dev/null || die "hook.yaml does not validate"
}

# ---------------------------------------------------------------- machine
step "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
step "sluice: $("$SLUICE" --version 2>/dev/null || echo '?') ($SLUICE)"

# ---------------------------------------------------------------- latency
if want latency; then
  step "latency: $PUSHES pushes (+$LAT_WARMUP warm-up), webhook → file in the target"
  hook_setup
  start_daemon "$B/hook.yaml" "$B/daemon-latency.log"
  [ -f "$B/out/bench/ConfigMap/cm1.yaml" ] || die "first reconcile did not write the target"
  profile_start latency
  python3 "$PY" latency --base "$BASE" --secret "$B/secret" --work "$B/app" \
    --remote "file://$B/app.git" --target "$B/out/bench/ConfigMap/cm1.yaml" --app demo \
    --n "$PUSHES" --warmup "$LAT_WARMUP" --gap-ms "$LAT_GAP_MS" --out "$R/latency.json" \
    || { tail -20 "$B/daemon-latency.log" >&2; exit 1; }
  profile_stop latency
  echo "packs in the daemon's git cache after $((PUSHES + LAT_WARMUP + 1)) fetches: $(find "$B/state-hook/sources/app.git/objects/pack" -name '*.pack' | wc -l)"
  stop_daemon
fi

# ---------------------------------------------------------------- throughput
if want throughput; then
  step "throughput: wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s on /hooks/github, a push every ${PUSH_INTERVAL}s"
  hook_setup
  start_daemon "$B/hook.yaml" "$B/daemon-throughput.log"
  python3 "$PY" wrk-lua --secret "$B/secret" --remote "file://$B/app.git" \
    --sha "$(git -C "$B/app" rev-parse HEAD)" --out "$B/hook.lua"
  # One delivery by hand first: the script's signature must verify.
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/hooks/github" \
    -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: probe' \
    -H "X-Hub-Signature-256: $(sed -n 's/^local sig = "\(.*\)"$/\1/p' "$B/hook.lua")" \
    --data-binary "$(sed -n 's/^local body = \[==\[\(.*\)\]==\]$/\1/p' "$B/hook.lua")")
  [ "$code" = 202 ] || die "a signed probe delivery got $code, not 202"
  if [ "$PUSH_INTERVAL" != 0 ]; then
    ( n=0; while :; do
        n=$((n + 1)); configmap cm2 "load-$n" >"$B/app/deploy/cm2.yaml"
        commit_push app "load $n" >/dev/null 2>&1 || true
        sleep "$PUSH_INTERVAL"
      done ) &
    PUSHER=$!
  fi
  profile_start throughput
  fetch0=$(python3 "$PY" metric --base "$BASE" --name sluice_source_fetches_total --label result=success)
  dep0=$(python3 "$PY" metric --base "$BASE" --name sluice_deployments_total)
  python3 "$PY" throughput --base "$BASE" --script "$B/hook.lua" --seconds "$WRK_SECONDS" \
    --threads "$WRK_THREADS" --conns "$WRK_CONNS" --pid "$DPID" --out "$R/throughput.json"
  [ -n "$PUSHER" ] && { kill "$PUSHER" 2>/dev/null; wait "$PUSHER" 2>/dev/null || true; PUSHER=""; }
  profile_stop throughput
  fetch1=$(python3 "$PY" metric --base "$BASE" --name sluice_source_fetches_total --label result=success)
  dep1=$(python3 "$PY" metric --base "$BASE" --name sluice_deployments_total)
  echo "during the run: $((fetch1 - fetch0)) fetches, $((dep1 - dep0)) deployments (reconciles that changed the target)"
  python3 - "$R/throughput.json" "$((fetch1 - fetch0))" "$((dep1 - dep0))" <<'PYX'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["fetches"] = int(sys.argv[2]); d["deployments"] = int(sys.argv[3])
json.dump(d, open(p, "w"), indent=1)
PYX
  kill -0 "$DPID" 2>/dev/null || die "the daemon died under load"
  stop_daemon
fi

# ---------------------------------------------------------------- idle
if want idle; then
  step "idle: $IDLE_APPS apps over $IDLE_SOURCES git sources (interval 30s), ${IDLE_SECONDS}s"
  make_repo fleet
  for i in $(seq "$IDLE_APPS"); do
    mkdir -p "$B/fleet/apps/app-$i"
    for j in 1 2 3; do configmap "app-$i-cm$j" 1 >"$B/fleet/apps/app-$i/cm$j.yaml"; done
  done
  commit_push fleet "fleet"
  {
    echo "stateDir: $B/state-idle"
    echo "listen: 127.0.0.1:0"
    echo "sources:"
    for s in $(seq "$IDLE_SOURCES"); do
      printf '  fleet%d: { git: "file://%s/fleet.git", ref: main, interval: 30s }\n' "$s" "$B"
    done
    echo "targets:"
    echo "  out: { directory: $B/out-idle }"
    echo "apps:"
    for i in $(seq "$IDLE_APPS"); do
      s=$(( (i - 1) % IDLE_SOURCES + 1 ))
      printf '  - { name: app-%d, source: fleet%d, render: { manifests: { path: apps/app-%d } }, target: out, prune: true }\n' "$i" "$s" "$i"
    done
  } >"$B/idle.yaml"
  "$SLUICE" validate -c "$B/idle.yaml" >/dev/null || die "idle.yaml does not validate"
  start_daemon "$B/idle.yaml" "$B/daemon-idle.log"
  napps=$(curl -fsS "$BASE/api/v1/apps" | python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin)["apps"] if a.get("result")=="success"))')
  [ "$napps" = "$IDLE_APPS" ] || die "only $napps of $IDLE_APPS apps reconciled successfully"
  sleep "$IDLE_SETTLE"
  profile_start idle
  rec0=$(python3 "$PY" metric --base "$BASE" --name sluice_reconciles_total)
  fetch0=$(python3 "$PY" metric --base "$BASE" --name sluice_source_fetches_total)
  python3 "$PY" idle --pid "$DPID" --seconds "$IDLE_SECONDS" --apps "$IDLE_APPS" --out "$R/idle.json"
  rec1=$(python3 "$PY" metric --base "$BASE" --name sluice_reconciles_total)
  fetch1=$(python3 "$PY" metric --base "$BASE" --name sluice_source_fetches_total)
  echo "during the idle window: $((fetch1 - fetch0)) polls (fetches), $((rec1 - rec0)) reconciles (drift checks and skips)"
  profile_stop idle
  stop_daemon
fi

# ---------------------------------------------------------------- table
echo
args=()
[ -f "$R/latency.json" ] && args+=(--latency "$R/latency.json")
[ -f "$R/throughput.json" ] && args+=(--throughput "$R/throughput.json")
[ -f "$R/idle.json" ] && args+=(--idle "$R/idle.json")
set +e
python3 "$PY" table "${args[@]}" | tee "$R/table.md"
rc=${PIPESTATUS[0]}
set -e
echo
echo "Peer comparison: none. Argo CD and Flux are not installed here (no Kubernetes"
echo "cluster, no network); the figures stand against the goals only."
if [ "$rc" = 3 ]; then
  echo "bench: a goal was missed"
  [ "$STRICT" = 1 ] && exit 1
elif [ "$rc" != 0 ]; then
  exit 1
fi
exit 0
