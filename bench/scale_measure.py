#!/usr/bin/env python3
"""Helper of scale_bench.sh: measures rqctl and rqtop on a DB with many queues and workers.
Each subcommand appends one JSON record to --out; `report` prints the markdown table.

  info    `rqctl info --json` under /usr/bin/time -v: wall time and peak RSS per run, and
          checks the JSON against scale_fill.py's summary (queues, workers, queued, failed,
          sum of the per-queue listener counts)
  tui     rqtop on a pty (80x24): first frame with data, then key presses (j/k moves the
          cursor between q0 and q1: the panel under the table is titled with the selected
          queue; Tab shows the Workers tab), each timed from the write to the pty until the
          emulated screen shows the change; then `q` until the process has exited, and
          VmRSS/VmHWM just before it
  report  the markdown table of every record in --out
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tui_pty import Tui, proc_status  # noqa: E402


def log(msg):
    print(f"scale_measure: {msg}", file=sys.stderr, flush=True)


def emit(a, rec):
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    log(json.dumps(rec))


# ------------------------------------------------------------------ rqctl info
def time_v(argv, stdout_path, timeout):
    """Runs argv under /usr/bin/time -v; returns (wall_s, max_rss_kb, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, open(stdout_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name, *argv], stdout=out,
                           stderr=subprocess.PIPE, timeout=timeout)
        wall = time.perf_counter() - t0
        text = tf.read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if p.returncode != 0:
        log(f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return wall, int(rss.group(1)) if rss else None, p.returncode


def check_info(path, want):
    """Problems found comparing rqctl's JSON with what the fill wrote (empty = all right)."""
    with open(path) as f:
        ov = json.load(f)
    qs, ws = ov.get("queues", []), ov.get("workers", [])
    got = {
        "queues": len(qs),
        "workers": len(ws),
        "queued": sum(q.get("queued", 0) for q in qs),
        "failed": sum(q.get("failed", 0) for q in qs),
        "listeners": sum(q.get("workers", 0) for q in qs),
    }
    return [f"{k}: got {got[k]}, want {want[k]}" for k in got if got[k] != want[k]]


def info(a):
    want = json.loads(a.expect)
    walls, rsss, problems = [], [], []
    for i in range(a.runs):
        out = os.path.join(a.workdir, f"info-{a.label}-{i}.json")
        wall, rss, rc = time_v([a.rqctl, "--url", a.url, "info", "--json"], out, a.timeout)
        if rc != 0:
            problems.append(f"run {i}: exit {rc}")
            continue
        walls.append(wall)
        rsss.append(rss)
        problems += check_info(out, want)
        log(f"{a.label} run {i}: {wall:.2f} s, {rss / 1024:.0f} MB")
    emit(a, {"phase": "info", "label": a.label, "runs": len(walls),
             "median_s": statistics.median(walls) if walls else None,
             "min_s": min(walls, default=None), "max_s": max(walls, default=None),
             "rss_mb": max(rsss) / 1024 if rsss else None, "problems": sorted(set(problems))})


# ------------------------------------------------------------------ rqtop
def panel_title(name):
    """The Queues tab's panel (under the table) titled with the selected queue: its top
    border line starts `┌ <name> · `."""
    prefix = f"┌ {name} · "
    return lambda text: any(line.startswith(prefix) for line in text.splitlines())


def tui(a):
    tui = Tui([a.rqtop, "--url", a.url, *a.extra], pidfile=a.pidfile)
    rec = {"phase": "tui", "label": a.label}
    try:
        ready = f"Queues ({a.queues})"
        t = tui.wait_for(ready, a.first_timeout)
        if t is None:
            rec["error"] = f"no {ready!r} within {a.first_timeout} s"
            log(f"screen:\n{tui.text()}")
            return
        rec["first_frame_s"] = t - tui.t0
        log(f"{a.label}: first frame with data after {rec['first_frame_s']:.2f} s; settling {a.settle} s")
        time.sleep(a.settle)
        # j / k alternate between the first two queues (names sorted: q0, q1); the panel
        # under the table is titled with the selected queue's name.
        lat, early = [], 0
        for i in range(a.presses):
            key, name = ("j", "q1") if i % 2 == 0 else ("k", "q0")
            w = tui.expect(panel_title(name))
            if w[2]:  # already on screen before the key: would time nothing
                early += 1
                log(f"press {i}: {name} already selected; screen:\n{tui.text()}")
            sent = tui.send(key)
            got = tui.wait(w, a.key_timeout)
            if got is None:
                rec["error"] = f"key {key!r}: no {want!r} within {a.key_timeout} s"
                log(f"screen:\n{tui.text()}")
                break
            lat.append(max(0.0, got - sent) * 1000)
            time.sleep(a.gap)
        rec["key_ms"] = lat
        rec["already_on_screen"] = early
        if lat:
            rec["key_median_ms"] = statistics.median(lat)
            rec["key_max_ms"] = max(lat)
        if "error" not in rec:
            w = tui.expect("│WORKER")
            sent = tui.send("\t")
            got = tui.wait(w, a.key_timeout)
            rec["tab_ms"] = (got - sent) * 1000 if got else None
            w = tui.expect("│QUEUE ")
            sent = tui.send("1")
            got = tui.wait(w, a.key_timeout)
            rec["back_ms"] = (got - sent) * 1000 if got else None
        try:
            st = proc_status(tui.proc.pid)
            rec["rss_mb"], rec["hwm_mb"] = st["VmRSS"] / 1024, st["VmHWM"] / 1024
        except OSError:
            pass
        sent = tui.send("q")
        try:
            tui.proc.wait(a.key_timeout)
            rec["quit_ms"] = (time.perf_counter() - sent) * 1000
            rec["exit"] = tui.proc.returncode
        except subprocess.TimeoutExpired:
            rec["quit_ms"] = None
            rec["error"] = rec.get("error", f"still running {a.key_timeout} s after q")
    finally:
        tui.stop()
        emit(a, rec)


# ------------------------------------------------------------------ report
def fmt(v, unit="", digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


def report(a):
    recs = [json.loads(line) for line in open(a.out) if line.strip()]
    print("| build | `rqctl info --json` wall (median) | min–max | peak RSS | check |")
    print("|---|---:|---:|---:|---|")
    for r in recs:
        if r["phase"] == "info":
            check = "ok" if not r["problems"] else "; ".join(r["problems"])
            print(f"| {r['label']} | {fmt(r['median_s'], ' s', 2)} | {fmt(r['min_s'], '', 2)}–{fmt(r['max_s'], ' s', 2)}"
                  f" | {fmt(r['rss_mb'], ' MB')} | {check} (runs: {r['runs']}) |")
    print()
    print("| build | first frame with data | key j/k → screen (median / max, n) | Tab → Workers | `q` → exit | rqtop VmHWM |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in recs:
        if r["phase"] == "tui":
            keys = (f"{fmt(r.get('key_median_ms'), ' ms', 1)} / {fmt(r.get('key_max_ms'), ' ms', 1)}"
                    f" ({len(r.get('key_ms', []))})")
            err = f" — {r['error']}" if r.get("error") else ""
            print(f"| {r['label']}{err} | {fmt(r.get('first_frame_s'), ' s', 2)} | {keys} | {fmt(r.get('tab_ms'), ' ms', 1)}"
                  f" | {fmt(r.get('quit_ms'), ' ms', 0)} | {fmt(r.get('hwm_mb'), ' MB')} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info")
    p.add_argument("--rqctl", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--expect", required=True, help="scale_fill.py's JSON summary")
    p.add_argument("--workdir", default=tempfile.gettempdir())
    p.add_argument("--out", required=True)
    p.set_defaults(fn=info)
    p = sub.add_parser("tui")
    p.add_argument("--rqtop", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--queues", type=int, required=True)
    p.add_argument("--presses", type=int, default=20)
    p.add_argument("--gap", type=float, default=0.5, help="seconds between key presses")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after the first frame before keys")
    p.add_argument("--first-timeout", type=float, default=900)
    p.add_argument("--key-timeout", type=float, default=120)
    p.add_argument("--pidfile")
    p.add_argument("--out", required=True)
    p.add_argument("extra", nargs="*", help="more rqtop arguments (after --)")
    p.set_defaults(fn=tui)
    p = sub.add_parser("report")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=report)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
