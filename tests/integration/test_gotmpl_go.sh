#!/usr/bin/env bash
# test_gotmpl_go.sh: differential test of sluice's Go-template engine
# against Go's own text/template (core language only; Sprig is not in Go's
# standard library). Optional: skipped with a message when `go` is absent.
# Every case of tests/gotmpl/core.cases must print the same bytes, or fail
# in both.
set -eu
. "$(dirname "$0")/lib.sh"

if ! command -v go >/dev/null 2>&1; then
  echo "SKIP: go is not installed (apt-get install golang-go to run the Go differential test)"
  exit 0
fi
RUN=${GOTMPL_RUN:?set GOTMPL_RUN to the gotmpl-run tool}
CASES="$SL_SRC_DIR/tests/gotmpl/core.cases"

export GOCACHE="$T/gocache" GOPATH="$T/gopath" GO111MODULE=off GOTOOLCHAIN=local
run go run "$SL_SRC_DIR/tests/gotmpl/gorun.go" "$CASES"
expect_rc 0 "go runs the cases"
printf '%s\n' "$OUT" > "$T/go.out"
run "$RUN" "$CASES"
expect_rc 0 "gotmpl-run runs the cases"
printf '%s\n' "$OUT" > "$T/c.out"

n=$(grep -c '^=== ' "$T/go.out" || true)
if [ "$n" -lt 50 ]; then fail "only $n cases ran under go"; fi
if diff -u "$T/go.out" "$T/c.out" > "$T/diff"; then
  ok "all $n cases print the same as Go's text/template"
else
  fail "output differs from Go's text/template (- go, + sluice)"
  head -80 "$T/diff"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
