#!/usr/bin/env bash
# How the kubernetes target connects: TLS verification on by default,
# certificate-authority file or data, insecure-skip-tls-verify,
# tls-server-name, KUBECONFIG path lists, --kubeconfig/--context overrides,
# tokenFile, and an exec plugin refused.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

kube_start
mkdir -p "$T/m"
cat >"$T/m/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: default}
data: {K: "1"}
Y
cat >"$T/sluice.yaml" <<Y
sources: { m: { dir: $T/m } }
targets: { k: { kubernetes: { timeout: 5s, retries: 0 } } }
apps: [ { name: conn, source: m, render: manifests, target: k } ]
Y
# kc FILE CLUSTER-EXTRA USER-YAML: a one-context kubeconfig.
kc() {
  cat >"$1" <<Y
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $KUBE_URL
$2
users:
- name: u
  user: $3
contexts:
- {name: ctx, context: {cluster: c, user: u}}
current-context: ctx
Y
}
D() { run "$SLUICE" diff -c "$T/sluice.yaml" "$@"; }
S() { run "$SLUICE" apply -c "$T/sluice.yaml" "$@"; }

S
expect_rc 0 "KUBECONFIG with CA data and a token"

kc "$T/noca" "" "{token: $KUBE_TOKEN}"
D --kubeconfig "$T/noca"
expect_rc 2 "no CA: TLS verification fails"
expect_err 'cannot reach the API server.*(certificate|SSL)' "the error says why"

kc "$T/insecure" "    insecure-skip-tls-verify: true" "{token: $KUBE_TOKEN}"
D --kubeconfig "$T/insecure"
expect_rc 0 "insecure-skip-tls-verify"

cp "$KUBE_CA" "$T/ca.crt"
echo -n "$KUBE_TOKEN" >"$T/token"
kc "$T/cafile" "    certificate-authority: ca.crt
    tls-server-name: localhost" "{tokenFile: token}"
D --kubeconfig "$T/cafile"
expect_rc 0 "CA file and tokenFile (relative to the kubeconfig), tls-server-name"

kc "$T/badname" "    certificate-authority: ca.crt
    tls-server-name: wrong.example" "{tokenFile: token}"
D --kubeconfig "$T/badname"
expect_rc 2 "a tls-server-name the certificate does not name fails"

# A path list: the first file's context wins, the second supplies the user.
cat >"$T/part1" <<Y
current-context: ctx
contexts: [{name: ctx, context: {cluster: c, user: u}}, {name: other, context: {cluster: c, user: x}}]
clusters: [{name: c, cluster: {server: $KUBE_URL, certificate-authority: ca.crt}}]
Y
cat >"$T/part2" <<Y
current-context: nope
users: [{name: u, user: {token: $KUBE_TOKEN}}, {name: x, user: {exec: {command: /bin/true}}}]
Y
D --kubeconfig "$T/part1:$T/missing:$T/part2"
expect_rc 0 "a merged path list"
D --kubeconfig "$T/part1:$T/part2" --context other
expect_rc 2 "--context selects a user with an exec plugin"
expect_err 'exec credential plugin.*refused.*allowExec' "exec refused unless allowExec"
expect_no "$KUBE_TOKEN" "no token in any output"
finish
