#!/usr/bin/env bash
# The Kubernetes API test server (tests/tools/kube-server) against the real
# kubectl, over TLS with a bearer token: server-side apply with managed
# fields, conflicts, diff, label selectors, delete, auth, fault injection,
# simulated readiness and dry runs.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 1; }
K() { run kubectl --cache-dir "$T/kubecache" "$@"; }
# kubectl 1.21+ hides managedFields unless asked; 1.20 always shows them
SMF=
kubectl get --help 2>/dev/null | grep -q -- --show-managed-fields && SMF=--show-managed-fields
# jq-like checks with Debian's python3: pyj 'expression over d' < json
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
pyj() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }

kube_start
mkdir -p "$T/m"
cat >"$T/m/crd.yaml" <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
Y
cat >"$T/m/app.yaml" <<'Y'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {app: web, tier: front}
data:
  LOG_LEVEL: info
  FEATURE_X: "on"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: db-config
  namespace: shop
  labels: {app: db}
data:
  POOL: "10"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
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
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: prod}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
  namespace: shop
spec:
  size: 3
Y

# --- apply ----------------------------------------------------------------
K apply --server-side -f "$T/m/crd.yaml"
expect_rc 0 "apply a CRD"
expect_out "customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied" \
  "kubectl reports the CRD applied"
K apply --server-side -f "$T/m/app.yaml"
expect_rc 0 "kubectl apply --server-side of a multi-object file"
for o in namespace/shop configmap/web-config configmap/db-config deployment.apps/web service/web \
  widget.example.com/gizmo; do
  expect_out "$o serverside-applied" "$o applied"
done
[ "$(kube_requests '^PATCH /api.*/namespaces/.*fieldManager=kubectl.* 201$')" -eq 6 ] &&
  ok "six apply PATCHes answered 201 Created" || fail "apply PATCHes: $(grep PATCH "$KUBE_LOG")"

K get configmap web-config -n shop -o json $SMF
expect_rc 0 "get -o json"
cm=$OUT
[ "$(pyj 'd["data"]["LOG_LEVEL"]' <<<"$cm")" = info ] && ok "the configmap has its data" ||
  fail "configmap data: $cm"
[ "$(pyj '[(m["manager"], m["operation"]) for m in d["metadata"]["managedFields"]]' <<<"$cm")" = \
  "[('kubectl', 'Apply')]" ] && ok "one managedFields entry: kubectl, Apply" ||
  fail "managedFields: $cm"
[ "$(pyj 'sorted(d["metadata"]["managedFields"][0]["fieldsV1"]["f:data"])' <<<"$cm")" = \
  "['f:FEATURE_X', 'f:LOG_LEVEL']" ] && ok "fieldsV1 lists the data keys kubectl set" ||
  fail "fieldsV1: $cm"
uid=$(pyj 'd["metadata"]["uid"]' <<<"$cm")
rv=$(pyj 'd["metadata"]["resourceVersion"]' <<<"$cm")
[ -n "$uid" ] && [ -n "$rv" ] && ok "uid and resourceVersion set" || fail "uid/rv missing"

K get deployment web -n shop -o json $SMF
dep=$OUT
[ "$(pyj 'list(d["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"])' <<<"$dep")" = \
  "['k:{\"name\":\"web\"}']" ] && ok "containers are keyed by name in fieldsV1" || fail "containers key: $dep"
[ "$(pyj 'd["spec"]["strategy"]["type"], d["spec"]["revisionHistoryLimit"], d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], d["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"]' <<<"$dep")" = \
  "('RollingUpdate', 10, 'IfNotPresent', '/dev/termination-log')" ] && ok "deployment defaults filled in" ||
  fail "defaults: $dep"
[ "$(pyj 'd["status"]["observedGeneration"], d["status"]["readyReplicas"], d["status"]["updatedReplicas"]' <<<"$dep")" = \
  "(1, 2, 2)" ] && ok "deployment status rolled out" || fail "deployment status: $dep"
K get service web -n shop -o json
[ "$(pyj 'd["spec"]["type"], d["spec"]["sessionAffinity"], d["spec"]["ports"][0]["protocol"]' <<<"$OUT")" = \
  "('ClusterIP', 'None', 'TCP')" ] && ok "service defaults filled in" || fail "service: $OUT"
K get widgets -n shop -o json
[ "$(pyj '[i["metadata"]["name"] for i in d["items"]]' <<<"$OUT")" = "['gizmo']" ] &&
  ok "the custom resource is listed" || fail "widgets: $OUT"
K get wd gizmo -n shop -o jsonpath='{.spec.size}'
[ "$OUT" = 3 ] && ok "short name from the CRD resolves" || fail "wd gizmo: $OUT $ERR"
K get crd widgets.example.com -o json
[ "$(pyj '[c["type"] for c in d["status"]["conditions"] if c["status"] == "True"]' <<<"$OUT")" = \
  "['NamesAccepted', 'Established']" ] && ok "CRD is Established" || fail "crd status: $OUT"

# --- re-apply is a no-op -------------------------------------------------
K apply --server-side -f "$T/m/app.yaml"
expect_rc 0 "re-apply"
K get configmap web-config -n shop -o jsonpath='{.metadata.resourceVersion}'
[ "$OUT" = "$rv" ] && ok "re-apply leaves the resourceVersion alone" || fail "rv $rv -> $OUT"

# --- diff ------------------------------------------------------------------
K diff --server-side -f "$T/m/app.yaml"
expect_rc 0 "kubectl diff with nothing changed exits 0"
[ -z "$OUT" ] && ok "and prints nothing" || fail "diff printed: $OUT"
sed 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$T/m/app.yaml" >"$T/m/app2.yaml"
K diff --server-side -f "$T/m/app2.yaml"
expect_rc 1 "kubectl diff with a change exits 1"
changed=$(grep -E '^[-+] ' <<<"$OUT" || true)
[ "$changed" = "$(printf -- '-  LOG_LEVEL: info\n+  LOG_LEVEL: debug')" ] &&
  ok "diff shows the changed field only" || fail "diff lines: $OUT"
K get configmap web-config -n shop -o jsonpath='{.data.LOG_LEVEL}/{.metadata.resourceVersion}'
[ "$OUT" = "info/$rv" ] && ok "diff (dryRun=All) changed nothing" || fail "after diff: $OUT"
sed 's/nginx:1.27/nginx:1.28/' "$T/m/app.yaml" >"$T/m/app3.yaml"
K diff --server-side -f "$T/m/app3.yaml"
expect_rc 1 "diff of an image change"
expect_out "+        image: nginx:1.28" "diff shows the new image"
[ "$(grep -E '^[-+] ' <<<"$OUT" | grep -vcE 'image: nginx|generation:')" -eq 0 ] &&
  ok "image (and generation) are the only changes" || fail "diff lines: $OUT"

K apply --server-side --dry-run=server -f "$T/m/app2.yaml" -o json
expect_rc 0 "apply --dry-run=server"
grep -q '^PATCH /api/v1/namespaces/shop/configmaps/web-config?.*dryRun=All.* 200$' "$KUBE_LOG" &&
  ok "it sends dryRun=All" || fail "no dryRun=All PATCH in the log"
K get configmap web-config -n shop -o jsonpath='{.data.LOG_LEVEL}'
[ "$OUT" = info ] && ok "and changes nothing" || fail "LOG_LEVEL=$OUT after a dry run"

# client-side apply (POST, strategic merge patch, last-applied annotation) and diff
cat >"$T/m/csa.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: client-side, namespace: shop}
data: {A: "1", B: "2"}
Y
K apply -f "$T/m/csa.yaml"
expect_rc 0 "client-side kubectl apply creates"
expect_out "configmap/client-side created" "kubectl says created"
K diff -f "$T/m/csa.yaml"
expect_rc 0 "client-side kubectl diff with nothing changed"
sed -i 's/B: "2"/B: "3"/' "$T/m/csa.yaml"
K diff -f "$T/m/csa.yaml"
expect_rc 1 "client-side kubectl diff with a change"
[ "$(grep -E '^[-+] ' <<<"$OUT" | grep -v last-applied)" = "$(printf -- '-  B: "2"\n+  B: "3"')" ] &&
  ok "client-side diff shows the change" || fail "client-side diff: $OUT"
K apply -f "$T/m/csa.yaml"
expect_rc 0 "client-side kubectl apply updates"
grep -q '^PATCH /api/v1/namespaces/shop/configmaps/client-side?.* 200$' "$KUBE_LOG" &&
  ok "with a PATCH" || fail "no client-side PATCH"
K get configmap client-side -n shop -o jsonpath='{.data.B}'
[ "$OUT" = 3 ] && ok "the update is live" || fail "B=$OUT"
sed -i 's/B: "3"/B: "4"/' "$T/m/csa.yaml"
K replace -f "$T/m/csa.yaml"
expect_rc 0 "kubectl replace (PUT)"
K get configmap client-side -n shop -o json $SMF
[ "$(pyj 'd["data"]["B"], sorted(m["manager"] for m in d["metadata"]["managedFields"] if "f:B" in m["fieldsV1"].get("f:data", {}))' <<<"$OUT")" = \
  "('4', ['kubectl-replace'])" ] && ok "the replace is live and kubectl-replace owns what it changed" ||
  fail "after replace: $OUT"
K delete -f "$T/m/csa.yaml"
expect_rc 0 "delete it"

# --- conflicts -----------------------------------------------------------
K apply --server-side --field-manager=other -f "$T/m/app2.yaml"
expect_rc 1 "apply by another manager changing kubectl's field fails"
expect_err 'Apply failed with 1 conflict: conflict with "kubectl": \.data\.LOG_LEVEL' \
  "conflict names the field and the manager"
grep -qE '^PATCH /api/v1/namespaces/shop/configmaps/web-config\?fieldManager=other.* 409$' "$KUBE_LOG" &&
  ok "the server answered 409" || fail "no 409 in the log"
K get configmap web-config -n shop -o jsonpath='{.data.LOG_LEVEL}'
[ "$OUT" = info ] && ok "nothing changed after the conflict" || fail "LOG_LEVEL=$OUT"
curl -s --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' --data-binary @- \
  "$KUBE_URL/api/v1/namespaces/shop/configmaps/web-config?fieldManager=other" >"$T/conflict.json" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {LOG_LEVEL: trace, FEATURE_X: "off"}
Y
[ "$(pyj 'd["kind"], d["code"], d["reason"], sorted(c["field"] for c in d["details"]["causes"]), d["details"]["causes"][0]["reason"]' <"$T/conflict.json")" = \
  "('Status', 409, 'Conflict', ['.data.FEATURE_X', '.data.LOG_LEVEL'], 'FieldManagerConflict')" ] &&
  ok "the 409 is a Status with one cause per field" || fail "status: $(cat "$T/conflict.json")"
K apply --server-side --field-manager=other --force-conflicts -f "$T/m/app2.yaml"
expect_rc 0 "--force-conflicts takes over"
K get configmap web-config -n shop -o json $SMF
[ "$(pyj 'd["data"]["LOG_LEVEL"]' <<<"$OUT")" = debug ] && ok "forced value is live" || fail "$OUT"
[ "$(pyj 'sorted((m["manager"], sorted(m["fieldsV1"].get("f:data", {}))) for m in d["metadata"]["managedFields"])' <<<"$OUT")" = \
  "[('kubectl', ['f:FEATURE_X']), ('other', ['f:FEATURE_X', 'f:LOG_LEVEL'])]" ] &&
  ok "LOG_LEVEL moved to the other manager, FEATURE_X is shared" || fail "managedFields: $OUT"

# --- label selectors ---------------------------------------------------------
sel() { K get configmaps -n shop -l "$1" -o jsonpath='{.items[*].metadata.name}'; }
sel app=web;                 [ "$OUT" = web-config ] && ok "-l app=web" || fail "-l app=web: $OUT $ERR"
sel 'app!=web';              [ "$OUT" = db-config ] && ok "-l app!=web" || fail "-l app!=web: $OUT"
sel 'app in (web,db)';       [ "$OUT" = "db-config web-config" ] && ok "-l in" || fail "-l in: $OUT"
sel 'app notin (web)';       [ "$OUT" = db-config ] && ok "-l notin" || fail "-l notin: $OUT"
sel tier;                    [ "$OUT" = web-config ] && ok "-l exists" || fail "-l exists: $OUT"
sel '!tier';                 [ "$OUT" = db-config ] && ok "-l !exists" || fail "-l !exists: $OUT"
K get all -n shop -o name
[ "$(sort <<<"$OUT" | tr '\n' ' ')" = "deployment.apps/web service/web " ] &&
  ok "kubectl get all (the all category)" || fail "get all: $OUT $ERR"
K get configmaps -n shop --field-selector metadata.name=db-config -o name
[ "$OUT" = configmap/db-config ] && ok "--field-selector metadata.name" || fail "field selector: $OUT"
K get configmaps -n shop -l 'app in (web'
expect_rc 1 "a malformed selector is refused"

# --- errors --------------------------------------------------------------
K get configmap nope -n shop
expect_rc 1 "get of a missing object"
expect_err 'configmaps "nope" not found' "NotFound names the object"
K --token=not-the-token get namespaces
expect_rc 1 "a bad token is refused"
expect_err "Unauthorized" "kubectl reports Unauthorized"
grep -qE '^GET /api/v1/namespaces.* 401$' "$KUBE_LOG" && ok "the server answered 401" || fail "no 401"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: orphan, namespace: nowhere}\n' >"$T/m/orphan.yaml"
K apply --server-side -f "$T/m/orphan.yaml"
expect_rc 1 "apply in a missing namespace"
expect_err 'namespaces "nowhere" not found' "404 names the namespace"

# kubectl's typed commands send protobuf: the kinds they create most are understood
K create namespace typed
expect_rc 0 "kubectl create namespace (protobuf)"
K create configmap typed-cm -n typed --from-literal=k=v
expect_rc 0 "kubectl create configmap (protobuf)"
K create secret generic typed-secret -n typed --from-literal=pw=s3cret
expect_rc 0 "kubectl create secret generic (protobuf)"
K get configmap typed-cm -n typed -o jsonpath='{.data.k}'
[ "$OUT" = v ] && ok "the protobuf configmap's data" || fail "typed-cm: $OUT $ERR"
K get secret typed-secret -n typed -o jsonpath='{.data.pw}'
[ "$OUT" = "$(printf s3cret | base64)" ] && ok "the protobuf secret's data" || fail "typed-secret: $OUT"
K create deployment typed-d -n typed --image=nginx
expect_rc 1 "kubectl create deployment (protobuf) is refused"
expect_err "understood for v1 Namespace, ConfigMap, Secret and ServiceAccount only" \
  "with a message that says what is understood"

# --- dryRun=All and merge patch ---------------------------------------------
api() { curl -s --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" -o "$T/api.json" -w '%{http_code}' "$@"; }
code=$(api -X POST -H 'Content-Type: application/json' \
  -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"},"data":{"a":"b"}}' \
  "$KUBE_URL/api/v1/namespaces/shop/configmaps?dryRun=All")
[ "$code" = 201 ] && [ "$(pyj 'd["data"]["a"]' <"$T/api.json")" = b ] &&
  ok "dryRun=All create answers the full object" || fail "dry create: $code $(cat "$T/api.json")"
code=$(api "$KUBE_URL/api/v1/namespaces/shop/configmaps/dry")
[ "$code" = 404 ] && ok "and stores nothing" || fail "dry object exists: $code"
K patch configmap db-config -n shop --type=merge -p '{"data":{"POOL":"20"}}'
expect_rc 0 "kubectl patch --type=merge"
K patch deployment web -n shop -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.29"}]}}}}'
expect_rc 0 "kubectl patch (strategic merge)"
K get deployment web -n shop -o json
[ "$(pyj 'd["spec"]["template"]["spec"]["containers"][0]["image"], len(d["spec"]["template"]["spec"]["containers"][0]["env"]), d["metadata"]["generation"]' <<<"$OUT")" = \
  "('nginx:1.29', 1, 2)" ] && ok "strategic patch merged the container by name, generation 2" ||
  fail "after patch: $OUT"

# --- delete ------------------------------------------------------------------
K delete -f "$T/m/app.yaml"
expect_rc 0 "kubectl delete -f"
K get configmaps,deployments,services,widgets -n shop -o name
[ -z "$OUT" ] && ok "everything is gone" || fail "left: $OUT $ERR"
K get namespace shop
expect_rc 1 "the namespace is gone"
K apply --server-side -f "$T/m/app.yaml"
expect_rc 0 "apply again"
K delete namespace shop
expect_rc 0 "delete a namespace"
K apply --server-side -f "$T/m/app.yaml"
K get configmaps -n shop -o name
[ "$(wc -l <<<"$OUT")" -eq 2 ] && ok "a deleted namespace took its content with it" || fail "cms: $OUT"
K delete -f "$T/m/crd.yaml"
expect_rc 0 "delete the CRD"
K get widgets -n shop
expect_rc 1 "its kind is no longer served"
kube_stop

# --- faults ----------------------------------------------------------------------
kube_start --fault 'status=500,path=/configmaps,count=1' --fault 'status=429,path=/secrets,count=1,retry-after=1' \
  --fault 'hang,path=/services' --fault 'status=403,path=/namespaces/locked'
K get configmaps -n default
expect_rc 1 "an injected 500"
expect_err "InternalError|an error on the server" "kubectl shows the 500's Status"
K get configmaps -n default
expect_rc 0 "count=1: the next request succeeds"
K get secrets -n default
expect_rc 0 "429 with Retry-After is retried by kubectl"
[ "$(kube_requests '^GET /api/v1/namespaces/default/secrets.* 429$')" -eq 1 ] &&
  [ "$(kube_requests '^GET /api/v1/namespaces/default/secrets.* 200$')" -eq 1 ] &&
  ok "one 429 then 200" || fail "429 log: $(grep secrets "$KUBE_LOG")"
start=$(date +%s)
K --request-timeout=1s get services -n default
expect_rc 1 "a hung request times out"
[ $(($(date +%s) - start)) -lt 10 ] && ok "kubectl gave up after its timeout" || fail "hang took too long"
grep -q '^GET /api/v1/namespaces/default/services.* hang$' "$KUBE_LOG" && ok "the hang is logged" ||
  fail "hang log"
K get namespace locked
expect_rc 1 "an injected 403"
expect_err "Forbidden|forbidden" "kubectl shows Forbidden"
kube_stop

kube_start_plain --fault exit-after=3
for i in 1 2 3; do curl -sf "$KUBE_URL/version" >/dev/null || fail "request $i failed"; done
sleep 0.2
if curl -sf "$KUBE_URL/version" >/dev/null 2>&1; then fail "the server still answers"; else ok "exit-after=3: the 4th request finds no server"; fi
set +e
wait "$KUBE_PID"
rc=$?
set -e
KUBE_PID=
[ "$rc" -eq 0 ] && ok "the server exited 0" || fail "exit status $rc"

# --- simulated readiness -----------------------------------------------------------
kube_start_plain --delay-ready 2500
K apply --server-side -f "$T/m/crd.yaml" -o json
expect_rc 0 "apply a CRD with --delay-ready"
[ "$(pyj '[c["status"] for c in d["status"]["conditions"] if c["type"] == "Established"]' <<<"$OUT")" = \
  "['False']" ] && ok "Established=False at first" || fail "established: $OUT"
code=$(curl -s -o /dev/null -w '%{http_code}' "$KUBE_URL/apis/example.com/v1/widgets")
[ "$code" = 404 ] && ok "a CRD's kind is not served before it is Established" || fail "widgets: $code"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' >"$T/m/ns.yaml"
K create -f "$T/m/ns.yaml"
expect_rc 0 "kubectl create -f"
"$PY" - "$T/m/app.yaml" >"$T/m/web.yaml" <<'P'
import sys
docs = open(sys.argv[1]).read().split("---\n")
print("---\n".join(d for d in docs if "kind: Deployment" in d), end="")
P
K apply --server-side -f "$T/m/web.yaml" -o json
[ "$(pyj 'd["status"].get("readyReplicas", 0), d["status"]["unavailableReplicas"]' <<<"$OUT")" = "(0, 2)" ] &&
  ok "deployment not ready before --delay-ready" || fail "early status: $OUT $ERR"
K wait --for=condition=Available deployment/web -n shop --timeout=20s
expect_rc 0 "kubectl wait sees the deployment become Available"
grep -qE '^GET /apis/apps/v1/namespaces/shop/deployments\?.*watch=true.* 200$' "$KUBE_LOG" &&
  ok "through a watch" || fail "no watch in the log: $(grep deployments "$KUBE_LOG")"
K wait --for=condition=Established crd/widgets.example.com --timeout=20s
expect_rc 0 "kubectl wait for the CRD to be Established"
K get deployment web -n shop -o json
[ "$(pyj 'd["status"]["readyReplicas"], d["status"]["availableReplicas"]' <<<"$OUT")" = "(2, 2)" ] &&
  ok "deployment ready after --delay-ready" || fail "late status: $OUT"
K get widgets -A
expect_rc 0 "the CRD's kind is served once Established"
kube_stop

if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$T/kube-server.err"; then
  fail "kube-server reported errors:"; head -40 "$T/kube-server.err"
else
  ok "kube-server wrote no sanitizer reports"
fi
finish
