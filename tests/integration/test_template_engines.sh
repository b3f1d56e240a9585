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

# Plan every (case, mode) job, let each peer render its jobs in one process.
: > "$tmp/jobs.py"
: > "$tmp/jobs.js"
: > "$tmp/jobs.sl"
n=0
for tmpl in "$CASES"/*.tmpl; do
    name=$(basename "$tmpl" .tmpl)
    ctx=$CASES/$name.json
    if [ ! -f "$ctx" ]; then
        ctx=$tmp/empty.json
        echo '{}' > "$ctx"
    fi
    modes=$(cat "$CASES/$name.modes" 2>/dev/null || echo "jinja2 nunjucks")
    for mode in $modes; do
        n=$((n + 1))
        pre=$tmp/$n
        case $mode in
        jinja2) echo "strip $tmpl $ctx $pre.peer" >> "$tmp/jobs.py"; flags="" ;;
        jinja2-keep) echo "keep $tmpl $ctx $pre.peer" >> "$tmp/jobs.py"; flags="--keep-trailing-newline" ;;
        nunjucks) echo "plain $tmpl $ctx $pre.peer" >> "$tmp/jobs.js"; flags="--nunjucks" ;;
        backstage) echo "backstage $tmpl $ctx $pre.peer" >> "$tmp/jobs.js"; flags="--nunjucks --backstage" ;;
        *) echo "FAIL $name: unknown mode $mode"; exit 1 ;;
        esac
        echo "$n $name $mode $tmpl $ctx $flags" >> "$tmp/jobs.sl"
    done
done
$PY "$SRC/tests/template/peer_jinja2.py" --batch "$tmp/jobs.py" || { echo "FAIL: Jinja2 peer"; exit 1; }
"$NODE" "$SRC/tests/template/peer_nunjucks.js" --batch "$tmp/jobs.js" || { echo "FAIL: Nunjucks peer"; exit 1; }

pass=0 fail=0 errs=0
while read -r n name mode tmpl ctx flags; do
    pre=$tmp/$n
    # shellcheck disable=SC2086
    "$SL_JINJA" $flags "$tmpl" "$ctx" > "$pre.mine.out" 2> "$pre.mine.err"
    mrc=$?
    prc=$(cat "$pre.peer.rc")
    if [ $mrc -gt 1 ]; then
        echo "FAIL $name [$mode]: sl-jinja crashed or misused (status $mrc)"
        cat "$pre.mine.err"
        fail=$((fail + 1))
    elif [ "$prc" -ne 0 ]; then
        if [ $mrc -eq 0 ]; then
            echo "FAIL $name [$mode]: the peer fails but sluice renders"
            echo "  peer: $(head -c 300 "$pre.peer.err")"
            echo "  sluice: $(head -c 300 "$pre.mine.out")"
            fail=$((fail + 1))
        elif ! grep -qE "^$tmpl:[0-9]+:[0-9]+: " "$pre.mine.err"; then
            # every sluice error names the template with line and column
            echo "FAIL $name [$mode]: error without file:line:col: $(cat "$pre.mine.err")"
            fail=$((fail + 1))
        else
            errs=$((errs + 1))
            pass=$((pass + 1))
        fi
    elif [ $mrc -ne 0 ]; then
        echo "FAIL $name [$mode]: sluice fails where the peer renders"
        echo "  sluice: $(cat "$pre.mine.err")"
        fail=$((fail + 1))
    elif ! cmp -s "$pre.peer.out" "$pre.mine.out"; then
        echo "FAIL $name [$mode]: output differs (- peer, + sluice)"
        diff -u "$pre.peer.out" "$pre.mine.out" | sed -n '3,40p'
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
done < "$tmp/jobs.sl"
echo "template engines: $pass passed ($errs of them errors in both), $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
