#!/usr/bin/env bash
# Render time of environment requests through the example environment
# module: N requests (default 1,000; teams x tiers, a third with a database)
# in a git repository next to examples/platform-config/modules, rendered by
# `sluice render` with the module renderer's `requests:` glob. Prints the
# wall time, CPU time and peak RSS of R runs (median), checks the object
# count, and compares with the goal (1,000 environments under 2 s).
#
#   bench/module.sh [N] [REPS]        (BUILD_DIR=build by default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1000}
REPS=${2:-5}
SLUICE=$ROOT/${BUILD_DIR:-build}/sluice
[ -x "$SLUICE" ] || { echo "build sluice first (scripts/build.sh)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/slbench-module.XXXXXX")
trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@sluice.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@sluice.invalid

mkdir -p "$W/platform/environments"
cp -R examples/platform-config/modules "$W/platform/"
python3 - "$W/platform/environments" "$N" <<'PY'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
tiers = ["dev", "staging", "prod"]
for i in range(n):
    team, tier = f"team{i // 3:04d}", tiers[i % 3]
    svc = [f"    - name: api-service\n"]
    if i % 3 == 0:
        svc.append("      database:\n        storageGB: 20\n")
    svc.append("    - name: worker-service\n")
    with open(os.path.join(out, f"{team}-{tier}.yaml"), "w") as f:
        f.write("apiVersion: platform.myorg.io/v1alpha1\nkind: EnvironmentRequest\n"
                f"metadata:\n  name: {team}-{tier}\nspec:\n  team: {team}\n  tier: {tier}\n"
                "  ttl: 30d\n  services:\n" + "".join(svc))
PY
git init -q --bare -b main "$W/platform.git"
git -C "$W/platform" init -q -b main
git -C "$W/platform" add -A
git -C "$W/platform" commit -q -m "$N environment requests"
git -C "$W/platform" push -q "$W/platform.git" main

cat >"$W/sluice.yaml" <<Y
stateDir: $W/state
sources:
  platform: { git: "file://$W/platform.git", ref: main }
targets:
  out: { directory: $W/out }
apps:
  - name: environments
    source: platform
    render: { module: { source: modules/environment, requests: "environments/*.yaml" } }
    target: out
Y
"$SLUICE" render -c "$W/sluice.yaml" >"$W/out.yaml" 2>"$W/err.txt"
objects=$(grep -c '^kind:' "$W/out.yaml")
expected=$(( N * 3 + (N + 2) / 3 ))
echo "requests: $N, objects rendered: $objects (expected $expected)"
[ "$objects" -eq "$expected" ] || { echo "object count mismatch" >&2; head "$W/err.txt" >&2; exit 1; }

python3 bench/benchtool.py measure --name "module render $N requests" --out "$W/results.jsonl" \
  --reps "$REPS" --warmup 1 -- "$SLUICE" render -c "$W/sluice.yaml" >/dev/null
python3 - "$W/results.jsonl" "$N" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
n = int(sys.argv[2])
wall = r["median_wall_s"]
cpu = r["median_cpu_s"]
rss = r["peak_rss_mb"]
goal = 2.0 * n / 1000
print(f"| requests | wall (median) | CPU | peak RSS | goal |")
print(f"| --- | --- | --- | --- | --- |")
print(f"| {n} | {wall:.3f} s | {cpu:.3f} s | {rss:.1f} MB | < {goal:.1f} s: {'PASS' if wall < goal else 'MISS'} |")
PY
