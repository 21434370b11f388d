"""A dispatcher run talks to the mail server over one connection, and with a backlog beat's run starts
helpers that share the rows."""

import smtplib
from unittest import mock

import pytest
from celery import Task

from clinic import outbox
from sessions import tasks
from sessions.models import Reminder
from sessions.tests.test_outbox_drain import due_email_reminders


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend, talking to a stand-in for the mail server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "localhost", 25, False
    with mock.patch.object(smtplib, "SMTP") as server:
        server.return_value.sendmail.return_value = {}
        yield server


def test_a_run_sends_every_email_over_one_connection(nurse, smtp):
    due_email_reminders(nurse, 30, appointments=3)
    assert tasks.dispatch_due() == 30
    assert smtp.call_count == 1
    assert smtp.return_value.sendmail.call_count == 30
    smtp.return_value.quit.assert_called_once()


def test_after_a_failed_send_the_next_email_opens_a_new_connection(nurse, smtp):
    due_email_reminders(nurse, 5, appointments=1)
    smtp.return_value.sendmail.side_effect = [{}, smtplib.SMTPServerDisconnected("gone"), {}, {}, {}]
    assert tasks.dispatch_due() == 4
    assert smtp.call_count == 2
    failed = Reminder.objects.get(status=Reminder.Status.FAILED)
    assert "SMTPServerDisconnected" in failed.last_error


def test_a_backlog_of_two_batches_starts_one_helper_on_the_runs_own_queue(nurse, settings):
    settings.OUTBOX_DISPATCHERS = 2
    due_email_reminders(nurse, 2 * outbox.BATCH, appointments=2)
    assert outbox.extra_dispatchers(Reminder) == 1
    assert outbox.extra_dispatchers(Reminder, wanted=8) == 1
    assert outbox.extra_dispatchers(Reminder, wanted=1) == 0
    with mock.patch.object(Task, "apply_async") as queued:
        tasks.dispatch_reminders.apply(kwargs={"fan_out": True}, queue="reminders-here")
    queued.assert_called_once()
    assert queued.call_args.args == ((False,),)
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 2 * outbox.BATCH


def test_one_batch_due_starts_no_helper(nurse, settings):
    settings.OUTBOX_DISPATCHERS = 4
    due_email_reminders(nurse, outbox.BATCH, appointments=2)
    assert outbox.extra_dispatchers(Reminder) == 0
    with mock.patch.object(Task, "apply_async") as queued:
        tasks.dispatch_reminders.apply()
    queued.assert_not_called()


def test_a_helper_does_not_start_helpers_of_its_own(nurse, settings):
    settings.OUTBOX_DISPATCHERS = 4
    due_email_reminders(nurse, 3 * outbox.BATCH + 1, appointments=2)
    assert outbox.extra_dispatchers(Reminder) == 3
    with mock.patch.object(Task, "apply_async") as queued:
        tasks.dispatch_reminders.apply(kwargs={"fan_out": False})
    queued.assert_not_called()


def test_the_claim_reads_only_the_messages_still_to_send(nurse):
    """The claim's query can be answered from the partial index of waiting messages: with every
    reminder ever sent in the table, a claim scanned them all."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no planner worth asserting on")
    due_email_reminders(nurse, 300, appointments=3)
    Reminder.objects.filter(pk__in=Reminder.objects.values("pk")[:290]).update(status=Reminder.Status.SENT)
    claim = (
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(status__in=Reminder.WAITING, due_at__lte=outbox.timezone.now())
        .order_by("due_at")
        .values_list("pk", flat=True)[:100]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = claim.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "reminder_due_queue" in plan
