#!/usr/bin/env bash
# test_hcl_specsuite.sh: every case of hashicorp/hcl's spec suite
# (../shared/conformance/hcl-specsuite) through sl-hcldec --check, which
# compares the decoded result, its type and the diagnostics' ranges with the
# case's .t file. Cases that cannot pass are listed in KNOWN with a reason
# (none today); a listed case that passes fails the test, so the list stays
# honest.
set -u
. "$(dirname "$0")/lib.sh"
HCLDEC=${SL_HCLDEC:?set SL_HCLDEC to the sl-hcldec tool}
SUITE=${SL_SHARED_DIR:?}/conformance/hcl-specsuite/tests

declare -A KNOWN=(
  # [relative/path.t]="reason"
)

n=0
while IFS= read -r t; do
  rel=${t#"$SUITE/"}
  n=$((n + 1))
  run "$HCLDEC" --check "$t"
  if [ -n "${KNOWN[$rel]:-}" ]; then
    if [ "$RC" -eq 0 ]; then fail "$rel passes but is listed as known-failing"; else
      ok "$rel: known failure: ${KNOWN[$rel]}"; fi
    continue
  fi
  if [ "$RC" -eq 0 ]; then ok "$rel"; else fail "$rel"; echo "$OUT"; fi
done < <(find "$SUITE" -name '*.t' | sort)

# The suite must be there and complete: 15 cases at the vendored commit.
if [ "$n" -ge 15 ]; then ok "ran $n spec-suite cases"; else fail "only $n spec-suite cases found"; fi

# A spec decode through the hcldec-style CLI: result JSON on stdout.
cat >"$T/spec.hcldec" <<'SPEC'
object {
  attr "name" { type = string }
  attr "size" { type = number }
  block_list "disk" {
    object {
      attr "gb" { type = number }
    }
  }
}
SPEC
cat >"$T/in.hcl" <<'IN'
name = "web-${1 + 1}"
size = "12"
disk { gb = 10 }
disk {
  gb = 20
}
IN
run "$HCLDEC" --spec "$T/spec.hcldec" "$T/in.hcl"
expect_rc 0 "decode with a spec"
expect_out '{"disk":[{"gb":10},{"gb":20}],"name":"web-2","size":12}' "hcldec JSON result"

# An unexpected argument: Terraform-style diagnostic on stderr with a caret.
printf 'name = "x"\nbogus = 1\n' >"$T/bad.hcl"
run "$HCLDEC" --spec "$T/spec.hcldec" "$T/bad.hcl"
expect_rc 1 "unsupported argument fails"
expect_err 'Error: Unsupported argument' "diagnostic summary"
expect_err "on $T/bad.hcl line 2:" "diagnostic location"
expect_err '^ +2: bogus = 1$' "diagnostic source line"
expect_err '^ +\^\^\^\^\^$' "caret under the argument name"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
