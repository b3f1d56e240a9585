#!/usr/bin/env bash
# Render throughput of the template engine against the real engines: the
# same ~220-line manifest template (bench/template/manifest.yaml.j2: loops,
# conditions, filters; ~10 KB of output) rendered N times (default 10,000)
# in one process by each engine: sluice (sl-jinja --times N) in its Jinja2
# and Nunjucks modes, Python Jinja2 (tests/template/peer_jinja2.py) and
# Nunjucks on node (tests/template/peer_nunjucks.js). Wall time of the whole
# run (start-up included), outputs checked byte-equal first. As the peers
# build their context (a Python dict, a JS object) once and render it N
# times, sluice prepares its context (sl_jinja_ctx) once; the row "context
# prepared per render" (sl-jinja --fresh) also pays that for every render
# (Jinja2's ratio against it is given too, but the goal is read from the
# like-for-like run).
#   bench/template.sh [N]        BUILD_DIR (default build) holds sl-jinja;
#                                REPS rounds (default 3), best one per engine
# Goals (issue 5): at least 10x faster than Jinja2, 5x faster than Nunjucks.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
SL_JINJA=${SL_JINJA:-${BUILD_DIR:-build}/sl-jinja}
T=bench/template/manifest.yaml.j2
C=bench/template/context.json
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$SL_JINJA" ] || { echo "build sl-jinja first (scripts/build.sh)" >&2; exit 2; }

# Same output first.
"$SL_JINJA" "$T" "$C" > "$tmp/sl-j2"
"$PY" tests/template/peer_jinja2.py "$T" "$C" > "$tmp/py"
"$SL_JINJA" --nunjucks "$T" "$C" > "$tmp/sl-nj"
node tests/template/peer_nunjucks.js "$T" "$C" > "$tmp/node"
cmp "$tmp/sl-j2" "$tmp/py" || { echo "sluice (jinja2) and Jinja2 differ" >&2; exit 1; }
cmp "$tmp/sl-nj" "$tmp/node" || { echo "sluice (nunjucks) and Nunjucks differ" >&2; exit 1; }

# wall and CPU (user + system) seconds of the whole run, via wait4(2)
run() { # label, command...
    local label=$1
    shift
    "$PY" -c '
import os, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
if status:
    sys.exit("%s failed" % sys.argv[1])
print(sys.argv[1], "%.3f" % wall, "%.3f" % (ru.ru_utime + ru.ru_stime))
' "$label" "$@"
}
# REPS rounds (default 3), each running every engine once in turn, so that
# all see the same phases of a shared machine; each engine's best round
# (lowest wall time) is reported.
for ((rep = 0; rep < ${REPS:-3}; rep++)); do
    run sluice-jinja2 "$SL_JINJA" --times "$N" "$T" "$C"
    run sluice-nunjucks "$SL_JINJA" --nunjucks --times "$N" "$T" "$C"
    run sluice-fresh "$SL_JINJA" --fresh --times "$N" "$T" "$C"
    run jinja2 "$PY" tests/template/peer_jinja2.py --times "$N" "$T" "$C"
    run nunjucks node tests/template/peer_nunjucks.js --times "$N" "$T" "$C"
done > "$tmp/times"
awk -v n="$N" -v reps="${REPS:-3}" -v lines="$(wc -l < "$T")" -v bytes="$(wc -c < "$tmp/sl-j2")" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
!($1 in w) || $2 < w[$1] { w[$1] = $2; c[$1] = $3 }
END {
    printf "template: %d lines, output %d bytes, %d renders per engine in one process each\n", lines, bytes, n
    printf "(whole runs, start-up included, best of %d rounds; load average at the end: %s)\n\n", reps, load
    printf "| engine | wall (s) | CPU (s) | renders/s (CPU) | sluice faster, wall | sluice faster, CPU | goal |\n"
    printf "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
    printf "| sluice, Jinja2 mode | %.3f | %.3f | %.0f | | | |\n", w["sluice-jinja2"], c["sluice-jinja2"], n / c["sluice-jinja2"]
    printf "| sluice, Nunjucks mode | %.3f | %.3f | %.0f | | | |\n", w["sluice-nunjucks"], c["sluice-nunjucks"], n / c["sluice-nunjucks"]
    a = w["jinja2"]; b = w["sluice-fresh"]; r0 = a / b
    a = c["jinja2"]; b = c["sluice-fresh"]; q0 = a / b
    printf "| sluice, Jinja2 mode, context prepared per render | %.3f | %.3f | %.0f | %.1fx | %.1fx | |\n", w["sluice-fresh"], c["sluice-fresh"], n / c["sluice-fresh"], r0, q0
    a = w["jinja2"]; b = w["sluice-jinja2"]; r1 = a / b
    a = c["jinja2"]; b = c["sluice-jinja2"]; q1 = a / b
    a = w["nunjucks"]; b = w["sluice-nunjucks"]; r2 = a / b
    a = c["nunjucks"]; b = c["sluice-nunjucks"]; q2 = a / b
    printf "| Python Jinja2 | %.3f | %.3f | %.0f | %.1fx | %.1fx | 10x: %s |\n", w["jinja2"], c["jinja2"], n / c["jinja2"], r1, q1, (r1 >= 10 ? "PASS" : "MISS")
    printf "| Nunjucks (node) | %.3f | %.3f | %.0f | %.1fx | %.1fx | 5x: %s |\n", w["nunjucks"], c["nunjucks"], n / c["nunjucks"], r2, q2, (r2 >= 5 ? "PASS" : "MISS")
}' "$tmp/times"
