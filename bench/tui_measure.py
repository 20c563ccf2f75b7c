#!/usr/bin/env python3
"""Helper of tui_bench.sh: measures the rqtop TUI under a pty (80x24). Each subcommand
appends one JSON record to --out; `report` prints the markdown table.

  firstframe  spawn -> the first queue's formatted count on screen (median of --runs, after 1 warm-up)
  memory      ~10 s of use (Jobs tab, PgDn, -> to failed, ...), then VmRSS / VmHWM
  idle        utime+stime over --seconds with no keys and no writes (keyspace events on)
  refresh     through rtproxy: commands / round trips of one refresh cycle on the Queues tab
  storm       through rtproxy: ~--rate keyspace events/s for --seconds; rqtop's traffic and key latency
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_pty import Tui, cpu_ticks, proc_status  # noqa: E402

QUEUES_HDR = "│QUEUE "
WORKERS_HDR = "│WORKER"


def log(msg):
    print(f"tui_measure: {msg}", file=sys.stderr, flush=True)


def emit(a, rec):
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    log(json.dumps({k: v for k, v in rec.items() if k not in ("bursts", "tries")}))


def spawn(a, url, *extra):
    return Tui([a.rqtop, "--url", url, *extra], pidfile=a.pidfile)


def must(tui, what, timeout=15.0):
    t = tui.wait_for(what, timeout)
    if t is None:
        tui.stop()
        raw = bytes(tui.raw[-3000:])
        sys.exit(f"tui_measure: timed out waiting for {what!r}; rqtop exit={tui.proc.returncode}\n"
                 f"--- screen ---\n{tui.text()}\n--- last raw output ---\n{raw!r}")
    return t


# ------------------------------------------------------------------ proxy snapshots
def snapshot(a):
    """Per-connection counters from rtproxy (SIGUSR2 makes it rewrite the stats file)."""
    t = time.time()
    os.kill(a.proxy_pid, signal.SIGUSR2)
    for _ in range(400):
        try:
            with open(a.stats) as f:
                doc = json.load(f)
            if doc["written"] >= t:
                return doc
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    sys.exit("tui_measure: rtproxy did not write its stats")


def reset_proxy(a):
    for _ in range(200):
        if snapshot(a)["active"] == 0:
            break
        time.sleep(0.05)
    os.kill(a.proxy_pid, signal.SIGUSR1)
    time.sleep(0.1)


def is_pubsub(c):
    return any(k in c["by_command"] for k in ("PSUBSCRIBE", "SUBSCRIBE"))


def diff(a_doc, b_doc, pubsub=False):
    """commands, round trips, bytes s2c between two snapshots, over the command connections
    (or only the pub/sub ones)."""
    before = {c["id"]: c for c in a_doc["connections"]}
    out = {"commands": 0, "round_trips": 0, "bytes_s2c": 0, "by_command": {}}
    for c in b_doc["connections"]:
        if is_pubsub(c) != pubsub:
            continue
        p = before.get(c["id"], {"commands": 0, "round_trips": 0, "bytes_s2c": 0, "by_command": {}})
        for k in ("commands", "round_trips", "bytes_s2c"):
            out[k] += c[k] - p[k]
        for k, v in c["by_command"].items():
            d = v - p["by_command"].get(k, 0)
            if d:
                out["by_command"][k] = out["by_command"].get(k, 0) + d
    return out


# ------------------------------------------------------------------ phases
def first_frame(a):
    times, live = [], []
    for i in range(a.runs + 1):
        tui = spawn(a, a.url)
        t = must(tui, a.expect)
        tl = tui.wait_for("● live", 5)
        first = tui.first_output
        tui.stop()
        if i == 0:
            continue  # warm-up
        times.append((t - tui.t0) * 1000)
        live.append(((tl - tui.t0) * 1000) if tl else None)
        log(f"first frame run {i}: first output {(first - tui.t0) * 1000:.1f} ms, "
            f"count {times[-1]:.1f} ms, live {live[-1]}")
        time.sleep(0.3)
    emit(a, {"phase": "firstframe", "median_ms": statistics.median(times), "min_ms": min(times),
             "max_ms": max(times), "times_ms": times, "live_ms": live, "expect": a.expect})


def memory(a):
    tui = spawn(a, a.url)
    must(tui, a.expect)
    time.sleep(1)
    tui.send("3")
    must(tui, "queued @ ")
    for _ in range(3):
        time.sleep(0.7)
        tui.send("pgdn")
    for _ in range(4):  # queued -> started -> deferred -> finished -> failed
        time.sleep(0.3)
        tui.send("right")
    must(tui, "failed @ ")
    for _ in range(3):
        time.sleep(0.7)
        tui.send("pgdn")
    for _ in range(5):
        time.sleep(0.2)
        tui.send("j")
    time.sleep(0.5)
    tui.send("2")
    must(tui, WORKERS_HDR)
    time.sleep(0.5)
    tui.send("3")
    while time.perf_counter() - tui.t0 < a.seconds:
        time.sleep(0.1)
    st = proc_status(tui.proc.pid)
    screen = tui.text()
    tui.stop()
    emit(a, {"phase": "memory", "rss_mb": st["VmRSS"] / 1024, "hwm_mb": st["VmHWM"] / 1024,
             "threads": st.get("Threads"), "seconds": a.seconds, "screen_failed": "failed @ " in screen})


def idle(a):
    r = redis.Redis.from_url(a.url)
    tui = spawn(a, a.url)
    must(tui, a.expect)
    must(tui, "● live")
    time.sleep(3)
    changes0 = r.info("persistence")["rdb_changes_since_last_save"]
    c0, t0 = cpu_ticks(tui.proc.pid), time.perf_counter()
    time.sleep(a.seconds)
    c1, t1 = cpu_ticks(tui.proc.pid), time.perf_counter()
    changes1 = r.info("persistence")["rdb_changes_since_last_save"]
    live = "● live" in tui.text()
    tui.stop()
    hz = os.sysconf("SC_CLK_TCK")
    emit(a, {"phase": "idle", "cpu_pct": (c1 - c0) / hz / (t1 - t0) * 100, "cpu_s": (c1 - c0) / hz,
             "seconds": t1 - t0, "live": live, "redis_writes": changes1 - changes0})


def refresh(a):
    r = redis.Redis.from_url(a.redis_url)
    # 1. notifications off, --interval 2s: sample the proxy every 50 ms, split into bursts.
    r.config_set("notify-keyspace-events", "")
    reset_proxy(a)
    tui = spawn(a, a.url, "--interval", "2s")
    try:
        must(tui, a.expect)
        must(tui, "○ polling 2s")
        time.sleep(1)
        samples = [snapshot(a)]
        end = time.time() + a.seconds
        while time.time() < end:
            time.sleep(0.05)
            samples.append(snapshot(a))
    finally:
        tui.stop()
        r.config_set("notify-keyspace-events", "KEA")
    bursts, cur, quiet = [], None, 0
    for prev, nxt in zip(samples, samples[1:]):
        d = diff(prev, nxt)
        if d["commands"]:
            cur = cur or {"commands": 0, "round_trips": 0, "by_command": {}}
            cur["commands"] += d["commands"]
            cur["round_trips"] += d["round_trips"]
            for k, v in d["by_command"].items():
                cur["by_command"][k] = cur["by_command"].get(k, 0) + v
            quiet = 0
        elif cur:
            quiet += 1
            if quiet >= 4:
                bursts.append(cur)
                cur = None
    # 2. events on: press `r` (refresh now) and diff.
    reset_proxy(a)
    tui = spawn(a, a.url)
    tries = []
    try:
        must(tui, a.expect)
        must(tui, "● live")
        time.sleep(1.0)  # past the first poll (2 s after start), which rqtop runs even when live
        for _ in range(3):
            time.sleep(1.5)
            s0 = snapshot(a)
            tui.send("r")
            time.sleep(1.0)
            d = diff(s0, snapshot(a))
            tries.append({"commands": d["commands"], "round_trips": d["round_trips"]})
    finally:
        tui.stop()
    cmds = [b["commands"] for b in bursts]
    rts = [b["round_trips"] for b in bursts]
    emit(a, {"phase": "refresh", "polls": len(bursts), "commands": statistics.median(cmds) if cmds else None,
             "round_trips": statistics.median(rts) if rts else None, "commands_all": cmds, "round_trips_all": rts,
             "by_command": bursts[0]["by_command"] if bursts else {}, "r_key": tries, "bursts": bursts})


def storm(a):
    reset_proxy(a)
    tui = spawn(a, a.url)
    tries = []
    try:
        must(tui, a.expect)
        must(tui, "● live")
        time.sleep(2)
        gen = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "tui_storm.py"),
                                "--url", a.redis_url, "--rate", str(a.rate), "--seconds", str(a.seconds),
                                "--out", a.storm_out])
        with open(a.pidfile or os.devnull, "a") as f:
            f.write(f"{gen.pid}\n")
        time.sleep(0.3)  # interpreter start-up and imports
        s0, c0, t0 = snapshot(a), cpu_ticks(tui.proc.pid), time.perf_counter()
        at = 1.0
        while gen.poll() is None and at < a.seconds - 1:
            while time.perf_counter() - t0 < at:
                time.sleep(0.02)
            w = tui.expect(WORKERS_HDR)
            sent = tui.send("2")
            got = tui.wait(w, 5)
            tries.append(None if got is None else (got - sent) * 1000)
            time.sleep(0.3)
            w = tui.expect(QUEUES_HDR)
            tui.send("1")
            tui.wait(w, 5)
            at += 2.2
        gen.wait(a.seconds + 30)
        s1, c1, t1 = snapshot(a), cpu_ticks(tui.proc.pid), time.perf_counter()
        alive = tui.proc.poll() is None
    finally:
        tui.stop()
    with open(a.storm_out) as f:
        g = json.load(f)
    dt = t1 - t0
    cmd, sub = diff(s0, s1), diff(s0, s1, pubsub=True)
    ok = [x for x in tries if x is not None]
    hz = os.sysconf("SC_CLK_TCK")
    emit(a, {"phase": "storm", "events_per_s": g["events_per_s"], "writes": g["writes"], "gen_s": g["elapsed_s"],
             "window_s": dt, "commands_per_s": cmd["commands"] / dt, "round_trips_per_s": cmd["round_trips"] / dt,
             "commands": cmd["commands"], "round_trips": cmd["round_trips"], "by_command": cmd["by_command"],
             "pubsub_kb_per_s": sub["bytes_s2c"] / dt / 1024, "cpu_pct": (c1 - c0) / hz / dt * 100,
             "key_ms_median": statistics.median(ok) if ok else None, "tries": tries, "alive": alive})


# ------------------------------------------------------------------ report
def report(a):
    recs = {}
    with open(a.out) as f:
        for line in f:
            r = json.loads(line)
            recs[r["phase"]] = r
    rows = []

    def row(n, what, value, target, ok):
        rows.append(f"| {n} | {what} | {value} | {target} | {'–' if ok is None else ('PASS' if ok else 'FAIL')} |")

    ff = recs.get("firstframe")
    if ff:
        row(1, f"first full frame (spawn → `{ff['expect']}` on screen), median of {len(ff['times_ms'])}",
            f"{ff['median_ms']:.0f} ms ({ff['min_ms']:.0f}–{ff['max_ms']:.0f})", "≤ 200 ms", ff["median_ms"] <= 200)
    m = recs.get("memory")
    if m:
        row(2, f"resident memory after {m['seconds']:.0f} s of use (VmRSS / peak VmHWM)",
            f"{m['rss_mb']:.1f} / {m['hwm_mb']:.1f} MB", "< 50 MB", m["hwm_mb"] < 50)
    i = recs.get("idle")
    if i:
        cond = "events on" if i["live"] else "NOT live"
        row(3, f"idle CPU over {i['seconds']:.0f} s ({cond}, {i['redis_writes']} Redis writes, no keys)",
            f"{i['cpu_pct']:.2f} % of a core", "< 1 %", i["cpu_pct"] < 1)
    s = recs.get("storm")
    rf = recs.get("refresh")
    if s:
        bound = 3 * (2 * s["window_s"] + 1) / s["window_s"]
        row("4a", f"storm: keyspace events generated ({s['gen_s']:.1f} s)", f"{s['events_per_s']:,.0f} /s",
            "≈ 10,000 /s", None)
        per = rf["commands"] if rf and rf["commands"] else None
        row("4b", "storm: rqtop commands/s through the proxy", f"{s['commands_per_s']:.0f} /s",
            f"≤ {bound / 3 * per:.0f} /s (2 cycles/s × {per})" if per else "≤ 2 cycles/s",
            s["commands_per_s"] <= bound / 3 * per if per else None)
        row("4c", "storm: rqtop round trips/s (command connection)",
            f"{s['round_trips_per_s']:.1f} /s (≈ {s['round_trips_per_s'] / 3:.2f} cycles/s)",
            f"≤ {bound:.1f} /s (2 cycles/s × 3)", s["round_trips_per_s"] <= bound)
        key = "–" if s["key_ms_median"] is None else f"{s['key_ms_median']:.0f} ms"
        row("4d", f"storm: key `2` → `WORKER` header on screen, median of {len(s['tries'])}", key, "–",
            None if s["key_ms_median"] is not None else False)
    if rf:
        row(5, "one refresh cycle (polling, Queues tab): commands / round trips",
            f"{rf['commands']} / {rf['round_trips']}", "≤ 3 round trips",
            rf["round_trips"] is not None and rf["round_trips"] <= 3)
    print("| # | measure | rqtop | target | result |\n|---|---|---:|---|---|")
    print("\n".join(rows))
    print()
    if ff:
        print(f"* First frame runs (ms): {', '.join(f'{t:.0f}' for t in ff['times_ms'])}; `● live` at "
              f"{', '.join('–' if t is None else f'{t:.0f}' for t in ff['live_ms'])} ms.")
    if s:
        print(f"* Storm: {s['writes']:,} writes; rqtop got {s['pubsub_kb_per_s']:.0f} KiB/s of keyspace messages, "
              f"used {s['cpu_pct']:.0f} % of a core, {'stayed up' if s['alive'] else 'DIED'}; "
              f"{s['commands']} commands in {s['round_trips']} round trips over {s['window_s']:.1f} s; "
              f"key latencies (ms): {', '.join('timeout' if t is None else f'{t:.0f}' for t in s['tries'])}.")
    if rf:
        mix = ", ".join(f"{k} {v}" for k, v in rf["by_command"].items())
        print(f"* Refresh: {rf['polls']} polls seen, commands {rf['commands_all']}, round trips "
              f"{rf['round_trips_all']}; `r` with events on: {rf['r_key']}. Mix of one poll: {mix}.")
        print("* rq-dashboard (figures from the task): ~80 Redis commands for its queue list and ~660 for "
              "200 workers, per refresh.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["firstframe", "memory", "idle", "refresh", "storm", "report"])
    ap.add_argument("--out", required=True, help="results.jsonl")
    ap.add_argument("--rqtop", default="target/release/rqtop")
    ap.add_argument("--url", help="URL rqtop connects to (the proxy for refresh/storm)")
    ap.add_argument("--redis-url", help="direct URL (refresh, storm)")
    ap.add_argument("--expect", help="text of the first frame with data, e.g. 100,000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--proxy-pid", type=int)
    ap.add_argument("--stats")
    ap.add_argument("--storm-out")
    ap.add_argument("--pidfile", help="every rqtop pid is appended here (for the caller's cleanup)")
    a = ap.parse_args()
    {"firstframe": first_frame, "memory": memory, "idle": idle, "refresh": refresh, "storm": storm,
     "report": report}[a.phase](a)


if __name__ == "__main__":
    main()
