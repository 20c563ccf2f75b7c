#!/usr/bin/env python3
"""Helper for metrics_bench.sh: one scrape of `rqctl metrics --listen` against one scrape
of rq-exporter, side by side, then a soak of the listening rqctl's resident memory.

    metrics_measure.py --tool rqctl=http://127.0.0.1:A/metrics,http://127.0.0.1:B/metrics,PID \
                       --tool rq-exporter=http://127.0.0.1:C/metrics,http://127.0.0.1:D/metrics,PID \
                       --redis-url redis://127.0.0.1:R/0 --proxy-pid P --stats FILE \
                       --queued 1000000 --runs 5 --soak-secs 300 --soak-pid PID --out results.json

The timed scrapes of the tools take turns (A, B, A, B, ...), 0.7 s apart. Each --tool
gives a direct endpoint (timed), an endpoint whose exporter talks to Redis
through rtproxy (counted: commands and round trips from the proxy's totals before and
after one scrape; the exporters keep their connection open, so deltas, not resets), and
the pid of the direct exporter (its resident memory). Redis' own count of commands
(INFO stats total_commands_processed, minus the INFO calls) is shown too.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import statistics
import sys
import time
import urllib.request

from redis import Redis


CURL = shutil.which("curl")


def scrape(url):
    """One scrape: seconds, HTTP status, body. Timed by curl (its time_total, so neither a
    process start nor Python's HTTP parsing counts) when it is installed, else by urllib."""
    if CURL:
        p = subprocess.run([CURL, "-sS", "--max-time", "600", "-o", "-", "-w", "\n%{http_code} %{time_total}", url],
                           stdout=subprocess.PIPE, check=True)
        out = p.stdout.decode("utf-8", errors="replace")
        body, tail = out.rsplit("\n", 1)
        code, secs = tail.split()
        return float(secs), int(code), body
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as r:
        body = r.read().decode("utf-8", errors="replace")
        status = r.status
    return time.perf_counter() - t0, status, body


def queued_total(body):
    total = 0.0
    for line in body.splitlines():
        if line.startswith("rq_jobs{") and 'status="queued"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else None


def proxy_totals(pid, path):
    before = os.stat(path).st_mtime_ns
    os.kill(pid, signal.SIGUSR2)
    deadline = time.time() + 5
    while os.stat(path).st_mtime_ns == before and time.time() < deadline:
        time.sleep(0.01)
    with open(path) as f:
        return json.load(f)["totals"]


def redis_commands(r):
    return int(r.info("stats")["total_commands_processed"])


def slope_kb_per_min(samples):
    """Least-squares slope of (seconds, kB) samples, in kB per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    den = sum((t - mx) ** 2 for t, _ in samples)
    return 60 * sum((t - mx) * (v - my) for t, v in samples) / den if den else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", action="append", required=True)
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--proxy-pid", type=int, required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--queued", type=float, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--soak-secs", type=int, default=300)
    ap.add_argument("--soak-url", required=True)
    ap.add_argument("--soak-pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    r = Redis.from_url(a.redis_url)
    results = {"tools": [], "soak": None}

    tools = []
    for spec in a.tool:
        name, rest = spec.split("=", 1)
        direct, proxied, pid = rest.split(",")
        tools.append((name, direct, proxied, pid))
    # Warm-up (rq-exporter also collects once at start-up) and a check of what each reports.
    for name, direct, _, _ in tools:
        _, status, body = scrape(direct)
        if status != 200:
            sys.exit(f"metrics_measure: {name}: HTTP {status}")
        seen = queued_total(body)
        if abs(seen - a.queued) > 0.5:
            sys.exit(f"metrics_measure: {name} reports {seen} queued jobs, expected {a.queued}")
    # Timed scrapes, taking turns, so that whatever drifts on the machine or in Redis meets
    # every exporter alike; spaced beyond rqctl's 500 ms sharing window, so that each is a
    # fresh read.
    times = {name: [] for name, _, _, _ in tools}
    for _ in range(a.runs):
        for name, direct, _, _ in tools:
            time.sleep(0.7)
            times[name].append(scrape(direct)[0])

    for name, direct, proxied, pid in tools:
        # One counted scrape through the proxy.
        scrape(proxied)
        time.sleep(0.7)
        t0 = proxy_totals(a.proxy_pid, a.stats)
        c0 = redis_commands(r)
        proxied_s, _, body = scrape(proxied)
        time.sleep(0.3)
        c1 = redis_commands(r)
        t1 = proxy_totals(a.proxy_pid, a.stats)
        rec = {
            "tool": name,
            "median_s": statistics.median(times[name]),
            "min_s": min(times[name]),
            "max_s": max(times[name]),
            "times_s": times[name],
            "proxied_s": proxied_s,
            "round_trips": t1["round_trips"] - t0["round_trips"],
            "commands": t1["commands"] - t0["commands"],
            "redis_commands": c1 - c0 - 1,  # the second INFO counts itself
            "bytes_s2c": t1["bytes_s2c"] - t0["bytes_s2c"],
            "body_bytes": len(body.encode()),
            "rss_kb": rss_kb(int(pid)),
        }
        by = {}
        for k, v in t1["by_command"].items():
            d = v - t0["by_command"].get(k, 0)
            if d:
                by[k] = d
        rec["by_command"] = dict(sorted(by.items(), key=lambda kv: -kv[1])[:8])
        results["tools"].append(rec)
        print(f"metrics_measure: {name}: median {rec['median_s'] * 1000:.1f} ms, "
              f"{rec['round_trips']} round trips, {rec['commands']} commands", file=sys.stderr)

    if a.soak_secs > 0:
        samples = []
        start = time.time()
        next_sample = start
        scrapes = 0
        print(f"metrics_measure: soak, one scrape a second for {a.soak_secs} s", file=sys.stderr)
        while time.time() - start < a.soak_secs:
            t = time.time()
            scrape(a.soak_url)
            scrapes += 1
            if t >= next_sample:
                samples.append((t - start, rss_kb(a.soak_pid)))
                next_sample += 10
            time.sleep(max(0.0, 1.0 - (time.time() - t)))
        samples.append((time.time() - start, rss_kb(a.soak_pid)))
        kb = [v for _, v in samples]
        # The slope after the first minute (allocator warm-up) is what an hour extends.
        late = [(t, v) for t, v in samples if t >= 60] or samples
        results["soak"] = {
            "secs": a.soak_secs,
            "scrapes": scrapes,
            "rss_start_kb": kb[0],
            "rss_end_kb": kb[-1],
            "rss_max_kb": max(kb),
            "slope_kb_per_min": slope_kb_per_min(samples),
            "slope_after_1min_kb_per_min": slope_kb_per_min(late),
            "samples": samples,
        }

    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)

    # Markdown.
    t = {x["tool"]: x for x in results["tools"]}
    names = [x["tool"] for x in results["tools"]]
    print("| one scrape | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    rows = [
        ("wall, median of %d (ms)" % a.runs, lambda x: f"{x['median_s'] * 1000:.1f}"),
        ("wall, min–max (ms)", lambda x: f"{x['min_s'] * 1000:.1f}–{x['max_s'] * 1000:.1f}"),
        ("Redis round trips", lambda x: str(x["round_trips"])),
        ("Redis commands (proxy / INFO stats)", lambda x: f"{x['commands']} / {x['redis_commands']}"),
        ("bytes from Redis", lambda x: f"{x['bytes_s2c']:,}"),
        ("exposition bytes", lambda x: f"{x['body_bytes']:,}"),
        ("exporter RSS after the scrapes (MB)", lambda x: f"{x['rss_kb'] / 1024:.1f}"),
    ]
    for label, f in rows:
        print(f"| {label} | " + " | ".join(f(t[n]) for n in names) + " |")
    if len(names) == 2:
        a0, b0 = t[names[0]], t[names[1]]
        print(f"\n{names[1]} / {names[0]} wall: **{b0['median_s'] / a0['median_s']:.0f}×**")
    s = results["soak"]
    if s:
        print(f"\nSoak: {s['scrapes']} scrapes in {s['secs']} s (1/s); rqctl RSS {s['rss_start_kb'] / 1024:.1f} MB "
              f"→ {s['rss_end_kb'] / 1024:.1f} MB (max {s['rss_max_kb'] / 1024:.1f} MB); slope "
              f"{s['slope_kb_per_min']:+.1f} kB/min overall, {s['slope_after_1min_kb_per_min']:+.1f} kB/min after the first minute.")


if __name__ == "__main__":
    main()
