#!/usr/bin/env bash
# sluice run --watch: an edit under a dir source is applied within moments
# (inotify, debounced), without waiting for the poll interval.
set -e
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/tree/deploy"
cat >"$T/tree/deploy/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: live-edit, namespace: dev}
data:
  greeting: hello
Y
cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  tree: { dir: $T/tree, interval: 1h }
targets:
  out: { directory: $T/out }
apps:
  - name: dev
    source: tree
    render: { manifests: { path: deploy } }
    target: out
    prune: true
Y
"$SLUICE" run -c "$T/sluice.yaml" --watch >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'kill $DPID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
F="$T/out/dev/ConfigMap/live-edit.yaml"
wait_for() { local n=$(( $1 * 10 )); shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

wait_for 10 grep -q 'greeting: hello' "$F" && ok "first reconcile" || fail "first reconcile"
grep -q 'folders watched' "$T/daemon.log" && ok "inotify watches set" || fail "no watches"

sed -i 's/hello/bonjour/' "$T/tree/deploy/cm.yaml"
start=$(date +%s%N)
wait_for 5 grep -q 'greeting: bonjour' "$F" && ok "edit applied (interval is 1h: inotify did it)" || fail "edit not applied"
echo "    edit-to-applied: $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q '(inotify)' "$T/daemon.log" && ok "logged as an inotify trigger" || fail "trigger not inotify"

# A burst of edits gives few reconciles (debounced), ending at the last content.
for i in $(seq 20); do sed -i "s/greeting: .*/greeting: v$i/" "$T/tree/deploy/cm.yaml"; done
wait_for 5 grep -q 'greeting: v20' "$F" && ok "burst of edits ends at the last one" || fail "burst"
n=$(grep -c 'app dev: applied' "$T/daemon.log")
[ "$n" -le 5 ] && ok "burst debounced ($n applies in all)" || fail "burst not debounced: $n applies"

# A deleted file is pruned.
cat >"$T/tree/deploy/extra.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: dev}
Y
wait_for 5 test -f "$T/out/dev/ConfigMap/extra.yaml" && ok "new file applied" || fail "new file"
rm "$T/tree/deploy/extra.yaml"
wait_for 5 test ! -e "$T/out/dev/ConfigMap/extra.yaml" && ok "deleted file pruned" || fail "not pruned"

kill -TERM $DPID; wait $DPID && ok "clean stop" || fail "stop"
finish
