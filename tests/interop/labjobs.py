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
