#!/usr/bin/env bash
# test_kube_clientcert.sh: client-certificate authentication against
# kube-server --client-ca: client-certificate-data/client-key-data, the file
# variants, an exec plugin that prints a certificate, and certificates the
# server must reject (self-signed, none).
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

kube_certs
kube_client_cert alice
kube_client_cert mallory self
kube_start --client-ca "$T/kube-tls/ca.crt"
TLS=$T/kube-tls
mkdir -p "$T/m"
cat >"$T/m/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: cc, namespace: default}
data: {K: "1"}
Y
cat >"$T/sluice.yaml" <<Y
sources: { m: { dir: $T/m } }
targets: { k: { kubernetes: { timeout: 5s, retries: 0, allowExec: true } } }
apps: [ { name: cc, source: m, render: manifests, target: k } ]
Y
kc() { # kc FILE USER-YAML-LINES
  cat >"$1" <<Y
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $KUBE_URL
    certificate-authority: $KUBE_CA
users:
- name: u
  user:
$2
contexts:
- {name: ctx, context: {cluster: c, user: u}}
current-context: ctx
Y
}
D() { run "$SLUICE" diff -c "$T/sluice.yaml" "$@"; }
S() { run "$SLUICE" apply -c "$T/sluice.yaml" "$@"; }

kc "$T/none" "    {}"
D --kubeconfig "$T/none"
expect_rc 2 "no credential at all is rejected"
expect_err 'unauthorized \(401\)' "with 401"

kc "$T/data" "    client-certificate-data: $(base64 -w0 <"$TLS/alice.crt")
    client-key-data: $(base64 -w0 <"$TLS/alice.key")"
S --kubeconfig "$T/data"
expect_rc 0 "client-certificate-data + client-key-data authenticate"
[ "$(kube_requests 'PATCH .*/configmaps/cc.* 20[01]$')" -eq 1 ] && ok "the object was applied" ||
  fail "no apply PATCH succeeded"
expect_no "PRIVATE KEY" "the key is not printed"
expect_no "$(sed -n 2p "$TLS/alice.key")" "no key material in the output"

mkdir -p "$T/creds"
cp "$TLS/alice.crt" "$TLS/alice.key" "$T/creds/"
kc "$T/files" "    client-certificate: creds/alice.crt
    client-key: creds/alice.key"
D --kubeconfig "$T/files"
expect_rc 0 "client-certificate + client-key files (relative to the kubeconfig)"

kc "$T/rogue" "    client-certificate: $TLS/mallory.crt
    client-key: $TLS/mallory.key"
D --kubeconfig "$T/rogue"
expect_rc 2 "a certificate not signed by the server's client CA is rejected"
expect_err 'unauthorized \(401\)|cannot reach the API server' "with a clear error"

kc "$T/halfdata" "    client-certificate-data: $(base64 -w0 <"$TLS/alice.crt")"
D --kubeconfig "$T/halfdata"
expect_rc 2 "a certificate without a key"
expect_err 'needs both a client certificate and a client key' "says both are needed"

# The token still works next to --client-ca.
kc "$T/tok" "    token: $KUBE_TOKEN"
D --kubeconfig "$T/tok"
expect_rc 0 "a bearer token still works with --client-ca"

# An exec plugin that prints a client certificate and key.
python3 - "$TLS/alice.crt" "$TLS/alice.key" >"$T/cred.json" <<'P'
import json, sys
print(json.dumps({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
                  "status": {"clientCertificateData": open(sys.argv[1]).read(),
                             "clientKeyData": open(sys.argv[2]).read()}}))
P
printf '#!/bin/sh\ncat %s\n' "$T/cred.json" >"$T/certplugin.sh"
chmod +x "$T/certplugin.sh"
kc "$T/execcert" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $T/certplugin.sh"
D --kubeconfig "$T/execcert"
expect_rc 0 "an exec plugin's client certificate authenticates"
expect_no "PRIVATE KEY" "the plugin's key is not printed"
finish
