#!/usr/bin/env bash
# The daemon under a fake systemd: it speaks sd_notify on $NOTIFY_SOCKET
# (READY=1 only after the first reconcile, WATCHDOG=1 at half of
# $WATCHDOG_USEC, RELOADING=1 + READY=1 on SIGHUP, STOPPING=1 on SIGTERM),
# records every reconcile in <stateDir>/state.db, and `sluice status`
# shows the same apps from the running daemon's API and, once it is
# stopped, from the state file.
set -e
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "FAIL python3 is needed for the notify listener"; exit 1; }

# --- a git source with one app ------------------------------------------
make_repo app
mkdir -p "$T/app/deploy"
cat >"$T/app/deploy/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {LOG_LEVEL: info}
Y
commit app "first"
head1=$(git -C "$T/app" rev-parse HEAD)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
listen: 127.0.0.1:$PORT
sources:
  app: { git: "file://$T/app.git", ref: main, interval: 1h }
targets:
  out: { directory: $T/out }
apps:
  - name: web
    source: app
    namespace: web
    render: { manifests: { path: deploy } }
    target: out
Y

# --- a fake systemd notify socket -----------------------------------------
cat >"$T/notify.py" <<'PY'
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(log + ".up", "w").close()
while True:
    msg = s.recv(4096).decode()
    with open(log, "a") as f:
        f.write(msg.replace("\n", "|") + "\n")
PY
python3 "$T/notify.py" "$T/notify" "$T/notify.log" &
NPID=$!
DPID=
trap 'kill $NPID 2>/dev/null || true; [ -z "$DPID" ] || kill -9 $DPID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -e "$T/notify.log.up" ] && break; sleep 0.05; done
: >"$T/notify.log"

# wait_for WHAT SECONDS CMD...: poll until CMD succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 10))); do
    if "$@"; then ok "$what"; return 0; fi
    sleep 0.1
  done
  fail "$what (waited ${secs}s)"
  echo "--- notify.log"; cat "$T/notify.log"; echo "--- daemon log"; tail -20 "$T/daemon.log"
  return 1
}
notified() { grep -q -- "$1" "$T/notify.log"; }
count() { grep -c -- "$1" "$T/notify.log" || true; }

# WATCHDOG_PID must be the daemon's own pid: exec keeps the shell's.
NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=1000000 \
  sh -c 'WATCHDOG_PID=$$ exec "$0" run -c "$1"' "$SLUICE" "$T/sluice.yaml" \
  >"$T/daemon.log" 2>&1 &
DPID=$!

wait_for "READY=1 after start" 60 notified 'READY=1'
[ -f "$T/out/web/ConfigMap/web-config.yaml" ] && ok "the first reconcile was done before READY=1" ||
  fail "READY=1 came before the first reconcile wrote the target"
first_ready=$(grep -n 'READY=1' "$T/notify.log" | head -1 | cut -d: -f1)
first_status=$(grep -n 'STATUS=' "$T/notify.log" | head -1 | cut -d: -f1)
[ -n "$first_status" ] && [ "$first_status" -le "$first_ready" ] && ok "STATUS= sent while starting" ||
  fail "no STATUS= before READY=1"
wait_for "WATCHDOG=1 pings at half of WATCHDOG_USEC" 5 \
  sh -c '[ "$(grep -c "^WATCHDOG=1$" "$0")" -ge 2 ]' "$T/notify.log"

# --- status from the running daemon -----------------------------------------
run "$SLUICE" status -c "$T/sluice.yaml"
expect_rc 0 "status: the app succeeded"
expect_no "not reachable" "status asked the daemon"
expect_out "${head1:0:12}" "status shows the revision (12 characters)"
grep -qE '^web +success ' <<<"$OUT" && ok "status row: web success" || { fail "status row"; echo "$OUT"; }
run "$SLUICE" status -c "$T/sluice.yaml" -o json
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["origin"] == "daemon", d
a = [x for x in d["apps"] if x["name"] == "web"][0]
assert a["result"] == "success" and a["revision"] == sys.argv[1], a
assert a["objects"]["created"] == 1, a' "$head1" <<<"$OUT" && ok "status -o json from the daemon" ||
  { fail "status -o json from the daemon"; echo "$OUT"; }
run "$SLUICE" status -c "$T/sluice.yaml" nope
expect_rc 2 "status of an unknown app"

# --- a broken commit, picked up on reload -----------------------------------
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n' >"$T/app/deploy/bad.yaml"
commit app "broken"
ready_before=$(count 'READY=1')
kill -HUP "$DPID"
wait_for "RELOADING=1 on SIGHUP" 10 notified 'RELOADING=1'
wait_for "READY=1 again after the reload" 10 sh -c '[ "$(grep -c READY=1 "$0")" -gt "$1" ]' \
  "$T/notify.log" "$ready_before"
status_failed() { "$SLUICE" status -c "$T/sluice.yaml" >/dev/null 2>&1; [ $? -eq 1 ]; }
wait_for "status exits 1 once the app failed" 30 status_failed

# --- stop ---------------------------------------------------------------------
kill -TERM "$DPID"
set +e; wait "$DPID"; drc=$?; set -e
DPID=
[ "$drc" -eq 0 ] && ok "SIGTERM: the daemon exits 0" || fail "SIGTERM: exit $drc"
notified 'STOPPING=1' && ok "STOPPING=1 on SIGTERM" || fail "no STOPPING=1"

# --- status from the state file ---------------------------------------------
run "$SLUICE" status -c "$T/sluice.yaml"
expect_rc 1 "status after stop: the last run failed"
expect_err "daemon not reachable at http://127.0.0.1:$PORT" "status says the daemon is down"
expect_err "showing the last recorded state from $T/state/state.db" "status names the state file"
grep -qE '^web +failed ' <<<"$OUT" && ok "state row: web failed" || { fail "state row"; echo "$OUT"; }
run "$SLUICE" status -c "$T/sluice.yaml" web
expect_out "recent runs" "status APP lists the recent runs"
expect_out "success" "the earlier success is in the history"
expect_out "error: " "the full error is shown"
run "$SLUICE" status -c "$T/sluice.yaml" -o json
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["origin"] == "state", d
a = d["apps"][0]
assert a["name"] == "web" and a["result"] == "failed" and a["lastError"], a' <<<"$OUT" &&
  ok "status -o json from the state file" || { fail "status -o json from the state file"; echo "$OUT"; }
command -v sqlite3 >/dev/null &&
  [ "$(sqlite3 "$T/state/state.db" "SELECT count(*) FROM runs WHERE app='web'")" -ge 2 ] &&
  ok "state.db holds the history" || fail "state.db history"

# No state at all: an error, exit 2.
sed -i "s|stateDir: .*|stateDir: $T/empty|" "$T/sluice.yaml"
run "$SLUICE" status -c "$T/sluice.yaml"
expect_rc 2 "status without daemon and without state"
expect_err "error: .*state.db" "the missing state file is named"

finish
