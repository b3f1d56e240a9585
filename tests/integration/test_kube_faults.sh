#!/usr/bin/env bash
# The kubernetes target when the API server misbehaves: expired token,
# 403, an unknown CRD, 429 with Retry-After, 500s, a hanging server and a
# server that goes away mid-apply. Each gives a clear error, a retry where
# one makes sense, and an inventory that the next run completes. Also a
# CRD and its custom resources in one run.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

make_repo app
mkdir -p "$T/app/deploy"
cat >"$T/app/deploy/app.yaml" <<'Y'
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {K: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
data: {K: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
Y
commit app "first"

config() { # config TIMEOUT RETRIES
  cat >"$T/sluice.yaml" <<Y
sources:
  app: { git: "file://$T/app.git", ref: main }
targets:
  kube: { kubernetes: { kubeconfig: $T/kubeconfig, timeout: $1, retries: $2 } }
apps:
  - name: web
    source: app
    namespace: shop
    render: { manifests: { path: deploy } }
    target: kube
    prune: true
Y
}
S() { run "$SLUICE" "$@" -c "$T/sluice.yaml"; }
config 5s 2

# 401: an expired token.
kube_start
good=$KUBE_TOKEN
sed -i "s/token: $good/token: expired-$good/" "$T/kubeconfig"
S apply
expect_rc 2 "expired token: apply fails"
expect_err 'unauthorized \(401\)' "401 is reported as unauthorized"
expect_no "expired-$good" "the token is not in any message"
[ "$(kube_requests ' 401')" -le 2 ] && ok "401 is not retried" || fail "401 retried: $(kube_requests ' 401')"
sed -i "s/token: expired-$good/token: $good/" "$T/kubeconfig"
kube_stop

# 403 on the first ConfigMap apply: error; the next run completes.
kube_start --fault status=403,path=/configmaps/,method=PATCH,count=1
S apply
expect_rc 2 "403: apply fails"
expect_err 'forbidden \(403\)' "403 is reported as forbidden"
expect_err 'v1 ConfigMap shop/' "the error names the object"
S apply
expect_rc 0 "the next run applies"
S diff
expect_rc 0 "inventory and objects consistent after the 403"
kube_stop

# 429 with Retry-After: waited for and retried.
kube_start --fault status=429,path=/deployments/web,method=PATCH,count=2,retry-after=1
start=$(date +%s%N)
S apply
expect_rc 0 "429 twice then success"
el=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$el" -ge 1900 ] && ok "Retry-After honoured (${el} ms)" || fail "Retry-After not honoured (${el} ms)"
[ "$(kube_requests 'PATCH .*/deployments/web.* 429')" -eq 2 ] && ok "two 429s logged" || fail "429s: $(kube_requests 'PATCH .*/deployments/web.* 429')"
kube_stop

# 500s: retried; persistent 503: a clear error after the retries.
kube_start --fault status=500,path=/services/web,method=PATCH,count=2
S apply
expect_rc 0 "500 twice then success"
kube_stop
kube_start --fault status=503,path=/services/web,method=PATCH
S apply
expect_rc 2 "persistent 503 fails"
expect_err 'API server error 503.*after 3 attempts' "the error counts the attempts"
[ "$(kube_requests 'PATCH .*/services/web.* 503')" -eq 3 ] && ok "1 try + 2 retries" || fail "tries: $(kube_requests 'PATCH .*/services/web')"
kube_stop

# A hanging server: per-request timeout, then a retry that succeeds.
config 1s 2
kube_start --fault hang,path=/configmaps/b,count=1
S apply
expect_rc 0 "a hung request is retried after its timeout"
kube_stop
kube_start --fault hang,path=/configmaps/b
start=$(date +%s)
S apply
expect_rc 2 "a server that always hangs: apply fails"
expect_err 'timed out|Timeout' "the error says it timed out"
[ $(( $(date +%s) - start )) -lt 15 ] && ok "gives up in bounded time" || fail "took too long"
kube_stop
config 5s 2

# A server that goes away mid-apply.
kube_start --fault exit-after=12
S apply
expect_rc 2 "server gone mid-apply: apply fails"
expect_err 'cannot reach the API server' "the error says the server cannot be reached"
kube_stop

# A custom resource whose CRD is not installed: 404 from discovery.
kube_start
cat >"$T/app/deploy/widget.yaml" <<'Y'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
Y
commit app "widget"
S diff
expect_rc 2 "unknown kind: diff fails"
expect_err 'example.com/v1.*Widget|Widget.*example.com/v1' "the error names the kind"
expect_err 'CustomResourceDefinition installed' "and suggests the missing CRD"

# ... and with its CRD in the same app: the CRD is established first.
cat >"$T/app/deploy/crd.yaml" <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
Y
commit app "crd"
S diff
expect_rc 1 "CRD and CR in one diff"
expect_out "7 to create" "the custom resource is a create"
S apply
expect_rc 0 "CRD and CR in one apply"
run kubectl get widgets.example.com w1 -n shop -o json
expect_rc 0 "the custom resource exists"
S diff
expect_rc 0 "clean afterwards"
kube_stop

# CRD established late (--delay-ready): apply waits for it.
kube_start --delay-ready 700
S apply
expect_rc 0 "apply waits for a slow CRD"
kube_stop
finish
