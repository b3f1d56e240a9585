#!/usr/bin/env bash
# render/diff/apply over many apps: each app's objects are written as soon as
# it rendered (streamed through a spool) and apps render on two threads; the
# output is the same bytes, in app order, as one thread gives; a failed app
# prints no objects at all; two Score apps rendering at once keep their own
# state files.
set -e
. "$(dirname "$0")/lib.sh"

make_repo repo
for i in $(seq -w 1 40); do
  mkdir -p "$T/repo/services/s$i/k8s"
  cat >"$T/repo/services/s$i/k8s/cm.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-$i}
data: {index: "$i", text: "line one\\nline two"}
---
apiVersion: v1
kind: Service
metadata: {name: svc-$i}
spec: {ports: [{port: 80}]}
Y
done
for w in alpha beta gamma; do
  mkdir -p "$T/repo/score/$w"
  cat >"$T/repo/score/$w/score.yaml" <<Y
apiVersion: score.dev/v1b1
metadata: {name: $w}
containers:
  main:
    image: nginx
    variables: {DB: "\${resources.db.host}"}
resources:
  db: {type: postgres}
Y
done
commit repo "services"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  repo: { git: "file://$T/repo.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: "{{ dir }}"
    source: repo
    each: services/*/k8s
    render: manifests
    target: out
  - name: "score-{{ dir }}"
    source: repo
    each: score/*/score.yaml
    render: score
    target: out
Y

for fmt in yaml json; do
  SLUICE_THREADS=1 run "$SLUICE" render -o $fmt -c "$T/sluice.yaml"
  expect_rc 0 "render -o $fmt on one thread"
  cp "$T/.out" "$T/one.$fmt"
  SLUICE_THREADS=2 run "$SLUICE" render -o $fmt -c "$T/sluice.yaml"
  expect_rc 0 "render -o $fmt on two threads"
  if cmp -s "$T/one.$fmt" "$T/.out"; then ok "$fmt: two threads give the same bytes as one"
  else fail "$fmt differs between 1 and 2 threads"; diff "$T/one.$fmt" "$T/.out" | head -20; fi
done
# Apps come out in order (s01..s40, then the Score apps), every object once.
names=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "List" and d["apiVersion"] == "v1"
print(" ".join(i["metadata"]["name"] for i in d["items"] if i["kind"] in ("ConfigMap", "Service") and i["metadata"]["name"][:3] in ("cm-", "svc")))
' "$T/.out")
want=$(for i in $(seq -w 1 40); do printf 'cm-%s svc-%s ' "$i" "$i"; done)
if [ "$names " = "$want" ]; then ok "JSON List items in app order"; else fail "order: $names"; fi
if [ "$(grep -c '^kind: Deployment' "$T/one.yaml")" = 3 ]; then ok "the three Score apps rendered"
else fail "Score Deployments: $(grep -c '^kind: Deployment' "$T/one.yaml")"; fi
for w in alpha beta gamma; do
  [ -s "$T/state/score/apps/score-$w.json" ] || fail "no state file for score-$w"
done
ok "each Score app has its own state file"
if [ ! -s "$T/state/score/shared.json" ]; then ok "apps without shared provisioners leave the shared state alone"
else fail "shared.json written: $(cat "$T/state/score/shared.json")"; fi
SLUICE_THREADS=2 run "$SLUICE" render -c "$T/sluice.yaml"
if cmp -s "$T/one.yaml" "$T/.out"; then ok "Score state reused: a second render is the same"; else fail "second render differs"; fi

# A failed app in the middle: no objects printed at all, the app is named,
# nothing applied.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n' >"$T/repo/services/s20/k8s/bad.yaml"
commit repo "break s20"
SLUICE_THREADS=2 run "$SLUICE" render -c "$T/sluice.yaml"
expect_rc 2 "render with a broken app fails"
if [ ! -s "$T/.out" ]; then ok "a failed render prints no objects"; else fail "stdout has $(wc -c <"$T/.out") bytes"; fi
expect_err "app s20: .*bad.yaml:4:1" "the error names the app and the place"
SLUICE_THREADS=2 run "$SLUICE" apply -c "$T/sluice.yaml"
expect_rc 2 "apply with a broken app fails"
if [ ! -e "$T/out" ] || [ -z "$(ls -A "$T/out")" ]; then ok "nothing applied"; else fail "objects applied"; fi
git -C "$T/repo" rm -q services/s20/k8s/bad.yaml
commit repo "fix s20"
SLUICE_THREADS=2 run "$SLUICE" apply -c "$T/sluice.yaml"
expect_rc 0 "apply of all apps"
SLUICE_THREADS=2 run "$SLUICE" diff -c "$T/sluice.yaml"
expect_rc 0 "diff after apply: no changes"
finish
