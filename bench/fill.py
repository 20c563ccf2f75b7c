#!/usr/bin/env python3
"""Fill a Redis DB with RQ 2.12-shaped data, fast.

The RESP protocol is generated here, with per-batch templates, and streamed to
`redis-cli --pipe`, which sends it and checks every reply. About 1.1 M job
hashes take roughly 20-40 s on a 2-core machine.

Shapes copy what real RQ 2.12 writes (checked against a live `SimpleWorker`
burst; see /work/shared/docs/rq-data-model.md sections 1-2 and appendix A):

* rq:queues (set of rq:queue:<q>), rq:queue:<q> (list of ids, RPUSH);
* rq:job:<id> hashes with RQ's field order. Queued: status queued, no TTL;
* failed: status failed + started/ended/heartbeat/worker, EXPIRE 31536000,
  ZADD rq:failed:<q> <now+31536000> <id>, and a results stream
  XADD rq:results:<id> MAXLEN ~ 10 * type 2 worker_name .. exc_string
  b64(zlib(traceback)) execution_id .. (no stream TTL, as RQ does when the
  job has no failure_ttl);
* --extras N per queue each of: finished (result_ttl 86400, result stream
  type 1), started (rq:wip member <id>:<exec>, rq:execution(s) keys, run by a
  busy worker), deferred (depends on the queue's first queued job, with the
  dependents/dependencies sets), scheduled (rq:scheduled score now+3600);
* workers: rq:worker:<hex> hashes (EXPIRE 3600), rq:workers, rq:workers:<q>.

Deviation from a live system, on purpose, so the data stays stable for the
length of a benchmark: started entries are scored now+86400 (a live worker
would keep re-scoring them now+90) and their execution keys expire in 86400 s;
worker hashes expire in 3600 s instead of 480 s.

Ids are uuid4-shaped and reproducible (--seed).
"""

import argparse
import base64
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import time
import uuid
import zlib
from datetime import datetime, timezone
from urllib.parse import urlparse

FUNC = "bench.add"
DESCRIPTION = b"bench.add(1, 2)"
# Computed once, reused for every job: Z(pickle((func, instance, args, kwargs), protocol 5)).
DATA = zlib.compress(pickle.dumps((FUNC, None, (1, 2), {}), protocol=5))
RETURN_VALUE_B64 = base64.b64encode(pickle.dumps(3, protocol=5))  # b'gAVLAy4='
TRACEBACK = """Traceback (most recent call last):
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/worker/base.py", line 1552, in perform_job
    return_value = job.perform()
                   ^^^^^^^^^^^^^
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/job.py", line 1368, in perform
    self._result = self._execute()
                   ^^^^^^^^^^^^^^^
  File "/srv/app/.venv/lib/python3.11/site-packages/rq/job.py", line 1428, in _execute
    result = self.func(*self.args, **self.kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/app/bench.py", line 4, in add
    raise ValueError("kaboom")
ValueError: kaboom
"""
EXC_STRING_B64 = base64.b64encode(zlib.compress(TRACEBACK.encode()))
FAILURE_TTL = 31536000
RESULT_TTL = 86400
PYVER = b"3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]"


def log(msg):
    print(f"fill: {msg}", file=sys.stderr, flush=True)


def b(x):
    if isinstance(x, bytes):
        return x
    return str(x).encode()


def resp(*args):
    """One RESP array command."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = b(a)
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def resp_head(n):
    return b"*%d\r\n" % n


def bulk(a):
    a = b(a)
    return b"$%d\r\n%s\r\n" % (len(a), a)


def fields(pairs):
    """Encoded bulk strings for a list of (field, value) pairs."""
    return b"".join(bulk(f) + bulk(v) for f, v in pairs)


class Clock:
    """Cheap RQ timestamps: TS strings (`...%fZ`) and EPOCHF/EPOCHI."""

    def __init__(self, t0):
        self.t0 = t0
        self._sec_cache = {}

    def ts(self, t):
        sec = int(t)
        prefix = self._sec_cache.get(sec)
        if prefix is None:
            prefix = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.").encode()
            if len(self._sec_cache) > 100000:
                self._sec_cache.clear()
            self._sec_cache[sec] = prefix
        return prefix + b"%06dZ" % int((t - sec) * 1e6)


def job_fields(status, origin, created, enqueued=None, started=b"", ended=b"", heartbeat=b"",
               worker=b"", extra=()):
    """Field order of Job.to_dict() in RQ 2.12 (as seen in HGETALL of real jobs)."""
    pairs = [
        (b"status", status),
        (b"created_at", created),
        (b"data", DATA),
        (b"success_callback_name", b""),
        (b"failure_callback_name", b""),
        (b"stopped_callback_name", b""),
        (b"started_at", started),
        (b"ended_at", ended),
        (b"last_heartbeat", heartbeat),
        (b"worker_name", worker),
        (b"group_id", b""),
        (b"origin", origin),
        (b"description", DESCRIPTION),
    ]
    if enqueued is not None:
        pairs.append((b"enqueued_at", enqueued))
    pairs.append((b"timeout", b"180"))
    pairs.extend(extra)
    return pairs


def hset_job(jid, pairs):
    return resp_head(2 + 2 * len(pairs)) + bulk(b"HSET") + bulk(b"rq:job:" + jid) + fields(pairs)


class Sink:
    """Buffers RESP and streams it to `redis-cli --pipe`."""

    def __init__(self, url, flush_bytes=4 << 20):
        cli = shutil.which("redis-cli")
        if not cli:
            sys.exit("fill: redis-cli not found on PATH")
        self.proc = subprocess.Popen([cli, "-u", url, "--pipe"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = []
        self.size = 0
        self.flush_bytes = flush_bytes
        self.commands = 0
        self.sent = 0

    def add(self, data, ncmds=1):
        self.buf.append(data)
        self.size += len(data)
        self.commands += ncmds
        if self.size >= self.flush_bytes:
            self.flush()

    def flush(self):
        if self.buf:
            data = b"".join(self.buf)
            self.proc.stdin.write(data)
            self.sent += len(data)
            self.buf = []
            self.size = 0

    def close(self):
        self.flush()
        self.proc.stdin.close()
        out = self.proc.stdout.read().decode(errors="replace")
        rc = self.proc.wait()
        # redis-cli --pipe prints "errors: N, replies: M" at the end.
        summary = [l for l in out.splitlines() if l.startswith("errors:")]
        errors = None
        if summary:
            try:
                errors = int(summary[-1].split(",")[0].split(":")[1])
            except ValueError:
                pass
        if rc != 0 or errors != 0:
            sys.exit(f"fill: redis-cli --pipe failed (rc={rc}):\n{out}")
        return summary[-1] if summary else out.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="redis://127.0.0.1:6379/0", help="target Redis URL (redis-cli -u form)")
    ap.add_argument("--queues", type=int, default=10, help="number of queues (named q0..q<N-1>)")
    ap.add_argument("--names", help="comma-separated queue names (overrides --queues)")
    ap.add_argument("--queued", type=int, default=1_000_000, help="queued jobs in total, spread evenly")
    ap.add_argument("--failed", type=int, default=100_000, help="failed jobs in total, spread evenly")
    ap.add_argument("--workers", type=int, default=200, help="registered workers")
    ap.add_argument("--extras", type=int, default=5,
                    help="per queue: this many finished, started, deferred and scheduled jobs")
    ap.add_argument("--no-results", action="store_true", help="skip the rq:results streams of failed jobs")
    ap.add_argument("--batch", type=int, default=10_000, help="jobs per RPUSH/ZADD batch")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--flush", action="store_true", help="FLUSHDB first")
    ap.add_argument("--append", action="store_true", help="allow a non-empty DB (default: refuse)")
    args = ap.parse_args()

    u = urlparse(args.url)
    if u.port in (None, 6379) and not os.environ.get("FILL_ALLOW_6379"):
        sys.exit("fill: refusing to write to port 6379 (set FILL_ALLOW_6379=1 to override)")

    names = args.names.split(",") if args.names else [f"q{i}" for i in range(args.queues)]
    nq = len(names)
    rng = random.Random(args.seed)

    def new_id():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()

    def new_hex():
        return uuid.UUID(int=rng.getrandbits(128), version=4).hex.encode()

    # Check emptiness / flush with a quick redis-cli call.
    dbsize = subprocess.run(["redis-cli", "-u", args.url, "DBSIZE"], capture_output=True, text=True)
    if dbsize.returncode != 0 or not dbsize.stdout.strip().lstrip("-").isdigit():
        sys.exit(f"fill: cannot reach {args.url}: {dbsize.stdout}{dbsize.stderr}")
    if args.flush:
        subprocess.run(["redis-cli", "-u", args.url, "FLUSHDB"], check=True, capture_output=True)
    elif int(dbsize.stdout) and not args.append:
        sys.exit(f"fill: DB at {args.url} has {dbsize.stdout.strip()} keys; use --flush or --append")

    start = time.perf_counter()
    now = time.time()
    nowi = int(now)
    clock = Clock(now)
    sink = Sink(args.url)

    def split(total):
        return [total // nq + (1 if k < total % nq else 0) for k in range(nq)]

    queued_per_q = split(args.queued)
    failed_per_q = split(args.failed)

    # ---- queues
    sink.add(resp(b"SADD", b"rq:queues", *[b"rq:queue:" + n.encode() for n in names]))

    # ---- queued jobs (created over the last ~hour, 3.6 ms apart on average per 1M)
    first_queued = {}
    done = 0
    span = 3600.0
    step = span / max(1, args.queued + args.failed)
    t = now - span - 600
    for qi, name in enumerate(names):
        origin = name.encode()
        qkey = b"rq:queue:" + origin
        left = queued_per_q[qi]
        while left > 0:
            n = min(args.batch, left)
            ids = [new_id() for _ in range(n)]
            if qi not in first_queued:
                first_queued[qi] = ids[0]
            parts = []
            for jid in ids:
                created = clock.ts(t)
                enq = clock.ts(t + 0.000300)
                t += step
                parts.append(hset_job(jid, job_fields(b"queued", origin, created, enqueued=enq)))
            sink.add(b"".join(parts), n)
            sink.add(resp_head(2 + n) + bulk(b"RPUSH") + bulk(qkey) + b"".join(bulk(j) for j in ids))
            left -= n
            done += n
            if done % 100_000 < n:
                log(f"queued {done}/{args.queued}  ({time.perf_counter() - start:.1f}s)")

    # ---- failed jobs
    done = 0
    wnames_for_failed = [new_hex() for _ in range(16)]
    for qi, name in enumerate(names):
        origin = name.encode()
        fkey = b"rq:failed:" + origin
        left = failed_per_q[qi]
        while left > 0:
            n = min(args.batch, left)
            parts = []
            zargs = []
            for k in range(n):
                jid = new_id()
                w = wnames_for_failed[k % len(wnames_for_failed)]
                created = clock.ts(t)
                enq = clock.ts(t + 0.0003)
                st_f = t + 0.2
                en_f = t + 0.2002
                t += step
                parts.append(hset_job(jid, job_fields(
                    b"failed", origin, created, enqueued=enq, started=clock.ts(st_f),
                    ended=clock.ts(en_f), heartbeat=clock.ts(en_f + 0.000001), worker=w)))
                parts.append(resp(b"EXPIRE", b"rq:job:" + jid, FAILURE_TTL))
                if not args.no_results:
                    parts.append(resp(b"XADD", b"rq:results:" + jid, b"MAXLEN", b"~", b"10", b"*",
                                      b"type", b"2", b"worker_name", w, b"exc_string", EXC_STRING_B64,
                                      b"execution_id", new_hex(),
                                      b"execution_started_at", b"%.6f" % (st_f - 0.0006),
                                      b"execution_ended_at", b"%.6f" % en_f))
                zargs.append(b"%d" % (int(en_f) + FAILURE_TTL))
                zargs.append(jid)
            sink.add(b"".join(parts), n * (2 if args.no_results else 3))
            sink.add(resp(b"ZADD", fkey, *zargs))
            left -= n
            done += n
            if done % 50_000 < n:
                log(f"failed {done}/{args.failed}  ({time.perf_counter() - start:.1f}s)")

    # ---- workers (first ones are busy with the started jobs)
    worker_names = [new_hex() for _ in range(args.workers)]
    worker_queues = []
    for i in range(args.workers):
        qs = [names[i % nq]] if nq == 1 else [names[i % nq], names[(i + 1) % nq]]
        worker_queues.append(qs)
    n_started = min(args.extras * nq, args.workers)
    busy_job = {}

    # ---- extras: finished, started, deferred, scheduled
    for qi, name in enumerate(names):
        origin = name.encode()
        for _ in range(args.extras):
            # finished, result_ttl=86400
            jid = new_id()
            tt = now - 120
            parts = [hset_job(jid, job_fields(
                b"finished", origin, clock.ts(tt), enqueued=clock.ts(tt + 0.0003),
                started=clock.ts(tt + 1), ended=clock.ts(tt + 1.0005), heartbeat=clock.ts(tt + 1.000501),
                worker=worker_names[qi % len(worker_names)] if worker_names else b"w",
                extra=[(b"result_ttl", b"%d" % RESULT_TTL)])),
                resp(b"EXPIRE", b"rq:job:" + jid, RESULT_TTL),
                resp(b"ZADD", b"rq:finished:" + origin, nowi + RESULT_TTL, jid),
                resp(b"XADD", b"rq:results:" + jid, b"MAXLEN", b"~", b"10", b"*", b"type", b"1",
                     b"worker_name", worker_names[qi % len(worker_names)] if worker_names else b"w",
                     b"return_value", RETURN_VALUE_B64, b"execution_id", new_hex(),
                     b"execution_started_at", b"%.6f" % (tt + 1), b"execution_ended_at", b"%.6f" % (tt + 1.0005)),
                resp(b"EXPIRE", b"rq:results:" + jid, RESULT_TTL)]
            sink.add(b"".join(parts), len(parts))

            # deferred: depends on the first queued job of the queue
            jid = new_id()
            tt = now - 60
            parent = first_queued.get(qi)
            extra = []
            if parent:
                extra = [(b"dependency_id", parent), (b"dependency_ids", json.dumps([parent.decode()]).encode())]
            parts = [hset_job(jid, job_fields(b"deferred", origin, clock.ts(tt), extra=extra)),
                     resp(b"ZADD", b"rq:deferred:" + origin, int(tt), jid)]
            if parent:
                parts.append(resp(b"SADD", b"rq:job:" + parent + b":dependents", jid))
                parts.append(resp(b"SADD", b"rq:job::" + jid + b":dependencies", parent))
            sink.add(b"".join(parts), len(parts))

            # scheduled in an hour
            jid = new_id()
            parts = [hset_job(jid, job_fields(b"scheduled", origin, clock.ts(now - 30))),
                     resp(b"ZADD", b"rq:scheduled:" + origin, nowi + 3600, jid)]
            sink.add(b"".join(parts), len(parts))

    # started jobs: one per busy worker, in the worker's first queue
    for wi in range(n_started):
        name = worker_queues[wi][0].encode()
        w = worker_names[wi]
        jid = new_id()
        x = new_hex()
        tt = now - 20
        parts = [hset_job(jid, job_fields(
            b"started", name, clock.ts(tt), enqueued=clock.ts(tt + 0.0003), started=clock.ts(tt + 1),
            heartbeat=clock.ts(tt + 1.0001), worker=w)),
            resp(b"ZADD", b"rq:wip:" + name, nowi + 86400, jid + b":" + x),
            resp(b"HSET", b"rq:execution:" + jid + b":" + x, b"id", x, b"created_at", b"%.6f" % (tt + 1),
                 b"last_heartbeat", b"%.6f" % (tt + 1), b"worker_name", w),
            resp(b"EXPIRE", b"rq:execution:" + jid + b":" + x, 86400),
            resp(b"ZADD", b"rq:executions:" + jid, nowi + 86400, x),
            resp(b"EXPIRE", b"rq:executions:" + jid, 86400)]
        busy_job[wi] = jid
        sink.add(b"".join(parts), len(parts))

    # workers
    for wi, w in enumerate(worker_names):
        wkey = b"rq:worker:" + w
        birth = now - 3000 - wi
        pairs = [(b"birth", clock.ts(birth)), (b"last_heartbeat", clock.ts(now - (wi % 300))),
                 (b"queues", ",".join(worker_queues[wi]).encode()), (b"pid", b"%d" % (10000 + wi)),
                 (b"hostname", b"bench-host-%d" % (wi % 8)), (b"ip_address", b"10.0.0.%d:%d" % (wi % 8 + 1, 40000 + wi)),
                 (b"version", b"2.12.0"), (b"python_version", PYVER)]
        if wi in busy_job:
            pairs += [(b"state", b"busy"), (b"current_job", busy_job[wi]), (b"current_job_working_time", b"19.5")]
        else:
            pairs += [(b"state", b"idle"), (b"current_job_working_time", b"0")]
        pairs += [(b"successful_job_count", b"%d" % (100 + wi)), (b"total_working_time", b"%.6f" % (12.5 + wi)),
                  (b"failed_job_count", b"%d" % (wi % 7))]
        parts = [resp_head(2 + 2 * len(pairs)) + bulk(b"HSET") + bulk(wkey) + fields(pairs),
                 resp(b"EXPIRE", wkey, 3600),
                 resp(b"SADD", b"rq:workers", wkey)]
        for qn in worker_queues[wi]:
            parts.append(resp(b"SADD", b"rq:workers:" + qn.encode(), wkey))
        sink.add(b"".join(parts), len(parts))

    log(f"generated {sink.commands} commands, waiting for redis-cli --pipe ...")
    summary = sink.close()
    log(f"done in {time.perf_counter() - start:.1f}s: {sink.sent / 1e6:.0f} MB of RESP; redis-cli: {summary}")


if __name__ == "__main__":
    main()
