#!/usr/bin/env bash
# systemd/sluice.service: `systemd-analyze verify` is clean (no warnings at
# all: verify exits 0 on unknown keys and bad values, so its output is
# checked too) and `systemd-analyze security --offline=true` rates it 2.0
# ("OK") or better. The unit's ExecStart names /usr/local/bin/sluice, which
# verify insists exists and is executable: the test checks a copy whose
# ExecStart points at the binary under test instead.
set -e
. "$(dirname "$0")/lib.sh"

UNIT="$SL_SRC_DIR/systemd/sluice.service"
MAX_EXPOSURE=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed (Debian: apt-get install systemd)"
  exit 0
fi
[ -f "$UNIT" ] || { echo "FAIL $UNIT is missing"; exit 1; }

[ -x "$SLUICE" ] || { echo "FAIL $SLUICE is not an executable"; exit 1; }
BIN=$(readlink -f "$SLUICE")
mkdir -p "$T/unit"
sed "s|/usr/local/bin/sluice|$BIN|g" "$UNIT" >"$T/unit/sluice.service"
if grep -q /usr/local/bin/sluice "$T/unit/sluice.service"; then
  fail "ExecStart substitution"; fi

# --- verify -----------------------------------------------------------
run systemd-analyze verify --man=no "$T/unit/sluice.service"
expect_rc 0 "systemd-analyze verify"
if [ -z "$OUT$ERR" ]; then ok "verify printed no warnings"; else
  fail "verify printed warnings"; echo "$OUT$ERR"; fi

# The check is real: a misspelt key and a missing binary are reported.
sed 's/^ProtectClock=yes/ProtectClok=yes/' "$T/unit/sluice.service" >"$T/unit/typo.service"
run systemd-analyze verify --man=no "$T/unit/typo.service"
expect_err "Unknown key 'ProtectClok'" "verify reports an unknown key"
sed "s|^ExecStart=$BIN|ExecStart=$T/no-such-binary|" "$T/unit/sluice.service" >"$T/unit/nobin.service"
run systemd-analyze verify --man=no "$T/unit/nobin.service"
if [ "$RC" -ne 0 ]; then ok "verify fails for a missing ExecStart binary"; else
  fail "verify accepted a missing ExecStart binary"; fi
expect_err "no-such-binary.*(not executable|No such file)" "verify names the missing binary"

# --- security ---------------------------------------------------------
run systemd-analyze security --offline=true --no-pager "$T/unit/sluice.service"
expect_rc 0 "systemd-analyze security --offline=true"
line=$(grep -a "Overall exposure level" <<<"$OUT" || true)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' <<<"$line")
if [ -z "$score" ]; then
  fail "no 'Overall exposure level' line in the security report"
  echo "$OUT$ERR" | tail -20
else
  echo "     $line"
  if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
    ok "exposure $score <= $MAX_EXPOSURE"
  else
    fail "exposure $score > $MAX_EXPOSURE"
    grep -a "✗" <<<"$OUT" || true
  fi
fi
# The security check also runs the unit through the same parser: settings
# it does not know would make the score meaningless.
expect_no "Unknown key" "security parsed every setting"

# --- the contract with the daemon ---------------------------------------
for want in 'Type=notify' 'WatchdogSec=' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'StateDirectory=sluice' 'ConfigurationDirectory=sluice' 'Restart=on-failure' \
    'ExecStart=/usr/local/bin/sluice run --config /etc/sluice/sluice.yaml'; do
  if grep -qxF -- "$want" "$UNIT" || grep -q "^${want//\$/\\\$}" "$UNIT"; then ok "unit has $want"; else
    fail "unit lacks $want"; fi
done

# The sysusers/tmpfiles snippets, when shipped, parse.
for f in "$SL_SRC_DIR"/systemd/*.conf; do
  [ -e "$f" ] || continue
  case "$f" in
  *sysusers*) command -v systemd-sysusers >/dev/null &&
    { run systemd-sysusers --dry-run --root="$T/root" "$f"; expect_rc 0 "sysusers $(basename "$f")"; } ;;
  *tmpfiles*) command -v systemd-tmpfiles >/dev/null &&
    { mkdir -p "$T/root"; run systemd-tmpfiles --root="$T/root" --create "$f"; expect_rc 0 "tmpfiles $(basename "$f")"; } ;;
  esac
done

finish
