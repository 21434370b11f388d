"""Messages sent from database rows (clinic.models.OutboxMessage): at least once, at most twice.

The row is created in the same transaction as its cause, so a message is never lost when the broker
is down and never created twice. Beat starts a dispatcher every minute; each run claims due rows in
batches and sends them until none is due or its time budget is spent, so the queue drains at the
pace of the mail server rather than of beat. Several dispatchers at once never claim the same row
(`select_for_update(skip_locked=True)`, then a conditional update).

What a crash can do: sending and marking "sent" are two steps (an SMTP server is not part of the
database's transaction). A row claimed but never marked (the worker was killed, the database stopped)
is found after STALE_CLAIM, marked "may have been sent" and resent once, with the Message-ID header
of the first try so that a receiving mail system can drop the copy. If that resend is cut short too,
the row gives up rather than risk a third copy. An SMS carries no Message-ID: a resent SMS can
arrive twice.
"""

import logging
import time
import uuid
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from clinic import mail

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


#: A row left "sending" this long (a worker died mid-send) may have been sent: it is resent once.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 6
#: Rows claimed at a time. A crash leaves at most this many unconfirmed; a claim is one round trip.
BATCH = 100
#: A run stops claiming after this long, so that beat's next run (a minute later) finds it finished;
#: what it claimed but did not reach goes back to the queue untouched.
BUDGET = timedelta(seconds=50)

UNCONFIRMED = "Claimed but never marked sent (a worker or the database stopped mid-send): may have been sent."
GAVE_UP_UNCONFIRMED = "Cut short twice while sending: may have been sent; not sent a third time."


def message_id_domain():
    """The sender's domain, as RFC 5322 suggests for the right-hand side of a Message-ID."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "clinic.invalid"


def recover_stale(model, *, now=None):
    """Rows left "sending" past STALE_CLAIM: the first time they become "may have been sent" (due for
    one resend); a row that was already resent once after such a stop gives up instead."""
    now = now or timezone.now()
    Status = model.Status
    stale = model.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    gave_up = stale.filter(maybe_sent_at__isnull=False).update(
        status=Status.GAVE_UP, last_error=GAVE_UP_UNCONFIRMED
    )
    unconfirmed = stale.filter(maybe_sent_at__isnull=True).update(
        status=Status.MAYBE_SENT, maybe_sent_at=now, last_error=UNCONFIRMED
    )
    if gave_up or unconfirmed:
        log.warning(
            "%s: %d may have been sent (resending once), %d gave up after a second stop",
            model._meta.verbose_name_plural,
            unconfirmed,
            gave_up,
        )
    return unconfirmed + gave_up


def extra_dispatchers(model, *, wanted=None, now=None):
    """How many more dispatchers a beat run should start beside itself: one for each batch due beyond the
    first, at most OUTBOX_DISPATCHERS - 1. One dispatcher spends most of its time rendering
    and talking to the mail server; a second, in another worker thread or process, shares the rows
    (skip_locked) and about doubles the rate."""
    wanted = settings.OUTBOX_DISPATCHERS if wanted is None else wanted
    if wanted <= 1:
        return 0
    due = model.objects.filter(status__in=model.WAITING, due_at__lte=now or timezone.now())[
        : BATCH * wanted
    ].count()
    return max(0, min(wanted - 1, (due - 1) // BATCH))


def claim_due(model, *, now=None, limit=BATCH, related=(), due_by=None):
    """Claim up to `limit` rows due by `due_by` (default `now`) for this dispatcher. PostgreSQL skips
    rows another transaction has locked, and the claim is a conditional update, so each row goes to one
    dispatcher. The claim counts the attempt and gives a row its Message-ID the first time."""
    now = now or timezone.now()
    due_by = due_by or now
    Status = model.Status
    # Unique per row and never reused after a restore: the primary key plus a random token per claim.
    suffix = f".{uuid.uuid4().hex}@{message_id_domain()}>"
    new_message_id = Concat(
        Value(f"<{model._meta.model_name}."), Cast("pk", CharField()), Value(suffix), output_field=CharField()
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO ON")
        ids = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(status__in=model.WAITING, due_at__lte=due_by)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        model.objects.filter(pk__in=ids).update(
            status=Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            message_id=Case(When(message_id="", then=new_message_id), default=F("message_id")),
        )
    return list(
        model.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
        .select_related(*related)
        .order_by("due_at", "pk")
    )


def release(model, rows):
    """Give back claimed rows this run did not reach: not attempted, so not counted."""
    Status = model.Status
    return model.objects.filter(
        pk__in=[row.pk for row in rows],
        status=Status.SENDING,
        claimed_at__in={row.claimed_at for row in rows},
    ).update(
        status=Case(
            When(maybe_sent_at__isnull=False, then=Value(Status.MAYBE_SENT)),
            When(attempts__gt=1, then=Value(Status.FAILED)),
            default=Value(Status.PENDING),
        ),
        attempts=F("attempts") - 1,
        claimed_at=None,
    )


def dispatch(
    model, send, *, now=None, limit=None, batch=BATCH, budget=BUDGET, related=(), transient=(OSError,)
):
    """Claim what is due, batch after batch, and call `send(row)` for each, until nothing due by the
    start of the run is left, `limit` rows were handled, or `budget` has passed. `send` returns False
    when the row no longer needs sending (it is then cancelled). An error on one row never holds back
    the others: a `transient` error, a database error or an unexpected one is retried with backoff; a
    ValueError (a bad address, say) gives up at once. Returns how many were sent.

    `now` freezes the clock of the run (tests); otherwise rows due by the start of the run are sent,
    so a row that fails during the run waits for its backoff rather than being retried at once."""
    deadline = time.monotonic() + budget.total_seconds()
    started = now or timezone.now()
    recover_stale(model, now=started)
    handled = 0
    outcomes = _Outcomes(model)
    with _asynchronous_outcomes(), mail.one_connection():
        try:
            while limit is None or handled < limit:
                if time.monotonic() >= deadline:
                    break
                size = batch if limit is None else min(batch, limit - handled)
                rows = claim_due(
                    model, now=now or timezone.now(), due_by=started, limit=size, related=related
                )
                if not rows:
                    break
                handled += len(rows)
                for index, row in enumerate(rows):
                    if time.monotonic() >= deadline:
                        outcomes.mark()
                        release(model, rows[index:])
                        return outcomes.sent
                    _attempt(model, row, send, transient, now=now, outcomes=outcomes)
                outcomes.mark()
        finally:
            outcomes.mark()
    return outcomes.sent


#: Rows handed over are marked sent together, this many at a time: one UPDATE in place of one per
#: message, which was a third of a message's cost. A crash between a send and its mark leaves at most
#: this many rows "sending"; they are resent once with their Message-ID, as after any other crash.
MARK_EVERY = 20


class _Outcomes:
    """The rows of a run handed over (sent) or no longer needed (cancelled), marked in groups."""

    def __init__(self, model):
        self.model, self.waiting, self.sent = model, [], 0

    def add(self, row, outcome):
        self.waiting.append((row, outcome))
        if len(self.waiting) >= MARK_EVERY:
            self.mark()

    def mark(self):
        Status = self.model.Status
        groups = {}
        for row, outcome in self.waiting:
            groups.setdefault((outcome, row.claimed_at), []).append(row.pk)
        self.waiting = []
        for (outcome, claimed_at), pks in groups.items():
            mine = self.model.objects.filter(pk__in=pks, status=Status.SENDING, claimed_at=claimed_at)
            try:
                with _savepoint():
                    marked = mine.update(
                        status=outcome, sent_at=timezone.now() if outcome == Status.SENT else None
                    )
            except DatabaseError:
                _close_if_broken()
                log.warning(
                    "%d %s were handed over but could not be marked; they will count as 'may have been sent'",
                    len(pks),
                    self.model._meta.verbose_name_plural,
                )
                continue
            if marked < len(pks):
                log.warning(
                    "%d %s: their claim went stale while sending",
                    len(pks) - marked,
                    self.model._meta.verbose_name_plural,
                )
            if outcome == Status.SENT:
                self.sent += marked


def _attempt(model, row, send, transient, *, now, outcomes):
    """Send one claimed row; a failure is recorded at once, a success joins `outcomes` to be marked."""
    Status = model.Status
    mine = model.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=row.claimed_at)
    try:
        with _savepoint():
            delivered = send(row)
    except ValueError as error:
        return _failed(model, mine, row, error, now=now, give_up=True)
    except transient as error:
        return _failed(model, mine, row, error, now=now)
    except DatabaseError as error:
        _close_if_broken()
        return _failed(model, mine, row, error, now=now)
    except Exception as error:  # a bug in one message's template must not hold back the others
        log.error(
            "%s %s: unexpected %s while sending", model._meta.verbose_name, row.pk, type(error).__name__
        )
        return _failed(model, mine, row, error, now=now)
    outcomes.add(row, Status.CANCELLED if delivered is False else Status.SENT)


def _failed(model, mine, row, error, *, now, give_up=False):
    Status = model.Status
    attempts = row.attempts  # counted by the claim
    status = Status.GAVE_UP if give_up or attempts >= MAX_ATTEMPTS else Status.FAILED
    # Backoff from the later of the run's clock and the wall clock, so a run with a frozen `now` in
    # the future does not find the row due again straight away.
    base = max(now, timezone.now()) if now else timezone.now()
    try:
        with _savepoint():
            mine.update(
                status=status,
                last_error=f"{type(error).__name__}: {error}"[:300],
                due_at=base + backoff(attempts),
            )
    except DatabaseError:
        _close_if_broken()
        log.warning("%s %s: the failure could not be recorded", model._meta.verbose_name, row.pk)
        return Status.SENDING
    log.warning("%s %s failed (attempt %d)", model._meta.verbose_name, row.pk, attempts)
    return status


def _savepoint():
    """Inside a caller's transaction a failed statement would poison it: isolate each row in a
    savepoint. In autocommit (a Celery task) each statement is already its own transaction."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


@contextmanager
def _asynchronous_outcomes():
    """Write each send's outcome without waiting for the disk (PostgreSQL's asynchronous commit: up to
    5 ms saved a row on a slow disk). If the database server crashes, the last fraction of a second of
    outcomes can be lost: those rows stay "sending" and are resent once with the same Message-ID,
    exactly as after any other crash. The claim, which gives the Message-ID, always waits for the
    disk (claim_due sets it back for its own transaction)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            _close_if_broken()  # a dead connection takes its setting with it


def _close_if_broken():
    """After a database error the connection may be dead (PostgreSQL restarted): drop it so the next
    row reconnects instead of failing too."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
