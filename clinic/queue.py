"""Sending a Celery task without letting a broker outage break the page that asked for it.

The database row is the work item; the task only says "now would be a good time". When the broker
cannot be reached the row stays unsent and a beat sweep of the owning app queues it once the broker
is back, so a page never answers 500 because Redis (or whichever broker) is down.
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

BROKER_DOWN = (OperationalError, OSError)


def send_task(task, *args, **options):
    """``task.apply_async(args, **options)``; True if it was queued, False (and a warning) if the broker
    is down."""
    try:
        task.apply_async(args, **options)
    except BROKER_DOWN as error:
        log.warning("broker unreachable, %s not queued (%s); a sweep sends it later", task.name, error)
        return False
    return True


def send_task_on_commit(task, *args):
    """Queue the task once the current transaction commits (the row it names must exist first)."""
    transaction.on_commit(lambda: send_task(task, *args))
