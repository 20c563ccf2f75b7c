#!/usr/bin/env python3
"""Latency probe: PING Redis every --interval seconds until SIGTERM/SIGINT, then write JSON.

    python pingprobe.py --url redis://127.0.0.1:P/0 --out probe.json &

Reports the number of PINGs, the max / p99 / p50 single-call latency, and the
longest gap between two consecutive PING replies. A Redis that is blocked by
another client's long command (e.g. one big EVAL) shows up as one PING that
takes as long as the block.
"""

import argparse
import json
import signal
import statistics
import sys
import time

import redis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    r = redis.Redis.from_url(a.url)
    r.ping()
    stop = False

    def on_sig(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)

    lat = []
    worst_at = None
    started = time.time()
    last_reply = time.perf_counter()
    max_gap = 0.0
    next_t = time.perf_counter()
    print("pingprobe: running", file=sys.stderr, flush=True)
    while not stop:
        t0 = time.perf_counter()
        r.ping()
        t1 = time.perf_counter()
        dt = t1 - t0
        lat.append(dt)
        if worst_at is None or dt > lat[worst_at]:
            worst_at = len(lat) - 1
        max_gap = max(max_gap, t1 - last_reply)
        last_reply = t1
        next_t += a.interval
        sleep = next_t - time.perf_counter()
        if sleep > 0:
            time.sleep(sleep)
        else:
            next_t = time.perf_counter()

    lat_sorted = sorted(lat)
    doc = {
        "url": a.url, "interval_s": a.interval, "started": started, "duration_s": time.time() - started,
        "pings": len(lat),
        "max_ms": lat_sorted[-1] * 1000 if lat else None,
        "p99_ms": lat_sorted[int(len(lat) * 0.99) - 1] * 1000 if len(lat) >= 100 else None,
        "p50_ms": statistics.median(lat) * 1000 if lat else None,
        "max_gap_between_replies_ms": max_gap * 1000,
        "over_50ms": sum(1 for x in lat if x > 0.05),
        "over_100ms": sum(1 for x in lat if x > 0.1),
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
