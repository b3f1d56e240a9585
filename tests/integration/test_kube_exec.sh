#!/usr/bin/env bash
# test_kube_exec.sh: exec credential plugins against kube-server over TLS:
# v1 and v1beta1 plugins print the server's token, env and args reach the
# plugin with KUBERNETES_EXEC_INFO, the credential is cached until its
# expirationTimestamp, a 401 re-runs the plugin once, and failing, junk and
# missing plugins give clear errors without leaking the token.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kube_lib.sh"

kube_start
mkdir -p "$T/m" "$T/bin"
for i in 1 2 3; do
  cat >"$T/m/cm$i.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: c$i, namespace: default}
data: {K: "$i"}
Y
done
conf() { # conf ALLOWEXEC
  cat >"$T/sluice.yaml" <<Y
sources: { m: { dir: $T/m } }
targets: { k: { kubernetes: { timeout: 5s, retries: 0, allowExec: $1 } } }
apps: [ { name: ex, source: m, render: manifests, target: k } ]
Y
}
# kc FILE USER-EXEC-YAML: a kubeconfig whose user runs an exec plugin.
kc() {
  cat >"$1" <<Y
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $KUBE_URL
    certificate-authority-data: $(base64 -w0 <"$KUBE_CA")
users:
- name: u
  user:
    exec:
$2
contexts:
- {name: ctx, context: {cluster: c, user: u}}
current-context: ctx
Y
}
D() { run "$SLUICE" diff -c "$T/sluice.yaml" "$@"; }
S() { run "$SLUICE" apply -c "$T/sluice.yaml" "$@"; }

# The plugin: records each run (its args, env, exec info, whether stdin is
# a tty) and prints an ExecCredential; TOKEN_FILE, EXPIRES and APIV steer it.
cat >"$T/bin/plugin.sh" <<'P'
#!/bin/sh
if [ -t 0 ]; then tty=tty; else tty=notty; fi
echo "run args=$* greet=$GREET tty=$tty info=$KUBERNETES_EXEC_INFO" >>"$RUNLOG"
tok=$(cat "$TOKEN_FILE")
# a wrong first token: the second run gives the real one
if [ -n "$WRONG_ONCE" ] && [ ! -e "$WRONG_ONCE" ]; then : >"$WRONG_ONCE"; tok=wrong-token; fi
exp=
[ -n "$EXPIRES" ] && exp=", \"expirationTimestamp\": \"$EXPIRES\""
printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"%s"%s}}\n' "$APIV" "$tok" "$exp"
P
chmod +x "$T/bin/plugin.sh"
echo -n "$KUBE_TOKEN" >"$T/token"
export RUNLOG=$T/runs.log

plugin() { # plugin APIVERSION [EXTRA-ENV-YAML-LINES]
  kc "$T/kc" "      apiVersion: client.authentication.k8s.io/$1
      command: bin/plugin.sh
      args: [--cluster, c1]
      interactiveMode: IfAvailable
      env:
      - {name: GREET, value: hello}
      - {name: TOKEN_FILE, value: $T/token}
      - {name: APIV, value: client.authentication.k8s.io/$1}
${2:-}"
}
nruns() { [ -f "$RUNLOG" ] && wc -l <"$RUNLOG" || echo 0; }

plugin v1
conf false
D --kubeconfig "$T/kc"
expect_rc 2 "allowExec: false refuses the plugin"
expect_err 'exec credential plugin.*refused.*allowExec' "the error says how to allow it"
[ "$(nruns)" -eq 0 ] && ok "a refused plugin never ran" || fail "the refused plugin ran"

conf true
S --kubeconfig "$T/kc"
expect_rc 0 "a v1 plugin's token is accepted (relative command path)"
expect_no "$KUBE_TOKEN" "no token in any output"
[ "$(nruns)" -eq 1 ] && ok "the plugin ran once for all requests (cached)" ||
  fail "the plugin ran $(nruns) times, expected 1"
[ "$(kube_requests 'PATCH .*/configmaps/c[123]')" -eq 3 ] && ok "all objects applied" ||
  fail "not all objects were applied"
grep -q 'args=--cluster c1 greet=hello tty=notty' "$RUNLOG" && ok "args and env reach the plugin, stdin is no tty" ||
  { fail "plugin args/env/tty wrong"; cat "$RUNLOG"; }
grep -qF 'info={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}' "$RUNLOG" &&
  ok "KUBERNETES_EXEC_INFO as kubectl sets it" || { fail "KUBERNETES_EXEC_INFO wrong"; cat "$RUNLOG"; }

# v1beta1, with provideClusterInfo
rm -f "$RUNLOG"
plugin v1beta1 "      provideClusterInfo: true"
D --kubeconfig "$T/kc"
expect_rc 0 "a v1beta1 plugin"
grep -qF '"apiVersion":"client.authentication.k8s.io/v1beta1"' "$RUNLOG" && grep -qF "\"cluster\":{\"server\":\"$KUBE_URL\"" "$RUNLOG" &&
  ok "v1beta1 exec info carries the cluster with provideClusterInfo" || { fail "v1beta1 exec info wrong"; cat "$RUNLOG"; }

# An expired credential is not cached: every batch of requests runs it again.
rm -f "$RUNLOG"
plugin v1 "      - {name: EXPIRES, value: '2020-01-01T00:00:00Z'}"
S --kubeconfig "$T/kc"
expect_rc 0 "an expired credential still works for its request"
[ "$(nruns)" -gt 1 ] && ok "an expired credential is fetched again ($(nruns) runs)" || fail "expired credential was cached"
rm -f "$RUNLOG"
plugin v1 "      - {name: EXPIRES, value: '2099-01-01T00:00:00+02:00'}"
S --kubeconfig "$T/kc"
expect_rc 0 "a credential valid until 2099"
[ "$(nruns)" -eq 1 ] && ok "a credential that has not expired is cached" || fail "plugin ran $(nruns) times"

# 401: the first token is wrong; the plugin runs again once and the request is retried.
rm -f "$RUNLOG"
plugin v1 "      - {name: WRONG_ONCE, value: $T/wrong-once}"
D --kubeconfig "$T/kc"
expect_rc 0 "a 401 re-runs the plugin and retries"
[ "$(nruns)" -eq 2 ] && ok "the plugin ran twice" || fail "the plugin ran $(nruns) times, expected 2"
[ "$(kube_requests ' 401$')" -ge 1 ] && ok "the server did answer 401 first" || fail "no 401 logged"
# A plugin that always prints a wrong token: one re-run, then a clear 401.
rm -f "$RUNLOG"
echo -n "not-the-token" >"$T/token"
plugin v1
D --kubeconfig "$T/kc"
expect_rc 2 "a wrong token fails"
expect_err 'unauthorized \(401\)' "with the 401 message"
[ "$(nruns)" -eq 2 ] && ok "the plugin was re-run only once" || fail "the plugin ran $(nruns) times, expected 2"
expect_no "not-the-token" "the wrong token is not printed"
echo -n "$KUBE_TOKEN" >"$T/token"

# Failing plugins.
cat >"$T/bin/fail.sh" <<P
#!/bin/sh
echo "$KUBE_TOKEN secret detail line" >&2
echo "login expired, run auth-login" >&2
exit 3
P
cat >"$T/bin/junk.sh" <<P
#!/bin/sh
echo "token $KUBE_TOKEN is not json"
P
cat >"$T/bin/wrongkind.sh" <<P
#!/bin/sh
echo '{"kind":"Secret","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"$KUBE_TOKEN"}}'
P
chmod +x "$T/bin/"*.sh
kc "$T/kc" "      apiVersion: client.authentication.k8s.io/v1
      command: $T/bin/fail.sh
      interactiveMode: Never"
D --kubeconfig "$T/kc"
expect_rc 2 "a plugin that exits non-zero"
expect_err 'exec plugin .*fail.sh \(user "u"\) failed with exit status 3: login expired, run auth-login' "names the plugin, status and last stderr line"
expect_no "$KUBE_TOKEN" "stderr beyond the last line is kept out"
kc "$T/kc" "      apiVersion: client.authentication.k8s.io/v1
      command: $T/bin/junk.sh"
D --kubeconfig "$T/kc"
expect_rc 2 "a plugin that prints junk"
expect_err 'output is not an ExecCredential' "says the output is not an ExecCredential"
expect_no "$KUBE_TOKEN" "the junk output is not quoted"
kc "$T/kc" "      apiVersion: client.authentication.k8s.io/v1
      command: $T/bin/wrongkind.sh"
D --kubeconfig "$T/kc"
expect_rc 2 "a plugin that prints another kind"
expect_err 'expected kind ExecCredential' "says what was expected"
expect_no "$KUBE_TOKEN" "its token is not quoted"
kc "$T/kc" "      apiVersion: client.authentication.k8s.io/v1
      command: no-such-plugin-xyz
      installHint: install it with apt-get install xyz"
D --kubeconfig "$T/kc"
expect_rc 2 "a missing plugin"
expect_err 'no-such-plugin-xyz.*not found; install it with apt-get install xyz' "gives the installHint"
kc "$T/kc" "      apiVersion: client.authentication.k8s.io/v1alpha1
      command: $T/bin/junk.sh"
D --kubeconfig "$T/kc"
expect_rc 2 "v1alpha1 is refused"
expect_err 'apiVersion must be client.authentication.k8s.io/v1 or v1beta1' "names the accepted versions"
finish
