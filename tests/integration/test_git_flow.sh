#!/usr/bin/env bash
# End to end: a git repo -> render -> diff -> apply -> directory target,
# then changes in git show up as exactly the objects they touch.
set -e
. "$(dirname "$0")/lib.sh"

make_repo app
mkdir -p "$T/app/deploy"
cat >"$T/app/deploy/web.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
Y
cat >"$T/app/deploy/config.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: info
  FEATURE_X: "on"
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
type: Opaque
data:
  password: c3VwZXJzZWNyZXQtb2xk
Y
cat >"$T/app/deploy/ns.json" <<'Y'
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}
Y
commit app "first"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  app: { git: "file://$T/app.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: web
    source: app
    namespace: web
    render: { manifests: { path: deploy } }
    target: out
    prune: true
Y
S() { run "$SLUICE" "$@" -c "$T/sluice.yaml"; }

S validate
expect_rc 0 "validate accepts the config"

S render
expect_rc 0 "render"
expect_out "namespace: web" "the app's namespace is set on namespaced objects"
[ "$(grep -c '^kind:' <<<"$OUT")" -eq 4 ] && ok "render prints 4 objects" || fail "render prints 4 objects"
first=$OUT
S render
[ "$OUT" = "$first" ] && ok "render is byte-identical across runs" || fail "render is not deterministic"

S diff
expect_rc 1 "first diff reports changes"
expect_out "4 to create, 0 to update, 0 to prune, 0 unchanged" "summary counts creates"
expect_no "c3VwZXJzZWNyZXQtb2xk" "secret value is masked in diff"

S apply
expect_rc 0 "apply"
[ -f "$T/out/web/Deployment.apps/web.yaml" ] && ok "deployment written by namespace/kind/name" || fail "deployment file missing"
[ -f "$T/out/_cluster/Namespace/web.yaml" ] && ok "cluster-scoped object under _cluster" || fail "namespace file missing"

S diff
expect_rc 0 "diff after apply is clean"
expect_out "0 to create, 0 to update, 0 to prune, 4 unchanged" "summary after apply"

# Change one file in git: exactly that object shows up.
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$T/app/deploy/config.yaml"
commit app "debug logging"
S diff
expect_rc 1 "diff sees the new commit"
expect_out "0 to create, 1 to update, 0 to prune, 3 unchanged" "only the changed object is an update"
expect_out "+  LOG_LEVEL: debug" "diff shows the new line"
expect_out "-  LOG_LEVEL: info" "diff shows the old line"
[ "$(grep -c '^+++ ' <<<"$OUT")" -eq 1 ] && ok "exactly one object diff" || fail "expected one object diff"
S apply
expect_rc 0 "apply the update"
grep -q "LOG_LEVEL: debug" "$T/out/web/ConfigMap/web-config.yaml" && ok "target holds the update" || fail "target not updated"
S diff
expect_rc 0 "clean again"

# A secret change shows that it changed, not what it is.
sed -i 's/c3VwZXJzZWNyZXQtb2xk/bmV3LXNlY3JldC12YWx1ZQ==/' "$T/app/deploy/config.yaml"
commit app "rotate"
S diff
expect_rc 1 "secret change is a change"
expect_no "c3VwZXJzZWNyZXQtb2xk" "old secret value never printed"
expect_no "bmV3LXNlY3JldC12YWx1ZQ==" "new secret value never printed"
expect_out "***" "masked value shown"
for fmt in json markdown; do
  S diff -o $fmt
  expect_no "bmV3LXNlY3JldC12YWx1ZQ==" "secret masked in -o $fmt"
done
S diff -o json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["summary"]["update"]==1, d["summary"]' <<<"$OUT" \
  && ok "-o json parses and counts the update" || fail "-o json"
S diff -o markdown
expect_out "<details>" "-o markdown has collapsible diffs"
S apply
expect_rc 0 "apply the secret"

# A file deleted in git is pruned.
git -C "$T/app" rm -q deploy/ns.json
commit app "drop namespace"
S diff
expect_rc 1 "deleted file is a prune"
expect_out "0 to create, 0 to update, 1 to prune, 3 unchanged" "one prune"
S apply
expect_rc 0 "apply prunes"
[ ! -e "$T/out/_cluster/Namespace/web.yaml" ] && ok "pruned object removed from the target" || fail "pruned object still there"
S diff
expect_rc 0 "clean after prune"

# --local renders a working tree instead of the configured revision.
cp -R "$T/app" "$T/pr"
sed -i 's/replicas: 2/replicas: 3/' "$T/pr/deploy/web.yaml"
S diff --local "$T/pr"
expect_rc 1 "--local shows the working tree change"
expect_out "+  replicas: 3" "--local diff content"
S diff
expect_rc 0 "without --local the configured revision is clean"

# Colour only when asked.
S diff --local "$T/pr" --color=always
grep -q $'\e\[' <<<"$OUT" && ok "--color=always colours" || fail "--color=always"
S diff --local "$T/pr" --color=never
grep -q $'\e\[' <<<"$OUT" && fail "--color=never has escapes" || ok "--color=never plain"

# Selecting an app by name; an unknown app is an error.
S diff web
expect_rc 0 "select by name"
S diff nope
expect_rc 2 "unknown app"
expect_err "no app named \"nope\"" "unknown app named"

# help on every subcommand
for c in render diff apply validate version; do
  run "$SLUICE" $c --help
  expect_rc 0 "$c --help"
done

finish
