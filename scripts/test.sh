#!/usr/bin/env bash
# Install, build and run the whole test suite:
#  1. an ASan+UBSan build of the unit and fuzz-replay tests,
#  2. a short libFuzzer run of every fuzz target (clang),
#  3. the normal build and every ctest test (unit, integration, fuzz replay),
#     whose summary closes the output.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== ASan+UBSan build of the unit tests"
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DSL_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -R '^(unit|fuzz)\.'

echo "== libFuzzer smoke run (clang): each target ${FUZZ_SECONDS:=15}s from its corpus"
CC=clang BUILD_DIR=build-fuzz BUILD_TYPE=Debug scripts/build.sh -DSL_FUZZ=ON
for f in build-fuzz/fuzz_*; do
  case $f in *_replay) continue ;; esac
  name=$(basename "$f"); corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d); cp -R "$corpus/." "$work/"
  "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -artifact_prefix="$work.artifact-" \
    "$work" >"$work.log" 2>&1 \
    || { echo "FAIL $name"; tail -n 40 "$work.log"; ls "$work".artifact-* 2>/dev/null; exit 1; }
  echo "ok   $name ($(grep -o 'Done [0-9]* runs' "$work.log" | head -1))"
  rm -rf "$work" "$work.log"
done

echo "== build and ctest"
BUILD_DIR=build scripts/build.sh
ctest --test-dir build --output-on-failure -j2
