#!/usr/bin/env bash
# test_kube_proxy.sh: the kubeconfig's proxy-url end to end: every request
# to the TLS API server goes through a CONNECT proxy (connect_proxy.py), TLS
# is still verified against the cluster's CA through the tunnel, and a
# proxy that is down is a clear connection error.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

kube_start
PLOG=$T/proxy.log
: >"$PLOG"
/usr/bin/python3 "$SL_SRC_DIR/tests/integration/connect_proxy.py" "$T/proxy.port" "$PLOG" \
  2>"$T/proxy.err" &
PROXY_PID=$!
trap 'kill $PROXY_PID 2>/dev/null || true; kube_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
[ -s "$T/proxy.port" ] || { echo "connect_proxy.py did not start"; cat "$T/proxy.err"; exit 1; }
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
HOSTPORT=${KUBE_URL#https://}

mkdir -p "$T/m"
cat >"$T/m/cm.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: px, namespace: default}
data: {K: "1"}
Y
cat >"$T/sluice.yaml" <<Y
sources: { m: { dir: $T/m } }
targets: { k: { kubernetes: { timeout: 5s, retries: 0 } } }
apps: [ { name: px, source: m, render: manifests, target: k } ]
Y
kc() { # kc FILE PROXY-URL [CA-LINE]
  cat >"$1" <<Y
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $KUBE_URL
    proxy-url: $2
    ${3:-certificate-authority: $KUBE_CA}
users:
- {name: u, user: {token: $KUBE_TOKEN}}
contexts:
- {name: ctx, context: {cluster: c, user: u}}
current-context: ctx
Y
}
D() { run "$SLUICE" diff -c "$T/sluice.yaml" "$@"; }
S() { run "$SLUICE" apply -c "$T/sluice.yaml" "$@"; }

kc "$T/kc" "$PROXY"
S --kubeconfig "$T/kc"
expect_rc 0 "apply through the proxy"
n=$(grep -c "^CONNECT $HOSTPORT\$" "$PLOG" || true)
[ "$n" -ge 1 ] && ok "the proxy tunnelled to the API server ($n tunnels)" ||
  { fail "no CONNECT to $HOSTPORT in the proxy log"; cat "$PLOG"; }
[ "$(kube_requests 'PATCH .*/configmaps/px')" -eq 1 ] && ok "the apply reached the server" ||
  fail "the apply PATCH did not reach the server"
before=$(wc -l <"$PLOG")
D --kubeconfig "$T/kc"
expect_rc 0 "diff through the proxy"
[ "$(wc -l <"$PLOG")" -gt "$before" ] && ok "the diff's requests went through the proxy too" ||
  fail "the diff did not use the proxy"

# TLS is verified end to end through the tunnel: a wrong CA fails.
kc "$T/noca" "$PROXY" "insecure-skip-tls-verify: false"
D --kubeconfig "$T/noca"
expect_rc 2 "no CA: TLS verification fails through the proxy"
expect_err 'cannot reach the API server.*(certificate|SSL)' "the error says why"

# A proxy that is not listening.
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
kc "$T/kc" "$PROXY"
D --kubeconfig "$T/kc"
expect_rc 2 "a proxy that is down"
expect_err 'cannot reach the API server' "is a connection error"
expect_no "$KUBE_TOKEN" "no token in any output"
finish
