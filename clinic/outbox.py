"""Messages sent exactly once from database rows (clinic.models.OutboxMessage).

The row is created in the same transaction as its cause, so a message is never lost when the broker
is down and never created twice. Beat runs a dispatcher every minute that claims due rows here, sends
them and records the outcome; two dispatchers at once never claim the same row.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)


def backoff(attempts: int, *, base_seconds: int = 60, cap_seconds: int = 3600) -> timedelta:
    """Wait before the next try after ``attempts`` failures: ``base * 2**(attempts - 1)``, at most the cap."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if base_seconds <= 0 or cap_seconds <= 0:
        raise ValueError("base_seconds and cap_seconds must be positive")
    # Limit the exponent so a huge attempt count cannot build a huge integer; past this the cap applies.
    exponent = min(attempts - 1, cap_seconds.bit_length())
    return timedelta(seconds=min(base_seconds * 2**exponent, cap_seconds))


#: A row left "sending" this long (a worker died mid-send) is claimed again.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 6


def claim_due(model, *, now=None, limit=50, related=()):
    """Claim due rows of `model` for this dispatcher. PostgreSQL skips rows another transaction has
    locked, and the claim is a conditional update, so each row goes to one dispatcher."""
    now = now or timezone.now()
    Status = model.Status
    with transaction.atomic():
        due = (
            model.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status__in=[Status.PENDING, Status.FAILED], due_at__lte=now)
                | Q(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
            )
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        claimed = model.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_at=now)
    if not claimed:
        return []
    return list(model.objects.filter(pk__in=ids, claimed_at=now).select_related(*related))


def dispatch(model, send, *, now=None, limit=50, related=(), transient=(OSError,)):
    """Claim what is due and call `send(row)` for each. `send` returns False when the row no longer
    needs sending (it is then cancelled). A `transient` error is retried with backoff; a ValueError
    (a bad address, say) gives up at once. Returns how many were sent."""
    sent = 0
    for row in claim_due(model, now=now, limit=limit, related=related):
        try:
            delivered = send(row)
        except (*transient, ValueError) as error:
            attempts = row.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS or isinstance(error, ValueError)
            model.objects.filter(pk=row.pk).update(
                status=model.Status.GAVE_UP if gave_up else model.Status.FAILED,
                attempts=attempts,
                last_error=f"{type(error).__name__}: {error}"[:300],
                due_at=timezone.now() + backoff(attempts),
            )
            log.warning("%s %s failed (attempt %d)", model._meta.verbose_name, row.pk, attempts)
            continue
        if delivered is False:
            model.objects.filter(pk=row.pk).update(status=model.Status.CANCELLED)
            continue
        model.objects.filter(pk=row.pk).update(
            status=model.Status.SENT, sent_at=timezone.now(), attempts=row.attempts + 1
        )
        sent += 1
    return sent
