"""Mapping a function over a stream of items in worker processes, results in the items' order.

A bulk export spends its time in fhir.resources validating what it builds, one CPU's worth of pure
Python per process: several processes, each building its own chunks of patients, are what make it use
the machine. The results come back in order, so the one process that writes the files and the
checkpoint sees exactly what a single process would have made, in the same order; at most
``2 * jobs`` chunks are in flight, so memory does not grow with the clinic.

The workers are forked: they start with the caller's settings (in tests, the test database) and with
the function as it stands, nothing pickled but the items and the results. Each opens its own database
connection, which is why the caller's are closed before the fork: a connection shared by two processes
corrupts both.
"""

import multiprocessing
import os
import signal
from collections import deque
from contextlib import contextmanager
from multiprocessing.util import Finalize

from asgiref.local import Local
from django.db import connection, connections

#: Beyond this the database, not the CPU, is what more processes wait for; --jobs can go higher.
DEFAULT_JOBS_CAP = 4

_function = None


def default_jobs():
    """One process per CPU, up to DEFAULT_JOBS_CAP."""
    return max(1, min(os.cpu_count() or 1, DEFAULT_JOBS_CAP))


def why_one_process():
    """Why worker processes cannot be used here, or None when they can."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return "this system cannot fork processes"
    if multiprocessing.current_process().daemon:
        return "a daemon process (a task queue's worker) may not start processes"
    if connection.in_atomic_block:
        return "inside a transaction, whose changes other processes cannot see"
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return "an in-memory SQLite database is not visible to other processes"
    return None


@contextmanager
def ordered_map(function, jobs):
    """A ``map`` (items -> results of ``function``, in order) running in ``jobs`` processes; in this
    process when jobs is 1 or ``why_one_process()`` says why it must."""
    if jobs <= 1 or why_one_process():
        yield lambda items: map(function, items)
        return
    connections.close_all()
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(function,))
    try:
        yield lambda items: _in_order(pool, items, window=2 * jobs)
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def _in_order(pool, items, window):
    pending = deque()
    for item in items:
        pending.append(pool.apply_async(_call, (item,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _start_worker(function):
    """Ctrl-C is the parent's to handle (it stops the pool); the database connection closes on exit."""
    global _function
    _function = function
    # Whatever database connections the fork copied (the caller's, another thread's) belong to the
    # parent: this process never touches them and opens its own.
    connections._connections = Local(connections.thread_critical)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Finalize(None, connections.close_all, exitpriority=10)


def _call(item):
    return _function(item)
