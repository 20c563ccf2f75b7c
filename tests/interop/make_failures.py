"""Fails jobs for real with a forking `rq worker --burst`: seven causes over three queues.

usage: make_failures.py URL [CORPUS_DIR]
Prints a JSON object {cause: [job ids]}. With CORPUS_DIR, also writes each failed job's
latest traceback there as <rqmajor>-<cause>-<n>.txt (the normaliser's test corpus).
"""

import json
import os
import subprocess
import sys

import rq
from redis import Redis
from rq import Queue
from rq.job import Job

import failjobs

URL = sys.argv[1]
CORPUS = sys.argv[2] if len(sys.argv) > 2 else None
r = Redis.from_url(URL)
emails, billing, reports = (Queue(n, connection=r) for n in ('emails', 'billing', 'reports'))
causes = {}


def add(cause, queue, func, *args, **kwargs):
    job = queue.enqueue(func, *args, **kwargs)
    causes.setdefault(cause, []).append(job.id)


for i in range(3):
    add('zerodiv', reports, failjobs.divide, 10 + i, 0)
    add('zerodiv-average', emails, failjobs.average, [])
    add('connection', emails, failjobs.sync_cache, f'127.0.0.{2 + i}', 6390 + 7 * i)
    add('keyerror', billing, failjobs.lookup, f'user-{1000 + 17 * i}')
    add('keyerror', reports, failjobs.lookup, f'order_{i}x{i * 31}')
    add('appexc', billing, failjobs.charge, f'4111-{i}{i}{i}', 9000 + i, 12.5 * (i + 1))
for i in range(2):
    add('timeout', reports, failjobs.slow, 30, job_timeout=1)
    add('killed', emails, failjobs.die)
add('ok', emails, failjobs.ok, 1)

subprocess.run(
    [sys.executable, '-m', 'rq.cli', 'worker', '--burst', '--url', URL,
     'emails', 'billing', 'reports'],
    check=True, capture_output=True, cwd=os.path.dirname(os.path.abspath(failjobs.__file__)),
)

if CORPUS:
    os.makedirs(CORPUS, exist_ok=True)
    major = rq.VERSION.split('.')[0]
    for cause, ids in causes.items():
        for n, jid in enumerate(ids):
            job = Job.fetch(jid, connection=r)
            text = None
            try:
                res = job.latest_result()
                text = res.exc_string if res is not None else None
            except Exception:
                pass
            text = text or job.exc_info
            if text:
                with open(os.path.join(CORPUS, f'rq{major}-{cause}-{n}.txt'), 'w') as f:
                    f.write(text)
print(json.dumps(causes))
