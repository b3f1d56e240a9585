#!/usr/bin/env bash
# test_gotmpl_go.sh: differential test of sluice's Go-template engine
# against Go's own text/template: the core language (tests/gotmpl/core.cases)
# and the Sprig functions that wrap Go's standard library (sprig.cases;
# gorun.go defines them as Sprig does, Sprig itself is not in the standard
# library). Optional: skipped with a message when `go` is absent. Every case
# must print the same bytes, or fail in both.
set -eu
. "$(dirname "$0")/lib.sh"

if ! command -v go >/dev/null 2>&1; then
  echo "SKIP: go is not installed (apt-get install golang-go to run the Go differential test)"
  exit 0
fi
RUN=${GOTMPL_RUN:?set GOTMPL_RUN to the gotmpl-run tool}

export GOCACHE="$T/gocache" GOPATH="$T/gopath" GO111MODULE=off GOTOOLCHAIN=local
for cases in core sprig; do
  CASES="$SL_SRC_DIR/tests/gotmpl/$cases.cases"
  run go run "$SL_SRC_DIR/tests/gotmpl/gorun.go" "$CASES"
  expect_rc 0 "go runs the $cases cases"
  printf '%s\n' "$OUT" > "$T/go.out"
  run "$RUN" "$CASES"
  expect_rc 0 "gotmpl-run runs the $cases cases"
  printf '%s\n' "$OUT" > "$T/c.out"
  n=$(grep -c '^=== ' "$T/go.out" || true)
  if [ "$n" -lt 10 ]; then fail "only $n $cases cases ran under go"; fi
  if diff -u "$T/go.out" "$T/c.out" > "$T/diff"; then
    ok "all $n $cases cases print the same as Go's text/template"
  else
    fail "$cases: output differs from Go (- go, + sluice)"
    head -80 "$T/diff"
  fi
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
