#!/usr/bin/python3
"""Render a template with Python Jinja2 the way cookiecutter does
(StrictUndefined, cookiecutter's slugify and jsonify filters), plus the two
sluice extension filters split and b64encode.

usage: peer_jinja2.py [--keep-trailing-newline] [--times N] TEMPLATE CONTEXT.json
Prints the output; on a template error prints it to stderr and exits 1."""
import base64
import json
import sys

import jinja2
from cookiecutter.extensions import JsonifyExtension, SlugifyExtension


def main():
    args = sys.argv[1:]
    keep = False
    times = 1
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--keep-trailing-newline":
            keep = True
        elif args[i] == "--times":
            i += 1
            times = int(args[i])
        else:
            rest.append(args[i])
        i += 1
    tpath, cpath = rest
    with open(tpath, encoding="utf-8", newline="") as f:
        src = f.read()
    with open(cpath, encoding="utf-8") as f:
        ctx = json.load(f)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=keep,
                             extensions=[JsonifyExtension, SlugifyExtension])
    env.filters["split"] = lambda s, sep=None, maxsplit=-1: str(s).split(sep, maxsplit)
    env.filters["b64encode"] = lambda s: base64.b64encode(str(s).encode()).decode()
    try:
        t = env.from_string(src)
        for _ in range(times):
            out = t.render(ctx)
    except Exception as e:  # noqa: BLE001 - any template error is an error here
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(out)


main()
