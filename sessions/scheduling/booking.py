"""Booking, moving and cancelling appointments, and sending their reminders (clinic.outbox: at least
once, an e-mail resent after a crash carries its first Message-ID)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic import outbox
from clinic.mail import send_with_message_id
from clinic.models import ClinicSettings
from clinic.refusals import Refusal
from patients.review import may_treat
from sessions.integration import followups
from sessions.models import Appointment, ClinicHours, Closure, Reminder, SchedulingSettings
from sessions.scheduling import sms
from sessions.scheduling.reminder_times import apply_quiet_hours, reminder_due_times

log = logging.getLogger(__name__)


class BookingError(Refusal):
    """Why an appointment cannot be booked or moved; each reason is shown to staff."""

    def __init__(self, reasons):
        super().__init__(*([reasons] if isinstance(reasons, str) else reasons))


def clashes(*, start, end, room, clinician, patient, exclude=None):
    """Reasons an interval clashes with open appointments of the room, clinician or patient."""
    overlapping = (
        Appointment.objects.open()
        .overlapping(start, end)
        .filter(Q(room=room) | Q(clinician=clinician) | Q(patient=patient))
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    reasons = []
    for other in overlapping.select_related("room", "clinician"):
        when = f"{timezone.localtime(other.start):%H:%M}–{timezone.localtime(other.end):%H:%M}"
        if other.room_id == room.pk:
            reasons.append(f"{other.room} is booked {when}.")
        if other.clinician_id == clinician.pk:
            reasons.append(f"{other.clinician} is booked {when}.")
        if other.patient_id == patient.pk:
            reasons.append(f"The patient already has an appointment {when}.")
    return reasons


def outside_hours(start, end):
    """A reason when the clinic is closed then (hours and closures from admin), else None."""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    closure = Closure.objects.filter(date=local_start.date()).first()
    if closure:
        return f"The clinic is closed on {local_start:%b %-d} ({closure.reason})."
    if not ClinicHours.objects.exists():
        return None  # no hours set up yet: nothing to check against
    hours = ClinicHours.objects.filter(weekday=local_start.weekday()).first()
    if hours is None:
        return f"The clinic is closed on {local_start:%A}s."
    if (
        local_start.time() < hours.opens
        or local_end.time() > hours.closes
        or local_end.date() != local_start.date()
    ):
        return f"Outside clinic hours ({hours.opens:%H:%M}–{hours.closes:%H:%M} on {local_start:%A}s)."
    return None


def _check(appointment_type, patient, start):
    reasons = []
    closed = outside_hours(start, start + timedelta(minutes=appointment_type.duration_minutes))
    if closed:
        reasons.append(closed)
    if start <= timezone.now():
        reasons.append("The start time has passed.")
    if not appointment_type.is_active:
        reasons.append(f"{appointment_type} is no longer offered.")
    if appointment_type.route:
        gate = may_treat(patient, appointment_type.route, on=timezone.localtime(start).date())
        reasons.extend(gate.reasons)
    return reasons


def book(*, patient, appointment_type, start, room, clinician, by, plan=None, series_number=None):
    """Book one appointment and create its reminders in the same transaction."""
    end = start + timedelta(minutes=appointment_type.duration_minutes)
    reasons = _check(appointment_type, patient, start)
    if reasons:
        raise BookingError(reasons)
    try:
        with transaction.atomic():
            reasons = clashes(start=start, end=end, room=room, clinician=clinician, patient=patient)
            if reasons:
                raise BookingError(reasons)
            appointment = Appointment.objects.create(
                patient=patient,
                appointment_type=appointment_type,
                start=start,
                end=end,
                room=room,
                clinician=clinician,
                created_by=by,
                plan=plan,
                series_number=series_number,
            )
            schedule_reminders(appointment)
            followups.on_appointment_booked(appointment, by=by)
    except IntegrityError:
        # PostgreSQL's exclusion constraint: someone booked the same chair, clinician or patient
        # between our check and our insert.
        raise BookingError("That time was booked by someone else a moment ago. Choose another.") from None
    log.info("appointment %s booked", appointment.external_id)
    return appointment


def book_series(*, patient, plan, slots, rooms, clinicians, by):
    """Book a whole series in one transaction: all of it, or nothing and every reason."""
    appointments = []
    with transaction.atomic():
        for number, slot in enumerate(slots, start=1):
            try:
                appointments.append(
                    book(
                        patient=patient,
                        appointment_type=plan.appointment_type,
                        start=slot.start,
                        room=rooms[slot.room],
                        clinician=clinicians[slot.clinician],
                        by=by,
                        plan=plan,
                        series_number=number,
                    )
                )
            except BookingError as error:
                raise BookingError([f"Session {number}: {reason}" for reason in error.reasons]) from None
    return appointments


def move(appointment, *, start, room, clinician, by):
    if not appointment.is_open:
        raise BookingError(f"A {appointment.get_status_display().lower()} appointment cannot be moved.")
    end = start + appointment.duration
    reasons = [] if start > timezone.now() else ["The new start time has passed."]
    closed = outside_hours(start, end)
    if closed:
        reasons.append(closed)
    reasons += clashes(
        start=start, end=end, room=room, clinician=clinician, patient=appointment.patient, exclude=appointment
    )
    if reasons:
        raise BookingError(reasons)
    try:
        with transaction.atomic():
            appointment.start, appointment.end, appointment.room, appointment.clinician = (
                start,
                end,
                room,
                clinician,
            )
            if appointment.status == Appointment.Status.CONFIRMED:
                appointment.status = Appointment.Status.SCHEDULED  # the patient confirms the new time
            appointment.reschedule_requested_at = None
            appointment.save()
            appointment.reminders.filter(status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]).update(
                status=Reminder.Status.CANCELLED
            )
            schedule_reminders(appointment)
    except IntegrityError:
        raise BookingError("That time was booked by someone else a moment ago. Choose another.") from None
    return appointment


def is_late(appointment, now=None):
    now = now or timezone.now()
    return appointment.start - now < timedelta(hours=SchedulingSettings.load().cancellation_window_hours)


def cancel(appointment, *, reason, by):
    reason = (reason or "").strip()
    if not reason:
        raise BookingError("Give a reason for the cancellation.")
    longest = Appointment._meta.get_field("cancel_reason").max_length
    if len(reason) > longest:
        raise BookingError(f"Keep the reason to {longest} characters (it has {len(reason)}).")
    if not appointment.is_open:
        raise BookingError(f"The appointment is already {appointment.get_status_display().lower()}.")
    with transaction.atomic():
        appointment.status = Appointment.Status.CANCELLED
        appointment.cancel_reason = reason
        appointment.late_cancellation = is_late(appointment)
        appointment.save()
        appointment.reminders.filter(status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]).update(
            status=Reminder.Status.CANCELLED
        )
    return appointment


def set_status(appointment, status, *, by):
    if status not in Appointment.Status.values:
        raise BookingError("Choose one of the appointment statuses.")
    if status not in Appointment.NEXT[appointment.status]:
        raise BookingError(
            f"{appointment.get_status_display()} cannot become {Appointment.Status(status).label.lower()}."
        )
    if status == Appointment.Status.CANCELLED:
        raise BookingError("Cancel with a reason.")
    with transaction.atomic():
        appointment.status = status
        appointment.save()
        if status == Appointment.Status.COMPLETED:
            followups.on_session_completed(appointment, by=by)
        if status == Appointment.Status.NO_SHOW:
            appointment.reminders.filter(status=Reminder.Status.PENDING).update(
                status=Reminder.Status.CANCELLED
            )
    return appointment


def status_counts(patient):
    counts = {value: 0 for value, _ in Appointment.Status.choices}
    for status in patient.appointments.values_list("status", flat=True):
        counts[status] += 1
    return counts


# Reminders ---------------------------------------------------------------------------------------


def schedule_reminders(appointment, now=None):
    """One row per reminder to send, created in the caller's transaction."""
    now = now or timezone.now()
    current = SchedulingSettings.load()
    channels = [Reminder.Channel.EMAIL] if appointment.patient.email else []
    if current.sms_reminders and appointment.patient.phone:
        channels.append(Reminder.Channel.SMS)
    rows = []
    for hours, due_at in reminder_due_times(appointment.start, current.reminder_offsets, created_at=now):
        for channel in channels:
            when = due_at
            if channel == Reminder.Channel.SMS:
                when = apply_quiet_hours(
                    due_at,
                    quiet_start=current.quiet_hours_start,
                    quiet_end=current.quiet_hours_end,
                    tz=timezone.get_current_timezone(),
                )
                if when >= appointment.start:
                    continue
            rows.append(Reminder(appointment=appointment, channel=channel, hours_before=hours, due_at=when))
    Reminder.objects.bulk_create(rows)
    return rows


def dispatch_due(now=None, limit=None, budget=outbox.BUDGET):
    """Send what is due, batch after batch until none is left or `budget` has passed; returns how many
    went out. Safe to run twice at once."""
    return outbox.dispatch(
        Reminder,
        _deliver,
        now=now,
        limit=limit,
        budget=budget,
        related=("appointment__patient", "appointment__appointment_type"),
        transient=(OSError, sms.SmsError),
    )


def _deliver(reminder):
    appointment = reminder.appointment
    if not appointment.is_open or appointment.start <= timezone.now():
        return False
    if reminder.channel == Reminder.Channel.EMAIL:
        _send_email(appointment, message_id=reminder.message_id)
    else:  # an SMS has no Message-ID: a resend after a crash can arrive twice
        sms.send_sms(sms.normalize_phone(appointment.patient.phone), sms_text(appointment))
    return True


def reminder_context(appointment):
    """First name, date, time and clinic only: nothing clinical goes into a reminder."""
    start = timezone.localtime(appointment.start)
    return {
        "first_name": appointment.patient.display_first_name,
        "date": start,
        "clinic": ClinicSettings.load(),
        "instructions": "\n".join(appointment.appointment_type.preparation),
        "portal_url": settings.SITE_URL + reverse("portal:appointments"),
    }


def _send_email(appointment, *, message_id=None):
    context = reminder_context(appointment)
    send_with_message_id(
        render_to_string("emails/appointment_reminder_subject.txt", context).strip(),
        render_to_string("emails/appointment_reminder.txt", context),
        render_to_string("emails/appointment_reminder.html", context),
        appointment.patient.email,
        message_id=message_id,
    )


def sms_text(appointment):
    context = reminder_context(appointment)
    return (
        f"{context['clinic'].name}: reminder for {context['first_name']}, "
        f"{context['date']:%a %b %-d at %-I:%M %p}. Confirm or ask to reschedule: {context['portal_url']}"
    )
