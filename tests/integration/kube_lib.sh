# kube_lib.sh: start and stop the Kubernetes API test server (tests/tools/kube-server).
# Source it after lib.sh (it uses $T). Provides:
#   kube_start [server args...]        TLS (test CA + server cert made with openssl) and a bearer
#                                      token; writes $T/kubeconfig and exports KUBECONFIG,
#                                      KUBE_URL, KUBE_PID, KUBE_TOKEN, KUBE_CA (CA file),
#                                      KUBE_LOG (the server's request log); waits until ready
#   kube_start_plain [server args...]  the same over plain http without authentication
#   kube_stop                          stop the server (also done on exit)
#   kube_client_cert NAME [CA]         a client certificate $T/kube-tls/NAME.crt + .key signed
#                                      by the test CA (or CA = "self": self-signed); pass
#                                      --client-ca "$T/kube-tls/ca.crt" to kube_start to accept it
#   kube_requests PATTERN              how many logged requests match the extended regex
# kubectl's discovery cache goes to $T/kubecache (KUBECACHEDIR).
KUBE_SERVER=${KUBE_SERVER:?set KUBE_SERVER to the kube-server binary}
KUBE_PID=
trap 'kube_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# A CA and a server certificate for 127.0.0.1/localhost, made once per test.
kube_certs() {
  [ -f "$T/kube-tls/server.crt" ] && return 0
  mkdir -p "$T/kube-tls"
  (
    cd "$T/kube-tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=kube-server test CA" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=kube-server" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -out server.crt 2>/dev/null
  ) || { echo "kube_lib: openssl failed" >&2; return 1; }
}

# _kube_run SCHEME [args...]: start the server and wait for its port file.
_kube_run() {
  local scheme=$1 i port
  shift
  rm -f "$T/kube.port"
  KUBE_LOG=$T/kube-requests.log
  : >"$KUBE_LOG"
  "$KUBE_SERVER" --listen 127.0.0.1:0 --port-file "$T/kube.port" --log "$KUBE_LOG" "$@" \
    >"$T/kube-server.out" 2>>"$T/kube-server.err" &
  KUBE_PID=$!
  for i in $(seq 1 200); do
    [ -s "$T/kube.port" ] && break
    if ! kill -0 "$KUBE_PID" 2>/dev/null; then
      echo "kube_lib: kube-server exited:" >&2
      cat "$T/kube-server.err" >&2
      KUBE_PID=
      return 1
    fi
    sleep 0.05
  done
  [ -s "$T/kube.port" ] || { echo "kube_lib: kube-server did not start" >&2; return 1; }
  port=$(cat "$T/kube.port")
  KUBE_URL=$scheme://127.0.0.1:$port
  export KUBE_URL KUBE_PID KUBE_LOG
  export KUBECACHEDIR=$T/kubecache
}

kube_start() {
  kube_certs || return 1
  KUBE_TOKEN=$(openssl rand -hex 16)
  KUBE_CA=$T/kube-tls/ca.crt
  _kube_run https --tls-cert "$T/kube-tls/server.crt" --tls-key "$T/kube-tls/server.key" \
    --token "$KUBE_TOKEN" "$@" || return 1
  cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $KUBE_URL
    certificate-authority-data: $(base64 -w0 <"$KUBE_CA")
users:
- name: test
  user:
    token: $KUBE_TOKEN
contexts:
- name: test
  context: {cluster: test, user: test, namespace: default}
current-context: test
EOF
  export KUBECONFIG=$T/kubeconfig KUBE_TOKEN KUBE_CA
}

kube_start_plain() {
  _kube_run http "$@" || return 1
  KUBE_TOKEN=
  KUBE_CA=
  cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $KUBE_URL
users:
- name: test
  user: {}
contexts:
- name: test
  context: {cluster: test, user: test, namespace: default}
current-context: test
EOF
  export KUBECONFIG=$T/kubeconfig KUBE_TOKEN KUBE_CA
}

kube_client_cert() {
  local name=$1 ca=${2:-}
  kube_certs || return 1
  (
    cd "$T/kube-tls"
    if [ "$ca" = self ]; then
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$name" -keyout "$name.key" -out "$name.crt" 2>/dev/null
    else
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=$name/O=system:masters" -keyout "$name.key" -out "$name.csr" 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\n' >client-ext.cnf
      openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile client-ext.cnf -out "$name.crt" 2>/dev/null
    fi
  ) || { echo "kube_lib: openssl failed (client cert)" >&2; return 1; }
}

kube_stop() {
  if [ -n "${KUBE_PID:-}" ]; then
    kill "$KUBE_PID" 2>/dev/null || true
    wait "$KUBE_PID" 2>/dev/null || true
    KUBE_PID=
  fi
}

kube_requests() { grep -cE -- "$1" "$KUBE_LOG" || true; }
