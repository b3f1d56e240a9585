#!/usr/bin/env bash
# test_hcl_differential.sh: differential parsing against HashiCorp's own
# parser. Every .tf/.hcl file of the tests (tests/hcl/**, the fuzz corpora
# tests/fuzz/corpus/{hcl,tfmodule}, the HCL spec
# suite's inputs, the example modules) goes through @cdktf/hcl2json
# (hashicorp/hcl compiled to WebAssembly, run with node) and through
# `sl-hcldec --json`; the JSON must be identical, or both must reject the
# file with errors at the same ranges (tests/hcl/invalid/ holds files both
# must reject).
set -u
. "$(dirname "$0")/lib.sh"
HCLDEC=${SL_HCLDEC:?set SL_HCLDEC to the sl-hcldec tool}
SRC=${SL_SRC_DIR:?}
CMP=$SRC/tests/node/hcl2json_compare.js
if ! command -v node >/dev/null || [ ! -d "$SRC/tests/node/node_modules/@cdktf/hcl2json" ]; then
  fail "node and tests/node/node_modules/@cdktf/hcl2json are required (scripts/setup.sh installs them)"
  echo "$PASSED passed, $FAILED failed"; exit 1
fi

files=()
while IFS= read -r f; do files+=("$f"); done < <(
  { find "$SRC/tests/hcl" "$SRC/tests/fuzz/corpus/hcl" "$SRC/tests/fuzz/corpus/tfmodule" -type f \( -name '*.tf' -o -name '*.hcl' \)
    find "${SL_SHARED_DIR:?}/conformance/hcl-specsuite/tests" -type f -name '*.hcl'
    [ -d "$SRC/examples" ] && find "$SRC/examples" -type f \( -name '*.tf' -o -name '*.hcl' \)
  } | sort)

n=0; rejected=0; args=()
for f in "${files[@]}"; do
  n=$((n + 1))
  if "$HCLDEC" --json "$f" >"$T/ours.$n.json" 2>"$T/ours.err"; then args+=("$f" "$T/ours.$n.json");
  else "$HCLDEC" --ranges "$f" >"$T/ours.$n.ranges"; args+=("$f" "!$T/ours.$n.ranges"); fi
  case "$f" in */tests/hcl/invalid/*) rejected=$((rejected + 1)) ;; esac
done
# One node process for every file (loading the WebAssembly parser is slow).
run node "$CMP" "${args[@]}"
while IFS= read -r line; do
  case "$line" in
    "ok   "*) ok "${line#"ok   "}" ;;
    "FAIL "*) fail "${line#"FAIL "}" ;;
    *) echo "$line" ;;
  esac
done <<<"$OUT"
[ "$RC" -eq 0 ] || [ "$FAILED" -gt 0 ] || fail "hcl2json_compare.js exit $RC: $ERR"
if [ "$n" -ge 25 ] && [ "$rejected" -ge 5 ]; then ok "compared $n files ($rejected rejected by both)";
else fail "only $n files compared ($rejected invalid)"; fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
