#!/usr/bin/env bash
# bench/profile.sh: where sluice render / no-op diff spend their time, on the
# benchmark's generated repository (see docs/performance.md).
#
# Uses `perf record` when the machine has hardware counters (`perf stat -e
# instructions true` works), else valgrind's callgrind (instruction counts,
# deterministic, ~50x slower: hence a smaller default N). Prints the top
# functions by self cost and by inclusive cost, for render and for diff.
#
# Environment: N (default 2000 for callgrind, 10000 for perf), SEED=1,
# BUILD_DIR=build, SLUICE=PATH (skip the build), PROFILER=perf|callgrind,
# TOP=25, KEEP=1 (keep the work folder with the raw profiles).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEED=${SEED:-1}
BUILD_DIR=${BUILD_DIR:-build}
TOP=${TOP:-25}
die() { echo "profile: $*" >&2; exit 2; }

if [ -z "${PROFILER:-}" ]; then
  if command -v perf >/dev/null && perf stat -e instructions true 2>&1 | grep -q '[0-9][0-9,]* *instructions'; then
    PROFILER=perf
  else
    PROFILER=callgrind
  fi
fi
case $PROFILER in
  perf) N=${N:-10000}; command -v perf >/dev/null || die "perf is not installed (Debian: linux-perf)" ;;
  callgrind) N=${N:-2000}; command -v valgrind >/dev/null || die "valgrind is not installed (Debian: valgrind)" ;;
  *) die "PROFILER must be perf or callgrind" ;;
esac

if [ -z "${SLUICE:-}" ]; then
  BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh"
  case "$BUILD_DIR" in /*) SLUICE="$BUILD_DIR/sluice" ;; *) SLUICE="$ROOT/$BUILD_DIR/sluice" ;; esac
fi
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"

W=$(mktemp -d "${TMPDIR:-/tmp}/sluice-profile.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "work folder (kept): $W"; else trap 'rm -rf "$W"' EXIT; fi
python3 "$ROOT/bench/gen_repo.py" --objects "$N" --seed "$SEED" "$W/gen" >/dev/null
CFG="$W/sluice.yaml"
cat >"$CFG" <<EOF
stateDir: $W/state
sources:
  bench: { git: "file://$W/gen/repo.git", ref: main }
targets:
  out: { directory: $W/target }
apps:
  - name: bench
    source: bench
    render: { manifests: { exclude: [kustomization.yaml] } }
    target: out
EOF
"$SLUICE" apply -c "$CFG" >/dev/null
echo "profiler: $PROFILER, N=$N, $SLUICE"

# Stages of a render / diff, by the function that does them.
STAGES="cli_load git_fetch sl_snapshot_walk sl_snapshot_read sl_yaml_parse sl_plan_build sl_yaml_write sl_pipeline_fini git_odb_hash git_tree_entry_bypath"

profile() { # profile NAME ARGS...: profile one sluice command (warm git cache)
  local name=$1; shift
  set +o pipefail   # head closes the pipes early
  echo
  echo "=============== sluice $* ($N objects)"
  if [ "$PROFILER" = perf ]; then
    perf record -q -g -o "$W/$name.perf" -- "$SLUICE" "$@" -c "$CFG" >/dev/null 2>"$W/$name.err" || true
    echo "--- self cost"
    perf report -i "$W/$name.perf" --no-children --stdio --sort symbol -g none 2>/dev/null |
      grep -E '^ +[0-9]' | head -"$TOP"
    echo "--- inclusive cost"
    perf report -i "$W/$name.perf" --children --stdio --sort symbol -g none 2>/dev/null |
      grep -E '^ +[0-9]' | head -"$TOP"
  else
    valgrind --tool=callgrind --callgrind-out-file="$W/$name.cg" -q \
      "$SLUICE" "$@" -c "$CFG" >/dev/null 2>"$W/$name.err" || true
    echo "--- self cost (instructions)"
    callgrind_annotate "$W/$name.cg" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -"$TOP"
    echo "--- inclusive cost (instructions; recursion copies and duplicates dropped)"
    callgrind_annotate --inclusive=yes "$W/$name.cg" 2>/dev/null | grep -E '^ *[0-9,]+ \(' |
      grep -vE "'|below main|ld-linux|libc-start|main\.c:main" |
      awk '{ l = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", l); split(l, f, " "); fn = f[1]
             sub(/^.*:/, "", fn); if (!seen[fn]++) print }' | head -"$TOP"
    echo "--- breakdown by stage (inclusive %)"
    callgrind_annotate --inclusive=yes "$W/$name.cg" 2>/dev/null | grep -E '^ *[0-9,]+ \(' |
      grep -v "'" | awk -v stages="$STAGES" '
        BEGIN { n = split(stages, st, " ") }
        { l = $0; match(l, /[0-9.]+%/); p = substr(l, RSTART, RLENGTH)
          sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", l); split(l, f, " "); fn = f[1]; sub(/^.*:/, "", fn)
          for (i = 1; i <= n; i++) if (fn == st[i] && !(fn in pct)) pct[fn] = p }
        END { for (i = 1; i <= n; i++) if (st[i] in pct) printf "  %-26s %s\n", st[i], pct[st[i]] }'
  fi
}
profile render render
profile diff diff --color=never
