#!/usr/bin/env bash
# The template renderer through the real binary: a platform repo with one
# templated policy stamped into every team namespace, a catalog repo whose
# services get a quota each from their catalog-info.yaml, then a change in
# git, a broken template (positioned error, nothing applied) and bad
# options caught by validate.
set -e
. "$(dirname "$0")/lib.sh"

make_repo platform
mkdir -p "$T/platform/network" "$T/platform/quotas"
cat >"$T/platform/network/default-deny.yaml.j2" <<'Y'
{%- for namespace in namespaces %}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-all
  namespace: {{ namespace }}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
{%- endfor %}
Y
cat >"$T/platform/quotas/quota.yaml.j2" <<'Y'
apiVersion: v1
kind: ResourceQuota
metadata:
  name: {{ catalog.metadata.name }}-quota
  namespace: {{ namespace }}
  labels:
    owner: {{ catalog.spec.owner }}
spec:
  hard:
    pods: "{{ pods[catalog.spec.lifecycle] | default(10) }}"
Y
commit platform "templates"

make_repo catalog
for svc in orders:shop:production search:find:experimental; do
  IFS=: read -r name ns life <<<"$svc"
  mkdir -p "$T/catalog/services/$name"
  cat >"$T/catalog/services/$name/catalog-info.yaml" <<Y
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: $name
  annotations:
    backstage.io/kubernetes-namespace: $ns
spec:
  owner: team-$name
  lifecycle: $life
Y
done
commit catalog "services"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  platform: { git: "file://$T/platform.git", ref: main }
  catalog: { git: "file://$T/catalog.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: network-policies
    source: platform
    render:
      template:
        files: network/*.yaml.j2
        values: { namespaces: [shop, find] }
    target: out
    prune: true
  - name: "quota-{{ dir }}"
    source: catalog
    each: services/*/catalog-info.yaml
    render:
      template:
        files: "platform:quotas/*.j2"
        values: { pods: { production: 50 } }
    target: out
    prune: true
Y
S() { run "$SLUICE" "$@" -c "$T/sluice.yaml"; }

S validate
expect_rc 0 "validate accepts the template renderer's options"
S render
expect_rc 0 "render"
[ "$(grep -c '^kind: NetworkPolicy' <<<"$OUT")" -eq 2 ] && ok "one policy per namespace" ||
  fail "one policy per namespace"
expect_out "namespace: find" "policy stamped into find"
expect_out "name: orders-quota" "quota named from the catalog"
expect_out 'pods: "50"' "production quota from values"
expect_out 'pods: "10"' "the default for other lifecycles"
expect_out "owner: team-search" "owner label from the catalog"
first=$OUT
S render
[ "$OUT" = "$first" ] && ok "render is byte-identical across runs" || fail "render is not deterministic"
S apply
expect_rc 0 "apply"
[ -f "$T/out/shop/NetworkPolicy.networking.k8s.io/default-deny-all.yaml" ] && ok "policy written for shop" ||
  fail "policy written for shop"
[ -f "$T/out/find/ResourceQuota/search-quota.yaml" ] && ok "quota written for search" ||
  fail "quota written for search"

# A third team namespace in the values: exactly one more object.
sed -i 's/namespaces: \[shop, find\]/namespaces: [shop, find, pay]/' "$T/sluice.yaml"
S diff
expect_rc 1 "diff shows the new namespace's policy"
expect_out "1 to create, 0 to update, 0 to prune" "exactly one object to create"

# A broken template: a positioned error, nothing applied.
before=$(tree_sum "$T/out")
cat >"$T/platform/quotas/quota.yaml.j2" <<'Y'
apiVersion: v1
kind: ResourceQuota
metadata:
  name: {{ catalog.metadata.nme }}-quota
Y
commit platform "typo"
S apply
expect_rc 2 "apply refuses a template with an undefined variable"
expect_err "quotas/quota.yaml.j2:4:12: 'catalog.metadata.nme' is undefined" "the error names file:line:col"
[ "$(tree_sum "$T/out")" = "$before" ] && ok "nothing written" || fail "the target changed"

printf 'x: {%% if true %%}\n' >"$T/platform/quotas/quota.yaml.j2"
commit platform "unclosed"
S render
expect_rc 2 "render fails on an unclosed tag"
expect_err "quotas/quota.yaml.j2:1:4: .*never closed" "unclosed tag error points at its {%"

printf '{{ namespace | frobnicate }}\n' >"$T/platform/quotas/quota.yaml.j2"
commit platform "unknown filter"
S render
expect_rc 2 "render fails on an unknown filter"
expect_err "quotas/quota.yaml.j2:1:16: unknown filter 'frobnicate'" "unknown filter error at the filter"

# Bad options: validate reports them with their position.
cat >"$T/bad.yaml" <<Y
stateDir: $T/state
sources:
  platform: { git: "file://$T/platform.git", ref: main }
targets:
  out: { directory: $T/out }
apps:
  - name: p
    source: platform
    render:
      template:
        files: network/*.yaml.j2
        dialect: django
    target: out
Y
run "$SLUICE" validate -c "$T/bad.yaml"
[ "$RC" -ne 0 ] && ok "validate rejects an unknown dialect" || fail "validate accepted dialect: django"
expect_err "bad.yaml:12:[0-9]+: .*dialect must be jinja2 or nunjucks" "the dialect error has its position"
finish
