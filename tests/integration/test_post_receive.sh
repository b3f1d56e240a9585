#!/usr/bin/env bash
# examples/hooks/post-receive: installed in a bare repo, a push POSTs to
# sluice's generic hook with the source in the path and the token as a
# bearer header; a dead or missing endpoint never fails the push.
set -e
. "$(dirname "$0")/lib.sh"

HOOK="$SL_SRC_DIR/examples/hooks/post-receive"
[ -f "$HOOK" ] || { echo "FAIL $HOOK is missing"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL python3 is needed for the test listener"; exit 1; }
command -v curl >/dev/null || { echo "FAIL curl is needed by the hook"; exit 1; }

# The hook is POSIX sh: it must parse under dash (Debian's /bin/sh).
if command -v dash >/dev/null; then
  run dash -n "$HOOK"; expect_rc 0 "hook parses with dash"
fi
if command -v shellcheck >/dev/null; then
  run shellcheck -s sh "$HOOK"; expect_rc 0 "shellcheck -s sh"
fi

# A listener that records every request (method, path, Authorization,
# body) as one JSON line, answers 202, and writes its port to a file.
cat >"$T/listener.py" <<'PY'
import http.server, json, sys
log, portfile, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        with open(log, "a") as f:
            f.write(json.dumps({"method": "POST", "path": self.path,
                                "auth": self.headers.get("Authorization"),
                                "body": body}) + "\n")
        self.send_response(status)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
start_listener() { # start_listener STATUS
  rm -f "$T/port" "$T/requests"
  python3 "$T/listener.py" "$T/requests" "$T/port" "$1" &
  LPID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  PORT=$(cat "$T/port")
}
stop_listener() { kill "$LPID" 2>/dev/null || true; wait "$LPID" 2>/dev/null || true; }
trap 'stop_listener; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

make_repo cat
cp "$HOOK" "$T/cat.git/hooks/post-receive"
chmod +x "$T/cat.git/hooks/post-receive"
printf 's3cr3t-token\n' >"$T/token"
chmod 600 "$T/token"

start_listener 202
git -C "$T/cat.git" config sluice.url "http://127.0.0.1:$PORT/"
git -C "$T/cat.git" config sluice.source catalog
git -C "$T/cat.git" config sluice.tokenFile "$T/token"

echo one >"$T/cat/a.txt"
git -C "$T/cat" add -A
git -C "$T/cat" commit -q -m one
run git -C "$T/cat" push origin main
expect_rc 0 "push with the hook installed"
head=$(git -C "$T/cat" rev-parse HEAD)
req=$(head -1 "$T/requests" 2>/dev/null || true)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' "$req" "$1"; }
if [ -n "$req" ]; then
  [ "$(field path)" = "/hooks/generic/catalog" ] && ok "path /hooks/generic/catalog" ||
    fail "path is $(field path)"
  [ "$(field auth)" = "Bearer s3cr3t-token" ] && ok "Authorization: Bearer <token file>" ||
    fail "Authorization is '$(field auth)'"
  grep -qF "\"after\":\"$head\"" <<<"$(field body)" && grep -qF '"ref":"refs/heads/main"' <<<"$(field body)" &&
    ok "body names the ref and the new commit" || fail "body is $(field body)"
else
  fail "the listener received no request"
fi
expect_err "remote: sluice: asked" "the pusher sees the notification"
expect_no "s3cr3t" "the token is never printed"

# Two refs in one push: one request each.
git -C "$T/cat" tag v1
git -C "$T/cat" checkout -q -b feature
echo two >"$T/cat/b.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m two
: >"$T/requests"
run git -C "$T/cat" push origin v1 feature
expect_rc 0 "push of two refs"
n=$(wc -l <"$T/requests")
[ "$n" -eq 2 ] && ok "two refs, two requests" || fail "two refs gave $n requests"
grep -q 'refs/tags/v1' "$T/requests" && grep -q 'refs/heads/feature' "$T/requests" &&
  ok "each ref named" || fail "refs missing: $(cat "$T/requests")"

# The environment wins over git config.
: >"$T/requests"
echo three >"$T/cat/c.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m three
SLUICE_SOURCE=platform run git -C "$T/cat" push origin feature
grep -q '"/hooks/generic/platform"' "$T/requests" && ok "SLUICE_SOURCE overrides sluice.source" ||
  fail "requests: $(cat "$T/requests")"

# sluice refuses (HTTP 401): a warning, the push still succeeds.
stop_listener
start_listener 401
git -C "$T/cat.git" config sluice.url "http://127.0.0.1:$PORT"
echo four >"$T/cat/d.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m four
run git -C "$T/cat" push origin feature
expect_rc 0 "push succeeds when sluice answers 401"
expect_err "warning: could not notify sluice" "a refused notification is a warning"
expect_err "next poll" "the warning says polling remains"

# Nobody listening: the push succeeds quickly.
stop_listener
echo five >"$T/cat/e.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m five
start=$(date +%s)
run git -C "$T/cat" push origin feature
took=$(( $(date +%s) - start ))
expect_rc 0 "push succeeds with sluice down"
expect_err "warning: could not notify sluice" "sluice down is a warning"
[ "$took" -le 8 ] && ok "push with sluice down took ${took}s" || fail "push took ${took}s"
[ "$(git -C "$T/cat.git" rev-parse feature)" = "$(git -C "$T/cat" rev-parse HEAD)" ] &&
  ok "the pushed commit landed" || fail "the push did not land"

# No source configured, or an unreadable token: warn, do not fail.
git -C "$T/cat.git" config --unset sluice.source
echo six >"$T/cat/f.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m six
run git -C "$T/cat" push origin feature
expect_rc 0 "push succeeds without sluice.source"
expect_err "sluice.source is not set" "missing source is explained"
git -C "$T/cat.git" config sluice.source catalog
git -C "$T/cat.git" config sluice.tokenFile "$T/no-such-token"
echo seven >"$T/cat/g.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m seven
run git -C "$T/cat" push origin feature
expect_rc 0 "push succeeds with an unreadable token file"
expect_err "cannot read a token" "unreadable token is explained"

# --- against the real daemon -------------------------------------------
# sluice run with the generic webhook on this source and polling set to an
# hour: only the hook can make it see the push quickly.
git -C "$T/cat.git" config sluice.tokenFile "$T/token"
git -C "$T/cat" checkout -q main
mkdir -p "$T/cat/deploy"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: "1"}\n' >"$T/cat/deploy/c.yaml"
git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m deploy
git -C "$T/cat" push -q origin main 2>/dev/null
DPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/sluice.yaml" <<Y
stateDir: $T/state
listen: 127.0.0.1:$DPORT
sources:
  catalog:
    git: "file://$T/cat.git"
    ref: main
    interval: 1h
    webhook: { generic: { tokenFile: $T/token } }
targets:
  out: { directory: $T/out }
apps:
  - name: c
    source: catalog
    namespace: c
    render: { manifests: { path: deploy } }
    target: out
Y
"$SLUICE" run -c "$T/sluice.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
trap 'stop_listener; kill $DPID 2>/dev/null || true; wait $DPID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$DPORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
git -C "$T/cat.git" config sluice.url "http://127.0.0.1:$DPORT"
sed -i 's/v: "1"/v: "2"/' "$T/cat/deploy/c.yaml"
git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m two
run git -C "$T/cat" push origin main
expect_rc 0 "push to the repo sluice watches"
expect_err "remote: sluice: asked" "the daemon accepted the notification"
expect_no "warning" "no warning against the real daemon"
for _ in $(seq 100); do grep -q 'v: "2"' "$T/out/c/ConfigMap/c.yaml" 2>/dev/null && break; sleep 0.1; done
grep -q 'v: "2"' "$T/out/c/ConfigMap/c.yaml" 2>/dev/null &&
  ok "the push was applied within seconds (poll interval is 1h)" ||
  { fail "the push was not applied"; tail -20 "$T/daemon.log"; }
grep -q "generic webhook" "$T/daemon.log" && ok "the daemon logged the generic webhook trigger" ||
  fail "no generic webhook trigger in the daemon log"
# A wrong token is refused by sluice; the push still succeeds.
printf 'wrong\n' >"$T/token2"
git -C "$T/cat.git" config sluice.tokenFile "$T/token2"
echo x >"$T/cat/x.txt"; git -C "$T/cat" add -A; git -C "$T/cat" commit -q -m x
run git -C "$T/cat" push origin main
expect_rc 0 "push succeeds when sluice refuses the token"
expect_err "warning: could not notify sluice.*401" "the refusal is a warning"
kill "$DPID"; wait "$DPID" 2>/dev/null || true

finish
