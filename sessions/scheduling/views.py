import re
from datetime import datetime, time, timedelta
from html import escape
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from clinic import roles
from clinic.validators import plausible_date
from patients import alerts
from patients.access import get_patient_for, patient_view, staff_view
from patients.models import Patient
from patients.search import pick, recall_search, remember_search
from sessions.models import Appointment, AppointmentType, Room, Site
from sessions.scheduling import series
from sessions.scheduling.booking import (
    BookingError,
    book,
    book_series,
    cancel,
    is_late,
    move,
    set_status,
    status_counts,
)
from sessions.scheduling.forms import (
    PORTAL_CANCELLED,
    BookingForm,
    CancelForm,
    PortalChangeForm,
    ProposeForm,
    SlotForm,
    TreatmentPlanForm,
    clinicians,
)
from sessions.scheduling.models import LONGEST_APPOINTMENT_MINUTES
from sessions.scheduling.plans import propose_for


def _day(request, name="date", data=None):
    try:
        day = datetime.strptime((request.GET if data is None else data).get(name, ""), "%Y-%m-%d").date()
        plausible_date(day)  # the calendar steps a week either way: 9999-12-31 would overflow
    except (ValueError, ValidationError):
        return timezone.localdate()
    return day


def _bounds(start_day, end_day):
    return (
        timezone.make_aware(datetime.combine(start_day, time.min)),
        timezone.make_aware(datetime.combine(end_day, time.min)),
    )


def _appointments_between(start_day, end_day):
    return Appointment.objects.overlapping(*_bounds(start_day, end_day)).select_related(
        "patient", "room", "clinician", "appointment_type", "treatment_session"
    )


# Staff: today and the calendar ---------------------------------------------------------------------

#: Today names at most this many patients with open alerts; the Alerts page lists them all.
TODAY_ALERT_NAMES = 12


@staff_view(roles.VIEW_APPOINTMENTS)
def today(request):
    day = timezone.localdate()
    sites, site = _calendar_site(request)
    appointments = _appointments_between(day, day + timedelta(days=1))
    if site is not None:
        appointments = appointments.filter(room__site=site)
    appointments = list(appointments.order_by("start"))
    by_room = {}
    for appointment in appointments:
        by_room.setdefault(appointment.room, []).append(appointment)
    alert_patients, alert_patient_total = alerts.patients_with_open_alerts(
        request.user, limit=TODAY_ALERT_NAMES
    )
    return render(
        request,
        "sessions/today.html",
        {
            "day": day,
            "by_room": sorted(by_room.items(), key=lambda item: item[0].name),
            "checked_in": [
                a
                for a in appointments
                if a.status in (Appointment.Status.CHECKED_IN, Appointment.Status.IN_TREATMENT)
            ],
            "alert_patients": alert_patients,
            "alert_patient_total": alert_patient_total,
            "can_change": request.user.has_perm(roles.CHANGE_APPOINTMENT),
            **_site_context(sites, site),
        },
    )


@staff_view(roles.VIEW_APPOINTMENTS)
def calendar(request):
    if request.method == "POST":
        return _find_patient_to_book(request)
    view = request.GET.get("view", "day")
    by = request.GET.get("by", "room")
    day = _day(request)
    if view == "week":
        start_day = day - timedelta(days=day.weekday())
        days = [start_day + timedelta(days=n) for n in range(7)]
    else:
        view, start_day, days = "day", day, [day]
    sites, site = _calendar_site(request)
    window = _bounds(days[0], days[-1] + timedelta(days=1))
    if by == "room":
        columns = Room.objects.filter(is_active=True)
        columns = list(columns.filter(site=site) if site else columns)
    else:
        columns = clinicians()
        if site:
            # The clinicians seen at this site in the days shown, not the whole group's staff.
            seen = Appointment.objects.filter(
                room__site=site,
                start__gte=window[0] - timedelta(minutes=LONGEST_APPOINTMENT_MINUTES),
                start__lt=window[1],
            )
            columns = columns.filter(pk__in=seen.values("clinician_id"))
        columns = list(columns)
    step = timedelta(days=7 if view == "week" else 1)
    can_book = request.user.has_perm(roles.BOOK_APPOINTMENT) and request.user.has_perm(roles.VIEW_PATIENT)
    return render(
        request,
        "sessions/calendar.html",
        {
            "view": view,
            "by": by,
            "day": day,
            "days": days,
            "grid": calendar_grid(days[0], days[-1] + timedelta(days=1), columns, days, by, site=site),
            **_site_context(sites, site),
            "site_keep": [("view", view), ("by", by), ("date", day.isoformat())],
            "previous": day - step,
            "next": day + step,
            "statuses": Appointment.Status.choices,
            "can_book": can_book,
            # The "Book" box's patient picker; this page shows its matches when JavaScript is off.
            "picker": pick(recall_search(request.session, request.GET.get("pick"))) if can_book else None,
        },
    )


#: An appointment's card on the calendar, as templates/sessions/includes/appointment_card.html draws it
#: on Today. A week of a busy clinic holds thousands of cards: drawn through models, template includes
#: and reverse() they took over a second, so each is one string filled with escaped values (html.escape,
#: which Django's escape() wraps) in one pass.
CALENDAR_CARD = (
    '<div class="appt border rounded p-2 mb-2 appt-border-{0}"><div class="d-flex gap-2 align-items-baseline">'
    '<strong>{1}</strong> <span class="badge appt-{0}">{2}</span></div><a href="{3}">{4}</a>'
    '<div class="small text-body-secondary">{5} · {6}{7}</div></div>'
)
RESCHEDULE_ASKED = ' · <span class="text-danger">reschedule asked</span>'

_PATIENT, _APPOINTMENT = UUID(int=1), UUID(int=2)


TODAY_AGAIN = re.compile(r"/today/(\?site=(\d{1,12}|all))?")


def _calendar_site(request):
    """The clinic's active sites and the one the calendar shows: the one asked for, else the first.
    None (every room) when the clinic has no sites or "all" is asked for."""
    sites = list(Site.objects.filter(is_active=True))
    wanted = request.GET.get("site", "")
    if not sites or wanted == "all":
        return sites, None
    return sites, next((site for site in sites if str(site.pk) == wanted), sites[0])


def _site_context(sites, site):
    """What sessions/includes/site_picker.html and the page's links need: the sites, the one shown, and
    the value every link carries (the site's id, "all", or nothing for a clinic without sites)."""
    return {
        "sites": sites,
        "site": site,
        "site_param": "" if not sites else (str(site.pk) if site else "all"),
    }


def _uuid_text(field):
    """A UUID column as PostgreSQL's text (made into UUID objects only to be turned back into text, the
    calendar's two per card took a tenth of a busy week's time). SQLite keeps UUIDs as bare hex, so
    there the UUID objects stay: str() gives the same address either way."""
    return Cast(field, CharField()) if connection.vendor == "postgresql" else field


def calendar_grid(start_day, end_day, columns, days, by, site=None):
    """``[(column, [each day's cards, as HTML])]`` for the appointments between two days: one query for
    them (names of rooms, clinicians and types from small lookups), each put in its cell in one pass with
    its local times computed once. One outside the columns or days is left out."""
    appointments = Appointment.objects.overlapping(*_bounds(start_day, end_day))
    if site is not None:
        appointments = appointments.filter(room__site=site)
    rows = appointments.order_by("start").values_list(
        _uuid_text("external_id"),
        "start",
        "end",
        "status",
        "reschedule_requested_at",
        "room_id",
        "clinician_id",
        "appointment_type_id",
        _uuid_text("patient__external_id"),
        "patient__legal_family_name",
        "patient__legal_given_name",
        "patient__preferred_name",
    )
    rooms = {room.pk: room.name for room in Room.objects.all()}
    kinds = {kind.pk: kind.name for kind in AppointmentType.objects.all()}
    staff = {user.pk: str(user) for user in columns} if by == "clinician" else None
    rows = list(rows)
    if staff is None:
        staff = {user.pk: str(user) for user in get_user_model().objects.filter(pk__in={r[6] for r in rows})}
    # One reverse() for every card: the address differs only by the two ids.
    url = reverse("sessions:appointment", args=[_PATIENT, _APPOINTMENT])
    url = url.replace(str(_PATIENT), "{patient}").replace(str(_APPOINTMENT), "{appointment}")
    labels = {value: escape(label) for value, label in Appointment.Status.choices}
    statuses = {value: escape(value) for value in labels}
    rooms = {pk: escape(name) for pk, name in rooms.items()}
    kinds = {pk: escape(name) for pk, name in kinds.items()}
    staff = {pk: escape(name) for pk, name in staff.items()}
    zone = timezone.get_current_timezone()
    cells = {(column.pk, each_day): [] for column in columns for each_day in days}
    for external_id, start, end, status, reschedule, room_id, clinician_id, kind_id, *patient in rows:
        start, end = start.astimezone(zone), end.astimezone(zone)
        cell = cells.get((room_id if by == "room" else clinician_id, start.date()))
        if cell is None:
            continue
        cell.append(
            CALENDAR_CARD.format(
                statuses.get(status) or escape(status),
                f"{start:%H:%M}–{end:%H:%M}",
                labels.get(status) or escape(status),
                url.format(patient=patient[0], appointment=external_id),
                escape(Patient.sortable_name_of(*patient[1:])),
                kinds.get(kind_id, ""),
                staff.get(clinician_id, "") if by == "room" else rooms.get(room_id, ""),
                RESCHEDULE_ASKED if reschedule is not None else "",
            )
        )
    cells = {key: mark_safe("".join(cards)) for key, cards in cells.items()}  # noqa: S308 (escaped above)
    return [(column, [cells[column.pk, each_day] for each_day in days]) for column in columns]


def _find_patient_to_book(request):
    """The "Book" box's *Find* without JavaScript: the words typed are kept in the session, and the
    calendar shows the matches by their key, so no name or birth date goes into an address."""
    params = {name: request.POST[name] for name in ("date", "view", "by", "site") if request.POST.get(name)}
    words = request.POST.get("q", "")
    if words.strip():
        params["pick"] = remember_search(request.session, words)
    return redirect(f"{reverse('sessions:calendar')}?{urlencode(params)}#patient-picker")


@staff_view(roles.BOOK_APPOINTMENT)
def calendar_book(request):
    """The calendar's "Book" box (a form that posts, since it carries the words typed): pick a patient,
    then the booking form opens on that day."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        patient = get_patient_for(request.user, data.get("patient", ""), roles.BOOK_APPOINTMENT)
    except ValidationError:
        messages.error(request, "Choose a patient to book for.")
        return redirect("sessions:calendar")
    day = _day(request, data=data)
    return redirect(f"{reverse('sessions:book', args=[patient.external_id])}?date={day:%Y-%m-%d}")


# Staff: one patient's appointments ------------------------------------------------------------------


@staff_view(roles.BOOK_APPOINTMENT)
def book_appointment(request, patient):
    form = BookingForm(request.POST or None, initial={"date": _day(request), "time": time(9, 0)})
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            appointment = book(
                patient=patient,
                appointment_type=form.cleaned_data["appointment_type"],
                start=form.start(),
                room=form.cleaned_data["room"],
                clinician=form.cleaned_data["clinician"],
                by=request.user,
            )
        except BookingError as error:
            errors = error.reasons
        else:
            messages.success(
                request,
                f"Booked {appointment.appointment_type} on {timezone.localtime(appointment.start):%a %b %-d, %H:%M}.",
            )
            return redirect(
                "sessions:appointment", patient_id=patient.external_id, appointment_id=appointment.external_id
            )
    return render(request, "sessions/book.html", {"patient": patient, "form": form, "errors": errors})


@staff_view(roles.VIEW_APPOINTMENTS)
def appointment_detail(request, patient, appointment_id):
    appointment = get_object_or_404(
        patient.appointments.select_related(
            "room", "clinician", "appointment_type", "plan", "treatment_session"
        ),
        external_id=appointment_id,
    )
    local = timezone.localtime(appointment.start)
    return render(
        request,
        "sessions/appointment.html",
        {
            "patient": patient,
            "appointment": appointment,
            "next_statuses": [
                s for s in Appointment.NEXT[appointment.status] if s != Appointment.Status.CANCELLED
            ],
            "move_form": SlotForm(
                initial={
                    "date": local.date(),
                    "time": local.time(),
                    "room": appointment.room,
                    "clinician": appointment.clinician,
                }
            ),
            "cancel_form": CancelForm(),
            "late": is_late(appointment),
            "reminders": appointment.reminders.all(),
            "counts": status_counts(patient),
            "can_change": request.user.has_perm(roles.CHANGE_APPOINTMENT),
        },
    )


def _back(patient, appointment):
    return redirect(
        "sessions:appointment", patient_id=patient.external_id, appointment_id=appointment.external_id
    )


@staff_view(roles.CHANGE_APPOINTMENT)
@require_POST
def appointment_status(request, patient, appointment_id):
    appointment = get_object_or_404(patient.appointments, external_id=appointment_id)
    try:
        set_status(appointment, request.POST.get("status", ""), by=request.user)
    except (BookingError, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Now {appointment.get_status_display().lower()}.")
    # Back to Today (and the site it showed) when asked; no other address is followed.
    back_to_today = TODAY_AGAIN.fullmatch(request.POST.get("next", ""))
    return redirect(back_to_today.group(0)) if back_to_today else _back(patient, appointment)


@staff_view(roles.CHANGE_APPOINTMENT)
@require_POST
def appointment_move(request, patient, appointment_id):
    appointment = get_object_or_404(patient.appointments, external_id=appointment_id)
    form = SlotForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Not moved: " + "; ".join(e for errors in form.errors.values() for e in errors)
        )
    else:
        try:
            move(
                appointment,
                start=form.start(),
                room=form.cleaned_data["room"],
                clinician=form.cleaned_data["clinician"],
                by=request.user,
            )
        except BookingError as error:
            messages.error(request, "Not moved: " + " ".join(error.reasons))
        else:
            messages.success(request, "Moved; its reminders follow the new time.")
    return _back(patient, appointment)


@staff_view(roles.CHANGE_APPOINTMENT)
@require_POST
def appointment_cancel(request, patient, appointment_id):
    appointment = get_object_or_404(patient.appointments, external_id=appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Not cancelled: " + " ".join(e for errors in form.errors.values() for e in errors)
        )
        return _back(patient, appointment)
    try:
        cancel(appointment, reason=form.cleaned_data["reason"], by=request.user)
    except BookingError as error:
        messages.error(request, " ".join(error.reasons))
    else:
        messages.success(
            request, "Cancelled" + (" (late cancellation)." if appointment.late_cancellation else ".")
        )
    return _back(patient, appointment)


@staff_view(roles.VIEW_APPOINTMENTS)
def patient_appointments(request, patient):
    return render(
        request,
        "sessions/patient_appointments.html",
        {
            "patient": patient,
            "appointments": patient.appointments.select_related(
                "appointment_type", "room", "clinician"
            ).order_by("-start"),
            "plans": patient.treatment_plans.select_related("appointment_type", "prescribed_by"),
            "counts": status_counts(patient),
        },
    )


# Treatment plans ------------------------------------------------------------------------------------


@staff_view(roles.ADD_PLAN)
def plan_create(request, patient):
    form = TreatmentPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.patient, plan.prescribed_by = patient, request.user
        plan.save()
        messages.success(request, "Treatment plan saved. Front desk can now book the series.")
        return redirect("sessions:plan", patient_id=patient.external_id, plan_id=plan.external_id)
    return render(request, "sessions/plan_form.html", {"patient": patient, "form": form})


@staff_view(roles.VIEW_APPOINTMENTS)
def plan_detail(request, patient, plan_id):
    plan = get_object_or_404(
        patient.treatment_plans.select_related("appointment_type", "prescribed_by"), external_id=plan_id
    )
    form = ProposeForm(request.POST or request.GET or None)
    slots, problem = [], None
    can_book = request.user.has_perm(roles.BOOK_APPOINTMENT)
    if form.is_bound and form.is_valid():
        try:
            slots, rooms, staff = propose_for(
                plan, form.cleaned_data["first_day"], form.cleaned_data["preferred_time"]
            )
        except series.NoSlotsError as error:
            problem = str(error)
        else:
            if request.method == "POST" and request.POST.get("book") and can_book:
                try:
                    booked = book_series(
                        patient=patient,
                        plan=plan,
                        slots=slots,
                        rooms=rooms,
                        clinicians=staff,
                        by=request.user,
                    )
                except BookingError as error:
                    problem = " ".join(error.reasons)
                else:
                    messages.success(request, f"Booked {len(booked)} sessions.")
                    return redirect("sessions:patient_appointments", patient_id=patient.external_id)
            slots = [(slot, rooms[slot.room], staff[slot.clinician]) for slot in slots]
    return render(
        request,
        "sessions/plan.html",
        {
            "patient": patient,
            "plan": plan,
            "form": form,
            "slots": slots,
            "problem": problem,
            "can_book": can_book,
            "booked": plan.appointments.select_related("room", "clinician").order_by("start"),
        },
    )


# Portal -------------------------------------------------------------------------------------------


def _own_appointment(patient, appointment_id):
    return get_object_or_404(
        Appointment.objects.select_related("appointment_type"), external_id=appointment_id, patient=patient
    )


@patient_view
def portal_appointments(request, patient):
    upcoming = patient.appointments.upcoming().select_related("appointment_type")
    return render(
        request,
        "sessions/portal_appointments.html",
        {
            "patient": patient,
            "upcoming": [(a, is_late(a)) for a in upcoming],
            "note_maxlength": PortalChangeForm.base_fields["note"].max_length,
        },
    )


@patient_view
def portal_confirm(request, patient, appointment_id):
    appointment = _own_appointment(patient, appointment_id)  # another patient's id: 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if appointment.status == Appointment.Status.SCHEDULED:
        set_status(appointment, Appointment.Status.CONFIRMED, by=request.user)
        messages.success(request, "Thank you: your appointment is confirmed.")
    return redirect("portal:appointments")


@patient_view
def portal_change(request, patient, appointment_id):
    appointment = _own_appointment(patient, appointment_id)  # another patient's id: 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = PortalChangeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Nothing was changed. " + " ".join(e for errors in form.errors.values() for e in errors)
        )
        return redirect("portal:appointments")
    note = form.cleaned_data["note"].strip()
    if not appointment.is_open:
        messages.info(request, "This appointment can no longer be changed.")
    elif is_late(appointment):
        messages.error(
            request, "It is too close to the appointment to change it here: please call the clinic."
        )
    elif form.cleaned_data["action"] == "cancel":
        cancel(appointment, reason=f"{PORTAL_CANCELLED} {note}".strip(), by=request.user)
        messages.success(request, "Your appointment is cancelled.")
    else:
        appointment.reschedule_requested_at = timezone.now()
        appointment.reschedule_note = note
        appointment.save(update_fields=["reschedule_requested_at", "reschedule_note"])
        messages.success(request, "The clinic will contact you to find a new time.")
    return redirect("portal:appointments")
