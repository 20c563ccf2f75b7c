#!/usr/bin/env python3
"""Helper of tui_measure.py: a keyspace event storm on rq:* keys.

    tui_storm.py --url redis://127.0.0.1:P/0 --rate 10000 --seconds 10 --out storm.json

Every write makes exactly one keyspace event (`__keyspace@0__:<key>`). The mix per 4 writes:
2x HSET rq:worker:<name> last_heartbeat <ts> (worker heartbeats, over the registered
workers), 1x RPUSH rq:queue:_storm, 1x LPOP rq:queue:_storm (the list is seeded with one
item so it never empties, which would add a `del` event). The storm list is not in
rq:queues, so the queue counts rqtop shows do not move. Writes go out in pipelined
batches every 10 ms, paced to the wall clock. Writes the writes done and the elapsed time.
"""

import argparse
import json
import time
from datetime import datetime, timezone

import redis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rate", type=int, default=10000, help="writes (= events) per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    r = redis.Redis.from_url(a.url)
    workers = sorted(k.decode() for k in r.smembers("rq:workers")) or ["rq:worker:_storm"]
    r.delete("rq:queue:_storm")
    r.rpush("rq:queue:_storm", "seed")
    tick = 0.01
    t0 = time.perf_counter()
    done = 0
    i = 0
    while True:
        now = time.perf_counter() - t0
        if now >= a.seconds:
            break
        target = int(min(now + tick, a.seconds) * a.rate)
        n = target - done
        if n > 0:
            ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            p = r.pipeline(transaction=False)
            for _ in range(n):
                k = i % 4
                if k < 2:
                    p.hset(workers[(i // 2) % len(workers)], "last_heartbeat", ts)
                elif k == 2:
                    p.rpush("rq:queue:_storm", i)
                else:
                    p.lpop("rq:queue:_storm")
                i += 1
            p.execute()
            done += n
        slack = t0 + (done / a.rate) - time.perf_counter()
        if slack > 0:
            time.sleep(slack)
    elapsed = time.perf_counter() - t0
    r.delete("rq:queue:_storm")
    with open(a.out, "w") as f:
        json.dump({"writes": done, "elapsed_s": elapsed, "events_per_s": done / elapsed}, f)


if __name__ == "__main__":
    main()
