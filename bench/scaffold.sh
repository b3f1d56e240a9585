#!/usr/bin/env bash
# bench/scaffold.sh: `sluice scaffold` against Debian's cookiecutter on the
# example skeleton (see docs/performance.md, "Scaffold").
#
# Measures wall time (median of REPS runs, each a fresh output folder) of:
#   cookiecutter --no-input -o DIR  examples/.../nodejs-service-cookiecutter
#   sluice scaffold            -o DIR  (the same skeleton)
#   sluice version             (process start-up alone: the floor of any run)
#   sluice scaffold examples/.../nodejs-service (the Backstage template: render,
#       publish:git into a fresh bare repo, catalog:register into a catalog checkout)
# checks that the two cookiecutter trees are byte-identical (diff -r) before
# timing, and prints a Markdown table with the ratio and the goal (< 50 ms).
#
# Environment:
#   REPS=20          timed runs per command (median reported)
#   BUILD_DIR=build  where scripts/build.sh builds sluice
#   SLUICE=PATH      use this binary instead of building one
#   STRICT=1         exit 1 when the goal is missed
#
# Exit status: 0 done, 1 a check failed (or a missed goal with STRICT=1), 2 setup error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-20}
BUILD_DIR=${BUILD_DIR:-build}
STRICT=${STRICT:-0}
CCT=$ROOT/examples/platform-config/templates/nodejs-service-cookiecutter
BST=$ROOT/examples/platform-config/templates/nodejs-service

die() { echo "bench: $*" >&2; exit 2; }
command -v cookiecutter >/dev/null || die "cookiecutter is not installed (scripts/setup.sh)"
if [ -z "${SLUICE:-}" ]; then
  (cd "$ROOT" && BUILD_DIR="$BUILD_DIR" scripts/build.sh) || die "build failed"
  SLUICE=$ROOT/$BUILD_DIR/sluice
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-scaffold.XXXXXX")
trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@sluice.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@sluice.invalid

# correctness first: identical trees
cookiecutter --no-input -o "$W/check-cc" "$CCT" >/dev/null
"$SLUICE" scaffold -q "$CCT" -o "$W/check-sl" 2>/dev/null
diff -r "$W/check-cc" "$W/check-sl" >/dev/null || { echo "bench: trees differ" >&2; exit 1; }

git init -q -b main "$W/catalog"
cp -r "$ROOT/examples/catalog/." "$W/catalog/"
git -C "$W/catalog" add -A && git -C "$W/catalog" commit -qm catalog

python3 - "$SLUICE" "$CCT" "$BST" "$W" "$REPS" "$STRICT" <<'EOF'
import os, resource, statistics, subprocess, sys, time
sluice, cct, bst, w, reps, strict = sys.argv[1:7]
reps = int(reps)

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def timed(make_cmd, n):
    """Median wall time and median CPU time (user+sys) of n runs."""
    times, cpus = [], []
    for i in range(n + 1):                     # one untimed warm-up run
        cmd = make_cmd(i)
        c0 = cpu()
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        dc = cpu() - c0
        if i:
            times.append(dt)
            cpus.append(dc)
    return statistics.median(times), statistics.median(cpus)

floor = timed(lambda i: [sluice, "version"], reps)
cc = timed(lambda i: ["cookiecutter", "--no-input", "-o", f"{w}/cc{i}", cct], reps)
sl = timed(lambda i: [sluice, "scaffold", "-q", cct, "-o", f"{w}/sl{i}"], reps)

def backstage(i):
    repo = f"{w}/svc{i}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], check=True)
    return [sluice, "scaffold", "-q", bst, "-o", f"{w}/bs{i}", "--set", f"name=svc-{i:03d}",
            "--set", "owner=team-bench", "--set", f"remoteUrl=file://{repo}",
            "--catalog", f"{w}/catalog"]
bs = timed(backstage, reps)

goal = 0.050
print("| run (example skeleton, %d runs, median) | wall time | CPU time | wall vs cookiecutter | goal (wall) |" % reps)
print("| --- | --- | --- | --- | --- |")
print("| `sluice version` (process start-up, the floor) | %.1f ms | %.1f ms | | |" % (floor[0] * 1e3, floor[1] * 1e3))
print("| `cookiecutter --no-input` | %.1f ms | %.1f ms | 1x | |" % (cc[0] * 1e3, cc[1] * 1e3))
print("| `sluice scaffold` (cookiecutter skeleton) | %.1f ms | %.1f ms | %.0fx faster | < 50 ms: %s |"
      % (sl[0] * 1e3, sl[1] * 1e3, cc[0] / sl[0], "PASS" if sl[0] < goal else "MISS"))
print("| `sluice scaffold` (Backstage template + publish:git + catalog:register) | %.1f ms | %.1f ms | | < 50 ms: %s |"
      % (bs[0] * 1e3, bs[1] * 1e3, "PASS" if bs[0] < goal else "MISS"))
print("\nload average while measuring: %.1f %.1f %.1f" % os.getloadavg())
if strict == "1" and (sl[0] >= goal or bs[0] >= goal):
    sys.exit(1)
EOF
