#!/usr/bin/env bash
# EnvironmentRequests through the example environment module, end to end:
# a git repository whose requests are committed at controlled dates
# (GIT_COMMITTER_DATE), the `module` renderer, a directory target. An
# expired ttl prunes exactly that environment; diff says when each request
# expires; a bad tier fails with the module's error_message at the request's
# position; re-committing a request renews it. SLUICE_NOW pins the clock.
set -e
. "$(dirname "$0")/lib.sh"
SRC=${SL_SRC_DIR:?set SL_SRC_DIR to the source tree}

DAY=86400
T0=$(( $(date +%s) / DAY * DAY - 20 * DAY )) # midnight, 20 days ago

make_repo platform
mkdir -p "$T/platform/environments"
cp -R "$SRC/examples/platform-config/modules" "$T/platform/"
request() { # request NAME TEAM TIER TTL [database]
  {
    echo "apiVersion: platform.myorg.io/v1alpha1"
    echo "kind: EnvironmentRequest"
    echo "metadata:"
    echo "  name: $1"
    echo "spec:"
    echo "  team: $2"
    echo "  tier: $3"
    echo "  ttl: $4"
    echo "  services:"
    echo "    - name: web-service"
    if [ -n "${5:-}" ]; then
      echo "      database:"
      echo "        storageGB: 50"
    fi
  } >"$T/platform/environments/$1.yaml"
}
commit_at() { # commit_at EPOCH MESSAGE
  git -C "$T/platform" add -A
  GIT_AUTHOR_DATE="@$1 +0000" GIT_COMMITTER_DATE="@$1 +0000" git -C "$T/platform" commit -q -m "$2"
  git -C "$T/platform" push -q origin main
}
request shop-dev shop dev 5d db
commit_at "$T0" "shop-dev for five days"
request search-prod search prod 30d
commit_at $((T0 + DAY)) "search-prod for a month"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  platform: { git: "file://$T/platform.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: environments
    source: platform
    render: { module: { source: modules/environment, requests: "environments/*.yaml" } }
    target: out
    # TTL expiry deletes a whole environment at once: no share limit, a count cap
    prune: { enabled: true, maxShare: 0, maxCount: 50 }
Y
S() { run env SLUICE_NOW="$NOW" "$SLUICE" "$@" -c "$T/sluice.yaml"; }

# Day 2: both environments live.
NOW=$((T0 + 2 * DAY + 3600))
S validate
expect_rc 0 "validate accepts the module renderer's options"
S render
expect_rc 0 "render"
[ "$(grep -c '^kind:' <<<"$OUT")" -eq 7 ] && ok "7 objects (4 for shop-dev with its database, 3 for search-prod)" ||
  fail "7 objects: got $(grep -c '^kind:' <<<"$OUT")"
expect_out "name: shop-dev" "the namespace of shop-dev"
expect_out "name: search-prod" "the namespace of search-prod"
expect_out "requests.memory: 32Gi" "prod quota"
expect_out "requests.memory: 8Gi" "dev quota"
expect_out "name: web-db" "the database claim"
expect_out "storageGB: 50" "the claim's size from the request"
expect_err "note: app environments: environment shop-dev \(environments/shop-dev.yaml\) expires in 2d23h" \
  "render notes when shop-dev expires"

S apply
expect_rc 0 "apply creates both environments"
[ -f "$T/out/_cluster/Namespace/shop-dev.yaml" ] && ok "shop-dev namespace written" || fail "shop-dev namespace missing"
[ -f "$T/out/shop-dev/PostgreSQLInstance.platform.example.com/web-db.yaml" ] && ok "shop-dev database claim written" ||
  fail "claim missing: $(cd "$T/out" && find . -name '*.yaml' | sort | tr '\n' ' ')"
search_before=$(tree_sum "$T/out/search-prod")

S diff
expect_rc 0 "nothing to change on day 2"
expect_out "expires in 2d23h" "diff says when shop-dev expires"
expect_out "environment search-prod (environments/search-prod.yaml) expires in 28d23h" "diff says when search-prod expires"

# Day 6: shop-dev (5 days from day 0) expired a day ago.
NOW=$((T0 + 6 * DAY))
S diff
expect_rc 1 "diff on day 6 shows changes"
expect_out "0 to create, 0 to update, 4 to prune, 3 unchanged" "exactly shop-dev's 4 objects are pruned"
expect_out "environment shop-dev (environments/shop-dev.yaml) expired 1d ago" "diff reports the expiry"
S apply
expect_rc 0 "apply prunes the expired environment"
[ ! -e "$T/out/_cluster/Namespace/shop-dev.yaml" ] && ok "shop-dev namespace pruned" || fail "shop-dev namespace still there"
[ ! -e "$T/out/shop-dev" ] || [ -z "$(find "$T/out/shop-dev" -name '*.yaml')" ] && ok "shop-dev objects pruned" ||
  fail "shop-dev objects left: $(find "$T/out/shop-dev" -name '*.yaml')"
[ "$(tree_sum "$T/out/search-prod")" = "$search_before" ] && ok "search-prod untouched" || fail "search-prod changed"
[ -f "$T/out/_cluster/Namespace/search-prod.yaml" ] && ok "search-prod namespace kept" || fail "search-prod namespace gone"

# Re-committing the request renews it: its age counts from that commit.
sed -i 's/ttl: 5d/ttl: 7d/' "$T/platform/environments/shop-dev.yaml"
commit_at $((T0 + 6 * DAY + 60)) "shop-dev: one more week"
NOW=$((T0 + 6 * DAY + 3600))
S diff
expect_rc 1 "the renewed request is back"
expect_out "4 to create" "shop-dev's objects are created again"
expect_out "expires in 6d23h" "the ttl counts from the new commit"

# prune off: the expired environment stays, and the note says so.
sed -i 's/enabled: true/enabled: false/' "$T/sluice.yaml"
NOW=$((T0 + 40 * DAY))
S diff
expect_out "prune is off for this app" "with prune off the note says the objects stay"
sed -i 's/enabled: false/enabled: true/' "$T/sluice.yaml"

# A bad tier: the module's error_message at the request's position.
request bad-env shop qa 1d
commit_at $((T0 + 7 * DAY)) "a bad tier"
NOW=$((T0 + 7 * DAY + 60))
S render
expect_rc 2 "a bad tier fails the render"
expect_err "environments/bad-env.yaml:7:9" "the error points at the request's tier"
expect_err 'The environment tier must be one of "dev", "staging" or "prod"\.' "the module's error_message"
S apply
expect_rc 2 "apply refuses to act on a failed render"
[ -f "$T/out/_cluster/Namespace/search-prod.yaml" ] && ok "a failed render prunes nothing" || fail "a failed render pruned"

# The daemon: a request whose ttl passes while nothing is committed is
# pruned at a poll (module apps re-render at every poll; real clock here).
make_repo live
mkdir -p "$T/live/environments"
cp -R "$SRC/examples/platform-config/modules" "$T/live/"
cat >"$T/live/environments/brief.yaml" <<'Y'
apiVersion: platform.myorg.io/v1alpha1
kind: EnvironmentRequest
metadata:
  name: brief
spec:
  team: brief
  tier: dev
  ttl: 6s
Y
commit live "a six-second environment"
cat >"$T/daemon.yaml" <<Y
stateDir: $T/dstate
daemon: { driftInterval: 1h }
sources:
  live: { git: "file://$T/live.git", ref: main, interval: 1s }
targets:
  dout: { directory: $T/dout }
apps:
  - name: environments
    source: live
    render: { module: { source: modules/environment, requests: "environments/*.yaml" } }
    target: dout
    selfHeal: false
    allowEmpty: true
    prune: { enabled: true, maxShare: 0, maxCount: 50 }
Y
"$SLUICE" run -c "$T/daemon.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
  local end=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}
ns_there() { [ -f "$T/dout/_cluster/Namespace/brief-dev.yaml" ]; }
ns_gone() { [ ! -e "$T/dout/_cluster/Namespace/brief-dev.yaml" ]; }
wait_for 10 ns_there && ok "daemon applies the environment" || fail "daemon did not apply: $(tail -5 "$T/daemon.log")"
wait_for 20 ns_gone && ok "daemon prunes it once its ttl passed, without a new commit" ||
  fail "daemon did not prune the expired environment: $(tail -5 "$T/daemon.log")"
kill -TERM "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
grep -q "environment brief (environments/brief.yaml) expired" "$T/daemon.log" && ok "daemon logs the expiry" ||
  fail "no expiry in the daemon log: $(tail -5 "$T/daemon.log")"

finish
