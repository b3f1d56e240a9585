#!/usr/bin/env bash
# Bad input: every case exits 2, names the position where there is one,
# and leaves the target untouched.
set -e
. "$(dirname "$0")/lib.sh"

make_repo app
mkdir -p "$T/app/deploy"
cat >"$T/app/deploy/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: good
  namespace: default
data:
  k: v
Y
commit app "good"
cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  app: { git: "file://$T/app.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: app
    source: app
    render: { manifests: { path: deploy } }
    target: out
    prune: true
Y
S() { run "$SLUICE" "$@" -c "$T/sluice.yaml"; }
S apply
expect_rc 0 "baseline apply"
before=$(tree_sum "$T/out")

# bad_case NAME FILE CONTENT-COMMAND ERR-REGEX
check_bad() {
  local what=$1 regex=$2
  S diff
  expect_rc 2 "$what: diff fails"
  expect_err "$regex" "$what: error names the problem"; echo "    stderr: $(head -c 300 <<<"$ERR")"
  S apply
  expect_rc 2 "$what: apply fails"
  [ "$(tree_sum "$T/out")" = "$before" ] && ok "$what: target untouched" || fail "$what: target changed"
}
reset_repo() {
  git -C "$T/app" rm -q -r --cached deploy >/dev/null
  rm -rf "$T/app/deploy"
  mkdir -p "$T/app/deploy"
  cp "$T/good.yaml" "$T/app/deploy/cm.yaml"
  commit app "reset"
}
cp "$T/app/deploy/cm.yaml" "$T/good.yaml"

# 1. malformed YAML, with line:col
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a, b\ndata: {}\n' >"$T/app/deploy/broken.yaml"
commit app "broken"
check_bad "malformed YAML" 'deploy/broken\.yaml:[0-9]+:[0-9]+:'
reset_repo

# 2. billion laughs
{
  echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  prev=a
  for n in b c d e f g h i; do
    printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $n $n $prev $prev $prev $prev $prev $prev $prev $prev $prev
    prev=$n
  done
} >"$T/app/deploy/laughs.yaml"
commit app "laughs"
check_bad "billion laughs" 'laughs\.yaml:[0-9]+:[0-9]+:.*(alias|node|limit)'
reset_repo

# 3. 10,000-deep nesting
python3 -c 'print("x: " + "["*10000 + "]"*10000)' >"$T/app/deploy/deep.yaml"
commit app "deep"
check_bad "10,000-deep nesting" 'deep\.yaml:[0-9]+:[0-9]+:.*(depth|nest)'
reset_repo

# 4. duplicate objects, naming both places
cat >"$T/app/deploy/dup.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: good
  namespace: default
data:
  k: other
Y
commit app "dup"
check_bad "duplicate object" 'duplicate object .*ConfigMap default/good.*deploy/(cm|dup)\.yaml:[0-9]+'
reset_repo

# 5. a symlink in the git tree is never followed
ln -s /etc/passwd "$T/app/deploy/evil.yaml"
commit app "symlink"
check_bad "symlink in git tree" 'evil\.yaml.*symlink'
reset_repo

# 6. a symlink escaping the root of a local tree (--local)
mkdir -p "$T/local/deploy"
cp "$T/good.yaml" "$T/local/deploy/cm.yaml"
ln -s /etc/hostname "$T/local/deploy/escape.yaml"
S diff --local "$T/local"
expect_rc 2 "symlink escaping --local root: diff fails"
expect_err 'escape\.yaml' "symlink escaping --local root: named"
S apply --local "$T/local"
expect_rc 2 "symlink escaping --local root: apply fails"
[ "$(tree_sum "$T/out")" = "$before" ] && ok "symlink escape: target untouched" || fail "symlink escape: target changed"

# 7. an unknown ref
sed "s/ref: main/ref: no-such-branch/" "$T/sluice.yaml" >"$T/badref.yaml"
run "$SLUICE" diff -c "$T/badref.yaml"
expect_rc 2 "unknown ref: diff fails"
expect_err 'no-such-branch' "unknown ref: named"
run "$SLUICE" apply -c "$T/badref.yaml"
expect_rc 2 "unknown ref: apply fails"
[ "$(tree_sum "$T/out")" = "$before" ] && ok "unknown ref: target untouched" || fail "unknown ref: target changed"

# 8. an unreachable remote
sed "s|file://$T/app.git|http://127.0.0.1:9/nothing.git|" "$T/sluice.yaml" | sed "s|stateDir: .*|stateDir: $T/state2|" >"$T/unreach.yaml"
run timeout 60 "$SLUICE" apply -c "$T/unreach.yaml"
expect_rc 2 "unreachable remote: apply fails"
expect_err '127\.0\.0\.1:9' "unreachable remote: URL named"
[ "$(tree_sum "$T/out")" = "$before" ] && ok "unreachable remote: target untouched" || fail "unreachable remote: target changed"

# 9. an object without a name, with position
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: default\n' >"$T/app/deploy/noname.yaml"
commit app "noname"
check_bad "object without name" 'noname\.yaml:[0-9]+:[0-9]+:.*metadata\.name'
reset_repo

# 10. an empty render does not prune everything
git -C "$T/app" rm -q deploy/cm.yaml
mkdir -p "$T/app/deploy"
echo "# nothing here" >"$T/app/deploy/README.yaml"
commit app "empty"
S apply
expect_rc 2 "empty render refuses to prune"
expect_err 'rendered no objects' "empty render explained"
[ "$(tree_sum "$T/out")" = "$before" ] && ok "empty render: target untouched" || fail "empty render: target changed"

# 11. a config with several problems reports all of them with positions
cat >"$T/bad-config.yaml" <<'Y'
stateDir: /tmp/x
sources:
  one: { git: "file:///nowhere", refx: main }
targets:
  out: { directory: /tmp/y }
apps:
  - name: a
    source: missing
    target: out
    render: { manifests: { path: x } }
  - name: b
    source: one
    target: nowhere
    render: { frobnicate: {} }
Y
run "$SLUICE" validate -c "$T/bad-config.yaml"
expect_rc 2 "validate fails"
expect_err 'bad-config\.yaml:3:[0-9]+: .*refx' "unknown source field with position"
expect_err 'bad-config\.yaml:8:[0-9]+: .*unknown source "missing"' "unknown source with position"
expect_err 'bad-config\.yaml:13:[0-9]+: .*unknown target "nowhere"' "unknown target with position"
expect_err 'bad-config\.yaml:14:[0-9]+: .*unknown renderer "frobnicate"' "unknown renderer with position"

finish
