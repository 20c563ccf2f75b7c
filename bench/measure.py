#!/usr/bin/env python3
"""Helper for info_bench.sh: time a command and count its Redis traffic via rtproxy.

run:     measure.py run --label L --tool rq --size 1000000 --runs 5 \
             --direct-url redis://127.0.0.1:P/0 --proxy-url redis://127.0.0.1:X/0 \
             --proxy-pid PID --stats FILE --out results.jsonl -- CMD ... {url} ...
report:  measure.py report results.jsonl

`{url}` in CMD is replaced by the direct URL for the timed runs (so the proxy's
own latency does not count) and by the proxy URL for one extra counted run.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time


def run_once(cmd, url):
    argv = [a.replace("{url}", url) for a in cmd]
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"measure: {' '.join(argv)} exited {p.returncode}:\n{p.stderr.decode(errors='replace')[-3000:]}")
    return dt, p.stdout.decode(errors="replace")


def read_stats(path):
    with open(path) as f:
        return json.load(f)


def jobs_seen(tool, out):
    """The total of queued jobs the tool reported (sanity check)."""
    if tool == "rqctl":
        try:
            doc = json.loads(out)
            return sum(q.get("queued", 0) for q in doc.get("queues", []))
        except (ValueError, AttributeError):
            return None
    m = re.search(r"(\d+) queues, (\d+) jobs total", out)
    return int(m.group(2)) if m else None


def cmd_run(a):
    # Warm-up (not timed), then the timed runs, straight to Redis.
    run_once(a.cmd, a.direct_url)
    times = [run_once(a.cmd, a.direct_url)[0] for _ in range(a.runs)]

    rec = {"label": a.label, "tool": a.tool, "size": a.size, "runs": a.runs,
           "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "times_s": times}
    if a.no_proxy:
        rec.update({"proxied_s": None, "connections": 0, "commands": 0, "round_trips": 0, "handshake_commands": 0,
                    "handshake_round_trips": 0, "commands_excl_handshake": 0, "round_trips_excl_handshake": 0,
                    "bytes_c2s": 0, "bytes_s2c": 0, "by_command": {}, "jobs_seen": None})
        with open(a.out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(f"measure: {a.label}: median {rec['median_s'] * 1000:.1f} ms (no Redis)", file=sys.stderr)
        return

    # One counted run through the proxy.
    os.kill(a.proxy_pid, signal.SIGUSR1)  # reset
    deadline = time.time() + 5
    while True:
        st = read_stats(a.stats)
        if st["totals"]["connections"] == 0 and st["active"] == 0:
            break
        if time.time() > deadline:
            sys.exit("measure: rtproxy did not reset")
        time.sleep(0.02)
    proxied_s, out = run_once(a.cmd, a.proxy_url)
    deadline = time.time() + 10
    while True:
        st = read_stats(a.stats)
        if st["active"] == 0 and st["totals"]["connections"] > 0:
            break
        if time.time() > deadline:
            sys.exit("measure: rtproxy still sees open connections")
        time.sleep(0.02)
    t = st["totals"]
    rec.update({
        "proxied_s": proxied_s,
        "connections": t["connections"], "commands": t["commands"], "round_trips": t["round_trips"],
        "handshake_commands": t["handshake_commands"], "handshake_round_trips": t["handshake_round_trips"],
        "commands_excl_handshake": t["commands_excl_handshake"],
        "round_trips_excl_handshake": t["round_trips_excl_handshake"],
        "bytes_c2s": t["bytes_c2s"], "bytes_s2c": t["bytes_s2c"],
        "by_command": t["by_command"], "jobs_seen": jobs_seen(a.tool, out),
    })
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"measure: {a.label}: median {rec['median_s'] * 1000:.1f} ms, {rec['commands']} commands, "
          f"{rec['round_trips']} round trips, jobs seen {rec['jobs_seen']}", file=sys.stderr)


def fmt_ms(s):
    return f"{s * 1000:.1f}"


def cmd_report(a):
    recs = [json.loads(l) for l in open(a.results) if l.strip()]
    print("| command | queued jobs | median wall (ms) | min–max (ms) | via proxy (ms) | connections "
          "| commands (excl. handshake) | round trips (excl. handshake) | bytes sent / received |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in recs:
        if r["proxied_s"] is None:
            print(f"| {r['label']} | – | {fmt_ms(r['median_s'])} | {fmt_ms(r['min_s'])}–{fmt_ms(r['max_s'])} "
                  f"| – | 0 | 0 | 0 | – |")
            continue
        print(f"| {r['label']} | {r['size']:,} | {fmt_ms(r['median_s'])} | {fmt_ms(r['min_s'])}–{fmt_ms(r['max_s'])} "
              f"| {fmt_ms(r['proxied_s'])} | {r['connections']} "
              f"| {r['commands']} ({r['commands_excl_handshake']}) "
              f"| {r['round_trips']} ({r['round_trips_excl_handshake']}) "
              f"| {r['bytes_c2s']:,} / {r['bytes_s2c']:,} |")
    print()
    recs = [r for r in recs if r["proxied_s"] is not None]
    by = {(r["tool"], r["size"]): r for r in recs}
    sizes = sorted({r["size"] for r in recs}, reverse=True)
    for size in sizes:
        rq, rc = by.get(("rq", size)), by.get(("rqctl", size))
        if rq and rc:
            print(f"* {size:,} queued jobs: rqctl is **{rq['median_s'] / rc['median_s']:.1f}x** faster than `rq info` "
                  f"(wall, median), with {rq['round_trips'] / rc['round_trips']:.0f}x fewer round trips "
                  f"({rq['round_trips']} vs {rc['round_trips']}). Each extra ms of network RTT adds about "
                  f"{rq['round_trips']} ms to `rq info` and {rc['round_trips']} ms to rqctl.")
    rcs = sorted((r for r in recs if r["tool"] == "rqctl"), key=lambda r: r["size"])
    if len(rcs) >= 2:
        lo, hi = rcs[0], rcs[-1]
        print(f"* rqctl at {hi['size']:,} vs {lo['size']:,} queued jobs ({hi['size'] / max(lo['size'], 1):.0f}x more): "
              f"{fmt_ms(hi['median_s'])} ms vs {fmt_ms(lo['median_s'])} ms "
              f"(ratio {hi['median_s'] / lo['median_s']:.2f}); commands {hi['commands']} vs {lo['commands']}, "
              f"round trips {hi['round_trips']} vs {lo['round_trips']}.")
    for r in recs:
        if r["jobs_seen"] is not None and r["jobs_seen"] != r["size"]:
            print(f"* WARNING: {r['label']} reported {r['jobs_seen']} queued jobs, expected {r['size']}.")
    print()
    for r in recs:
        top = ", ".join(f"{k} {v}" for k, v in r["by_command"].items())
        print(f"* {r['label']} @ {r['size']:,}: {top}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--tool", choices=["rq", "rqctl"], required=True)
    r.add_argument("--size", type=int, required=True)
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--direct-url", default="")
    r.add_argument("--proxy-url", default="")
    r.add_argument("--proxy-pid", type=int, default=0)
    r.add_argument("--stats", default="")
    r.add_argument("--out", required=True)
    r.add_argument("--no-proxy", action="store_true", help="command does not talk to Redis: only time it")
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("report")
    p.add_argument("results")
    a = ap.parse_args()
    if a.what == "run":
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        if not a.cmd:
            sys.exit("measure: no command")
        cmd_run(a)
    else:
        cmd_report(a)


if __name__ == "__main__":
    main()
