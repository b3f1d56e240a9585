#!/usr/bin/env bash
# The daemon re-renders an app when a source its render options name moves,
# not only its own: a push to the platform repo (here a template the
# catalog's apps stamp out) reaches the target at the next poll of that
# repo, without a commit to the catalog and without waiting for drift.
set -e
. "$(dirname "$0")/lib.sh"

make_repo platform
mkdir -p "$T/platform/quotas"
cat >"$T/platform/quotas/quota.yaml.j2" <<'Y'
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
  namespace: {{ app.dir }}
spec:
  hard:
    pods: "10"
Y
commit platform "quota template"

make_repo catalog
mkdir -p "$T/catalog/services/shop" "$T/catalog/services/find"
for s in shop find; do
  printf 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: %s }\n' "$s" \
    >"$T/catalog/services/$s/catalog-info.yaml"
done
commit catalog "services"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
listen: 127.0.0.1:0
daemon: { driftInterval: 1h }
sources:
  platform: { git: "file://$T/platform.git", ref: main, interval: 1s }
  catalog: { git: "file://$T/catalog.git", ref: main, interval: 1h }
targets:
  out: { directory: $T/out }
apps:
  - name: "quota-{{ dir }}"
    source: catalog
    each: services/*/catalog-info.yaml
    render: { template: { files: "platform:quotas/*.j2" } }
    target: out
    prune: true
Y

"$SLUICE" run -c "$T/sluice.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'kill $DPID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

wait_for() { local n=$(($1 * 10)); shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

wait_for 10 grep -q 'pods: "10"' "$T/out/shop/ResourceQuota/compute.yaml" &&
  ok "first reconcile applied the stamped quota" || fail "no quota applied"
wait_for 5 grep -q 'pods: "10"' "$T/out/find/ResourceQuota/compute.yaml" &&
  ok "both catalog apps applied" || fail "find quota missing"

sed -i 's/pods: "10"/pods: "20"/' "$T/platform/quotas/quota.yaml.j2"
commit platform "more pods"

wait_for 8 grep -q 'pods: "20"' "$T/out/shop/ResourceQuota/compute.yaml" &&
  ok "a push to the platform repo re-rendered the catalog's apps" || fail "platform change not applied"
wait_for 5 grep -q 'pods: "20"' "$T/out/find/ResourceQuota/compute.yaml" &&
  ok "every app using the template got it" || fail "find not updated"
kill $DPID; wait $DPID 2>/dev/null || true
grep -q 'source platform: revision' "$T/daemon.log" && ok "the platform poll saw the new revision" ||
  fail "no revision line"
grep -q 'app quota-shop: applied .* (poll): 0 created, 1 updated' "$T/daemon.log" &&
  ok "the update came from the platform poll" || fail "no poll-triggered apply logged"
finish
