#!/usr/bin/env bash
# hcl_parse.sh: HCL parse throughput and peak memory of sluice's engine
# (sl-hcldec --bench) against @cdktf/hcl2json (HashiCorp's parser compiled
# to WebAssembly) on generated Terraform-style corpora (bench/gen_hcl.py).
#   BUILD_DIR=build bench/hcl_parse.sh [SMALL_MB] [LARGE_MB]
# Prints one line per measurement and the ratios. hcl2json runs on the small
# corpus only (it needs minutes and gigabytes on the large one).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
HCLDEC=$BUILD_DIR/sl-hcldec
SMALL=${1:-2.2}
LARGE=${2:-20}
W=$(mktemp -d "${TMPDIR:-/tmp}/hclbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ -x "$HCLDEC" ] || { echo "build $HCLDEC first (cmake --build $BUILD_DIR --target sl-hcldec)"; exit 1; }

python3 bench/gen_hcl.py "$SMALL" >"$W/small.tf"
python3 bench/gen_hcl.py "$LARGE" >"$W/large.tf"

# measure NAME FILE: best-of-5 parse time (wall, and the process's CPU time
# of the parse: user + system), then peak RSS and CPU time of one whole run
# (startup, reading the file, one parse).
measure() {
  local name=$1 file=$2 out bytes secs mbs pcpu rss cpu
  out=$("$HCLDEC" --bench "$file" 5)
  bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$out")
  secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  mbs=$(sed -n 's/.* mb_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
  pcpu=$(sed -n 's/.*cpu_mb_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
  /usr/bin/time -f '%M %U %S' -o "$W/time" "$HCLDEC" --bench "$file" 1 >/dev/null
  read -r rss u s <"$W/time"
  cpu=$(awk -v b="$bytes" -v u="$u" -v s="$s" 'BEGIN { t = u + s; if (t < 0.001) t = 0.001; printf "%.1f", b / 1e6 / t }')
  printf '%-22s %8.2f MB  parse %7.3f s  %7.1f MB/s (wall, best of 5)  %7.1f MB/s (parse CPU, best of 5)  %7.1f MB/s (CPU, 1 run incl. startup and read)  peak RSS %6.1f MB (%.1fx input)\n' \
    "$name" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$secs" "$mbs" "$pcpu" "$cpu" \
    "$(awk -v k="$rss" 'BEGIN{print k*1024/1e6}')" "$(awk -v k="$rss" -v b="$bytes" 'BEGIN{print k*1024/b}')"
  eval "${3}_secs=$secs ${3}_rss=$rss"
}

measure "sluice (small)" "$W/small.tf" s
measure "sluice (large)" "$W/large.tf" l

if command -v node >/dev/null && [ -d tests/node/node_modules/@cdktf/hcl2json ]; then
  cat >"$W/h2j.js" <<'JS'
const { parse } = require(process.argv[2]);
const fs = require('fs');
(async () => {
  const src = fs.readFileSync(process.argv[3], 'utf8');
  await parse('warmup.tf', 'a = 1\n');
  const t0 = process.hrtime.bigint();
  await parse('bench.tf', src);
  console.log(Number(process.hrtime.bigint() - t0) / 1e9);
})();
JS
  hs=$(/usr/bin/time -f '%M' -o "$W/htime" node "$W/h2j.js" "$PWD/tests/node/node_modules/@cdktf/hcl2json" "$W/small.tf")
  hrss=$(cat "$W/htime")
  bytes=$(stat -c %s "$W/small.tf")
  printf '%-22s %8.2f MB  parse %7.3f s  %7.1f MB/s                            peak RSS %6.1f MB (%.1fx input)\n' \
    "hcl2json (small)" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$hs" \
    "$(awk -v b="$bytes" -v t="$hs" 'BEGIN{print b/1e6/t}')" "$(awk -v k="$hrss" 'BEGIN{print k*1024/1e6}')" \
    "$(awk -v k="$hrss" -v b="$bytes" 'BEGIN{print k*1024/b}')"
  printf 'ratio on the small corpus: sluice is %.0fx faster, with %.1fx less peak memory\n' \
    "$(awk -v a="$hs" -v b="$s_secs" 'BEGIN{print a/b}')" "$(awk -v a="$hrss" -v b="$s_rss" 'BEGIN{print a/b}')"
else
  echo "hcl2json: node or tests/node/node_modules/@cdktf/hcl2json missing (scripts/setup.sh installs them)"
fi
