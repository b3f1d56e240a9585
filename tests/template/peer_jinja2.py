#!/usr/bin/python3
"""Render a template with Python Jinja2 the way cookiecutter does
(StrictUndefined, cookiecutter's slugify and jsonify filters), plus the two
sluice extension filters split and b64encode.

usage: peer_jinja2.py [--keep-trailing-newline] [--times N] TEMPLATE CONTEXT.json
Prints the output; on a template error prints it to stderr and exits 1.
       peer_jinja2.py --batch JOBS
JOBS has lines "keep|strip TEMPLATE CONTEXT OUTPREFIX": writes OUTPREFIX.out,
.err and .rc (0 or 1) for each, in one process."""
import base64
import json
import sys

import jinja2
from cookiecutter.extensions import JsonifyExtension, SlugifyExtension


def make_env(keep):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=keep,
                             extensions=[JsonifyExtension, SlugifyExtension])
    env.filters["split"] = lambda s, sep=None, maxsplit=-1: str(s).split(sep, maxsplit)
    env.filters["b64encode"] = lambda s: base64.b64encode(str(s).encode()).decode()
    return env


def render(env, tpath, cpath, times=1):
    with open(tpath, encoding="utf-8", newline="") as f:
        src = f.read()
    with open(cpath, encoding="utf-8") as f:
        ctx = json.load(f)
    t = env.from_string(src)
    out = ""
    for _ in range(times):
        out = t.render(ctx)
    return out


def batch(jobs):
    envs = {"keep": make_env(True), "strip": make_env(False)}
    with open(jobs, encoding="utf-8") as f:
        for line in f:
            mode, tpath, cpath, prefix = line.rstrip("\n").split(" ")
            try:
                out, err, rc = render(envs[mode], tpath, cpath), "", 0
            except Exception as e:  # noqa: BLE001 - any template error is an error here
                out, err, rc = "", f"{type(e).__name__}: {e}\n", 1
            with open(prefix + ".out", "w", encoding="utf-8", newline="") as o:
                o.write(out)
            with open(prefix + ".err", "w", encoding="utf-8") as o:
                o.write(err)
            with open(prefix + ".rc", "w") as o:
                o.write(f"{rc}\n")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--batch":
        batch(args[1])
        return
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
    try:
        out = render(make_env(keep), tpath, cpath, times)
    except Exception as e:  # noqa: BLE001 - any template error is an error here
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(out)


main()
