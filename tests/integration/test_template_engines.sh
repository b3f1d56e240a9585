#!/bin/bash
# Differential test of the template engine: every case under
# tests/template/cases/<name>.tmpl (+ <name>.json context, <name>.modes)
# is rendered by the real engines (Python Jinja2 as cookiecutter sets it up,
# Nunjucks as Backstage sets it up) and by sluice's engine (sl-jinja); the
# outputs must be byte-equal, and sluice must fail where the peer fails.
# Modes (one per line in .modes): jinja2, jinja2-keep (keep_trailing_newline,
# as cookiecutter renders files), nunjucks, backstage (Nunjucks with ${{ }}).
set -u
SRC=${SL_SRC_DIR:?}
CASES=$SRC/tests/template/cases
SL_JINJA=${SL_JINJA:?sl-jinja tool not built}
PY=/usr/bin/python3
NODE=$(command -v node || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! $PY -c 'import jinja2, cookiecutter' 2>/dev/null; then
    echo "SKIP: python3-jinja2 / cookiecutter missing (scripts/setup.sh installs them)"
    exit 77
fi
if [ -z "$NODE" ] || [ ! -d "$SRC/tests/node/node_modules/nunjucks" ]; then
    echo "SKIP: node + nunjucks missing (scripts/setup.sh installs them)"
    exit 77
fi

pass=0 fail=0 errs=0
for tmpl in "$CASES"/*.tmpl; do
    name=$(basename "$tmpl" .tmpl)
    ctx=$CASES/$name.json
    if [ ! -f "$ctx" ]; then
        ctx=$tmp/empty.json
        echo '{}' > "$ctx"
    fi
    modes=$(cat "$CASES/$name.modes" 2>/dev/null || echo "jinja2 nunjucks")
    for mode in $modes; do
        case $mode in
        jinja2) peer=($PY "$SRC/tests/template/peer_jinja2.py"); mine=("$SL_JINJA") ;;
        jinja2-keep) peer=($PY "$SRC/tests/template/peer_jinja2.py" --keep-trailing-newline)
            mine=("$SL_JINJA" --keep-trailing-newline) ;;
        nunjucks) peer=("$NODE" "$SRC/tests/template/peer_nunjucks.js"); mine=("$SL_JINJA" --nunjucks) ;;
        backstage) peer=("$NODE" "$SRC/tests/template/peer_nunjucks.js" --backstage)
            mine=("$SL_JINJA" --nunjucks --backstage) ;;
        *) echo "FAIL $name: unknown mode $mode"; fail=$((fail + 1)); continue ;;
        esac
        "${peer[@]}" "$tmpl" "$ctx" > "$tmp/peer.out" 2> "$tmp/peer.err"
        prc=$?
        "${mine[@]}" "$tmpl" "$ctx" > "$tmp/mine.out" 2> "$tmp/mine.err"
        mrc=$?
        if [ $mrc -gt 1 ]; then
            echo "FAIL $name [$mode]: sl-jinja crashed or misused (status $mrc)"
            cat "$tmp/mine.err"
            fail=$((fail + 1))
        elif [ $prc -ne 0 ]; then
            if [ $mrc -eq 0 ]; then
                echo "FAIL $name [$mode]: the peer fails but sluice renders"
                echo "  peer: $(head -c 300 "$tmp/peer.err")"
                echo "  sluice: $(head -c 300 "$tmp/mine.out")"
                fail=$((fail + 1))
            else
                errs=$((errs + 1))
                pass=$((pass + 1))
                # every sluice error names the template with line and column
                if ! grep -qE "^$tmpl:[0-9]+:[0-9]+: " "$tmp/mine.err"; then
                    echo "FAIL $name [$mode]: error without file:line:col: $(cat "$tmp/mine.err")"
                    fail=$((fail + 1))
                    pass=$((pass - 1))
                fi
            fi
        elif [ $mrc -ne 0 ]; then
            echo "FAIL $name [$mode]: sluice fails where the peer renders"
            echo "  sluice: $(cat "$tmp/mine.err")"
            fail=$((fail + 1))
        elif ! cmp -s "$tmp/peer.out" "$tmp/mine.out"; then
            echo "FAIL $name [$mode]: output differs (- peer, + sluice)"
            diff -u "$tmp/peer.out" "$tmp/mine.out" | sed -n '3,40p'
            fail=$((fail + 1))
        else
            pass=$((pass + 1))
        fi
    done
done
echo "template engines: $pass passed ($errs of them errors in both), $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
