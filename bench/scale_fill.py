#!/usr/bin/env python3
"""Fill a Redis DB with many queues and many workers (the shape of "Scale and memory").

Helper of scale_bench.sh. It reuses fill.py's RESP helpers and job field order, and streams
everything to `redis-cli --pipe` (which checks every reply): 100,000 queues and 50,000
workers take ~10 s.

* `rq:queues` ∋ `rq:queue:q<i>` for i in 0..QUEUES. Every `--every`-th queue holds 1..5 queued
  jobs (RPUSH + job hash, as RQ 2.12 writes them); every 10th queue has 1 failed job (hash +
  `rq:failed:<q>`).
* Workers `rq:worker:<hex>` (rq/rq-data-model §2.10 fields: birth, last_heartbeat, queues,
  pid, hostname, ip_address, version, python_version, state, counters; EXPIRE 3600), each
  in `rq:workers` and in `rq:workers:<q>` for each of its `--per-worker` queues. Worker w
  listens on queues (w + k * QUEUES / per_worker) mod QUEUES, k = 0..per_worker-1, so every
  queue has one or more listeners. Every 10th worker is busy (a started job in `rq:wip:<q>`
  and `current_job`); every 50th is dead (`death` written, as RQ leaves it for 60 s); every
  97th is stopping (`shutdown_requested_date`).

Prints one JSON line on stdout with what it wrote, including the expected listener total
(sum of per-queue live listener counts), so the benchmark can check rqctl's numbers.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fill import PYVER, Clock, Sink, bulk, fields, hset_job, job_fields, resp, resp_head  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="target Redis URL (redis-cli -u form)")
    ap.add_argument("--queues", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=50_000)
    ap.add_argument("--per-worker", type=int, default=2, help="queues each worker listens on")
    ap.add_argument("--every", type=int, default=4, help="every N-th queue holds 1..5 queued jobs")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    port = args.url.rsplit(":", 1)[-1].split("/")[0]
    if port in ("", "6379"):
        sys.exit("scale_fill: refusing to write to port 6379")

    rng = random.Random(args.seed)

    def new_id():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()

    start = time.perf_counter()
    now = time.time()
    nowi = int(now)
    clock = Clock(now)
    sink = Sink(args.url)
    nq = args.queues
    names = [b"q%d" % i for i in range(nq)]

    # ---- queues (SADD in chunks: one reply each)
    for i in range(0, nq, 10_000):
        chunk = names[i:i + 10_000]
        sink.add(resp_head(2 + len(chunk)) + bulk(b"SADD") + bulk(b"rq:queues")
                 + b"".join(bulk(b"rq:queue:" + n) for n in chunk))

    # ---- a few queued jobs in some queues, one failed job in every 10th
    queued = failed = 0
    t = now - 3600
    for i, name in enumerate(names):
        if i % args.every == 0:
            n = 1 + (i // args.every) % 5
            ids = [new_id() for _ in range(n)]
            parts = []
            for jid in ids:
                parts.append(hset_job(jid, job_fields(b"queued", name, clock.ts(t), enqueued=clock.ts(t + 0.0003))))
                t += 0.01
            parts.append(resp_head(2 + n) + bulk(b"RPUSH") + bulk(b"rq:queue:" + name)
                         + b"".join(bulk(j) for j in ids))
            sink.add(b"".join(parts), n + 1)
            queued += n
        if i % 10 == 5:
            jid = new_id()
            sink.add(hset_job(jid, job_fields(b"failed", name, clock.ts(t), enqueued=clock.ts(t + 0.0003),
                                              started=clock.ts(t + 1), ended=clock.ts(t + 2),
                                              heartbeat=clock.ts(t + 2), worker=b"gone"))
                     + resp(b"ZADD", b"rq:failed:" + name, nowi + 31536000, jid), 2)
            failed += 1

    # ---- workers
    stride = max(1, nq // max(1, args.per_worker))
    listeners = 0
    busy = dead = stopping = 0
    for w in range(args.workers):
        wname = uuid.UUID(int=rng.getrandbits(128), version=4).hex.encode()
        wkey = b"rq:worker:" + wname
        qs = []
        for k in range(args.per_worker):
            q = names[(w + k * stride) % nq]
            if q not in qs:
                qs.append(q)
        pairs = [(b"birth", clock.ts(now - 3000 - w % 1000)), (b"last_heartbeat", clock.ts(now - w % 300)),
                 (b"queues", b",".join(qs)), (b"pid", b"%d" % (10000 + w)),
                 (b"hostname", b"scale-host-%d" % (w % 16)), (b"ip_address", b"10.0.%d.%d:%d" % (w % 16, w % 250 + 1, 40000 + w % 20000)),
                 (b"version", b"2.12.0"), (b"python_version", PYVER)]
        parts = []
        is_dead = w % 50 == 49
        if w % 10 == 0 and not is_dead:
            jid = new_id()
            q = qs[0]
            parts.append(hset_job(jid, job_fields(b"started", q, clock.ts(now - 20), enqueued=clock.ts(now - 19.9),
                                                  started=clock.ts(now - 19), heartbeat=clock.ts(now - 1), worker=wname)))
            parts.append(resp(b"ZADD", b"rq:wip:" + q, nowi + 86400, jid + b":" + uuid.UUID(int=rng.getrandbits(128)).hex.encode()))
            pairs += [(b"state", b"busy"), (b"current_job", jid), (b"current_job_working_time", b"19.5")]
            busy += 1
        else:
            pairs += [(b"state", b"idle"), (b"current_job_working_time", b"0")]
        pairs += [(b"successful_job_count", b"%d" % (100 + w % 1000)), (b"total_working_time", b"%.6f" % (12.5 + w % 100)),
                  (b"failed_job_count", b"%d" % (w % 7))]
        if is_dead:
            pairs.append((b"death", clock.ts(now - 5)))
            dead += 1
        elif w % 97 == 3:
            pairs.append((b"shutdown_requested_date", clock.ts(now - 2)))
            stopping += 1
        if not is_dead:
            listeners += len(qs)
        parts.append(resp_head(2 + 2 * len(pairs)) + bulk(b"HSET") + bulk(wkey) + fields(pairs))
        parts.append(resp(b"EXPIRE", wkey, 3600))
        parts.append(resp(b"SADD", b"rq:workers", wkey))
        for q in qs:
            parts.append(resp(b"SADD", b"rq:workers:" + q, wkey))
        sink.add(b"".join(parts), len(parts))

    summary = sink.close()
    secs = time.perf_counter() - start
    print(f"scale_fill: {nq} queues, {args.workers} workers in {secs:.1f}s; redis-cli: {summary}",
          file=sys.stderr, flush=True)
    print(json.dumps({"queues": nq, "workers": args.workers, "queued": queued, "failed": failed,
                      "busy": busy, "dead": dead, "stopping": stopping, "listeners": listeners,
                      "fill_s": round(secs, 1)}))


if __name__ == "__main__":
    main()
