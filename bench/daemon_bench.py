#!/usr/bin/env python3
"""Helpers for bench/daemon.sh (Python standard library only).

  daemon_bench.py latency --base URL --secret FILE --work DIR --remote URL
                          --target FILE --app NAME --out RESULT.json
                          [--n 100] [--warmup 3] [--gap-ms 100] [--poll-ms 1]
                          [--timeout 10]
      N times: edit WORK/deploy/cm1.yaml (a counter in data.version), commit,
      push to the bare repo, then send a signed GitHub push webhook and time
      (a) the webhook's HTTP reply, (b) until TARGET holds the new version
      (polled every POLL_MS ms) and (c) until GET /api/v1/apps/APP reports
      the pushed commit with result "success". The git commit and push are
      outside the clock: the clock starts right before the request is
      written. Writes the samples (milliseconds) to OUT.

  daemon_bench.py wrk-lua --secret FILE --remote URL --out SCRIPT.lua
      Writes a wrk script that POSTs a signed push delivery for REMOTE to
      /hooks/github with a distinct X-GitHub-Delivery id per request.

  daemon_bench.py throughput --base URL --script SCRIPT.lua --out RESULT.json
                             [--seconds 10] [--threads 2] [--conns 32]
      Runs wrk for SECONDS and counts, from sluice_webhook_deliveries_total
      before and after, the deliveries sluice verified (accepted, duplicate,
      ignored); writes requests/s, verified/s, non-2xx and socket errors.

  daemon_bench.py metric --base URL --name 'family' [--label k=v ...]
      Prints the sum of the matching samples from /metrics (0 when none).

  daemon_bench.py idle --pid PID --seconds S --out RESULT.json [--interval 1]
      Samples /proc/PID/status (VmRSS, VmHWM) and /proc/PID/stat
      (utime+stime) every INTERVAL seconds for S seconds; writes peak and
      mean RSS, VmHWM, the CPU time used and the mean CPU % of one core.

  daemon_bench.py table --latency L.json --throughput T.json --idle I.json
      Prints the Markdown table (measure, value, goal, PASS/MISS). Exit 3
      when a goal is missed.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

# Goals from the issue (2-core machine, loopback).
GOAL_P50_MS = 150.0
GOAL_P99_MS = 500.0
GOAL_WEBHOOKS_S = 2000.0
GOAL_IDLE_RSS_MB = 30.0
GOAL_IDLE_CPU_PCT = 1.0


def read_secret(path):
    with open(path, "rb") as f:
        return f.read().strip()


def push_body(remote, sha):
    """A minimal GitHub push payload for REMOTE at SHA (what GitHub sends,
    trimmed to what sluice reads)."""
    html = remote[:-4] if remote.endswith(".git") else remote
    return json.dumps({
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": sha,
        "deleted": False,
        "repository": {"clone_url": remote, "html_url": html},
        "head_commit": {"id": sha, "timestamp": "2026-01-01T00:00:00Z"},
    }, separators=(",", ":")).encode()


def signature(secret, body):
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def percentile(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(1, int(-(-p * len(sorted_vals) // 100)))  # ceil(p*n/100)
    return sorted_vals[min(k, len(sorted_vals)) - 1]


def summary(vals):
    s = sorted(vals)
    return {
        "n": len(s),
        "min": s[0] if s else None,
        "p50": percentile(s, 50),
        "p90": percentile(s, 90),
        "p99": percentile(s, 99),
        "max": s[-1] if s else None,
        "mean": sum(s) / len(s) if s else None,
    }


def git(work, *args):
    subprocess.run(["git", "-C", work, *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# ---------------------------------------------------------------- latency

def cmd_latency(a):
    secret = read_secret(a.secret)
    u = urllib.parse.urlsplit(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
    api = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
    cm = os.path.join(a.work, "deploy", "cm1.yaml")
    poll_s = a.poll_ms / 1000.0
    hook_ms, file_ms, api_ms = [], [], []
    total = a.warmup + a.n
    for i in range(total):
        version = "bench-%d-%d" % (os.getpid(), i)
        with open(cm) as f:
            text = f.read()
        text, k = re.subn(r'version: "[^"]*"', 'version: "%s"' % version, text)
        if k != 1:
            sys.exit("latency: %s has no version field" % cm)
        with open(cm, "w") as f:
            f.write(text)
        git(a.work, "commit", "-q", "-am", "bench %d" % i)
        git(a.work, "push", "-q", "origin", "main")
        sha = subprocess.run(["git", "-C", a.work, "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        body = push_body(a.remote, sha)
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "lat-%d-%d" % (os.getpid(), i),
            "X-Hub-Signature-256": signature(secret, body),
        }
        # The applier re-serialises the object: the value may lose its quotes.
        needle = re.compile(rb'version: "?' + re.escape(version.encode()) + rb'"?\n')

        t0 = time.perf_counter()
        conn.request("POST", "/hooks/github", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        t_hook = time.perf_counter()
        if resp.status != 202:
            sys.exit("latency: push %d: webhook answered %d" % (i, resp.status))
        deadline = t0 + a.timeout
        seen = False
        while time.perf_counter() < deadline:
            try:
                with open(a.target, "rb") as f:
                    if needle.search(f.read()):
                        seen = True
                        break
            except FileNotFoundError:
                pass
            time.sleep(poll_s)
        t_file = time.perf_counter()
        if not seen:
            sys.exit("latency: push %d not applied to %s within %ss" % (i, a.target, a.timeout))
        # Then the status API: the same commit, applied successfully.
        t_api = None
        while time.perf_counter() < deadline:
            api.request("GET", "/api/v1/apps/" + a.app)
            r = api.getresponse()
            data = r.read()
            if r.status == 200:
                st = json.loads(data)
                if st.get("revision") == sha and st.get("result") == "success":
                    t_api = time.perf_counter()
                    break
            time.sleep(poll_s)
        if t_api is None:
            sys.exit("latency: push %d: /api/v1/apps/%s never showed %s" % (i, a.app, sha))
        if i >= a.warmup:
            hook_ms.append((t_hook - t0) * 1000)
            file_ms.append((t_file - t0) * 1000)
            api_ms.append((t_api - t0) * 1000)
        time.sleep(a.gap_ms / 1000.0)
    k = max(1, min(10, len(file_ms) // 2))
    out = {"pushes": a.n, "warmup": a.warmup, "poll_ms": a.poll_ms,
           "first_pushes_p50_ms": summary(file_ms[:k])["p50"],
           "last_pushes_p50_ms": summary(file_ms[-k:])["p50"], "trend_window": k,
           "webhook_reply_ms": summary(hook_ms), "applied_file_ms": summary(file_ms),
           "applied_api_ms": summary(api_ms), "samples_file_ms": file_ms}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    s = out["applied_file_ms"]
    print("latency over %d pushes (file visible): p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f"
          % (s["n"], s["p50"], s["p90"], s["p99"], s["max"]))
    s = out["applied_api_ms"]
    print("                      (API shows it): p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f"
          % (s["p50"], s["p90"], s["p99"], s["max"]))
    s = out["webhook_reply_ms"]
    print("                      webhook reply:  p50 %.2f ms, p99 %.2f, max %.2f"
          % (s["p50"], s["p99"], s["max"]))
    print("                      trend: p50 of the first %d pushes %.1f ms, of the last %d %.1f ms"
          % (k, out["first_pushes_p50_ms"], k, out["last_pushes_p50_ms"]))


# ---------------------------------------------------------------- wrk

WRK_LUA = r'''-- generated by bench/daemon_bench.py: signed GitHub push deliveries
local body = [==[%(body)s]==]
local sig = "%(sig)s"
local n = 0
local next_tid = 0
-- tid is a global: setup() runs in the main Lua state and sets it in each
-- thread's own state with thread:set (a local here would shadow it).
tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

function request()
  n = n + 1
  return wrk.format("POST", "/hooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = "wrk-" .. tostring(tid) .. "-" .. tostring(n),
    ["X-Hub-Signature-256"] = sig,
  }, body)
end
'''


def cmd_wrk_lua(a):
    secret = read_secret(a.secret)
    body = push_body(a.remote, a.sha)
    if b"]==]" in body:
        sys.exit("wrk-lua: body holds the Lua long-string terminator")
    with open(a.out, "w") as f:
        f.write(WRK_LUA % {"body": body.decode(), "sig": signature(secret, body)})


# ---------------------------------------------------------------- metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(base):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    text = r.read().decode()
    if r.status != 200:
        sys.exit("metric: /metrics answered %d" % r.status)
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m:
            out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def cmd_metric(a):
    want = dict(kv.split("=", 1) for kv in a.label)
    total = 0.0
    for name, labels, v in scrape(a.base):
        if name == a.name and all(labels.get(k) == v2 for k, v2 in want.items()):
            total += v
    print("%d" % total if total == int(total) else total)


# ---------------------------------------------------------------- throughput

VERIFIED = ("accepted", "duplicate", "ignored", "ping")


def deliveries(base):
    by = {}
    for name, labels, v in scrape(base):
        if name == "sluice_webhook_deliveries_total":
            k = labels.get("result", "")
            by[k] = by.get(k, 0) + v
    return by


def cmd_throughput(a):
    """Runs wrk against /hooks/github and reads, from sluice's own counters,
    how many deliveries it verified (accepted + duplicate + ignored): a
    request counts only when its HMAC checked out."""
    before = deliveries(a.base)
    ticks0 = proc_sample(a.pid)[2] if a.pid else None
    cmd = ["wrk", "-t", str(a.threads), "-c", str(a.conns), "-d", "%ds" % a.seconds,
           "--latency", "-s", a.script, a.base + "/hooks/github"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("throughput: wrk failed (%d): %s" % (r.returncode, r.stderr.strip()))
    ticks1 = proc_sample(a.pid)[2] if a.pid else None
    after = deliveries(a.base)
    text = r.stdout
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    if not m:
        sys.exit("throughput: cannot read wrk's output:\n" + text)
    reqs = int(m.group(1))
    dur = float(m.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(3)]
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    sock = sum(int(x) for x in se.groups()) if se else 0
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    verified = sum(delta.get(k, 0) for k in VERIFIED)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
    out = {"shape": "%d threads, %d connections, %.0f s" % (a.threads, a.conns, dur),
           "requests": reqs, "seconds": dur, "requests_per_s": reqs / dur,
           "verified": verified, "verified_per_s": verified / dur,
           "non_2xx": non2xx, "socket_errors": sock, "by_result": delta,
           "daemon_cpu_s": (ticks1 - ticks0) / os.sysconf("SC_CLK_TCK") if a.pid else None,
           "lat_p50": lat.get("50"), "lat_p90": lat.get("90"), "lat_p99": lat.get("99"),
           "wrk": text}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(text.rstrip())
    print("verified by sluice (accepted+duplicate+ignored): %d in %.2f s = %.0f /s; by result: %s"
          % (verified, dur, verified / dur,
             ", ".join("%s %d" % (k, v) for k, v in sorted(delta.items()) if v)))
    if a.pid:
        print("daemon CPU during the run: %.1f s in %.1f s (%.0f%% of one core; wrk shares the same cores)"
              % (out["daemon_cpu_s"], dur, 100 * out["daemon_cpu_s"] / dur))


# ---------------------------------------------------------------- idle

def proc_sample(pid):
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    rss = int(re.search(r"^VmRSS:\s+(\d+)", st, re.M).group(1))
    hwm = int(re.search(r"^VmHWM:\s+(\d+)", st, re.M).group(1))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return rss, hwm, ticks


def cmd_idle(a):
    hz = os.sysconf("SC_CLK_TCK")
    rss0, hwm0, ticks0 = proc_sample(a.pid)
    t0 = time.monotonic()
    rss = [rss0]
    hwm = hwm0
    end = t0 + a.seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        time.sleep(min(a.interval, end - now))
        r, h, ticks = proc_sample(a.pid)
        rss.append(r)
        hwm = h
    elapsed = time.monotonic() - t0
    cpu_s = (ticks - ticks0) / hz
    out = {"seconds": elapsed, "samples": len(rss), "apps": a.apps,
           "rss_peak_mb": max(rss) / 1024, "rss_mean_mb": sum(rss) / len(rss) / 1024,
           "rss_start_mb": rss0 / 1024, "vmhwm_mb": hwm / 1024,
           "cpu_seconds": cpu_s, "cpu_pct": 100.0 * cpu_s / elapsed}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print("idle %.0f s: RSS peak %.1f MB (mean %.1f, VmHWM since start %.1f), CPU %.2f s = %.3f%% of a core"
          % (elapsed, out["rss_peak_mb"], out["rss_mean_mb"], out["vmhwm_mb"], cpu_s, out["cpu_pct"]))


# ---------------------------------------------------------------- table

def cmd_table(a):
    rows = []
    missed = False

    def row(measure, value, fmt, goal, ok):
        nonlocal missed
        if value is None:
            rows.append((measure, "not measured", goal, "—"))
            return
        rows.append((measure, fmt % value, goal, "PASS" if ok else "MISS"))
        missed = missed or not ok

    lat = json.load(open(a.latency)) if a.latency else None
    thr = json.load(open(a.throughput)) if a.throughput else None
    idl = json.load(open(a.idle)) if a.idle else None
    if lat:
        s = lat["applied_file_ms"]
        n = s["n"]
        row("webhook → applied, p50 (%d pushes)" % n, s["p50"], "%.1f ms", "< 150 ms", s["p50"] < GOAL_P50_MS)
        rows.append(("webhook → applied, p90", "%.1f ms" % s["p90"], "—", "—"))
        row("webhook → applied, p99", s["p99"], "%.1f ms", "< 500 ms", s["p99"] < GOAL_P99_MS)
        rows.append(("webhook → applied, max", "%.1f ms" % s["max"], "—", "—"))
        s = lat["applied_api_ms"]
        rows.append(("webhook → API shows it applied, p50 / p99",
                     "%.1f / %.1f ms" % (s["p50"], s["p99"]), "—", "—"))
    else:
        row("webhook → applied, p50", None, "", "< 150 ms", True)
        row("webhook → applied, p99", None, "", "< 500 ms", True)
    if thr:
        row("verified webhooks/s (wrk, %s)" % thr["shape"], thr["verified_per_s"], "%.0f /s",
            "≥ 2,000 /s", thr["verified_per_s"] >= GOAL_WEBHOOKS_S)
        rows.append(("webhook errors (non-2xx, socket errors)",
                     "%d, %d" % (thr["non_2xx"], thr["socket_errors"]), "0",
                     "PASS" if thr["non_2xx"] == 0 and thr["socket_errors"] == 0 else "MISS"))
        missed = missed or thr["non_2xx"] != 0 or thr["socket_errors"] != 0
        if thr.get("daemon_cpu_s") is not None:
            rows.append(("daemon CPU during it (%d fetches, %d deployments)"
                         % (thr.get("fetches", 0), thr.get("deployments", 0)),
                         "%.0f %% of a core" % (100 * thr["daemon_cpu_s"] / thr["seconds"]), "—", "—"))
        rows.append(("webhook latency under load, p50 / p99",
                     "%s / %s" % (thr.get("lat_p50", "?"), thr.get("lat_p99", "?")), "—", "—"))
    else:
        row("verified webhooks/s", None, "", "≥ 2,000 /s", True)
    if idl:
        row("idle RSS, peak over %.0f s (%d apps)" % (idl["seconds"], idl.get("apps", 0)),
            idl["rss_peak_mb"], "%.1f MB", "< 30 MB", idl["rss_peak_mb"] < GOAL_IDLE_RSS_MB)
        rows.append(("VmHWM since start (incl. first reconcile)", "%.1f MB" % idl["vmhwm_mb"], "—", "—"))
        row("idle CPU, mean", idl["cpu_pct"], "%.2f %% of a core", "< 1 %", idl["cpu_pct"] < GOAL_IDLE_CPU_PCT)
    else:
        row("idle RSS", None, "", "< 30 MB", True)
        row("idle CPU", None, "", "< 1 %", True)
    print("| measure | value | goal | result |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %s | %s |" % r)
    return 3 if missed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("latency")
    q.add_argument("--base", required=True)
    q.add_argument("--secret", required=True)
    q.add_argument("--work", required=True)
    q.add_argument("--remote", required=True)
    q.add_argument("--target", required=True)
    q.add_argument("--app", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--n", type=int, default=100)
    q.add_argument("--warmup", type=int, default=3)
    q.add_argument("--gap-ms", type=float, default=100)
    q.add_argument("--poll-ms", type=float, default=1)
    q.add_argument("--timeout", type=float, default=10)
    q = sub.add_parser("wrk-lua")
    q.add_argument("--secret", required=True)
    q.add_argument("--remote", required=True)
    q.add_argument("--sha", required=True)
    q.add_argument("--out", required=True)
    q = sub.add_parser("throughput")
    q.add_argument("--base", required=True)
    q.add_argument("--script", required=True)
    q.add_argument("--seconds", type=int, default=10)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--conns", type=int, default=32)
    q.add_argument("--pid", type=int, default=0)
    q.add_argument("--out", required=True)
    q = sub.add_parser("metric")
    q.add_argument("--base", required=True)
    q.add_argument("--name", required=True)
    q.add_argument("--label", action="append", default=[])
    q = sub.add_parser("idle")
    q.add_argument("--pid", type=int, required=True)
    q.add_argument("--seconds", type=float, required=True)
    q.add_argument("--interval", type=float, default=1.0)
    q.add_argument("--apps", type=int, default=0)
    q.add_argument("--out", required=True)
    q = sub.add_parser("table")
    q.add_argument("--latency")
    q.add_argument("--throughput")
    q.add_argument("--idle")
    a = p.parse_args()
    if a.cmd == "latency" and a.n <= 0:
        p.error("--n must be positive")
    return {"latency": cmd_latency, "wrk-lua": cmd_wrk_lua, "throughput": cmd_throughput, "metric": cmd_metric,
            "idle": cmd_idle, "table": cmd_table}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
