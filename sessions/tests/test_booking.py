"""Booking, the status workflow, reminders sent exactly once, and the portal."""

import itertools
import threading
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import require_service
from sessions.models import Appointment, ClinicHours, Reminder
from sessions.scheduling import sms
from sessions.scheduling.booking import BookingError, book, cancel, dispatch_due, move, set_status
from testing.factories import appointment_type, book_visit, room, treatment_plan


def at(days, hour=10):
    moment = datetime.combine(timezone.localdate() + timedelta(days=days), time(hour))
    return timezone.make_aware(moment)


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "sessions.scheduling.sms.LocmemBackend"
    sms.outbox.clear()


def test_booking_creates_email_and_sms_reminders_at_72_and_24_hours(patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=at(5))
    due = sorted((r.channel, r.hours_before, r.due_at) for r in appointment.reminders.all())
    assert [(c, h) for c, h, _ in due] == [("email", 24), ("email", 72), ("sms", 24), ("sms", 72)]
    assert all(
        when == appointment.start - timedelta(hours=hours)
        for channel, hours, when in due
        if channel == "email"
    )


def test_a_room_clinician_or_patient_cannot_be_double_booked(patient_a, patient_b, nurse, prescriber):
    book_visit(patient_a, nurse, start=at(3), room_name="Room A")
    with pytest.raises(BookingError, match="Room A is booked"):
        book(
            patient=patient_b,
            appointment_type=appointment_type(),
            start=at(3) + timedelta(minutes=30),
            room=room("Room A"),
            clinician=prescriber,
            by=nurse,
        )
    with pytest.raises(BookingError, match="is booked"):
        book(
            patient=patient_b,
            appointment_type=appointment_type(),
            start=at(3),
            room=room("Room B"),
            clinician=nurse,
            by=nurse,
        )
    with pytest.raises(BookingError, match="already has an appointment"):
        book(
            patient=patient_a,
            appointment_type=appointment_type(),
            start=at(3),
            room=room("Room B"),
            clinician=prescriber,
            by=nurse,
        )
    back_to_back = book(
        patient=patient_b,
        appointment_type=appointment_type(),
        start=at(3, 11),
        room=room("Room A"),
        clinician=nurse,
        by=nurse,
    )
    assert back_to_back.start == at(3, 11)


def test_booking_a_treatment_asks_the_gate_and_lists_its_reasons(patient_a, nurse):
    iv = appointment_type("iv", 120, name="IV infusion")
    with pytest.raises(BookingError) as refused:
        book(patient=patient_a, appointment_type=iv, start=at(4), room=room(), clinician=nurse, by=nurse)
    text = " ".join(refused.value.reasons)
    assert "No prescriber has reviewed the screening." in text
    assert not Appointment.objects.exists()


def test_a_cleared_patient_can_be_booked_for_treatment(cleared, nurse):
    iv = appointment_type("iv", 120, name="IV infusion")
    appointment = book(
        patient=cleared, appointment_type=iv, start=at(4), room=room(), clinician=nurse, by=nurse
    )
    assert appointment.end - appointment.start == timedelta(minutes=120)


def test_moving_reschedules_pending_reminders_and_cancelling_cancels_them(patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=at(5))
    move(appointment, start=at(8), room=appointment.room, clinician=nurse, by=nurse)
    pending = appointment.reminders.filter(status="pending")
    assert {r.due_at for r in pending if r.channel == "email"} == {
        at(8) - timedelta(hours=72),
        at(8) - timedelta(hours=24),
    }
    assert appointment.reminders.filter(status="cancelled").count() == 4
    cancel(appointment, reason="Patient unwell", by=nurse)
    assert not appointment.reminders.filter(status="pending").exists()
    assert not appointment.late_cancellation


def test_a_cancellation_inside_the_window_is_late_and_needs_a_reason(patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=timezone.now() + timedelta(hours=5))
    with pytest.raises(BookingError, match="reason"):
        cancel(appointment, reason=" ", by=nurse)
    cancel(appointment, reason="Car trouble", by=nurse)
    assert appointment.late_cancellation


def test_the_status_workflow_allows_only_its_next_steps(patient_a, nurse):
    appointment = book_visit(patient_a, nurse)
    with pytest.raises(BookingError):
        set_status(appointment, Appointment.Status.COMPLETED, by=nurse)
    for status in ("confirmed", "checked_in", "in_treatment", "completed"):
        set_status(appointment, status, by=nurse)
    assert appointment.status == "completed"
    with pytest.raises(BookingError):
        set_status(appointment, "scheduled", by=nurse)


def test_due_reminders_are_sent_once_with_no_clinical_content(patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=at(4), kind="iv_free_consult")
    with time_machine.travel(appointment.start - timedelta(hours=71)):
        assert dispatch_due() == 2  # the 72 h email and SMS
        assert dispatch_due() == 0
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    text = mail.outbox[0].subject + mail.outbox[0].body + sms.outbox[0].body
    assert patient_a.display_first_name in text
    for word in ("ketamine", "infusion", "PHQ", "depress", patient_a.legal_family_name):
        assert word.lower() not in text.lower()
    assert "Bring someone to drive you home." in mail.outbox[0].body  # the visit's instructions
    assert reverse("portal:appointments") in mail.outbox[0].body


def test_sms_waits_for_the_end_of_quiet_hours(patient_a, nurse):
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=4), time(6, 0)))
    appointment = book_visit(patient_a, nurse, start=start)
    sms_24 = appointment.reminders.get(channel="sms", hours_before=24)
    assert timezone.localtime(sms_24.due_at).time() == time(8, 0)
    assert timezone.localtime(sms_24.due_at).date() == timezone.localdate() + timedelta(days=3)
    assert appointment.reminders.get(channel="email", hours_before=24).due_at == start - timedelta(hours=24)


def test_a_failed_send_retries_with_backoff_and_then_succeeds(patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=at(4))
    with time_machine.travel(appointment.start - timedelta(hours=71), tick=False) as clock:
        with mock.patch("sessions.scheduling.booking._send_email", side_effect=OSError("SMTP down")):
            dispatch_due()
        failed = appointment.reminders.get(channel="email", hours_before=72)
        assert (failed.status, failed.attempts) == ("failed", 1)
        assert "SMTP down" in failed.last_error
        assert dispatch_due() == 0  # not due again until the backoff passes
        clock.shift(timedelta(minutes=2))
        assert dispatch_due() == 1
    failed.refresh_from_db()
    assert failed.status == "sent" and len(mail.outbox) == 1


def test_the_broker_being_down_while_booking_loses_nothing(patient_a, nurse):
    from celery.app.task import Task

    with mock.patch.object(Task, "apply_async", side_effect=ConnectionError("broker down")):
        appointment = book_visit(patient_a, nurse, start=at(4))
    assert appointment.reminders.count() == 4
    with time_machine.travel(appointment.start - timedelta(hours=23)):
        assert dispatch_due() == 4  # 72 h and 24 h, both channels: late but once
        assert dispatch_due() == 0


def test_the_beat_task_runs_the_dispatcher(patient_a, nurse):
    from sessions.tasks import dispatch_reminders

    appointment = book_visit(patient_a, nurse, start=at(4))
    with time_machine.travel(appointment.start - timedelta(hours=71)):
        assert dispatch_reminders.delay().get() == 2


# Portal ------------------------------------------------------------------------------------------


def test_patient_sees_upcoming_appointments_with_instructions_and_confirms(client_for, patient_a, nurse):
    appointment = book_visit(patient_a, nurse, start=at(4))
    client = client_for(patient_a.user)
    home = client.get(reverse("portal:home")).content.decode()
    assert f"Next: {timezone.localtime(appointment.start):%a %b %-d}" in home
    page = client.get(reverse("portal:appointments")).content.decode()
    assert "Bring someone to drive you home." in page
    client.post(reverse("portal:appointment_confirm", args=[appointment.external_id]))
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_patient_asks_to_reschedule_or_cancels_inside_the_policy_only(client_for, patient_a, nurse):
    later = book_visit(patient_a, nurse, start=at(6))
    soon = book_visit(patient_a, nurse, start=timezone.now() + timedelta(hours=3), room_name="Room C")
    client = client_for(patient_a.user)
    client.post(
        reverse("portal:appointment_change", args=[later.external_id]),
        {"action": "reschedule", "note": "Work trip"},
    )
    later.refresh_from_db()
    assert later.reschedule_requested_at and later.reschedule_note == "Work trip"
    response = client.post(
        reverse("portal:appointment_change", args=[soon.external_id]), {"action": "cancel"}, follow=True
    )
    assert "too close" in response.content.decode()
    soon.refresh_from_db()
    assert soon.status == "scheduled"
    client.post(reverse("portal:appointment_change", args=[later.external_id]), {"action": "cancel"})
    later.refresh_from_db()
    assert later.status == "cancelled" and "portal" in later.cancel_reason


def test_patient_s_note_or_action_the_portal_cannot_store_changes_nothing(client_for, patient_a, nurse):
    later = book_visit(patient_a, nurse, start=at(6))
    client = client_for(patient_a.user)
    url = reverse("portal:appointment_change", args=[later.external_id])
    page = client.get(reverse("portal:appointments")).content.decode()
    assert 'maxlength="160"' in page  # the note fits beside "Cancelled by the patient in the portal."
    for data in (
        {"action": "cancel", "note": "n" * 161},
        {"action": "reschedule", "note": "n" * 301},
        {"action": "delete-everything"},
        {},
    ):
        response = client.post(url, data, follow=True)
        assert "Nothing was changed." in response.content.decode(), data
    later.refresh_from_db()
    assert later.status == "scheduled" and later.reschedule_requested_at is None
    client.post(url, {"action": "cancel", "note": "n" * 160})
    later.refresh_from_db()
    assert later.status == "cancelled" and len(later.cancel_reason) == 200


# Staff pages --------------------------------------------------------------------------------------


def test_front_desk_cannot_cancel_with_a_reason_longer_than_the_record_keeps(
    client_for, front_desk, nurse, patient_a
):
    appointment = book_visit(patient_a, nurse, start=at(4))
    client = client_for(front_desk)
    url = reverse("sessions:appointment_cancel", args=[patient_a.external_id, appointment.external_id])
    response = client.post(url, {"reason": "r" * 201}, follow=True)
    assert (
        "Not cancelled: Ensure this value has at most 200 characters (it has 201)."
        in response.content.decode()
    )
    appointment.refresh_from_db()
    assert appointment.status == "scheduled" and appointment.cancel_reason == ""
    with pytest.raises(BookingError, match="Keep the reason to 200 characters"):
        cancel(appointment, reason="r" * 201, by=front_desk)
    client.post(url, {"reason": "r" * 200})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_an_appointment_status_clinic_does_not_know_is_refused_with_a_message(client_for, nurse, patient_a):
    appointment = book_visit(patient_a, nurse, start=at(4))
    url = reverse("sessions:appointment_status", args=[patient_a.external_id, appointment.external_id])
    response = client_for(nurse).post(url, {"status": "teleported"}, follow=True)
    assert "Choose one of the appointment statuses." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"


def test_front_desk_books_through_the_form_and_sees_clashes(
    client_for, front_desk, nurse, patient_a, patient_b
):
    book_visit(patient_a, nurse, start=at(3), room_name="Room A")
    client = client_for(front_desk)
    data = {
        "appointment_type": appointment_type().pk,
        "date": at(3).date().isoformat(),
        "time": "10:30",
        "room": room("Room A").pk,
        "clinician": nurse.pk,
    }
    response = client.post(reverse("sessions:book", args=[patient_b.external_id]), data)
    assert "Not booked" in response.content.decode() and "Room A is booked" in response.content.decode()
    data["time"] = "13:00"
    response = client.post(reverse("sessions:book", args=[patient_b.external_id]), data)
    assert response.status_code == 302
    assert patient_b.appointments.count() == 1


def test_calendar_day_and_week_by_room_and_clinician(client_for, front_desk, nurse, patient_a):
    visit = book_visit(patient_a, nurse, start=at(1))
    card_link = reverse("sessions:appointment", args=[patient_a.external_id, visit.external_id])
    client = client_for(front_desk)
    day = at(1).date().isoformat()
    for view in ("day", "week"):
        for by in ("room", "clinician"):
            page = client.get(
                reverse("sessions:calendar"), {"view": view, "by": by, "date": day}
            ).content.decode()
            assert patient_a.sortable_name in page, (view, by)
            assert "Scheduled" in page
            assert f'href="{card_link}"' in page
    assert client.get(reverse("sessions:calendar"), {"date": "not-a-date"}).status_code == 200
    for edge in ("9999-12-31", "0001-01-01"):  # a week either way would leave the calendar
        assert client.get(reverse("sessions:calendar"), {"date": edge, "view": "week"}).status_code == 200


def test_today_shows_appointments_by_room_and_check_in(client_for, nurse, patient_a):
    with time_machine.travel(at(0, 9), tick=False):  # mid-morning, so "in an hour" is still today
        appointment = book_visit(patient_a, nurse, start=at(0, 10))
        client = client_for(nurse)
        page = client.get(reverse("sessions:today")).content.decode()
        assert patient_a.sortable_name in page and "Check in" in page
        client.post(
            reverse("sessions:appointment_status", args=[patient_a.external_id, appointment.external_id]),
            {"status": "checked_in", "next": "/today/"},
        )
        appointment.refresh_from_db()
        assert appointment.status == "checked_in"
        assert client.get("/").url == reverse("sessions:today")


def test_front_desk_books_an_induction_series_from_a_plan(client_for, front_desk, prescriber, nurse, cleared):
    for weekday in range(5):
        ClinicHours.objects.create(weekday=weekday, opens=time(8), closes=time(17))
    room("Chair 1")
    plan = treatment_plan(cleared, prescriber)
    client = client_for(front_desk)
    url = reverse("sessions:plan", args=[cleared.external_id, plan.external_id])
    first = (timezone.localdate() + timedelta(days=7)).isoformat()
    page = client.get(url, {"first_day": first, "preferred_time": "09:00"}).content.decode()
    assert page.count('<li class="list-group-item">') >= 6
    far = client.get(url, {"first_day": "9999-12-31", "preferred_time": "09:00"})
    assert "Choose a date between 1900 and 2199." in far.content.decode()
    response = client.post(url, {"first_day": first, "preferred_time": "09:00", "book": "1"})
    assert response.status_code == 302
    series = list(plan.appointments.order_by("start"))
    assert [a.series_number for a in series] == [1, 2, 3, 4, 5, 6]
    gaps = [(b.start - a.start) for a, b in itertools.pairwise(series)]
    assert min(gaps) >= timedelta(hours=48)


def test_only_prescribers_write_treatment_plans(client_for, front_desk, prescriber, patient_a):
    url = reverse("sessions:plan_create", args=[patient_a.external_id])
    assert client_for(front_desk).get(url).status_code == 403
    assert client_for(prescriber).get(url).status_code == 200


# PostgreSQL: races ---------------------------------------------------------------------------------


def _on_postgres():
    require_service(connection.vendor == "postgresql", "the booking races need PostgreSQL (set DATABASE_URL)")


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_booking_of_one_chair_lets_exactly_one_win(nurse, prescriber):
    _on_postgres()
    from testing.factories import PatientFactory

    patients = PatientFactory.create_batch(6)
    chair, kind = room("Chair 1"), appointment_type()
    clinicians = [nurse, prescriber] * 3
    start = at(5)
    barrier = threading.Barrier(len(patients))
    outcomes = []

    def attempt(patient, clinician):
        from django.db import connections

        try:
            barrier.wait()
            book(
                patient=patient, appointment_type=kind, start=start, room=chair, clinician=clinician, by=nurse
            )
            outcomes.append("booked")
        except BookingError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(patients, clinicians, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("booked") == 1
    assert Appointment.objects.filter(room=chair, status="scheduled").count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_racing_send_each_reminder_once(nurse):
    _on_postgres()
    from testing.factories import PatientFactory

    for index, patient in enumerate(PatientFactory.create_batch(10)):
        book_visit(patient, nurse, start=at(4, 8 + index), room_name=f"Room {index}")
    due = Reminder.objects.filter(hours_before=72).count()
    totals = []
    barrier = threading.Barrier(2)

    def run():
        from django.db import connections

        try:
            barrier.wait()
            moment = at(4) - timedelta(hours=60)
            totals.append(sum(dispatch_due(now=moment, limit=limit) for limit in (5, 5, 50)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(totals) == due
    assert len(mail.outbox) + len(sms.outbox) == due
    assert Reminder.objects.filter(hours_before=72, status="sent").count() == due


def test_bookings_outside_clinic_hours_or_on_closures_are_refused(patient_a, nurse):
    from sessions.models import Closure

    day = timezone.localdate() + timedelta(days=9)
    ClinicHours.objects.create(weekday=day.weekday(), opens=time(8), closes=time(17))
    with pytest.raises(BookingError, match="Outside clinic hours"):
        book_visit(patient_a, nurse, start=timezone.make_aware(datetime.combine(day, time(16, 30))))
    with pytest.raises(BookingError, match="closed on"):
        book_visit(
            patient_a, nurse, start=timezone.make_aware(datetime.combine(day + timedelta(days=1), time(10)))
        )
    Closure.objects.create(date=day, reason="Staff training")
    with pytest.raises(BookingError, match="Staff training"):
        book_visit(patient_a, nurse, start=timezone.make_aware(datetime.combine(day, time(10))))


def test_overlapping_finds_exactly_the_appointments_that_overlap_an_interval(nurse, patient_a):
    """The lower bound on start (the longest appointment type) loses nothing that overlaps."""
    from datetime import timedelta

    from django.utils import timezone

    from sessions.models import Appointment
    from sessions.scheduling.models import LONGEST_APPOINTMENT_MINUTES
    from testing.factories import book_visit

    visit = book_visit(patient_a, nurse, days_ahead=3)
    longest = timedelta(minutes=LONGEST_APPOINTMENT_MINUTES)
    Appointment.objects.filter(pk=visit.pk).update(end=visit.start + longest)
    inside = visit.start + longest - timedelta(minutes=1)
    assert list(Appointment.objects.overlapping(inside, inside + timedelta(minutes=5))) == [visit]
    after = visit.start + longest
    assert not Appointment.objects.overlapping(after, after + timedelta(hours=1)).exists()
    before = visit.start - timedelta(hours=1)
    assert not Appointment.objects.overlapping(before, visit.start).exists()
    assert timezone.is_aware(visit.start)


@pytest.mark.parametrize(("view", "by"), [("day", "room"), ("week", "room"), ("week", "clinician")])
def test_front_desk_calendar_runs_a_fixed_number_of_queries(
    client_for, front_desk, nurse, prescriber, view, by, django_assert_max_num_queries
):
    from testing.factories import PatientFactory, past_visit

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    day = monday + timedelta(days=2)

    def add_visits(numbers):
        for n in numbers:
            when = timezone.make_aware(datetime.combine(monday + timedelta(days=n % 7), time(8 + n // 7)))
            clinician = nurse if n % 2 else prescriber
            past_visit(PatientFactory(), clinician, when, status=Appointment.Status.SCHEDULED)

    client = client_for(front_desk)
    params = {"view": view, "by": by, "date": day.isoformat()}
    add_visits(range(3))
    client.get(reverse("sessions:calendar"), params)
    with django_assert_max_num_queries(12) as few:
        page = client.get(reverse("sessions:calendar"), params).content.decode()
    shown = page.count('class="appt ')
    add_visits(range(3, 30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("sessions:calendar"), params).content.decode()
    assert page.count('class="appt ') > shown


def test_nurse_today_runs_a_fixed_number_of_queries(
    client_for, nurse, prescriber, django_assert_max_num_queries
):
    from testing.factories import PatientFactory, past_visit

    def add_visits(numbers):
        for n in numbers:
            when = at(0, 6) + timedelta(hours=n)  # one room: an hour each
            past_visit(
                PatientFactory(), nurse if n % 2 else prescriber, when, status=Appointment.Status.SCHEDULED
            )

    with time_machine.travel(at(0, 6), tick=False):
        client = client_for(nurse)
        add_visits(range(2))
        client.get(reverse("sessions:today"))
        with django_assert_max_num_queries(14) as few:
            page = client.get(reverse("sessions:today")).content.decode()
        assert page.count("Check in</button>") == 2
        add_visits(range(2, 16))
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(reverse("sessions:today")).content.decode()
        assert page.count("Check in</button>") == 16


def test_front_desk_sees_names_on_the_calendar_escaped(client_for, front_desk, nurse, db):
    from testing.factories import PatientFactory

    patient = PatientFactory(legal_family_name="<b>Bold</b>", legal_given_name='A"B', preferred_name="&")
    book_visit(patient, nurse, start=at(1))
    client = client_for(front_desk)
    for by in ("room", "clinician"):
        page = client.get(
            reverse("sessions:calendar"), {"view": "week", "by": by, "date": at(1).date().isoformat()}
        ).content.decode()
        assert "&lt;b&gt;Bold&lt;/b&gt;, A&quot;B (&amp;)" in page
        assert "<b>Bold" not in page
