"""Prints, as JSON, the state of every RQ queue as RQ's own Python API reports it.

Used to compare the result of an rqctl mutation with the result of RQ's own operation
on identical data. Usage: python rqstate.py URL [JOB_ID ...]
"""
import json
import sys

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import (CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry,
                         FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry)

conn = Redis.from_url(sys.argv[1])
state = {"queues": {}, "jobs": {}}
for q in sorted(Queue.all(connection=conn), key=lambda q: q.name):
    regs = {}
    for name, cls in [("started", StartedJobRegistry), ("deferred", DeferredJobRegistry),
                      ("finished", FinishedJobRegistry), ("failed", FailedJobRegistry),
                      ("scheduled", ScheduledJobRegistry), ("canceled", CanceledJobRegistry)]:
        regs[name] = sorted(cls(queue=q).get_job_ids())
    state["queues"][q.name] = {"job_ids": q.get_job_ids(), "registries": regs}
for job_id in sys.argv[2:]:
    if not Job.exists(job_id, connection=conn):
        state["jobs"][job_id] = None
        continue
    job = Job.fetch(job_id, connection=conn)
    state["jobs"][job_id] = {
        "status": str(job.get_status(refresh=True)),
        "origin": job.origin,
        "has_started_at": job.started_at is not None,
        "has_ended_at": job.ended_at is not None,
        "has_enqueued_at": job.enqueued_at is not None,
    }
print(json.dumps(state, sort_keys=True))
