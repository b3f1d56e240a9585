#!/usr/bin/env bash
# The main job on the bundled examples: install, build, turn examples/ into
# git repositories, then validate, render, diff and apply them into a
# directory target, printing the diff. Re-running it is safe.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/setup.sh
scripts/build.sh
SLUICE=$ROOT/build/sluice

export SLUICE_DEMO=${SLUICE_DEMO:-/tmp/sluice-demo}
mkdir -p "$SLUICE_DEMO/repos"

# examples/<name> -> a bare repository $SLUICE_DEMO/repos/<name>.git, with
# the example's current content committed on main.
publish() {
  local name=$1 work="$SLUICE_DEMO/work/$1" bare="$SLUICE_DEMO/repos/$1.git"
  [ -d "$bare" ] || git init -q --bare -b main "$bare"
  rm -rf "$work"
  git clone -q "$bare" "$work" 2>/dev/null
  git -C "$work" checkout -q -B main
  find "$work" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  cp -R "examples/$name/." "$work/"
  git -C "$work" add -A
  if ! git -C "$work" diff --cached --quiet 2>/dev/null || ! git -C "$work" rev-parse -q --verify HEAD >/dev/null; then
    git -C "$work" -c user.name=sluice-demo -c user.email=demo@sluice.invalid \
      commit -q -m "examples/$name as of $(date -u +%FT%TZ)"
    git -C "$work" push -q origin main
  fi
}
publish catalog
publish platform-config

CONFIG=examples/sluice.yaml
echo "== sluice validate"
"$SLUICE" validate -c "$CONFIG"
echo
echo "== sluice render (object count per kind)"
"$SLUICE" render -c "$CONFIG" | grep '^kind:' | sort | uniq -c
echo
echo "== sluice diff"
set +e
"$SLUICE" diff -c "$CONFIG" --color=always
rc=$?
set -e
echo "(diff exit status: $rc; 0 = nothing to change, 1 = changes)"
[ "$rc" -le 1 ] || exit "$rc"
echo
echo "== sluice apply"
"$SLUICE" apply -c "$CONFIG" --color=never | tail -n 1
echo
echo "== sluice diff (after apply: expect no changes)"
"$SLUICE" diff -c "$CONFIG"
echo
echo "== the directory target: $SLUICE_DEMO/rendered/preview"
(cd "$SLUICE_DEMO/rendered/preview" && find . -name '*.yaml' | sort)
