#!/usr/bin/env python3
"""Build a known RQ state in Redis with real RQ, then report what RQ's own API sees.

Usage:
    python build_state.py --url redis://127.0.0.1:PORT/0 [--workdir DIR]

Run it with the interpreter of one of the interop venvs (.venv/rq2 or
.venv/rq1, see scripts/test-env.sh). It works unmodified with rq 2.12 and
rq 1.16; features the running RQ lacks are skipped and listed in "notes".

The state is built only through RQ's public Python API and real RQ processes
(`rq worker --burst`, a background `rq worker`, and on RQ >= 2.6 a background
`rq cron`). rq-scheduler entries are made through rq-scheduler's API.

stdout receives exactly one JSON document (see README.md); every log line goes
to stderr. Background processes that are left running (the busy worker and
the `rq cron` process) are listed in "pids". Each is the leader of its own
process group (start_new_session=True), so `kill -- -PID` (os.killpg) also
stops the worker's forked work-horse. On any error everything this script
started is killed, and it exits 1.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import labjobs  # noqa: E402
import redis  # noqa: E402
import rq  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq import registry as rq_registry  # noqa: E402
from rq.job import Job  # noqa: E402

warnings.simplefilter('ignore', DeprecationWarning)
# rq-scheduler's use of `crontab` emits a long FutureWarning on every cron() call.
warnings.simplefilter('ignore', FutureWarning)

WAIT_BUSY_TIMEOUT = 30.0  # seconds to wait for the background worker to pick up job-slow
BURST_TIMEOUT = 120.0  # seconds the burst worker may take
CRON_TIMEOUT = 30.0  # seconds to wait for `rq cron` to register and enqueue
SLOW_SECONDS = 600  # job-slow sleeps this long...
SLOW_JOB_TIMEOUT = 3600  # ...with a job timeout well above it (the default 180 s would kill it)

# The job args requested by the harness, kept here so the report can be checked.
JOB_ARGS_ARGS = (datetime.datetime(2026, 11, 23, 19, 35, 51, 40728), (1, 'two', 3.5), None)
JOB_ARGS_KWARGS = {'when': datetime.date(2026, 1, 2), 'flag': True, 'n': None}

# Registry classes in the order their counts are read (see read_queue_counts).
REGISTRY_ORDER = [
    ('started', 'StartedJobRegistry'),
    ('deferred', 'DeferredJobRegistry'),
    ('finished', 'FinishedJobRegistry'),
    ('failed', 'FailedJobRegistry'),
    ('scheduled', 'ScheduledJobRegistry'),
    ('canceled', 'CanceledJobRegistry'),
]


def log(msg):
    print(f'build_state: {msg}', file=sys.stderr, flush=True)


class BuildError(Exception):
    pass


def parse_version(text):
    parts = []
    for piece in text.split('.')[:3]:
        digits = ''.join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


RQ_VERSION = parse_version(rq.__version__)


class Processes:
    """Background processes started by this script (each in its own session)."""

    def __init__(self):
        self.procs = []  # (label, Popen)

    def start(self, label, argv, workdir, env):
        out = open(os.path.join(workdir, f'{label}.out'), 'wb')
        err = open(os.path.join(workdir, f'{label}.err'), 'wb')
        try:
            proc = subprocess.Popen(
                argv,
                cwd=HERE,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        finally:
            out.close()
            err.close()
        self.procs.append((label, proc))
        log(f'started {label} (pid {proc.pid}): {" ".join(argv)}')
        return proc

    def forget(self, proc):
        self.procs = [(label, p) for label, p in self.procs if p is not proc]

    def pids(self):
        """Every live process to kill: the ones started here and all their descendants.

        RQ's work-horse runs in its own process group (1.x: setsid, 2.x: setpgrp),
        so killing a worker's process group does not reach it; it is listed here.
        """
        pids = []
        for _, proc in self.procs:
            if proc.poll() is None:
                pids.append(proc.pid)
            pids.extend(descendants(proc.pid))
        return pids

    def describe(self):
        out = []
        for label, proc in self.procs:
            if proc.poll() is None:
                out.append({'role': label, 'pid': proc.pid})
            for pid in descendants(proc.pid):
                out.append({'role': f'{label} child (work-horse)' if label.endswith('-w') else f'{label} child',
                            'pid': pid})
        return out

    def kill_all(self):
        """SIGKILL everything this script started, work-horses included."""
        for pid in self.pids():  # collected before any kill, while the parent links still exist
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for label, proc in self.procs:
            try:
                proc.wait(timeout=10)
                log(f'killed {label} (pid {proc.pid})')
            except subprocess.TimeoutExpired:
                log(f'could not kill {label} (pid {proc.pid})')


def descendants(root):
    """Pids of all descendants of `root` (Linux /proc)."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', 'rb') as fh:
                stat = fh.read().decode('ascii', 'replace')
        except OSError:
            continue
        # the comm field is in parentheses and may contain spaces: split after the last ')'
        fields = stat[stat.rfind(')') + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tail(path, lines=30):
    try:
        with open(path, 'rb') as fh:
            data = fh.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(data[-lines:])
    except OSError as exc:
        return f'<cannot read {path}: {exc}>'


def subprocess_env():
    env = os.environ.copy()
    env['PYTHONPATH'] = HERE + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    env['PYTHONUNBUFFERED'] = '1'
    return env


def rq_cli(*args):
    # `python -m rq.cli` is the `rq` console script of the same interpreter/venv
    # (rq/cli/__main__.py exists in both rq 1.16 and 2.12).
    return [sys.executable, '-m', 'rq.cli', *args]


def wait_for(description, predicate, timeout, proc=None, proc_log=None, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise BuildError(
                f'{description}: process {proc.pid} exited with code {proc.returncode}\n'
                f'--- {proc_log} (tail) ---\n{tail(proc_log)}'
            )
        if time.monotonic() >= deadline:
            extra = f'\n--- {proc_log} (tail) ---\n{tail(proc_log)}' if proc_log else ''
            raise BuildError(f'timed out after {timeout:.0f} s waiting for {description}{extra}')
        time.sleep(interval)


def job_status(conn, job_id):
    try:
        return Job.fetch(job_id, connection=conn).get_status()
    except Exception:  # NoSuchJobError and friends
        return None


# --------------------------------------------------------------------------- building


def build(conn, url, workdir, procs, notes, created):
    env = subprocess_env()
    default = Queue('default', connection=conn)

    def remember(job, label=None):
        created.append((job.id, label or job.id))
        return job

    # 1. Jobs for the burst worker.
    remember(default.enqueue(labjobs.echo, args=JOB_ARGS_ARGS, kwargs=JOB_ARGS_KWARGS, job_id='job-args'))
    remember(default.enqueue(labjobs.add, 1, 2), 'add (uuid id, burst)')
    remember(default.enqueue(labjobs.add, 3, 4), 'add (uuid id, burst)')
    remember(default.enqueue(labjobs.fail, 'kaboom', job_id='job-fail'))
    remember(default.enqueue(labjobs.add, 2, 3, job_id='job-ok'))

    # 2. rq worker --burst default
    err_path = os.path.join(workdir, 'burst-w.err')
    burst = procs.start('burst-w', rq_cli('worker', '--burst', '--name', 'burst-w', '--url', url, 'default'),
                        workdir, env)
    try:
        burst.wait(timeout=BURST_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BuildError(f'burst worker did not finish within {BURST_TIMEOUT:.0f} s\n{tail(err_path)}')
    if burst.returncode != 0:
        raise BuildError(f'burst worker exited with {burst.returncode}\n--- {err_path} ---\n{tail(err_path)}')
    procs.forget(burst)
    expected = {'job-args': 'finished', 'job-ok': 'finished', 'job-fail': 'failed'}
    for job_id, _ in created:
        expected.setdefault(job_id, 'finished')
    for job_id, want in expected.items():
        got = job_status(conn, job_id)
        if got != want:
            raise BuildError(f'after the burst worker {job_id} is {got!r}, expected {want!r}\n{tail(err_path)}')

    # 3. Jobs that stay queued (no worker consumes `default` from now on).
    remember(default.enqueue(labjobs.add, 5, 6, job_id='job-queued'))
    remember(default.enqueue(labjobs.add, 7, 8), 'add (uuid id, queued)')
    remember(default.enqueue(labjobs.add, 9, 10), 'add (uuid id, queued)')

    # 4. Deferred: job-deferred (default) waits for job-parent, queued in `other` (never worked).
    other = Queue('other', connection=conn)
    parent = remember(other.enqueue(labjobs.add, 0, 0, job_id='job-parent'))
    remember(default.enqueue(labjobs.add, 11, 12, job_id='job-deferred', depends_on=parent))

    # 5. Scheduled (RQ's own ScheduledJobRegistry).
    remember(default.enqueue_in(datetime.timedelta(hours=1), labjobs.add, 1, 2, job_id='job-sched'))

    # 6. Canceled (Job.cancel exists since rq 1.10).
    cancel_job = remember(default.enqueue(labjobs.add, 13, 14, job_id='job-cancel'))
    if RQ_VERSION >= (1, 10, 0):
        cancel_job.cancel()
    else:
        notes.append(f'rq {rq.__version__} has no Job.cancel(): job-cancel left queued')

    # 7. A busy worker: background `rq worker slowq --name busy-w` running job-slow.
    busy_log = os.path.join(workdir, 'busy-w.err')
    busy = procs.start('busy-w', rq_cli('worker', '--name', 'busy-w', '--url', url, 'slowq'), workdir, env)
    slowq = Queue('slowq', connection=conn)
    # Two short jobs first, so that busy-w's counters (successful_job_count, failed_job_count,
    # total_working_time) are not zero when it reaches job-slow.
    remember(slowq.enqueue(labjobs.add, 5, 5, job_id='job-warm-ok'))
    remember(slowq.enqueue(labjobs.fail, 'warm-up failure', job_id='job-warm-fail'))
    remember(slowq.enqueue(labjobs.slow, SLOW_SECONDS, job_id='job-slow', job_timeout=SLOW_JOB_TIMEOUT))
    worker_key = Worker.redis_worker_namespace_prefix + 'busy-w'

    def busy_on_slow():
        worker = Worker.find_by_key(worker_key, connection=conn)
        if worker is None:
            return False
        return (
            worker.get_state() == 'busy'
            and worker.get_current_job_id() == 'job-slow'
            and job_status(conn, 'job-slow') == 'started'
        )

    wait_for('worker busy-w to be busy on job-slow', busy_on_slow, WAIT_BUSY_TIMEOUT, busy, busy_log)
    log('busy-w is busy on job-slow')

    # 8. rq-scheduler entries (stored in rq:scheduler:scheduled_jobs; no rqscheduler process runs).
    from rq_scheduler import Scheduler

    scheduler = Scheduler(queue_name='default', connection=conn)
    remember(scheduler.cron('*/5 * * * *', func=labjobs.say, args=['cron'], id='cron-nightly', queue_name='low'))
    remember(
        scheduler.schedule(
            scheduled_time=datetime.datetime.utcnow() + datetime.timedelta(minutes=10),
            func=labjobs.add,
            args=[1, 1],
            interval=60,
            repeat=3,
            id='rqs-interval',
        )
    )

    # 9. RQ's own cron (rq >= 2.6 with rq.cron): a background `rq cron` process with an
    #    interval job (enqueued once at start into `cronq`, next run in 24 h) and a cron-string
    #    job that only fires on 1 January.
    cron_info = None
    try:
        import rq.cron as rq_cron  # noqa: F401
        have_cron = RQ_VERSION >= (2, 6, 0)
    except ImportError:
        have_cron = False
    if have_cron:
        cron_info = start_rq_cron(conn, url, workdir, procs, env, created)
    else:
        notes.append(f'rq {rq.__version__} has no rq.cron: RQ cron state skipped')
    return cron_info


CRON_CONFIG = '''\
from rq import cron

import labjobs

cron.register(labjobs.add, queue_name='cronq', args=(20, 22), interval=86400, name='rq-cron-interval')
cron.register(labjobs.say, queue_name='low', args=('new year',), cron='0 0 1 1 *', name='rq-cron-yearly')
'''


def start_rq_cron(conn, url, workdir, procs, env, created):
    from rq.cron import CronScheduler, get_cron_job_ids

    config_path = os.path.join(workdir, 'cronconf.py')
    with open(config_path, 'w') as fh:
        fh.write(CRON_CONFIG)
    cron_log = os.path.join(workdir, 'rq-cron.err')
    proc = procs.start('rq-cron', rq_cli('cron', '--url', url, config_path), workdir, env)

    state = {}

    def registered_and_enqueued():
        # cleanup=False: read only, do not prune stale scheduler entries.
        mine = [s for s in CronScheduler.all(conn, cleanup=False) if s.pid == proc.pid]
        if not mine:
            return False
        jobs = {job.name: job for job in mine[0].get_jobs()}
        interval_job = jobs.get('rq-cron-interval')
        if interval_job is None or interval_job.latest_enqueue_time is None:
            return False
        ids = get_cron_job_ids('rq-cron-interval', conn)
        if not ids:
            return False
        state['scheduler'] = mine[0]
        state['ids'] = ids
        return True

    wait_for('`rq cron` to register and enqueue rq-cron-interval', registered_and_enqueued,
             CRON_TIMEOUT, proc, cron_log)
    for job_id in state['ids']:
        created.append((job_id, 'rq cron rq-cron-interval (uuid id)'))
    log(f'rq cron {state["scheduler"].name} is up')
    return {'pid': proc.pid, 'config_file': config_path}


# --------------------------------------------------------------------------- reading


def read_queue_counts(conn, queue, warnings_out):
    """Counts for one queue, as RQ's own API reports them.

    `Queue.count` is a plain LLEN. A registry's `.count` first runs that
    registry's `cleanup()`, which is a WRITE:
      * StartedJobRegistry.cleanup moves wip entries whose score (heartbeat
        expiry) has passed to the FailedJobRegistry (status failed, results
        stream entry, ZREMRANGEBYSCORE on rq:wip);
      * DeferredJobRegistry.cleanup moved expired deferred jobs to failed in
        rq 2.0-2.7 (no-op in 1.x and 2.8+);
      * Finished/FailedJobRegistry.cleanup ZREMRANGEBYSCORE their expired
        members;
      * Scheduled/CanceledJobRegistry cleanup is a no-op.
    So started and deferred are read first (their cleanup can only ADD to
    failed), then finished and failed, then the no-op ones: every count is
    read after any cleanup that could change it, and reading never changes a
    count that was already read. On this freshly built state nothing has
    expired (wip scores are ~90 s ahead and refreshed by the live worker,
    finished entries live 500 s, failed ones a year), so the cleanups delete
    nothing. As a check, each registry's ZCARD is also taken BEFORE its
    `.count`; any difference is reported on stderr and in "warnings".
    `rqctl info --json` (which never writes) must report the same numbers.
    """
    counts = {'name': queue.name, 'queued': queue.count}
    for field, class_name in REGISTRY_ORDER:
        cls = getattr(rq_registry, class_name, None)
        if cls is None:
            counts[field] = None
            warnings_out.append(f'rq {rq.__version__} has no {class_name}: {field} reported as null')
            continue
        reg = cls(queue=queue)
        raw_before = conn.zcard(reg.key)
        counts[field] = reg.count
        if raw_before != counts[field]:
            warnings_out.append(
                f'{reg.key}: ZCARD was {raw_before} before {class_name}.count returned {counts[field]} '
                '(its cleanup removed or moved entries)'
            )
    counts['workers'] = len(Worker.all(queue=queue))
    return counts


def exc_text(job):
    """The traceback RQ stored for a failed job, and where it came from."""
    try:
        result = job.latest_result()
    except Exception as exc:  # results streams need Redis >= 5
        log(f'latest_result() failed for {job.id}: {exc!r}')
        result = None
    if result is not None and getattr(result, 'exc_string', None):
        return result.exc_string, 'results-stream'
    legacy = job.exc_info  # 1.x / legacy hash field `exc_info`
    if legacy:
        return legacy, 'job-hash-exc_info'
    return None, None


def describe_job(conn, job_id, label):
    try:
        job = Job.fetch(job_id, connection=conn)
    except Exception as exc:
        return {'status': None, 'error': f'{type(exc).__name__}: {exc}', 'label': label}
    info = {
        'status': job.get_status(),
        'origin': job.origin,
        'func_name': job.func_name,
        'description': job.description,
    }
    if label != job_id:
        info['label'] = label
    if job_id == 'job-args':
        info['args_repr'] = [repr(arg) for arg in job.args]
        info['kwargs_repr'] = {key: repr(value) for key, value in job.kwargs.items()}
    if info['status'] in ('failed', 'stopped'):
        info['exc_info'], info['exc_source'] = exc_text(job)
    return info


def read_state(conn, created, cron_info, notes, warnings_out):
    queues = sorted(Queue.all(connection=conn), key=lambda q: q.name)
    report_queues = [read_queue_counts(conn, q, warnings_out) for q in queues]

    workers = []
    for worker in sorted(Worker.all(connection=conn), key=lambda w: w.name):
        workers.append({
            'name': worker.name,
            'state': worker.get_state(),
            'queues': worker.queue_names(),
            'current_job': worker.get_current_job_id(),
        })

    jobs = {}
    for job_id, label in created:
        jobs[job_id] = describe_job(conn, job_id, label)
        if jobs[job_id]['status'] is None and 'error' not in jobs[job_id]:
            notes.append(f'{job_id}: the job hash has no status field; Job.get_status() returns None '
                         '(reported as null)')

    from rq_scheduler import Scheduler

    scheduler = Scheduler(queue_name='default', connection=conn)
    rqs = []
    for job, when in scheduler.get_jobs(with_times=True):
        rqs.append({'id': job.id, 'scheduled_for': when.isoformat(), 'origin': job.origin,
                    'meta': {k: v for k, v in job.meta.items() if isinstance(v, (str, int, float, bool))}})
    rqs.sort(key=lambda item: item['id'])

    rq_cron_report = None
    if cron_info is not None:
        from rq import cron_job_registry
        from rq.cron import CronScheduler

        schedulers = []
        for sched in sorted(CronScheduler.all(conn, cleanup=False), key=lambda s: s.name):
            schedulers.append({
                'name': sched.name,
                'pid': sched.pid,
                'config_file': sched.config_file,
                'cron_jobs': [job.name for job in sched.get_jobs()],
            })
        rq_cron_report = {
            'pid': cron_info['pid'],
            'schedulers': schedulers,
            'cron_job_names': cron_job_registry.get_names(conn, cleanup=False),
        }
    return report_queues, workers, jobs, rqs, rq_cron_report


# --------------------------------------------------------------------------- main


def check_empty(conn):
    leftovers = []
    for key in conn.scan_iter(match='rq:*', count=500):
        leftovers.append(key.decode('utf-8', 'replace') if isinstance(key, bytes) else key)
        if len(leftovers) >= 5:
            break
    if leftovers:
        raise BuildError(
            'the database already holds RQ keys (e.g. ' + ', '.join(leftovers) + '); '
            'build_state.py needs an empty database (use a fresh redis-server or another --url DB)'
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--url', required=True, help='redis://HOST:PORT/DB of a PRIVATE, empty database')
    parser.add_argument('--workdir', help='directory for worker logs and the rq cron config '
                                          '(default: a new temporary directory)')
    args = parser.parse_args()

    workdir = args.workdir or tempfile.mkdtemp(prefix='rq-interop-')
    os.makedirs(workdir, exist_ok=True)
    workdir = os.path.abspath(workdir)

    # Anything printed by libraries goes to stderr; stdout is only the JSON document.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    # Turn SIGTERM/SIGHUP into an exception so started processes are cleaned up.
    def on_signal(signum, frame):
        raise KeyboardInterrupt(f'signal {signum}')

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    procs = Processes()
    notes = []
    warnings_out = []
    created = []  # (job id, label) in creation order
    log(f'rq {rq.__version__}, redis-py {redis.__version__}, python {sys.version.split()[0]}, workdir {workdir}')
    try:
        conn = redis.Redis.from_url(args.url)
        conn.ping()
        check_empty(conn)
        cron_info = build(conn, args.url, workdir, procs, notes, created)
        queues, workers, jobs, rqs, rq_cron_report = read_state(conn, created, cron_info, notes, warnings_out)
    except BaseException as exc:
        if isinstance(exc, BuildError):
            log(f'ERROR: {exc}')
        else:
            log('ERROR: unexpected exception:\n' + traceback.format_exc())
        procs.kill_all()
        log(f'logs are in {workdir}')
        sys.exit(1)

    for warning in warnings_out:
        log(f'WARNING: {warning}')

    report = {
        'rq_version': rq.__version__,
        'redis_py_version': redis.__version__,
        'url': args.url,
        'workdir': workdir,
        'queues': queues,
        'workers': workers,
        'jobs': jobs,
        'rq_scheduler': {'key': 'rq:scheduler:scheduled_jobs', 'jobs': rqs},
        'rq_cron': rq_cron_report,
        'notes': notes,
        'warnings': warnings_out,
        'pids': procs.pids(),
        'processes': procs.describe(),
    }
    real_stdout.write(json.dumps(report, indent=2, sort_keys=False) + '\n')
    real_stdout.flush()


if __name__ == '__main__':
    main()
