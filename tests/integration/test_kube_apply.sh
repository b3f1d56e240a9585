#!/usr/bin/env bash
# sluice's kubernetes target against the Kubernetes API test server over
# TLS with a bearer token: server-side apply, dry-run diff, ApplySet
# inventory and prune, conflicts, the mass-prune guard, and --wait; kubectl
# checks what sluice left on the server.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

pyj() { python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }
K() { run kubectl "$@"; }

kube_start --delay-ready 300
make_repo app
mkdir -p "$T/app/deploy"
cat >"$T/app/deploy/ns.yaml" <<'Y'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
Y
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
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
Y
cat >"$T/app/deploy/config.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  A: "1"
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
type: Opaque
stringData:
  password: supersecret-old
Y
commit app "first"

cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
sources:
  app: { git: "file://$T/app.git", ref: main }
targets:
  kube: { kubernetes: { kubeconfig: $T/kubeconfig, timeout: 5s, retries: 2 } }
apps:
  - name: web
    source: app
    namespace: shop
    render: { manifests: { path: deploy } }
    target: kube
    prune: { maxShare: 0.5 }
Y
S() { run "$SLUICE" "$@" -c "$T/sluice.yaml"; }

S validate
expect_rc 0 "validate accepts a kubernetes target"

S diff
expect_rc 1 "first diff reports changes"
expect_out "6 to create, 0 to update, 0 to prune, 0 unchanged" "everything is a create"

S apply --wait --timeout 20s
expect_rc 0 "apply --wait"
expect_out "all 6 objects ready" "--wait reports every object ready"

K get deployment web -n shop -o json --show-managed-fields
expect_rc 0 "kubectl sees the deployment"
mgr=$(pyj "','.join(sorted(m['manager'] for m in d['metadata']['managedFields']))" <<<"$OUT")
[ "$mgr" = "sluice" ] && ok "managed by field manager sluice" || fail "managers: $mgr"
op=$(pyj "d['metadata']['managedFields'][0]['operation']" <<<"$OUT")
[ "$op" = "Apply" ] && ok "a server-side apply" || fail "operation $op"
partof=$(pyj "d['metadata']['labels'].get('applyset.kubernetes.io/part-of','')" <<<"$OUT")
case $partof in applyset-*-v1) ok "member labelled part-of $partof" ;; *) fail "part-of label: $partof" ;; esac

K get secret sluice-web -n sluice-system -o json
expect_rc 0 "the ApplySet parent exists"
id=$(pyj "d['metadata']['labels']['applyset.kubernetes.io/id']" <<<"$OUT")
[ "$id" = "$partof" ] && ok "parent id equals the members' part-of" || fail "parent id $id vs $partof"
want=$(python3 -c "import hashlib,base64;print('applyset-'+base64.urlsafe_b64encode(hashlib.sha256(b'sluice-web.sluice-system.Secret.').digest()).decode().rstrip('=')+'-v1')")
[ "$id" = "$want" ] && ok "id computed as KEP-3659 specifies" || fail "id $id, KEP gives $want"
gks=$(pyj "d['metadata']['annotations']['applyset.kubernetes.io/contains-group-kinds']" <<<"$OUT")
[ "$gks" = "ConfigMap,Deployment.apps,Namespace,Secret,Service" ] && ok "contains-group-kinds" || fail "contains-group-kinds: $gks"
tool=$(pyj "d['metadata']['annotations']['applyset.kubernetes.io/tooling']" <<<"$OUT")
case $tool in sluice/v*) ok "tooling $tool" ;; *) fail "tooling $tool" ;; esac

S diff
expect_rc 0 "diff after apply: nothing to change (defaults are not noise)"
expect_out "0 to create, 0 to update, 0 to prune, 6 unchanged" "all unchanged"

# A change in git shows up as just that field.
sed -i 's/replicas: 2/replicas: 3/' "$T/app/deploy/web.yaml"
commit app "scale"
S diff
expect_rc 1 "diff after a change"
expect_out "0 to create, 1 to update, 0 to prune, 5 unchanged" "one update"
expect_out "-  replicas: 2" "old value shown"
expect_out "+  replicas: 3" "new value shown"
n=$(grep -cE '^[-+] ' <<<"$OUT" || true)
[ "$n" -eq 2 ] && ok "only the changed field differs" || { fail "$n changed lines"; echo "$OUT"; }

# Secrets are masked.
sed -i 's/supersecret-old/supersecret-new/' "$T/app/deploy/config.yaml"
commit app "rotate"
S diff
expect_no "supersecret" "secret values never printed"
S apply
expect_rc 0 "apply the change"
K get deployment web -n shop -o json --show-managed-fields
r=$(pyj "d['spec']['replicas']" <<<"$OUT")
[ "$r" = 3 ] && ok "the server has replicas 3" || fail "replicas $r"

# A field owned by another manager: a conflict, nothing changed.
K patch configmap web-config -n shop --type merge -p '{"data":{"LOG_LEVEL":"debug"}}' --field-manager=other
expect_rc 0 "kubectl takes LOG_LEVEL with field manager other"
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: warn/' "$T/app/deploy/config.yaml"
commit app "log level"
S apply
expect_rc 2 "conflicting apply fails"
expect_err 'conflict \(409\).*data\.LOG_LEVEL.*other' "the error names the field and the other manager"
expect_err 'force: true' "the error says how to take the field over"
K get configmap web-config -n shop -o json
v=$(pyj "d['data']['LOG_LEVEL']" <<<"$OUT")
[ "$v" = debug ] && ok "the other manager's value is untouched" || fail "LOG_LEVEL $v"
sed -i 's/LOG_LEVEL: warn/LOG_LEVEL: info/' "$T/app/deploy/config.yaml"
run kubectl apply --server-side --force-conflicts --field-manager=sluice -f - <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {LOG_LEVEL: info}
Y
commit app "log level back"

# Remove an object from git: it is pruned.
python3 - "$T/app/deploy/config.yaml" <<'P'
import sys
p = sys.argv[1]
docs = open(p).read().split('---\n')
open(p, 'w').write('---\n'.join(d for d in docs if 'name: extra' not in d))
P
commit app "drop extra"
S diff
expect_rc 1 "diff shows the prune"
expect_out "1 to prune" "one prune"
S apply
expect_rc 0 "apply prunes"
K get configmap extra -n shop
expect_rc 1 "the pruned ConfigMap is gone"
S diff
expect_rc 0 "clean after prune"

# Drift made by someone else is seen (the no-op fast path checks values).
K patch deployment web -n shop --type merge -p '{"spec":{"replicas":9}}'
expect_rc 0 "kubectl changes replicas behind sluice's back"
S diff
expect_rc 1 "diff sees the drift"
expect_out "+  replicas: 3" "and shows the value git wants"

# A render error prunes nothing.
echo "kind: [broken" >"$T/app/deploy/broken.yaml"
commit app "broken"
S apply
expect_rc 2 "apply with a render error fails"
K get deployment web -n shop
expect_rc 0 "nothing pruned after a render error"
git -C "$T/app" rm -q deploy/broken.yaml
commit app "fixed"

# The mass-prune guard: removing most objects stops the whole run.
mkdir -p "$T/keep"
mv "$T/app/deploy/web.yaml" "$T/app/deploy/config.yaml" "$T/keep/"
commit app "drop most"
S apply
expect_rc 2 "the mass-prune guard stops apply"
expect_err 'mass-prune guard: this run would delete 4 of 5' "the guard says how many"
expect_err 'apps/v1 Deployment shop/web' "the guard lists what it would delete"
K get deployment web -n shop
expect_rc 0 "nothing deleted by a guarded run"
S apply --confirm-prune
expect_rc 0 "--confirm-prune lets it through"
K get deployment web -n shop
expect_rc 1 "confirmed prune deleted the deployment"
K get secret sluice-web -n sluice-system -o json
gks=$(pyj "d['metadata']['annotations']['applyset.kubernetes.io/contains-group-kinds']" <<<"$OUT")
[ "$gks" = "Namespace" ] && ok "parent narrowed to what is left" || fail "contains-group-kinds: $gks"

# Another tool's parent is not taken over.
cat >"$T/sluice.yaml.2" <<Y
sources:
  app: { git: "file://$T/app.git", ref: main }
targets:
  kube: { kubernetes: { kubeconfig: $T/kubeconfig } }
apps:
  - name: other
    source: app
    namespace: shop
    render: { manifests: { path: deploy } }
    target: kube
Y
run kubectl apply --server-side -f - <<'Y'
apiVersion: v1
kind: Secret
metadata:
  name: sluice-other
  namespace: sluice-system
  annotations: {applyset.kubernetes.io/tooling: kubectl/v1.30}
Y
run "$SLUICE" apply -c "$T/sluice.yaml.2"
expect_rc 2 "a parent of another tool is refused"
expect_err 'another tool' "the refusal says why"

expect_no "$KUBE_TOKEN" "the token never appears in output"
finish
