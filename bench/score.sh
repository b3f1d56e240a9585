#!/usr/bin/env bash
# bench/score.sh: the score renderer's benchmark (docs/performance.md,
# "Score rendering").
#
# For each N in SIZES, generates N Score workloads (services/wNNNNN/score.yaml,
# each with 3 resources provisioned by the built-in template provisioners:
# postgres, redis, dns, and 4 variables referencing their outputs), then times
# `sluice render` of all of them (one app per workload, a `dir` source):
#   cold   no provisioner state yet (generates passwords, writes the state)
#   warm   the state exists (what every later reconcile does)
# and prints wall time, CPU time (user+sys), per-workload cost and peak RSS
# (median of REPS runs for warm). On a shared machine the CPU time is the
# steadier figure; `uptime` is printed with the table. Checks first that every workload rendered (7 objects each).
#
# Environment:
#   SIZES="100 1000 10000"   workload counts
#   REPS=3                   timed warm runs per size (median reported)
#   BUILD_DIR=build          where scripts/build.sh builds sluice
#   SLUICE=PATH              use this binary instead of building one
#   BENCH_DIR=PATH           work folder (default: mktemp -d, removed at exit)
#   KEEP=1                   keep the work folder
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-100 1000 10000}
REPS=${REPS:-3}
if [ -z "${SLUICE:-}" ]; then
  BUILD_DIR=${BUILD_DIR:-build} "$ROOT/scripts/build.sh" >/dev/null
  SLUICE="$ROOT/${BUILD_DIR:-build}/sluice"
fi
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-score-bench.XXXXXX")}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

gen() { # gen N DIR
  python3 - "$1" "$2" <<'PY'
import os, sys
n, root = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    d = os.path.join(root, "services", "w%05d" % i)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "score.yaml"), "w") as f:
        f.write(f"""apiVersion: score.dev/v1b1
metadata:
  name: w{i:05d}
containers:
  app:
    image: ghcr.io/example/app:1.{i % 50}.0
    variables:
      DB_URL: postgres://${{resources.db.username}}:${{resources.db.password}}@${{resources.db.host}}:${{resources.db.port}}/${{resources.db.name}}
      REDIS_HOST: ${{resources.cache.host}}
      REDIS_PASSWORD: ${{resources.cache.password}}
      PUBLIC_HOST: ${{resources.dns.host}}
    resources:
      requests: {{cpu: 50m, memory: 64Mi}}
service:
  ports:
    http: {{port: 80, targetPort: 8080}}
resources:
  db: {{type: postgres}}
  cache: {{type: redis}}
  dns: {{type: dns}}
""")
PY
}

measure() { # measure OUTFILE -> prints "wall_s rss_kb cpu_s"
  /usr/bin/time -f "%e %M %U %S" -o "$W/time" "$SLUICE" render -c "$W/sluice.yaml" >"$1" 2>"$W/err" || {
    echo "render failed:" >&2; head -5 "$W/err" >&2; exit 1; }
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$W/time"
}

echo "($(nproc) CPUs, $(uptime | sed 's/.*load average/load average/'))"
echo
printf '| workloads | cold: wall | warm: wall (median of %s) | warm: CPU (user+sys) | per workload (warm wall) | per workload (warm CPU) | peak RSS (warm) | objects |\n' "$REPS"
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in $SIZES; do
  rm -rf "$W/catalog" "$W/state"
  gen "$n" "$W/catalog"
  cat >"$W/sluice.yaml" <<Y
stateDir: $W/state
sources:
  catalog: { dir: $W/catalog }
targets:
  out: { directory: $W/out }
apps:
  - name: "{{ dir }}"
    source: catalog
    each: services/*/score.yaml
    render: score
    target: out
Y
  read -r cold _ _ < <(measure "$W/out.yaml")
  objs=$(grep -c '^kind: ' "$W/out.yaml")
  if [ "$objs" -ne $((n * 8)) ]; then
    echo "expected $((n * 8)) objects for $n workloads, got $objs" >&2; exit 1
  fi
  walls=(); rsss=(); cpus=()
  for _ in $(seq "$REPS"); do
    read -r wall rss cpu < <(measure "$W/out2.yaml")
    cmp -s "$W/out.yaml" "$W/out2.yaml" || { echo "warm render differs from the first" >&2; exit 1; }
    walls+=("$wall"); rsss+=("$rss"); cpus+=("$cpu")
  done
  med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  wall=$(med "${walls[@]}"); rss=$(med "${rsss[@]}"); cpu=$(med "${cpus[@]}")
  per=$(awk -v w="$wall" -v n="$n" 'BEGIN {printf "%.2f ms", w * 1000 / n}')
  percpu=$(awk -v w="$cpu" -v n="$n" 'BEGIN {printf "%.2f ms", w * 1000 / n}')
  printf '| %s | %.2f s | %.2f s | %.2f s | %s | %s | %d MB | %s |\n' "$n" "$cold" "$wall" "$cpu" "$per" "$percpu" $((rss / 1024)) "$objs"
done
