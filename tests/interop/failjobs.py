"""Jobs that fail for real, for the failure-signature interop test and corpus.

Each cause fails the way it does in production code: the varying parts (keys, hosts,
ports, amounts) differ per job, and the signature must collapse them.
"""

import os
import signal
import time

import redis


class PaymentDeclined(Exception):
    """An application's own exception class."""


def divide(a, b):
    return a / b


def average(values):
    return sum(values) / len(values)


def sync_cache(host, port):
    # A real redis-py ConnectionError: "Error 111 connecting to 127.0.0.5:6391. ..."
    client = redis.Redis(host=host, port=port, socket_connect_timeout=1)
    return client.ping()


def lookup(key):
    table = {'known': 1}
    return table[key]


def charge(card, order, amount):
    raise PaymentDeclined(f'card {card} declined for order {order} ({amount:.2f} EUR)')


def slow(seconds):
    time.sleep(seconds)
    return seconds


def die():
    # The work-horse kills itself as the OOM killer would.
    os.kill(os.getpid(), signal.SIGKILL)


def ok(n):
    return n
