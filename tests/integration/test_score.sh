#!/usr/bin/env bash
# The score renderer end to end with the real binary: a catalog repo with a
# Score workload, a platform repo with a cmd:// provisioner; two applies give
# the same objects (provisioner state kept under stateDir); a provisioner that
# fails, prints junk or hangs gives a clear error and applies nothing.
set -e
. "$(dirname "$0")/lib.sh"

make_repo catalog
make_repo platform
mkdir -p "$T/catalog/services/api" "$T/platform/provisioners"
cat >"$T/catalog/services/api/score.yaml" <<'Y'
apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: ghcr.io/example/api:1.0.0
    variables:
      DB_HOST: ${resources.db.host}
      DB_PASSWORD: ${resources.db.password}
      QUEUE: ${resources.queue.url}
      HOST: ${resources.dns.host}
service:
  ports:
    http: {port: 80, targetPort: 8080}
resources:
  db: {type: postgres}
  dns: {type: dns}
  queue: {type: queue}
Y
cat >"$T/catalog/services/api/catalog-info.yaml" <<'Y'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: api
  annotations: {backstage.io/kubernetes-namespace: team-api}
spec: {type: service, lifecycle: production, owner: team-api}
Y
commit catalog "api"

# A cmd:// provisioner that keeps a random name in its state.
cat >"$T/platform/provisioners/queue.provisioners.yaml" <<'Y'
- uri: cmd://./queue.sh
  type: queue
Y
cat >"$T/platform/provisioners/queue.sh" <<'Y'
#!/bin/sh
in=$(cat)
name=$(printf '%s' "$in" | sed -n 's/.*"resource_state":{"name":"\([a-z0-9-]*\)".*/\1/p')
[ -n "$name" ] || name="q-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
printf '{"resource_state":{"name":"%s"},"resource_outputs":{"url":"https://queue.example/%s"}}' "$name" "$name"
Y
chmod +x "$T/platform/provisioners/queue.sh"
commit platform "queue provisioner"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  catalog: { git: "file://$T/catalog.git", ref: main }
  platform: { git: "file://$T/platform.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: "{{ dir }}"
    source: catalog
    each: services/*/score.yaml
    render: { score: { provisioners: "platform:provisioners/", timeout: 6s } }
    target: out
    prune: true
Y

run "$SLUICE" validate -c "$T/sluice.yaml"
expect_rc 0 "config with a score app validates"

run "$SLUICE" apply -c "$T/sluice.yaml"
expect_rc 0 "first apply"
first=$(tree_sum "$T/out")
state1=$(cat "$T/state/score/apps/api.json")
deploy=$(grep -rl "kind: Deployment" "$T/out" | head -1)
if [ -n "$deploy" ] && grep -q "namespace: team-api" "$deploy" && grep -q "team: team-api" "$deploy"; then
  ok "the Deployment is in the catalog's namespace with its team label"
else fail "Deployment namespace/labels: $(cat "$deploy" 2>/dev/null | head -30)"; fi
password=$(sed -n 's/.*"password":[[:space:]]*"\([^"]*\)".*/\1/p' "$T/state/score/apps/api.json" | head -1)
if [ -n "$password" ] && ! grep -rqF "$password" "$T/out"; then
  ok "the generated password is not in plain text in any object"
else fail "generated password '$password' leaked or missing"; fi
if grep -q "secretKeyRef" "$deploy"; then ok "the password reaches the container through a secretKeyRef"; else fail "no secretKeyRef"; fi
if grep -q "https://queue.example/q-" "$deploy"; then ok "the cmd:// provisioner's output is substituted"; else fail "queue url missing"; fi
if [ "$(stat -c %a "$T/state/score/apps/api.json")" = 600 ]; then ok "state file is owner-only"; else fail "state mode $(stat -c %a "$T/state/score/apps/api.json")"; fi

run "$SLUICE" diff -c "$T/sluice.yaml"
expect_rc 0 "diff after apply: no changes (state reused)"
run "$SLUICE" apply -c "$T/sluice.yaml"
expect_rc 0 "second apply"
if [ "$(tree_sum "$T/out")" = "$first" ]; then ok "second apply: identical objects"; else fail "objects changed between applies"; fi
if [ "$(cat "$T/state/score/apps/api.json")" = "$state1" ]; then ok "provisioner state stable across reconciles"; else fail "state changed"; fi

# The daemon's skip-by-input-hash includes the provisioner state: with the
# sources unchanged, a removed state file is noticed on the next poll.
# The reconcile of a revision that already succeeded is skipped by its input
# hash; the provisioner state is part of that hash. Scenario: A applied, B
# fails, the branch is forced back to A: skipped while the state is as it
# was, reconciled when the state changed (here: removed).
sed -i "s|ref: main }|ref: main, interval: 1s }|" "$T/sluice.yaml"
good=$(git -C "$T/catalog" rev-parse HEAD)
"$SLUICE" run -c "$T/sluice.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'kill "$DPID" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 300); do grep -q "first reconcile" "$T/daemon.log" && break; sleep 0.1; done
flip() { # flip: push a broken workload, wait for its failure, force main back to the good commit
  sed -i 's/^apiVersion: score.dev\/v1b1/apiVersion: score.dev\/v9/' "$T/catalog/services/api/score.yaml"
  commit catalog "broken workload"
  for _ in $(seq 300); do [ "$(grep -c "apiVersion" "$T/daemon.log")" -ge "$1" ] && break; sleep 0.1; done
  git -C "$T/catalog" reset -q --hard "$good"
  git -C "$T/catalog" push -q -f origin main
}
flip 1
sleep 3
mtime=$(stat -c %Y.%N "$T/state/score/apps/api.json" 2>/dev/null)
rm -f "$T/state/score/apps/api.json"
flip 2
for _ in $(seq 300); do [ -s "$T/state/score/apps/api.json" ] && break; sleep 0.1; done
if [ -s "$T/state/score/apps/api.json" ]; then ok "daemon: a changed provisioner state makes the same revision a new input"
else fail "daemon skipped the reconcile after the state changed"; tail -20 "$T/daemon.log"; fi
kill "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
# the state was regenerated: later checks compare against it
state1=$(cat "$T/state/score/apps/api.json")
"$SLUICE" apply -c "$T/sluice.yaml" >/dev/null 2>&1 || true
first=$(tree_sum "$T/out")

# Broken provisioners: the error names the resource and what went wrong, and
# the target is untouched.
broken() { # broken SCRIPT-BODY what expected-error
  printf '#!/bin/sh\n%s\n' "$1" >"$T/platform/provisioners/queue.sh"
  commit platform "break: $2"
  run "$SLUICE" apply -c "$T/sluice.yaml"
  if [ "$RC" -ge 2 ]; then ok "$2: apply fails (exit $RC)"; else fail "$2: exit $RC"; fi
  expect_err "$3" "$2: clear error"
  expect_err "resource 'queue.default#api.queue': provisioner cmd://./queue.sh" "$2: names the resource"
  if [ "$(tree_sum "$T/out")" = "$first" ]; then ok "$2: nothing applied"; else fail "$2: target changed"; fi
  if [ "$(cat "$T/state/score/apps/api.json")" = "$state1" ]; then ok "$2: state kept"; else fail "$2: state changed"; fi
}
broken 'cat >/dev/null; echo "queue service unavailable" >&2; exit 3' "non-zero exit" "exited with status 3: queue service unavailable"
broken 'cat >/dev/null; echo "this is not json"' "junk output" "failed to decode output from cmd provisioner.*this is not json"
broken 'sleep 60' "hang" "timed out after 6s"

finish
