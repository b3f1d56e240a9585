# lib.sh: helpers for integration tests that drive the real sluice binary.
# Source it; it sets $T (a temp dir removed on exit) and $SLUICE.
set -u
SLUICE=${SLUICE:?set SLUICE to the sluice binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/slint.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
PASSED=0
FAILED=0
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@sluice.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@sluice.invalid
export NO_COLOR=1

ok()   { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
  set +e
  "$@" >"$T/.out" 2>"$T/.err"
  RC=$?
  set -e
  OUT=$(cat "$T/.out")
  ERR=$(cat "$T/.err")
}

expect_rc() { # expect_rc N what
  if [ "$RC" -eq "$1" ]; then ok "$2 (exit $RC)"; else
    fail "$2: exit $RC, expected $1"; echo "--- stdout"; echo "$OUT" | head -40; echo "--- stderr"; echo "$ERR" | head -40; fi
}
expect_out() { # expect_out TEXT what   (fixed string in stdout)
  if grep -qF -- "$1" <<<"$OUT"; then ok "$2"; else fail "$2: stdout lacks \"$1\""; echo "$OUT" | head -40; fi
}
expect_err() {
  if grep -qE -- "$1" <<<"$ERR"; then ok "$2"; else fail "$2: stderr does not match /$1/"; echo "$ERR" | head -20; fi
}
expect_no() { # expect_no TEXT what   (not in stdout nor stderr)
  if grep -qF -- "$1" <<<"$OUT$ERR"; then fail "$2: output contains \"$1\""; else ok "$2"; fi
}

# A bare repo $T/<name>.git with a work clone $T/<name>; commit with `commit <name> msg`.
make_repo() {
  git init -q --bare -b main "$T/$1.git"
  git init -q -b main "$T/$1"
  git -C "$T/$1" remote add origin "$T/$1.git"
}
commit() { # commit NAME MESSAGE
  git -C "$T/$1" add -A
  git -C "$T/$1" commit -q -m "$2"
  git -C "$T/$1" push -q origin main
}

# A checksum of every file below a folder (names and contents).
tree_sum() { (cd "$1" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 -r sha256sum | sha256sum) || echo none; }

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
