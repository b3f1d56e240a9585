#!/usr/bin/env python3
"""Helpers for bench/run.sh (Python standard library only).

  benchtool.py measure --name NAME --out RESULTS.jsonl [--reps R] [--warmup W]
                       [--prepare SHELL_CMD] [--expect-rc RC] [--stdout FILE]
                       -- CMD ARGS...
      Runs CMD R times (after W untimed warm-up runs), stdout to /dev/null
      (or FILE, overwritten by each run),
      and appends one JSON line to RESULTS: wall time of every run (from
      fork to reap), its user+system CPU time (wait4(2)) and its peak
      resident set (GNU time's %M, i.e. ru_maxrss). PREPARE runs through sh
      before every run, untimed. A run whose exit status is not RC stops the
      benchmark (its stderr is shown).

  benchtool.py check --expected EXPECTED.tsv --label LABEL STREAM.yaml
      Reads a multi-document YAML stream (sluice render, kubectl kustomize)
      and checks that the objects it holds (kind, namespace, name) are
      exactly those of EXPECTED.tsv (written by gen_repo.py). Prints the
      count; exits 1 on any difference.

  benchtool.py table --results RESULTS.jsonl --objects N
      Prints the results as a Markdown table with the goals and PASS/MISS.
      Exits 3 when a goal is missed (run.sh decides what to do with that).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Goals from the issue, for N = 10,000 objects on a 2-core machine.
GOAL_RENDER_S = 1.0
GOAL_DIFF_S = 1.5
GOAL_RSS_MB = 150.0
GOAL_RATIO = 5.0


# ---------------------------------------------------------------- measure

GNU_TIME = "/usr/bin/time"


def run_once(cmd, expect_rc, stdout=None):
    """One run: (wall s, user+sys CPU s, peak RSS KiB). The command runs under
    GNU time (-f %M) when it is installed: ru_maxrss survives exec(2), so a
    child forked from this Python process would report Python's own ~15 MB;
    forked from GNU time it starts from ~1 MB. Without GNU time, wait4's
    ru_maxrss is used (an overestimate by the size of this interpreter)."""
    use_time = os.access(GNU_TIME, os.X_OK)
    with open(stdout or os.devnull, "wb") as outf, tempfile.TemporaryFile() as errf, \
            tempfile.NamedTemporaryFile("r") as rssf:
        argv = [GNU_TIME, "-f", "%M", "-o", rssf.name, *cmd] if use_time else cmd
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=outf, stderr=errf)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != expect_rc:
            errf.seek(0)
            err = errf.read().decode(errors="replace")[-4000:]
            sys.exit(f"benchtool: {' '.join(cmd)}: exit {p.returncode}, expected {expect_rc}\n{err}")
        rss = ru.ru_maxrss                       # KiB on Linux
        if use_time:
            txt = rssf.read().split()
            if not txt or not txt[-1].isdigit():
                sys.exit(f"benchtool: cannot read GNU time's output: {txt!r}")
            rss = int(txt[-1])
    return wall, ru.ru_utime + ru.ru_stime, rss


def cmd_measure(a):
    if not a.cmd:
        sys.exit("benchtool measure: no command")
    cmd = a.cmd[1:] if a.cmd[0] == "--" else a.cmd
    walls, cpus, rss = [], [], []
    for i in range(a.warmup + a.reps):
        if a.prepare:
            subprocess.run(a.prepare, shell=True, check=True)
        w, c, r = run_once(cmd, a.expect_rc, a.stdout)
        if i >= a.warmup:
            walls.append(w)
            cpus.append(c)
            rss.append(r)
    rec = {"name": a.name, "label": a.label or a.name, "cmd": cmd, "reps": a.reps,
           "wall_s": walls, "cpu_s": cpus, "maxrss_kib": rss,
           "median_wall_s": statistics.median(walls), "min_wall_s": min(walls),
           "max_wall_s": max(walls), "median_cpu_s": statistics.median(cpus),
           "peak_rss_mb": max(rss) * 1024 / 1e6}
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {rec['label']:<44} median {rec['median_wall_s']:.3f} s "
          f"(min {rec['min_wall_s']:.3f}, max {rec['max_wall_s']:.3f}), "
          f"cpu {rec['median_cpu_s']:.3f} s, peak RSS {rec['peak_rss_mb']:.1f} MB", flush=True)


# ---------------------------------------------------------------- check

def unquote(v):
    v = v.strip()
    if " #" in v and not v.startswith(("'", '"')):
        v = v.split(" #", 1)[0].rstrip()
    if v.startswith('"'):
        return json.loads(v)
    if v.startswith("'"):
        return v[1:-1].replace("''", "'")
    return v


def doc_identity(lines):
    """(kind, namespace, name) of one block-style YAML document, read line by
    line (fast on a 20 MB stream, and enough for what kubectl kustomize and
    sluice print: top-level `kind:`, `metadata:` with `name:`/`namespace:`
    one level below). None for an empty document."""
    kind = name = None
    ns = ""
    in_meta = False
    child = None
    for ln in lines:
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        if not ln[0].isspace():
            in_meta = ln.rstrip() == "metadata:"
            if ln.startswith("kind:"):
                kind = unquote(ln[5:])
            elif ln.startswith("metadata:") and not in_meta:
                raise ValueError(f"cannot read flow-style metadata: {ln.strip()[:80]}")
            continue
        if in_meta:
            ind = len(ln) - len(ln.lstrip(" "))
            if child is None:
                child = ind
            if ind != child:
                continue
            body = ln[ind:]
            if body.startswith("name:"):
                name = unquote(body[5:])
            elif body.startswith("namespace:"):
                ns = unquote(body[10:])
    if kind is None and name is None:
        return None
    if kind is None or name is None:
        raise ValueError(f"document without kind or metadata.name (kind={kind}, name={name})")
    return (kind, ns, name)


def stream_identities(path):
    out = []
    doc = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            if ln == "---" or ln.startswith("--- "):
                ident = doc_identity(doc)
                if ident:
                    out.append(ident)
                doc = []
            else:
                doc.append(ln)
    ident = doc_identity(doc)
    if ident:
        out.append(ident)
    return out


def cmd_check(a):
    exp = []
    with open(a.expected) as f:
        for ln in f:
            k, ns, n = ln.rstrip("\n").split("\t")
            exp.append((k, ns, n))
    try:
        got = stream_identities(a.stream)
    except ValueError as e:
        sys.exit(f"check {a.label}: {e}")
    got_s, exp_s = sorted(got), sorted(exp)
    if got_s == exp_s:
        print(f"  {a.label}: {len(got)} objects, identical to the {len(exp)} generated")
        return
    missing = sorted(set(exp) - set(got))
    extra = sorted(set(got) - set(exp))
    dups = len(got) - len(set(got))
    print(f"  {a.label}: MISMATCH: {len(got)} objects rendered, {len(exp)} generated; "
          f"{len(missing)} missing, {len(extra)} unexpected, {dups} duplicates")
    for m in missing[:5]:
        print("    missing   " + "/".join(m))
    for x in extra[:5]:
        print("    unexpected " + "/".join(x))
    sys.exit(1)


# ---------------------------------------------------------------- table

def cmd_table(a):
    res = {}
    with open(a.results) as f:
        for ln in f:
            r = json.loads(ln)
            res[r["name"]] = r
    rows = []
    missed = 0

    def verdict(ok):
        nonlocal missed
        if not ok:
            missed += 1
        return "PASS" if ok else "**MISS**"

    goals = {  # name -> (wall goal or None, rss goal or None)
        "render_cold": (None, GOAL_RSS_MB),
        "render_warm": (GOAL_RENDER_S, GOAL_RSS_MB),
        "render_local": (None, GOAL_RSS_MB),
        "diff_noop": (GOAL_DIFF_S, GOAL_RSS_MB),
        "kustomize": (None, None),
    }
    print("| command | runs | median wall (s) | min-max (s) | CPU (s) | peak RSS (MB) | goal | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for name in ("render_warm", "diff_noop", "render_cold", "render_local", "kustomize"):
        r = res.get(name)
        if not r:
            continue
        gw, gr = goals[name]
        parts, ok = [], True
        if gw is not None:
            parts.append(f"< {gw:g} s")
            ok = ok and r["median_wall_s"] < gw
        if gr is not None:
            parts.append(f"< {gr:g} MB")
            ok = ok and r["peak_rss_mb"] < gr
        goal = ", ".join(parts) if parts else "reference"
        result = verdict(ok) if parts else ""
        print(f"| {r['label']} | {r['reps']} | {r['median_wall_s']:.3f} | {r['min_wall_s']:.3f}-{r['max_wall_s']:.3f} "
              f"| {r['median_cpu_s']:.3f} | {r['peak_rss_mb']:.1f} | {goal} | {result} |")
    k = res.get("kustomize")
    for name, judged in (("render_warm", True), ("render_cold", False)):
        r = res.get(name)
        if not (k and r):
            continue
        ratio = k["median_wall_s"] / r["median_wall_s"]
        print(f"| ratio: kubectl kustomize / {r['label']} | | {ratio:.1f}x | | | | "
              f"{'>= %gx' % GOAL_RATIO if judged else '(info)'} | "
              f"{verdict(ratio >= GOAL_RATIO) if judged else ''} |")
    if a.objects != 10000:
        print(f"\nnote: the goals are defined for 10,000 objects; this run used {a.objects}.")
    sys.exit(3 if missed else 0)


def main():
    ap = argparse.ArgumentParser(description="helpers for bench/run.sh")
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--name", required=True)
    m.add_argument("--label")
    m.add_argument("--out", required=True)
    m.add_argument("--reps", type=int, default=5)
    m.add_argument("--warmup", type=int, default=0)
    m.add_argument("--prepare")
    m.add_argument("--expect-rc", type=int, default=0)
    m.add_argument("--stdout", help="write the command's stdout here instead of /dev/null")
    m.add_argument("cmd", nargs=argparse.REMAINDER)
    c = sub.add_parser("check")
    c.add_argument("--expected", required=True)
    c.add_argument("--label", required=True)
    c.add_argument("stream")
    t = sub.add_parser("table")
    t.add_argument("--results", required=True)
    t.add_argument("--objects", type=int, required=True)
    a = ap.parse_args()
    if a.what == "measure":
        if a.reps < 1 or a.warmup < 0:
            ap.error("--reps must be >= 1 and --warmup >= 0")
        cmd_measure(a)
    elif a.what == "check":
        cmd_check(a)
    else:
        cmd_table(a)


if __name__ == "__main__":
    main()
