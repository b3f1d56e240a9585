#!/usr/bin/env bash
# shellcheck disable=SC2016  # the backquotes in --label are Markdown, not shell
# bench/run.sh: sluice's foundation benchmark (see docs/performance.md).
#
# Generates a git repository of N Kubernetes objects (bench/gen_repo.py),
# applies it once into a directory target, then measures wall time, CPU time
# and peak RSS (median of REPS runs) of:
#   sluice render            warm git cache (fetch + render; what a daemon does)
#   sluice diff              no-op against the up-to-date target (must exit 0)
#   sluice render            cold git cache (the cache is deleted before each run)
#   sluice render --local    the same files from the work tree, no git at all
#   kubectl kustomize DIR    the same files through a kustomization.yaml
# and prints a Markdown table with the goals and PASS/MISS. Before measuring,
# it checks that sluice (git and --local) and kubectl kustomize each render
# exactly the N generated objects and that the no-op diff reports N unchanged.
#
# Environment:
#   N=10000          objects to generate
#   REPS=5           timed runs per command (the median is reported)
#   WARMUP=1         untimed runs before them
#   KREPS=1          timed runs of kubectl kustomize (it takes minutes at
#                    N=10000: its run during the correctness check is the
#                    measurement; KREPS>1 adds more runs)
#   SKIP_KUSTOMIZE=1 do not run kubectl kustomize (no ratio)
#   SEED=1           generator seed
#   BUILD_DIR=build  where scripts/build.sh builds sluice
#   SLUICE=PATH      use this binary instead of building one
#   BENCH_DIR=PATH   work folder (default: a fresh mktemp -d, removed at exit)
#   KEEP=1           keep the work folder
#   STRICT=1         exit 1 when a goal is missed (default: only on errors)
#   SKIP_SETUP=1     do not run scripts/setup.sh / apt-get
#
# Exit status: 0 done (goals may be missed unless STRICT=1), 1 a correctness
# check failed or a goal was missed with STRICT=1, 2 setup/usage error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
N=${N:-10000}
REPS=${REPS:-5}
WARMUP=${WARMUP:-1}
KREPS=${KREPS:-1}
SKIP_KUSTOMIZE=${SKIP_KUSTOMIZE:-0}
SEED=${SEED:-1}
BUILD_DIR=${BUILD_DIR:-build}
KEEP=${KEEP:-0}
STRICT=${STRICT:-0}
SKIP_SETUP=${SKIP_SETUP:-0}

die() { echo "bench: $*" >&2; exit 2; }
step() { echo "== $*"; }
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer (got '$N')"
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer (got '$REPS')"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer (got '$WARMUP')"
[[ "$KREPS" =~ ^[1-9][0-9]*$ ]] || die "KREPS must be a positive integer (got '$KREPS')"

# ---------------------------------------------------------------- tools
apt_install() { # apt_install PKG...: Debian packages, only called for what is missing
  [ "$SKIP_SETUP" = 1 ] && die "missing $*; install it or unset SKIP_SETUP"
  local SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  step "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$SKIP_SETUP" != 1 ]; then
  step "build dependencies (scripts/setup.sh)"
  "$ROOT/scripts/setup.sh"
fi
# kubectl: any kubectl will do; Debian's is kubernetes-client. Only install
# it when none is on PATH (another package's kubectl would conflict).
if [ "$SKIP_KUSTOMIZE" != 1 ]; then
  command -v kubectl >/dev/null 2>&1 || apt_install kubernetes-client
  kubectl kustomize --help >/dev/null 2>&1 || die "this kubectl has no 'kustomize' subcommand"
fi
# GNU time measures peak RSS (benchtool.py falls back to wait4 without it).
[ -x /usr/bin/time ] || apt_install time
for t in git python3; do command -v "$t" >/dev/null || die "$t is needed"; done

if [ -z "${SLUICE:-}" ]; then
  step "building sluice into $BUILD_DIR (scripts/build.sh, ${BUILD_TYPE:-RelWithDebInfo})"
  BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh"
  case "$BUILD_DIR" in /*) SLUICE="$BUILD_DIR/sluice" ;; *) SLUICE="$ROOT/$BUILD_DIR/sluice" ;; esac
fi
[ -x "$SLUICE" ] || die "no sluice binary at $SLUICE"

# ---------------------------------------------------------------- work folder
if [ -n "${BENCH_DIR:-}" ]; then
  mkdir -p "$BENCH_DIR"
  W=$(cd "$BENCH_DIR" && pwd)
  [ -z "$(ls -A "$W")" ] || die "BENCH_DIR $W is not empty"
else
  W=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
fi
if [ "$KEEP" = 1 ]; then echo "work folder (kept): $W"; else trap 'rm -rf "$W"' EXIT; fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1e6}' /proc/meminfo), $(uname -sr)"
echo "sluice:  $("$SLUICE" version 2>&1 | head -1) ($SLUICE)"
[ "$SKIP_KUSTOMIZE" = 1 ] || echo "kubectl: $(kubectl version --client 2>/dev/null | tr '\n' ' ')"
echo "N=$N REPS=$REPS WARMUP=$WARMUP SEED=$SEED"

step "generating $N objects (bench/gen_repo.py)"
gen=$(python3 "$BENCH/gen_repo.py" --objects "$N" --seed "$SEED" "$W/gen")
while IFS= read -r l; do echo "  $l"; done <<<"$gen"
TREE="$W/gen/tree"
EXPECTED="$W/gen/expected.tsv"

CFG="$W/sluice.yaml"
cat >"$CFG" <<EOF
# written by bench/run.sh
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
    prune: true
EOF
S() { "$SLUICE" "$@" -c "$CFG"; }

step "sluice validate + apply (fills the git cache and the directory target)"
S validate >/dev/null
t0=$(date +%s.%N)
S apply --color=never >"$W/apply.txt" 2>"$W/apply.err" || { cat "$W/apply.err" >&2; echo "bench: sluice apply failed" >&2; exit 1; }
t1=$(date +%s.%N)
echo "  apply: $(tail -1 "$W/apply.txt") ($(python3 -c "print(f'{$t1-$t0:.2f}')") s)"

# ---------------------------------------------------------------- correctness
step "correctness"
fail=0
check() { # check LABEL STREAM
  python3 "$BENCH/benchtool.py" check --expected "$EXPECTED" --label "$1" "$2" || fail=1
}
S render >"$W/render.yaml" 2>"$W/render.err" || { cat "$W/render.err" >&2; die "sluice render failed"; }
check "sluice render" "$W/render.yaml"
S render --local "$TREE" >"$W/render-local.yaml" 2>"$W/render.err" || { cat "$W/render.err" >&2; die "sluice render --local failed"; }
check "sluice render --local" "$W/render-local.yaml"
if cmp -s "$W/render.yaml" "$W/render-local.yaml"; then
  echo "  sluice render from git and from --local are byte-identical"
else
  echo "  MISMATCH: sluice render from git and from --local differ"; fail=1
fi
RES="$W/results.jsonl"
M() { python3 "$BENCH/benchtool.py" measure --out "$RES" "$@"; }
if [ "$SKIP_KUSTOMIZE" != 1 ]; then
  # Timed right here (KREPS runs, no warm-up: the files were just written,
  # the page cache holds them); the last run's output is checked.
  M --name kustomize --label '`kubectl kustomize`' --reps "$KREPS" --warmup 0 \
    --stdout "$W/kustomize.yaml" -- kubectl kustomize "$TREE"
  check "kubectl kustomize" "$W/kustomize.yaml"
fi
set +e
S diff --color=never >"$W/diff.txt" 2>"$W/diff.err"
rc=$?
set -e
summary=$(grep -E '[0-9]+ to create, [0-9]+ to update, [0-9]+ to prune, [0-9]+ unchanged' "$W/diff.txt" | tail -1 || true)
if [ "$rc" -eq 0 ] && [ "$summary" = "0 to create, 0 to update, 0 to prune, $N unchanged" ]; then
  echo "  no-op sluice diff: exit 0, $summary"
else
  echo "  MISMATCH: no-op sluice diff: exit $rc, summary '${summary:-none}', expected '0 to create, 0 to update, 0 to prune, $N unchanged'"
  head -20 "$W/diff.txt" "$W/diff.err"
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "bench: correctness checks failed; not measuring (KEEP=1 keeps $W to look at)" >&2
  exit 1
fi

# ---------------------------------------------------------------- measure
step "measuring sluice (median of $REPS runs after $WARMUP warm-up; page cache warm)"
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
MS() { M --reps "$REPS" --warmup "$WARMUP" "$@"; }
MS --name render_warm --label '`sluice render` (git, warm cache)' -- "$SLUICE" render -c "$CFG"
MS --name diff_noop --label '`sluice diff`, no-op (git, warm cache)' --expect-rc 0 -- "$SLUICE" diff --color=never -c "$CFG"
MS --name render_cold --label '`sluice render` (git, cold cache)' --prepare "rm -rf '$W/state'" -- "$SLUICE" render -c "$CFG"
MS --name render_local --label '`sluice render --local` (no git)' -- "$SLUICE" render --local "$TREE" -c "$CFG"
echo "  load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

step "results: $N objects, $(sed -n 's/.* bytes=\([0-9]*\).*/\1/p' <<<"$gen" | awk '{printf "%.1f MB", $1/1e6}') of YAML in $(grep -c '^- ' "$TREE/kustomization.yaml") files"
echo
set +e
python3 "$BENCH/benchtool.py" table --results "$RES" --objects "$N"
rc=$?
set -e
echo
case $rc in
  0) echo "all goals met" ;;
  3) echo "goals missed (see docs/performance.md for where the time goes)"
     [ "$STRICT" = 1 ] && exit 1 ;;
  *) exit 2 ;;
esac
exit 0
