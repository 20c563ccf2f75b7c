#!/usr/bin/env python3
"""Fills a DB with failed jobs in RQ 2.12's format for the failure-signature benchmark.

    .venv/rq2/bin/python bench/failures_fill.py --url redis://127.0.0.1:PORT/0 \
        [--failed 100000] [--queues 10] [--big 10000]

Each failed job has its hash (status failed, data naming its function, ended_at spread over
the last 30 minutes), its place in rq:failed:<q>, and a result stream entry whose
exc_string is base64(zlib(traceback)), as a real 2.12 worker writes it. There are 24 causes
(exception type + function + app frame) whose details vary per job (hosts, ports, ids, keys,
amounts, timestamps, hex addresses): a correct grouping finds exactly 24 signatures. The
first cause gets `--big` jobs (the `requeue --where` target); the rest share the remainder.
Refuses port 6379. Uses fill.py's RESP writer (redis-cli --pipe).
"""

import argparse
import base64
import os
import pickle
import random
import sys
import time
import uuid
import zlib
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fill import Clock, Sink, bulk, fields, resp, resp_head  # noqa: E402

HEAD = """Traceback (most recent call last):
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/worker/base.py", line 1552, in perform_job
    return_value = job.perform()
                   ^^^^^^^^^^^^^
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/job.py", line 1368, in perform
    self._result = self._execute()
                   ^^^^^^^^^^^^^^^
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/job.py", line 1428, in _execute
    result = self.func(*self.args, **self.kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
"""


def frame(path, line, func, code):
    return f'  File "{path}", line {line}, in {func}\n    {code}\n'


def lib_frame(pkg, func):
    return frame(f"/srv/app/.venv/lib/python3.11/site-packages/{pkg}.py", 100, func, "raise")


def causes(rng):
    """24 (function, traceback maker) pairs: 12 kinds x 2 functions/frames."""
    kinds = [
        lambda: ("redis.exceptions.ConnectionError",
                 f"Error 111 connecting to 10.0.{rng.randint(0, 9)}.{rng.randint(1, 254)}:{rng.randint(6379, 6400)}. Connection refused.",
                 lib_frame("redis/connection", "connect")),
        lambda: ("KeyError", f"'user-{rng.randint(1, 10**6)}'", ""),
        lambda: ("ZeroDivisionError", "division by zero", ""),
        lambda: ("rq.timeouts.JobTimeoutException",
                 f"Task exceeded maximum timeout value ({rng.choice([30, 60, 180])} seconds)",
                 frame("/srv/app/.venv/lib/python3.11/site-packages/rq/timeouts.py", 63,
                       "handle_death_penalty", "raise")),
        lambda: ("app.errors.PaymentDeclined",
                 f"card {rng.randint(1000, 9999)}-{rng.randint(0, 999):03d} declined for order {rng.randint(1, 10**7)} ({rng.random() * 500:.2f} EUR)", ""),
        lambda: ("ValueError", f"invalid literal for int() with base 10: '{uuid.UUID(int=rng.getrandbits(128))}'", ""),
        lambda: ("requests.exceptions.HTTPError",
                 f"503 Server Error: Service Unavailable for url: https://api{rng.randint(1, 9)}.example.com:{rng.choice([443, 8443])}/v1/orders/{rng.randint(1, 10**6)}",
                 lib_frame("requests/models", "raise_for_status")),
        lambda: ("FileNotFoundError",
                 f"[Errno 2] No such file or directory: '/data/exports/{rng.randint(1, 10**5)}/report-{rng.randint(1, 99)}.csv'", ""),
        lambda: ("TypeError", "'NoneType' object is not subscriptable", ""),
        lambda: ("psycopg2.OperationalError",
                 f"could not connect to server: Connection timed out at 2026-11-{rng.randint(10, 28)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z",
                 lib_frame("psycopg2/__init__", "connect")),
        lambda: ("AttributeError", f"'Order' object at 0x{rng.getrandbits(48):012x} has no attribute 'total'", ""),
        lambda: ("app.errors.RateLimited", f"retry after {rng.randint(1, 120)}s (bucket {rng.getrandbits(64):016x})", ""),
    ]
    out = []
    for k, make in enumerate(kinds):
        for variant in range(2):
            func = f"app.tasks.task_{k}_{variant}"
            app_frame = frame(f"/srv/app/app/tasks_{variant}.py", 10 + k, f"task_{k}_{variant}", "work()")
            out.append((func, make, app_frame))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--failed", type=int, default=100_000)
    ap.add_argument("--queues", type=int, default=10)
    ap.add_argument("--big", type=int, default=10_000, help="jobs of the first cause")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if urlparse(args.url).port in (None, 6379):
        sys.exit("failures_fill: refusing the default port 6379; use a private redis-server")
    rng = random.Random(args.seed)
    kinds = causes(rng)
    names = [f"q{i}".encode() for i in range(args.queues)]
    sink = Sink(args.url)
    sink.add(resp(b"SADD", b"rq:queues", *[b"rq:queue:" + n for n in names]))
    now = time.time()
    clock = Clock(now)
    data = {f: zlib.compress(pickle.dumps((f, None, (1,), {}), protocol=5)) for f, _, _ in kinds}
    start = time.perf_counter()
    zadds = {n: [] for n in names}
    for i in range(args.failed):
        c = 0 if i < args.big else 1 + (i % (len(kinds) - 1))
        func, make, app_frame = kinds[c]
        exc_type, message, lib = make()
        tb = HEAD + app_frame + lib + f"{exc_type}: {message}\n"
        origin = names[i % len(names)]
        jid = str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()
        ended = now - rng.random() * 1800
        w = b"%032x" % rng.getrandbits(128)
        pairs = [
            (b"status", b"failed"), (b"created_at", clock.ts(ended - 1)), (b"data", data[func]),
            (b"started_at", clock.ts(ended - 0.5)), (b"ended_at", clock.ts(ended)),
            (b"worker_name", w), (b"origin", origin),
            (b"description", f"{func}(1)".encode()), (b"timeout", b"180"),
        ]
        sink.add(resp_head(2 + 2 * len(pairs)) + bulk(b"HSET") + bulk(b"rq:job:" + jid) + fields(pairs))
        sink.add(resp(b"XADD", b"rq:results:" + jid, b"MAXLEN", b"~", b"10", b"*", b"type", b"2",
                      b"worker_name", w,
                      b"exc_string", base64.b64encode(zlib.compress(tb.encode()))))
        zadds[origin] += [b"%d" % (int(ended) + 31536000), jid]
        if len(zadds[origin]) >= 2000:
            sink.add(resp(b"ZADD", b"rq:failed:" + origin, *zadds[origin]))
            zadds[origin] = []
    for origin, z in zadds.items():
        if z:
            sink.add(resp(b"ZADD", b"rq:failed:" + origin, *z))
    summary = sink.close()
    print(f"failures_fill: {args.failed} failed jobs, {len(kinds)} causes, {args.queues} queues "
          f"in {time.perf_counter() - start:.1f}s ({summary})", file=sys.stderr)


if __name__ == "__main__":
    main()
