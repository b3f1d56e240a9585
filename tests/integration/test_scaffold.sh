#!/usr/bin/env bash
# sluice scaffold: the seed Backstage template published into a bare repo and
# registered in a catalog repo (then rendered by sluice), the cookiecutter
# variant byte-identical to Debian's cookiecutter, and bad input (syntax,
# unknown filter, undefined variable, a refused answer, path escapes) giving a
# positioned error with nothing written anywhere.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SRC=${SL_SRC_DIR:?}
TPL=$SRC/examples/platform-config/templates/nodejs-service
CCT=$SRC/examples/platform-config/templates/nodejs-service-cookiecutter

remote_heads() { git ls-remote "$1" 2>/dev/null | sort; }

# ---- the seed template: publish:git + catalog:register ----
git init -q --bare -b main "$T/payments.git"
make_repo catalog
cp -r "$SRC/examples/catalog/." "$T/catalog/"
commit catalog "catalog"
cat_before=$(git -C "$T/catalog" rev-parse HEAD)

run "$SLUICE" scaffold "$TPL" -o "$T/ws" --set name=payments-service --set owner=team-checkout \
  --set remoteUrl="file://$T/payments.git" --set port=9090 --catalog "$T/catalog"
expect_rc 0 "scaffold the seed template"
expect_out "Repository: file://$T/payments.git" "output.links printed, rendered"
expect_out "Open in catalog: component:default/payments-service" "entityRef link from the catalog:register output"

git clone -q "$T/payments.git" "$T/payments"
for f in Dockerfile package.json src/index.js deploy/k8s/deployment.yaml deploy/k8s/service.yaml \
  catalog-info.yaml score.yaml .github/workflows/ci.yaml README.md; do
  [ -f "$T/payments/$f" ] || fail "published repo lacks $f"
done
ok "published repo has the whole skeleton"
if python3 -m json.tool "$T/payments/package.json" >/dev/null &&
  grep -q '"name": "payments-service"' "$T/payments/package.json"; then
  ok "package.json is valid JSON with the name"
else fail "package.json"; cat "$T/payments/package.json"; fi
if grep -q 'containerPort: 9090' "$T/payments/deploy/k8s/deployment.yaml" &&
  grep -q 'namespace: apps' "$T/payments/deploy/k8s/deployment.yaml"; then
  ok "answers and schema defaults reach the manifests (port 9090, namespace apps)"
else fail "deployment.yaml values"; cat "$T/payments/deploy/k8s/deployment.yaml"; fi
if grep -qF 'ghcr.io/${{ github.repository }}:${{ github.sha }}' "$T/payments/.github/workflows/ci.yaml"; then
  ok "copyWithoutTemplating keeps GitHub Actions expressions"
else fail "ci.yaml was templated"; fi
# golden: the rendered workspace, with the temp folder name replaced by @T@
GOLD=$SRC/tests/golden/scaffold
cp -a "$T/ws" "$T/ws-norm"
grep -rlF "$T" "$T/ws-norm" | xargs -r sed -i "s|$T|@T@|g"
if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then rm -rf "$GOLD/nodejs-service"; cp -a "$T/ws-norm" "$GOLD/nodejs-service"; fi
if diff -r --no-dereference "$GOLD/nodejs-service" "$T/ws-norm"; then ok "workspace equals tests/golden/scaffold/nodejs-service"
else fail "workspace differs from the golden tree"; fi
# the peer: Nunjucks renders the same skeleton with the same values
if command -v node >/dev/null && [ -d "$SRC/tests/node/node_modules/nunjucks" ]; then
  node "$SRC/tests/scaffold/nunjucks_skeleton.js" "$TPL/skeleton" "$T/nj" \
    "{\"name\":\"payments-service\",\"description\":\"A Node.js service.\",\"owner\":\"team-checkout\",\"system\":\"commerce\",\"port\":9090,\"namespace\":\"apps\",\"remoteUrl\":\"file://$T/payments.git\"}" \
    .github/workflows/
  if diff -r "$T/nj" "$T/ws"; then ok "workspace equals Nunjucks' rendering of the skeleton"
  else fail "workspace differs from Nunjucks' rendering"; fi
else fail "node and tests/node/node_modules/nunjucks are required (scripts/setup.sh installs them)"; fi
if diff -r -x .git "$T/payments" "$T/ws" >/dev/null; then ok "-o workspace equals the pushed tree"
else fail "-o workspace differs from the pushed tree"; fi
[ "$(git -C "$T/payments" log --format=%s)" = "Create payments-service from the nodejs-service template" ] &&
  ok "commit message rendered" || fail "commit message: $(git -C "$T/payments" log --format=%s)"

cat >"$T/svc.yaml" <<EOF
stateDir: $T/state
sources:
  payments: { git: file://$T/payments.git, ref: main }
  catalog: { git: file://$T/catalog.git, ref: main }
targets:
  out: { directory: $T/rendered }
apps:
  - name: payments
    source: payments
    render: { manifests: { path: deploy/k8s } }
    target: out
  - name: "{{ dir }}"
    source: catalog
    each: services/*/k8s
    render: manifests
    target: out
EOF
run "$SLUICE" render -c "$T/svc.yaml" --local "payments=$T/payments" payments
expect_rc 0 "sluice render --local on the scaffolded repo"
expect_out "kind: Deployment" "render shows the Deployment"
expect_out "name: payments-service" "render shows the service name"
run "$SLUICE" render -c "$T/svc.yaml" payments
expect_rc 0 "sluice render from the published git repo"

# catalog:register committed into the local catalog checkout
[ "$(git -C "$T/catalog" rev-list --count "$cat_before"..HEAD)" = 1 ] &&
  ok "catalog:register made one commit" || fail "catalog commits"
[ "$(git -C "$T/catalog" log -1 --format=%s)" = "Register services/payments-service" ] &&
  ok "catalog commit message" || fail "catalog commit: $(git -C "$T/catalog" log -1 --format=%s)"
if git -C "$T/catalog" show HEAD:services/payments-service/catalog-info.yaml | grep -q 'name: payments-service' &&
  git -C "$T/catalog" show HEAD:services/payments-service/k8s/deployment.yaml | grep -q 'kind: Deployment'; then
  ok "the component and its manifests are in the catalog"
else fail "catalog content"; git -C "$T/catalog" show --stat HEAD; fi
[ -z "$(git -C "$T/catalog" status --porcelain)" ] && ok "catalog checkout clean after commit" ||
  fail "catalog checkout dirty: $(git -C "$T/catalog" status --porcelain)"
run "$SLUICE" render -c "$T/svc.yaml" --local "catalog=$T/catalog" payments-service
expect_rc 0 "the catalog's each: generator picks up the new service"
expect_out "name: payments-service" "generated app renders the new service"

# catalog given as a URL, with explicit Location targets: cloned, the target
# appended, committed and pushed
git init -q --bare -b main "$T/cat2.git"
git clone -q "$T/cat2.git" "$T/cat2" 2>/dev/null
cat >"$T/cat2/catalog-info.yaml" <<'EOF'
# root Location
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: catalog
spec:
  targets:
    - ./services/orders/catalog-info.yaml   # explicit list
EOF
git -C "$T/cat2" add -A && git -C "$T/cat2" commit -qm root && git -C "$T/cat2" push -q origin main
git init -q --bare -b main "$T/refunds.git"
run "$SLUICE" scaffold "$TPL" -q --set name=refunds-service --set owner=team-checkout \
  --set remoteUrl="file://$T/refunds.git" --catalog "file://$T/cat2.git"
expect_rc 0 "scaffold with a catalog URL and no -o"
git -C "$T/cat2" pull -q
if grep -q '^    - ./services/refunds-service/catalog-info.yaml$' "$T/cat2/catalog-info.yaml" &&
  grep -q '# explicit list' "$T/cat2/catalog-info.yaml" && [ -f "$T/cat2/services/refunds-service/k8s/service.yaml" ]; then
  ok "catalog URL: target appended (comments kept), files pushed"
else fail "catalog URL"; cat "$T/cat2/catalog-info.yaml"; fi

# scaffolding again into a remote whose branch exists: refused, nothing changes
before=$(remote_heads "$T/payments.git")
run "$SLUICE" scaffold "$TPL" -o "$T/ws2" --set name=payments-service --set owner=team-checkout \
  --set remoteUrl="file://$T/payments.git" --catalog "$T/catalog"
expect_rc 2 "publishing over an existing branch is refused"
expect_err "already has a branch main" "says why"
[ "$(remote_heads "$T/payments.git")" = "$before" ] && ok "remote unchanged" || fail "remote changed"

# ---- bad answers ----
git init -q --bare -b main "$T/bad.git"
bad_before=$(remote_heads "$T/bad.git")
cat >"$T/answers.yaml" <<EOF
name: Payments_Service
owner: team-checkout
remoteUrl: file://$T/bad.git
port: 80
EOF
run "$SLUICE" scaffold "$TPL" -o "$T/badout" -f "$T/answers.yaml" --catalog "$T/catalog"
expect_rc 2 "answers violating the schema"
expect_err "answers.yaml:1:7: parameters.name: .*does not match pattern" "pattern error names the field at its position"
expect_err "answers.yaml:4:7: parameters.port: " "minimum error for port, positioned"
[ ! -e "$T/badout" ] && ok "nothing written (schema)" || fail "output written on a refused answer"
run "$SLUICE" scaffold "$TPL" -o "$T/badout" --set owner=team-checkout --set remoteUrl="file://$T/bad.git"
expect_rc 2 "a missing required answer"
expect_err "parameters: .*name" "required error names the field"

# ---- bad templates: a copy of the seed template, broken one way at a time ----
broken() { # broken NAME: fresh copy of the template in $T/tpl-NAME
  rm -rf "$T/tpl-$1"
  cp -r "$TPL" "$T/tpl-$1"
}
check_nothing() { # check_nothing WHAT
  if [ ! -e "$T/badout" ] && [ "$(remote_heads "$T/bad.git")" = "$bad_before" ] &&
    [ ! -e "$T/escaped.txt" ] && [ ! -e /tmp/sluice-scaffold-abs-test.txt ]; then
    ok "$1: nothing written, remote unchanged"
  else fail "$1: something was written"; ls -la "$T"; fi
}
scaffold_bad() { # scaffold_bad NAME [--set ...]
  local n=$1; shift
  run "$SLUICE" scaffold "$T/tpl-$n" -o "$T/badout" --set name=bad-service --set owner=team-checkout \
    --set remoteUrl="file://$T/bad.git" --catalog "$T/catalog" "$@"
}

broken unclosed
printf '# ${{ values.name }}\n\nline three ${{ values.name \n' >"$T/tpl-unclosed/skeleton/README.md"
scaffold_bad unclosed
expect_rc 2 "unclosed tag"
expect_err "skeleton/README.md:[34]:[0-9]+: .*('}}'|end of)" "unclosed tag: file:line:col and what was expected"
check_nothing "unclosed tag"

broken filter
printf 'name: ${{ values.name | nosuchfilter }}\n' >"$T/tpl-filter/skeleton/score.yaml"
scaffold_bad filter
expect_rc 2 "unknown filter"
expect_err "skeleton/score.yaml:1:[0-9]+: .*nosuchfilter" "unknown filter named with its position"
check_nothing "unknown filter"

broken undef
printf 'a: 1\nb: ${{ values.nosuchvalue }}\n' >"$T/tpl-undef/skeleton/score.yaml"
scaffold_bad undef
expect_rc 2 "undefined variable"
expect_err "skeleton/score.yaml:2:[0-9]+: .*nosuchvalue" "undefined variable named with its position"
check_nothing "undefined variable"

broken dotdot
echo x >"$T/tpl-dotdot/skeleton/\${{ values.name }}\${{ values.up }}"
sed -i 's|          remoteUrl: \${{ parameters.remoteUrl }}|&\n          up: /../../escaped.txt|' "$T/tpl-dotdot/template.yaml"
scaffold_bad dotdot
expect_rc 2 "'..' in a templated name"
expect_err "\.\." "the error shows the escaping path"
expect_err "skeleton/\\$\\{\\{ values.name \\}\\}" "the error names the skeleton file"
check_nothing "'..' in a templated name"

broken abs
echo x >"$T/tpl-abs/skeleton/\${{ values.abs }}"
sed -i 's|          remoteUrl: \${{ parameters.remoteUrl }}|&\n          abs: /tmp/sluice-scaffold-abs-test.txt|' "$T/tpl-abs/template.yaml"
scaffold_bad abs
expect_rc 2 "an absolute templated name"
expect_err "absolute" "says absolute"
check_nothing "an absolute templated name"

broken link
ln -s ../../../escaped.txt "$T/tpl-link/skeleton/src/link.txt"
scaffold_bad link
expect_rc 2 "a symlink pointing out of the skeleton"
expect_err "src/link.txt.*points out" "names the symlink"
check_nothing "a symlink pointing out"

broken action
sed -i 's/action: debug:log/action: nope:nope/; s/action: catalog:register/action: github:actions:dispatch/' "$T/tpl-action/template.yaml"
scaffold_bad action
expect_rc 2 "an unknown action"
expect_err "template.yaml:[0-9]+:[0-9]+: .*unknown action \"github:actions:dispatch\"" "unknown action, positioned"
check_nothing "an unknown action (checked before any step runs)"

# a non-empty -o is refused before anything runs
mkdir -p "$T/full" && echo keep >"$T/full/keep"
run "$SLUICE" scaffold "$TPL" -o "$T/full" --set name=full-service --set owner=team-checkout \
  --set remoteUrl="file://$T/bad.git" --catalog "$T/catalog"
expect_rc 2 "non-empty output folder"
[ "$(ls "$T/full")" = keep ] && [ "$(remote_heads "$T/bad.git")" = "$bad_before" ] &&
  ok "non-empty -o: nothing pushed, nothing added" || fail "non-empty -o"

# ---- publish:github through --github-url-base, token never printed ----
mkdir -p "$T/gh/myorg"
git init -q --bare -b trunk "$T/gh/myorg/hello.git"
mkdir -p "$T/gt/skel"
printf 'hello ${{ values.who }}\n' >"$T/gt/skel/hello.txt"
cat >"$T/gt/template.yaml" <<'EOF'
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: gh }
spec:
  parameters:
    properties:
      who: { type: string, default: world }
      publish: { type: boolean, default: true }
  steps:
    - id: fetch
      action: fetch:template
      input: { url: ./skel, targetPath: app, values: { who: "${{ parameters.who }}" } }
    - id: gh
      if: ${{ parameters.publish }}
      action: publish:github
      input:
        repoUrl: github.com?owner=myorg&repo=hello
        defaultBranch: trunk
        sourcePath: app
    - id: log
      if: ${{ parameters.publish }}
      action: debug:log
      input: { message: "${{ steps.gh.output.remoteUrl }} ${{ steps.gh.output.commitHash | length }}" }
EOF
run "$SLUICE" scaffold "$T/gt/template.yaml" --github-url-base "file://$T/gh"
expect_rc 0 "publish:github to a local stand-in"
expect_out "[log] https://github.com/myorg/hello 40" "outputs: remoteUrl and commitHash"
[ "$(git --git-dir="$T/gh/myorg/hello.git" show trunk:hello.txt)" = "hello world" ] &&
  ok "publish:github pushed sourcePath to the branch" || fail "publish:github content"
run "$SLUICE" scaffold "$T/gt/template.yaml" --set publish=false -o "$T/gt-out"
expect_rc 0 "a step skipped by if:"
[ -f "$T/gt-out/app/hello.txt" ] && ok "targetPath honoured" || fail "targetPath"
printf 's3cr3t-t0ken\n' >"$T/token"
run "$SLUICE" scaffold "$T/gt/template.yaml" --github-url-base "http://127.0.0.1:9" --token-file "$T/token"
expect_rc 2 "unreachable https remote fails"
expect_no "s3cr3t-t0ken" "the token is never printed"

# ---- every fetch option, conditional names, typed inputs: golden tree and stdout ----
run "$SLUICE" scaffold "$SRC/tests/scaffold/bs-features" -o "$T/bsf" --set name=demo --set user.ref=user:default/jane
expect_rc 0 "the features template"
if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then rm -rf "$GOLD/bs-features"; cp -a "$T/bsf" "$GOLD/bs-features"; echo "$OUT" >"$GOLD/bs-features.stdout"; fi
if diff -r --no-dereference "$GOLD/bs-features" "$T/bsf"; then ok "features: tree equals tests/golden/scaffold/bs-features"
else fail "features: tree differs from the golden"; fi
if [ "$OUT" = "$(cat "$GOLD/bs-features.stdout")" ]; then ok "features: stdout (debug:log types, output links and text) equals the golden"
else fail "features: stdout differs"; diff <(echo "$OUT") "$GOLD/bs-features.stdout"; fi
[ -x "$T/bsf/bin/run.sh" ] && [ ! -x "$T/bsf/README.md" ] && ok "features: the executable bit is kept" || fail "features: modes"
[ "$(readlink "$T/bsf/docs/readme-link.md")" = ../README.md ] && ok "features: an inside symlink stays a symlink" || fail "features: symlink"
cmp -s "$T/bsf/logo.png" "$SRC/tests/scaffold/bs-features/skel/logo.png" && ok "features: a binary file is copied as is" || fail "features: binary"
run "$SLUICE" scaffold "$SRC/tests/scaffold/bs-features" -o "$T/bsf2" --set name=demo --set extra=true
expect_rc 0 "the features template with extra=true"
[ -f "$T/bsf2/extra.txt" ] && [ -f "$T/bsf2/opt/inner.txt" ] && [ ! -e "$T/bsf/extra.txt" ] && [ ! -e "$T/bsf/opt" ] &&
  ok "conditional file and folder names: present when true, skipped when empty" || fail "conditional names"
run "$SLUICE" scaffold "$SRC/tests/scaffold/bs-features" -o "$T/bsf3" --set name=demo --set count=0
expect_rc 2 "count below its minimum"
expect_err "parameters.count: .*minimum" "minimum names the field"
[ ! -e "$T/bsf3" ] && ok "nothing written (minimum)" || fail "written on a refused answer"

# ---- real HTTP on loopback: git http-backend behind token auth ----
mkdir -p "$T/http"
git init -q --bare -b main "$T/http/svc.git"
git clone -q --bare "$T/catalog" "$T/http/catalog.git"
for r in svc catalog; do git -C "$T/http/$r.git" config http.receivepack true; done
printf 'h77p-t0ken\n' >"$T/http-token"
python3 "$SRC/tests/scaffold/git_http_server.py" "$T/http" "$T/http-token" "$T/http-port" 2>"$T/http.log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/http-port" ] && break; sleep 0.1; done
H="http://127.0.0.1:$(cat "$T/http-port")"
run "$SLUICE" scaffold "$TPL" -q --set name=http-service --set owner=team-checkout \
  --set remoteUrl="$H/svc.git" --catalog "$H/catalog.git" --token-file "$T/http-token"
expect_rc 0 "publish:git and catalog:register over HTTP with a token"
[ "$(git --git-dir="$T/http/svc.git" show main:catalog-info.yaml | grep -c 'name: http-service')" = 1 ] &&
  ok "HTTP: the service was pushed" || fail "HTTP: nothing pushed"
git --git-dir="$T/http/catalog.git" show main:services/http-service/k8s/deployment.yaml >/dev/null 2>&1 &&
  ok "HTTP: the catalog was cloned, committed and pushed" || fail "HTTP: catalog not updated"
expect_no "h77p-t0ken" "HTTP: the token is not printed"
grep -q '" 401 ' "$T/http.log" && grep -q 'POST /svc.git/git-receive-pack HTTP/1.1" 200' "$T/http.log" &&
  ok "HTTP: the server asked for credentials and accepted the token" || { fail "HTTP server log"; cat "$T/http.log"; }
git init -q --bare -b main "$T/http/svc2.git" && git -C "$T/http/svc2.git" config http.receivepack true
printf 'wrong\n' >"$T/wrong-token"
run "$SLUICE" scaffold "$TPL" -q --set name=http-service --set owner=team-checkout \
  --set remoteUrl="$H/svc2.git" --catalog "$H/catalog.git" --token-file "$T/wrong-token"
expect_rc 2 "a wrong token is refused"
expect_err "authentication failed" "says authentication failed"
[ -z "$(git --git-dir="$T/http/svc2.git" for-each-ref)" ] && ok "wrong token: remote unchanged" || fail "wrong token pushed"

# ---- cookiecutter: byte-identical to Debian's cookiecutter ----
run cookiecutter --no-input -o "$T/cc-ref" "$CCT"
expect_rc 0 "cookiecutter renders the example skeleton"
run "$SLUICE" scaffold "$CCT" --no-input -o "$T/cc-sl"
expect_rc 0 "sluice scaffold renders the example skeleton"
expect_err "not run without --allow-hooks" "hooks are not run by default"
if diff -r "$T/cc-ref" "$T/cc-sl"; then ok "identical trees (defaults)"; else fail "trees differ (defaults)"; fi
run cookiecutter --no-input -o "$T/cc-ref2" "$CCT" service_name=ledger node_version=18 port=7000
run "$SLUICE" scaffold "$CCT" -o "$T/cc-sl2" service_name=ledger node_version=18 --set port=7000 --allow-hooks
expect_rc 0 "sluice scaffold with answers and hooks"
expect_out "Created ledger" "--allow-hooks runs the rendered post_gen_project hook"
if diff -r "$T/cc-ref2" "$T/cc-sl2"; then ok "identical trees (answers, choice)"; else fail "trees differ (answers)"; fi
run "$SLUICE" scaffold "$CCT" -o "$T/cc-sl2" service_name=ledger
expect_rc 2 "an existing project folder is refused"

# a skeleton using every cookiecutter feature sluice supports
CCF=$SRC/tests/scaffold/cc-features
run cookiecutter --no-input -o "$T/ccf-ref" "$CCF"
run "$SLUICE" scaffold "$CCF" -o "$T/ccf-sl"
expect_rc 0 "the cookiecutter features skeleton"
if diff -r "$T/ccf-ref" "$T/ccf-sl"; then ok "features skeleton: identical trees (defaults)"; else fail "features skeleton differs (defaults)"; fi
run cookiecutter --no-input -o "$T/ccf-ref2" "$CCF" "project_name=Other Name" license=Apache-2.0 use_docker=no replicas=1
run "$SLUICE" scaffold "$CCF" -o "$T/ccf-sl2" "project_name=Other Name" license=Apache-2.0 use_docker=no replicas=1
if diff -r "$T/ccf-ref2" "$T/ccf-sl2"; then ok "features skeleton: identical trees (answers)"; else fail "features skeleton differs (answers)"; fi
[ "$(stat -c %a "$T/ccf-sl2/other-name/bin/run.sh")" = "$(stat -c %a "$T/ccf-ref2/other-name/bin/run.sh")" ] &&
  ok "features skeleton: file modes as cookiecutter" || fail "features skeleton: modes"
printf 'name: from-values\nlicense: BSD-3-Clause\n' >"$T/ccv.yaml"
printf 'default_context:\n  project_name: from-values\n  license: BSD-3-Clause\n' >"$T/ccrc.yaml"
run cookiecutter --no-input --config-file "$T/ccrc.yaml" -o "$T/ccf-ref3" "$CCF"
printf 'project_name: from-values\nlicense: BSD-3-Clause\n' >"$T/ccv.yaml"
run "$SLUICE" scaffold "$CCF" -o "$T/ccf-sl3" --values "$T/ccv.yaml"
if diff -r "$T/ccf-ref3" "$T/ccf-sl3"; then ok "--values is cookiecutter's default_context"; else fail "--values differs from default_context"; fi

# cookiecutter bad input: positioned errors, nothing written
mkdir -p "$T/ccb/{{cookiecutter.name}}"
printf '{\n  "name": "ok",\n  "image": "x/{{ cookiecutter.nope }}"\n}\n' >"$T/ccb/cookiecutter.json"
echo hi >"$T/ccb/{{cookiecutter.name}}/a.txt"
run "$SLUICE" scaffold "$T/ccb" -o "$T/ccb-out"
expect_rc 2 "cookiecutter: undefined variable in cookiecutter.json"
expect_err "cookiecutter.json:3:18: .*cookiecutter.nope" "positioned in cookiecutter.json"
printf '{"name": "ok"}\n' >"$T/ccb/cookiecutter.json"
printf 'line1\n{{ cookiecutter.name | nosuch }}\n' >"$T/ccb/{{cookiecutter.name}}/a.txt"
run "$SLUICE" scaffold "$T/ccb" -o "$T/ccb-out"
expect_rc 2 "cookiecutter: unknown filter"
expect_err "a.txt:2:[0-9]+: .*nosuch" "unknown filter positioned"
printf 'line1\n{%% if cookiecutter.name %%}\n' >"$T/ccb/{{cookiecutter.name}}/a.txt"
run "$SLUICE" scaffold "$T/ccb" -o "$T/ccb-out"
expect_rc 2 "cookiecutter: unclosed block"
expect_err "a.txt:[0-9]+:[0-9]+: .*(never closed|endif)" "unclosed block positioned"
[ ! -e "$T/ccb-out" ] && ok "cookiecutter bad input: nothing written" || fail "cookiecutter bad input wrote something"

# cookiecutter path escape: nothing written
mkdir -p "$T/cce/{{cookiecutter.name}}"
echo '{"name": "ok", "sub": "../../escaped"}' >"$T/cce/cookiecutter.json"
echo hi >"$T/cce/{{cookiecutter.name}}/{{cookiecutter.sub}}.txt"
run "$SLUICE" scaffold "$T/cce" -o "$T/cce-out"
expect_rc 2 "cookiecutter: '..' in a rendered name"
expect_err "\{\{cookiecutter.sub\}\}.txt" "names the file"
[ ! -e "$T/cce-out" ] && [ ! -e "$T/escaped.txt" ] && ok "cookiecutter escape: nothing written" ||
  fail "cookiecutter escape wrote something"

finish
