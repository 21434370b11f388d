"""Treatment plans: proposing the slots of a plan's series from the clinic's hours and bookings.

This reads the database (opening hours, closures, working hours, rooms, clinicians and the open
appointments of the coming months) and hands it to the pure ``series.propose_series``; it books
nothing. It is its own module rather than part of booking.py because booking.py is the write side
(booking, moving and cancelling, and each appointment's reminders): a proposal only reads, and
``booking.book_series`` then books the slots the caller accepts, checking each again.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from clinic import roles
from sessions.models import Appointment, ClinicHours, Closure, Room, WorkingHours
from sessions.scheduling import series
from sessions.scheduling.forms import clinicians


def _busy(appointments, key):
    busy = {}
    for appointment in appointments:
        busy.setdefault(str(key(appointment)), []).append(series.Interval(appointment.start, appointment.end))
    return busy


def propose_for(plan, first_day, preferred_time):
    """Slots for the plan's induction series that respect its spacing, hours, closures and bookings.

    Returns ``(slots, rooms, staff)``: the ``series.Slot`` list, and the rooms and clinicians it names,
    keyed by the string of their primary key. Raises ``series.NoSlotsError`` when the series does not fit.
    """
    tz = timezone.get_current_timezone()
    horizon_end = first_day + timedelta(days=120)
    booked = list(
        Appointment.objects.open().filter(
            start__gte=timezone.make_aware(datetime.combine(first_day, time.min)),
            start__lt=timezone.make_aware(datetime.combine(horizon_end, time.min)),
        )
    )
    rooms = {str(room.pk): room for room in Room.objects.filter(is_active=True, is_chair=True)} or {
        str(room.pk): room for room in Room.objects.filter(is_active=True)
    }
    # Treatments are given by nurses and prescribers, not by integration therapists.
    staff = {
        str(user.pk): user for user in clinicians().filter(groups__name__in=[roles.NURSE, roles.PRESCRIBER])
    }
    shifts = {}
    for shift in WorkingHours.objects.all():
        shifts.setdefault(str(shift.staff_id), {})[shift.weekday] = (shift.starts, shift.ends)
    clinic_hours = dict.fromkeys(range(7))
    for hours in ClinicHours.objects.all():
        clinic_hours[hours.weekday] = (hours.opens, hours.closes)
    slots = series.propose_series(
        count=plan.induction_sessions,
        first_day=first_day,
        duration=timedelta(minutes=plan.appointment_type.duration_minutes),
        spacing=series.SpacingRule(min_hours_between=plan.min_hours_between, max_per_week=plan.max_per_week),
        clinic_hours=clinic_hours,
        closures=set(Closure.objects.values_list("date", flat=True)),
        tz=tz,
        rooms=list(rooms),
        clinicians=[key for key in staff if key in shifts] or list(staff),
        room_busy=_busy(booked, lambda a: a.room_id),
        clinician_busy=_busy(booked, lambda a: a.clinician_id),
        clinician_hours=shifts,
        patient_busy=[series.Interval(a.start, a.end) for a in booked if a.patient_id == plan.patient_id],
        preferred_time=preferred_time,
        now=timezone.now(),
    )
    return slots, rooms, staff
