"""The outbox drains at the queue's pace: every due message in one run (within its time budget),
several dispatchers without doubles, one row's database error holding back no other, and a send cut
short by a crash resent once with the same Message-ID, never a third time."""

import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import outbox
from conftest import require_service
from sessions.models import Reminder
from sessions.scheduling import booking, sms
from testing.factories import book_visit

deliver_reminder = booking._deliver  # the real one, kept before tests patch it


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "sessions.scheduling.sms.LocmemBackend"
    sms.outbox.clear()


def due_email_reminders(nurse, count, *, appointments=10):
    """`count` e-mail reminders due a minute ago, spread over `appointments` future visits."""
    from testing.factories import PatientFactory

    day = timezone.localdate() + timedelta(days=4)
    visits = [
        book_visit(patient, nurse, start=timezone.make_aware(datetime.combine(day, clock_time(8 + index))))
        for index, patient in enumerate(PatientFactory.create_batch(appointments))
    ]
    Reminder.objects.all().delete()
    due_at = timezone.now() - timedelta(minutes=1)
    Reminder.objects.bulk_create(
        Reminder(appointment=visits[index % appointments], channel="email", hours_before=72, due_at=due_at)
        for index in range(count)
    )
    return visits


def message_ids(messages):
    return [message.message()["Message-ID"] for message in messages]


def crash_after_sending(reminder):
    """The worker is killed after the mail server took the message, before it is marked sent."""
    deliver_reminder(reminder)
    raise SystemExit("worker killed")


def test_one_run_sends_everything_due_in_batches(nurse):
    due_email_reminders(nurse, 250, appointments=3)
    assert booking.dispatch_due() == 250  # more than one batch of 100
    assert booking.dispatch_due() == 0
    assert len(mail.outbox) == 250
    ids = message_ids(mail.outbox)
    assert len(set(ids)) == 250
    sent = Reminder.objects.get(message_id=ids[0])
    assert (sent.status, sent.attempts, sent.maybe_sent_at) == ("sent", 1, None)
    assert ids[0].startswith("<reminder.") and ids[0].endswith("@clinic.example>")


def test_sent_rows_are_marked_in_groups_of_twenty(nurse):
    due_email_reminders(nurse, 45, appointments=3)
    with CaptureQueriesContext(connection) as queries:
        assert booking.dispatch_due() == 45
    marks = [q for q in queries.captured_queries if "SET \"status\" = 'sent'" in q["sql"]]
    assert len(marks) == 3  # 20 + 20 + 5, not 45
    assert Reminder.objects.filter(status="sent", sent_at__isnull=False).count() == 45


def test_a_database_error_while_marking_leaves_the_group_to_be_resent_once(nurse, caplog):
    """The mails went out but "sent" could not be written: no error escapes the run, the rows stay
    "sending" and, found stale later, count as "may have been sent" (resent once with their Message-ID)."""
    from django.db import OperationalError

    due_email_reminders(nurse, 5, appointments=1)
    real_mark = outbox._Outcomes.mark

    def database_gone(self):
        if self.waiting:
            with mock.patch("django.db.models.query.QuerySet.update", side_effect=OperationalError("gone")):
                return real_mark(self)
        return real_mark(self)

    with mock.patch.object(outbox._Outcomes, "mark", database_gone):
        assert booking.dispatch_due() == 0
    assert len(mail.outbox) == 5
    assert Reminder.objects.filter(status="sending").count() == 5
    assert "could not be marked" in caplog.text


def test_a_worker_stopping_mid_run_still_marks_what_it_handed_over(nurse):
    """A warm shutdown (SystemExit) between groups: the rows handed over are marked on the way out; only
    a hard kill can leave a group (at most MARK_EVERY) "sending", to be resent once with its Message-ID."""
    due_email_reminders(nurse, 30, appointments=3)
    handed_over = []

    def deliver(reminder):
        if len(handed_over) == outbox.MARK_EVERY + 5:
            raise SystemExit("worker stopped")
        handed_over.append(reminder.pk)
        return deliver_reminder(reminder)

    with mock.patch.object(booking, "_deliver", deliver), pytest.raises(SystemExit):
        booking.dispatch_due()
    assert Reminder.objects.filter(pk__in=handed_over, status="sent").count() == outbox.MARK_EVERY + 5
    assert Reminder.objects.exclude(pk__in=handed_over).filter(status="sending").count() == 5


def test_a_database_error_on_one_row_holds_back_no_other(nurse):
    due_email_reminders(nurse, 5, appointments=1)
    victim = Reminder.objects.order_by("pk")[2]

    def deliver(reminder):
        if reminder.pk == victim.pk:
            with connection.cursor() as cursor:  # a real error from the database, not a mock's
                cursor.execute("SELECT * FROM no_such_table")
        return deliver_reminder(reminder)

    with mock.patch.object(booking, "_deliver", deliver):
        assert booking.dispatch_due() == 4
    victim.refresh_from_db()
    assert victim.status == "failed" and victim.attempts == 1
    assert "no_such_table" in victim.last_error
    assert victim.due_at > timezone.now() + timedelta(seconds=50)  # backoff, not the next run
    assert Reminder.objects.filter(status="sent").count() == 4
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert booking.dispatch_due() == 1
    victim.refresh_from_db()
    assert (victim.status, victim.attempts) == ("sent", 2)


def test_a_send_cut_short_is_marked_may_have_been_sent_and_resent_once_with_its_message_id(nurse):
    due_email_reminders(nurse, 1, appointments=1)
    with mock.patch.object(booking, "_deliver", crash_after_sending), pytest.raises(SystemExit):
        booking.dispatch_due()
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == ("sending", 1)
    first = message_ids(mail.outbox)
    assert booking.dispatch_due() == 0  # a live worker may still be sending: not touched yet

    later = timezone.now() + outbox.STALE_CLAIM + timedelta(minutes=1)
    with time_machine.travel(later):
        assert booking.dispatch_due() == 1
        assert booking.dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)  # admin shows both tries
    assert reminder.maybe_sent_at is not None and "may have been sent" in reminder.last_error
    assert message_ids(mail.outbox) == first * 2  # the copy carries the first Message-ID


def test_a_resend_cut_short_too_gives_up_without_a_third_copy(nurse):
    due_email_reminders(nurse, 1, appointments=1)
    moment = timezone.now()
    with mock.patch.object(booking, "_deliver", crash_after_sending):
        for _ in range(2):
            moment += outbox.STALE_CLAIM + timedelta(minutes=1)
            with time_machine.travel(moment), pytest.raises(SystemExit):
                booking.dispatch_due()
        moment += outbox.STALE_CLAIM + timedelta(minutes=1)
        with time_machine.travel(moment):
            assert booking.dispatch_due() == 0
            assert booking.dispatch_due(now=moment + timedelta(days=1)) == 0
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == ("gave_up", 2)
    assert "not sent a third time" in reminder.last_error
    assert len(mail.outbox) == 2 and len(set(message_ids(mail.outbox))) == 1


def test_an_sms_cut_short_is_resent_once_too(nurse, patient_a):
    """An SMS carries no Message-ID: the copy can reach the phone twice (stated in the README)."""
    appointment = book_visit(patient_a, nurse, days_ahead=4)
    appointment.reminders.exclude(channel="sms", hours_before=72).delete()
    moment = appointment.reminders.get().due_at + timedelta(minutes=5)
    with (
        time_machine.travel(moment),
        mock.patch.object(booking, "_deliver", crash_after_sending),
        pytest.raises(SystemExit),
    ):
        booking.dispatch_due()
    with time_machine.travel(moment + outbox.STALE_CLAIM + timedelta(minutes=1)):
        assert booking.dispatch_due() == 1
    assert len(sms.outbox) == 2
    assert appointment.reminders.get().status == "sent"


def test_a_run_stops_at_its_time_budget_and_gives_back_what_it_did_not_reach(nurse):
    due_email_reminders(nurse, 40, appointments=2)

    def slow(reminder):
        time.sleep(0.05)
        return deliver_reminder(reminder)

    started = time.monotonic()
    with mock.patch.object(booking, "_deliver", slow):
        sent = booking.dispatch_due(budget=timedelta(seconds=0.5))
    assert time.monotonic() - started < 0.5 + 0.2  # one send past the budget at most
    assert 5 <= sent < 40
    assert Reminder.objects.filter(status="sent").count() == sent
    untouched = Reminder.objects.exclude(status="sent")
    assert {(row.status, row.attempts, row.claimed_at) for row in untouched} == {("pending", 0, None)}
    assert booking.dispatch_due() == 40 - sent


def test_a_run_sends_only_what_was_due_when_it_started(nurse):
    """A row that fails during a run waits for its backoff instead of being retried in a loop."""
    due_email_reminders(nurse, 3, appointments=1)
    with mock.patch("sessions.scheduling.booking._send_email", side_effect=OSError("SMTP down")):
        assert booking.dispatch_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert set(Reminder.objects.values_list("status", "attempts")) == {("failed", 1)}


# PostgreSQL: several dispatchers at once ----------------------------------------------------------


def _on_postgres():
    require_service(
        connection.vendor == "postgresql", "the dispatcher races need PostgreSQL (set DATABASE_URL)"
    )


def _race(workers, run):
    barrier = threading.Barrier(workers)
    totals, errors = [], []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            totals.append(run())
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return totals, time.perf_counter() - started


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_drain_5000_reminders_with_no_double(nurse):
    _on_postgres()
    due_email_reminders(nurse, 5000)
    totals, seconds = _race(2, booking.dispatch_due)
    print(f"\n2 dispatchers: 5000 reminders in {seconds:.2f} s, {5000 / seconds:.0f} rows/s, split {totals}")
    assert sum(totals) == 5000 and all(totals)  # both took part
    ids = message_ids(mail.outbox)
    assert len(ids) == 5000 and len(set(ids)) == 5000
    assert set(Reminder.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_error_in_autocommit_holds_back_no_other(nurse):
    """As in a Celery worker: no surrounding transaction, so the failed statement is rolled back alone."""
    _on_postgres()
    due_email_reminders(nurse, 5, appointments=1)
    victim = Reminder.objects.order_by("pk")[0]

    def deliver(reminder):
        if reminder.pk == victim.pk:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        return deliver_reminder(reminder)

    with mock.patch.object(booking, "_deliver", deliver):
        assert booking.dispatch_due() == 4
    victim.refresh_from_db()
    assert (victim.status, victim.attempts) == ("failed", 1) and "division by zero" in victim.last_error


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_finding_one_stale_claim_resend_it_once(nurse):
    _on_postgres()
    due_email_reminders(nurse, 20, appointments=2)
    with mock.patch.object(booking, "_deliver", crash_after_sending), pytest.raises(SystemExit):
        booking.dispatch_due()
    assert Reminder.objects.filter(status="sending").count() == 20  # one sent, all claimed
    first = message_ids(mail.outbox)
    with time_machine.travel(timezone.now() + outbox.STALE_CLAIM + timedelta(minutes=1)):
        totals, _ = _race(2, booking.dispatch_due)
    assert sum(totals) == 20
    ids = message_ids(mail.outbox)
    assert len(ids) == 21 and ids.count(first[0]) == 2 and len(set(ids)) == 20
    assert set(Reminder.objects.values_list("status", "attempts")) == {("sent", 2)}


def test_a_questionnaire_email_carries_its_rows_message_id(patient_a, nurse):
    from sessions.integration import followups
    from sessions.models import Appointment, QuestionnaireNotice
    from sessions.scheduling.booking import set_status
    from sessions.tests.test_follow_ups import held_visit

    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert followups.dispatch_notices() >= 1
    sent = QuestionnaireNotice.objects.filter(status="sent")
    assert sorted(message_ids(mail.outbox)) == sorted(notice.message_id for notice in sent)
    assert all(notice.message_id.startswith("<questionnairenotice.") for notice in sent)
