#!/usr/bin/env bash
# Install, build and run the whole test suite: a normal build (unit,
# integration and fuzz-corpus replay tests under ctest), then an
# ASan+UBSan build of the unit and fuzz-replay tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== build"
BUILD_DIR=build scripts/build.sh
echo "== ctest"
ctest --test-dir build --output-on-failure -j2

echo "== ASan+UBSan build of the unit tests"
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DSL_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -R '^(unit|fuzz)\.'
