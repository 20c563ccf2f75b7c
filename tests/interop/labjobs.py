"""Job functions used by the rqtop/rqctl interop harness.

Workers import this module as ``labjobs`` (the harness puts this directory on
PYTHONPATH), so the dotted names stored in Redis are ``labjobs.add`` etc.
"""

import time


def add(a, b):
    return a + b


def echo(*args, **kwargs):
    """Return the positional arguments unchanged (kwargs are accepted and ignored)."""
    return args


def slow(seconds):
    time.sleep(seconds)
    return seconds


def fail(msg):
    raise ValueError(msg)


def say(name):
    return f'hello {name}'


def fail_while(flag_key, n=0):
    """Fail while the Redis key `flag_key` exists, succeed once it is gone.

    Lets a test fail jobs with a real worker, clear the flag, requeue them, and see a real
    worker run them to success.
    """
    from rq import get_current_job

    if get_current_job().connection.exists(flag_key):
        raise RuntimeError(f'flag {flag_key} is set')
    return n
