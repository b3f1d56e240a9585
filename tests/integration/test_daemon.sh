#!/usr/bin/env bash
# The daemon end to end: real bare repos, the directory target, signed
# GitHub webhooks over loopback, the status API, metrics, backoff, a
# disappearing remote, SIGHUP with a broken config, SIGTERM, sd_notify.
set -e
. "$(dirname "$0")/lib.sh"

SECRET="It's a Secret to Everybody"
printf '%s' "$SECRET" >"$T/secret"
printf 'generic-token-123\n' >"$T/token"

make_repo app
mkdir -p "$T/app/deploy" "$T/app/broken"
for i in 1 2 3; do
  cat >"$T/app/deploy/cm$i.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm$i
  namespace: demo
data:
  version: "1"
Y
done
echo "not: [yaml" >"$T/app/broken/bad.yaml"
commit app "first"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
listen: 127.0.0.1:0
daemon: { concurrency: 2, driftInterval: 2s, backoffMax: 4s }
webhook: { rateLimit: 1000 }
sources:
  app:
    git: "file://$T/app.git"
    ref: main
    interval: 1h
    webhook:
      github: { secretFile: $T/secret }
      generic: { tokenFile: $T/token }
targets:
  out: { directory: $T/out }
apps:
  - name: demo
    source: app
    render: { manifests: { path: deploy } }
    target: out
    prune: true
  - name: broken
    source: app
    render: { manifests: { path: broken } }
    target: out
Y

# A sd_notify listener: records every datagram to $T/notify.log.
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        data = s.recv(4096)
        log.write(data.decode() + "\n--\n")
PY
NOTIFY_PID=$!
for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done

start_daemon() {
  NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000 WATCHDOG_PID=  \
    "$SLUICE" run -c "$T/sluice.yaml" >"$T/daemon.log" 2>&1 &
  DPID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$T/daemon.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  BASE="http://127.0.0.1:$PORT"
}
cleanup_all() { kill "$DPID" 2>/dev/null || true; kill "$NOTIFY_PID" 2>/dev/null || true; }
trap 'cleanup_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
app_field() { # app_field APP FIELD
  curl -fsS "$BASE/api/v1/apps/$1" | python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}
metric() { # metric 'name{labels}' -> value or 0
  curl -fsS "$BASE/metrics" | awk -v m="$1" '$1==m {print $2; found=1} END {if(!found) print 0}'
}
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= *//'; }
push_payload() { # push_payload SHA -> a minimal GitHub push body for this repo
  printf '{"ref":"refs/heads/main","after":"%s","deleted":false,"repository":{"clone_url":"file://%s/app.git","html_url":"file://%s/app"},"head_commit":{"id":"%s","timestamp":"2026-01-01T00:00:00Z"}}' "$1" "$T" "$T" "$1"
}
deliver() { # deliver BODY [SIG] [EVENT] [ID] -> HTTP status
  local body=$1 sig=${2-sha256=$(sign "$1")} ev=${3:-push} id=${4:-$RANDOM$RANDOM}
  curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/hooks/github" \
    -H "Content-Type: application/json" -H "X-GitHub-Event: $ev" -H "X-GitHub-Delivery: $id" \
    ${sig:+-H "X-Hub-Signature-256: $sig"} --data-binary "$body"
}

start_daemon
[ -n "$PORT" ] && ok "daemon listens on an ephemeral port" || { fail "daemon did not start"; cat "$T/daemon.log"; finish; exit 1; }
wait_for 10 curl -fsS "$BASE/readyz" && ok "/readyz after the first reconcile" || fail "/readyz never ready"
[ "$(curl -s "$BASE/healthz")" = "ok" ] && ok "/healthz" || fail "/healthz"
[ -f "$T/out/demo/ConfigMap/cm1.yaml" ] && ok "first reconcile applied the app" || fail "cm1 not applied"
[ "$(app_field demo result)" = success ] && ok "status: demo succeeded" || fail "status demo"
[ "$(app_field broken result)" = failed ] && ok "status: broken failed" || fail "status broken"
app_field broken lastError | grep -q 'bad.yaml:' && ok "status: error names the file" || fail "status error"
wait_for 5 grep -q '^READY=1' "$T/notify.log" && ok "READY=1 sent on NOTIFY_SOCKET" || fail "no READY=1"
wait_for 5 grep -q '^WATCHDOG=1' "$T/notify.log" && ok "WATCHDOG=1 sent" || fail "no WATCHDOG=1"

# A push plus a signed webhook is applied and visible in the API.
sed -i 's/version: "1"/version: "2"/' "$T/app/deploy/cm1.yaml"
commit app "v2"
SHA=$(git -C "$T/app" rev-parse HEAD)
[ "$(deliver "$(push_payload "$SHA")")" = 202 ] && ok "signed push accepted (202)" || fail "signed push not 202"
wait_for 5 grep -q 'version: "2"' "$T/out/demo/ConfigMap/cm1.yaml" && ok "webhook change applied within moments" || fail "change not applied"
wait_for 3 test "$(app_field demo revision)" = "$SHA" && ok "/api/v1/apps shows the new revision" || fail "API revision"

# Bad deliveries trigger nothing.
before=$(metric 'sluice_source_fetches_total{source="app",result="success"}')
[ "$(deliver "$(push_payload "$SHA")" "sha256=0000")" = 401 ] && ok "wrong signature: 401" || fail "wrong signature"
[ "$(deliver "$(push_payload "$SHA")" "")" = 401 ] && ok "missing signature: 401" || fail "missing signature"
code=$(deliver '{"zen":"x"}' "sha256=$(sign '{"zen":"x"}')" "watch")
case $code in 202|204) ok "unknown event accepted, ignored ($code)";; *) fail "unknown event: $code";; esac
[ "$(deliver '{not json' "sha256=$(sign '{not json')")" = 400 ] && ok "malformed JSON: 400" || fail "malformed JSON"
code=$(head -c 31457280 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/hooks/github" \
  -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=00" --data-binary @- )
[ "$code" = 413 ] && ok "30 MB body: 413" || fail "30 MB body: $code"
sleep 0.5
[ "$(metric 'sluice_source_fetches_total{source="app",result="success"}')" = "$before" ] && ok "bad deliveries triggered no fetch" || fail "bad delivery triggered a fetch"

# 100 webhooks in a burst: one reconcile of the newest revision.
sed -i 's/version: "1"/version: "3"/' "$T/app/deploy/cm2.yaml"
commit app "v3"
SHA=$(git -C "$T/app" rev-parse HEAD)
applied_before=$(metric 'sluice_deployments_total{app="demo"}')
body=$(push_payload "$SHA"); sig="sha256=$(sign "$body")"
for i in $(seq 100); do
  curl -s -o /dev/null -X POST "$BASE/hooks/github" -H "X-GitHub-Event: push" \
    -H "X-GitHub-Delivery: burst-$i" -H "X-Hub-Signature-256: $sig" --data-binary "$body" &
done
wait_for 10 grep -q 'version: "3"' "$T/out/demo/ConfigMap/cm2.yaml" && ok "burst applied" || fail "burst not applied"
sleep 1
after=$(metric 'sluice_deployments_total{app="demo"}')
[ "$(awk -v a="$after" -v b="$applied_before" 'BEGIN{print a-b}')" = 1 ] && ok "100 webhooks gave one deployment" || fail "burst gave $after - $applied_before deployments"

# The failing app backs off while the other keeps going.
f1=$(app_field broken failures)
sleep 3
f2=$(app_field broken failures)
[ "${f2:-0}" -ge 2 ] && ok "failing app retried with backoff (failures=$f2)" || fail "failing app failures=$f1->$f2"
grep -q 'app broken: retrying in' "$T/daemon.log" && ok "backoff logged" || fail "no backoff log"
[ "$(app_field demo result)" = success ] && ok "other app unaffected" || fail "demo affected"

# The generic hook with a bearer token.
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer nope' "$BASE/hooks/generic/app")" = 401 ] && ok "generic hook: wrong token 401" || fail "generic wrong token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer generic-token-123' "$BASE/hooks/generic/app")" = 202 ] && ok "generic hook: 202" || fail "generic hook"

# Drift: edit the target by hand; selfHeal puts it back.
sed -i 's/version: "3"/version: "edited-by-hand"/' "$T/out/demo/ConfigMap/cm2.yaml"
wait_for 8 grep -q 'version: "3"' "$T/out/demo/ConfigMap/cm2.yaml" && ok "drift repaired (selfHeal)" || fail "drift not repaired"
[ "$(metric 'sluice_drift_detected_total{app="demo"}')" != 0 ] && ok "drift counted in metrics" || fail "drift metric"

# A remote that disappears: last applied state stays, the error is reported.
sum=$(tree_sum "$T/out")
mv "$T/app.git" "$T/app.git.away"
curl -s -o /dev/null -X POST -H 'Authorization: Bearer generic-token-123' "$BASE/hooks/generic/app"
wait_for 5 sh -c "curl -fsS '$BASE/api/v1/apps/demo' | grep -q sourceError\\\":\\\"" && ok "fetch error reported in status" || fail "no sourceError"
[ "$(tree_sum "$T/out")" = "$sum" ] && ok "target keeps the last applied state" || fail "target changed"
mv "$T/app.git.away" "$T/app.git"

# SIGHUP with a broken config keeps the old one.
cp "$T/sluice.yaml" "$T/sluice.yaml.good"
echo "apps: [ {name: x" >>"$T/sluice.yaml"
kill -HUP "$DPID"
wait_for 5 grep -q 'reload failed' "$T/daemon.log" && ok "broken config refused on SIGHUP" || fail "no reload failure"
kill -0 "$DPID" && curl -fsS "$BASE/healthz" >/dev/null && ok "still running on the old config" || fail "died on bad reload"
cp "$T/sluice.yaml.good" "$T/sluice.yaml"
kill -HUP "$DPID"
wait_for 5 grep -q 'reloaded:' "$T/daemon.log" && ok "good config reloaded" || fail "reload"
wait_for 5 grep -q '^RELOADING=1' "$T/notify.log" && ok "RELOADING=1 sent" || fail "no RELOADING=1"

# SIGTERM mid-reconcile leaves a consistent target and exits 0.
sed -i 's/version: "2"/version: "4"/' "$T/app/deploy/cm1.yaml"
git -C "$T/app" rm -q deploy/cm3.yaml
commit app "v4"
curl -s -o /dev/null -X POST -H 'Authorization: Bearer generic-token-123' "$BASE/hooks/generic/app"
kill -TERM "$DPID"
wait "$DPID"; rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM exit $rc"
grep -q '^STOPPING=1' "$T/notify.log" && ok "STOPPING=1 sent" || fail "no STOPPING=1"
# consistent: every inventory entry of demo has its file, and no stray ConfigMap files
python3 - "$T/out" <<'PY' && ok "target consistent after SIGTERM" || fail "target inconsistent"
import json, os, sys
root = sys.argv[1]
inv = json.load(open(os.path.join(root, ".sluice/inventory/demo.json")))["objects"]
names = {o["name"] for o in inv}
files = {f[:-5] for f in os.listdir(os.path.join(root, "demo/ConfigMap"))}
assert names == files or names >= files, (names, files)
for n in files:
    assert n in names, n
PY

# Restart: the status survives (read from the state file).
start_daemon
wait_for 10 curl -fsS "$BASE/readyz" && ok "restarted" || fail "restart"
[ "$(app_field demo result)" = success ] && ok "status after restart" || fail "status after restart"
wait_for 5 test ! -e "$T/out/demo/ConfigMap/cm3.yaml" && ok "the push made before SIGTERM is applied after restart" || fail "cm3 not pruned"
kill -TERM "$DPID"; wait "$DPID" || true

if [ "$FAILED" -gt 0 ]; then
  echo "--- daemon log (last 60 lines)"; tail -n 60 "$T/daemon.log"
fi
finish
