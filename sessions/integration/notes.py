"""Integration notes: start, write (drafts saved as the therapist types), sign, share, add addenda.

Views stay thin: they turn a form into a call here and a ``NoteError`` into messages. Signed notes
lock (the model refuses to save them); the only later changes are the sharing of the patient summary
(a conditional UPDATE, since ``save()`` refuses a signed note) and addenda beside the original.
Logs name ids only: a note's text never reaches a log line.
"""

import logging

from django.db import transaction
from django.utils import timezone

from clinic import roles
from clinic.refusals import Refusal
from patients import alerts
from sessions.integration.models import NOTE_LOCKED_MESSAGE
from sessions.models import (
    SECTIONS,
    Appointment,
    AppointmentType,
    IntegrationNote,
    NoteAddendum,
    NoteTemplate,
)

log = logging.getLogger(__name__)

SECTION_FIELDS = tuple(field for field, _heading in SECTIONS)
#: What a draft save may change: the sections, the risk check and the patient summary.
DRAFT_FIELDS = (*SECTION_FIELDS, "risk_reviewed", "risk_note", "patient_summary")
#: How many recent sessions and integration appointments a new note offers to follow.
RECENT = 10


class NoteError(Refusal):
    """Why a step on a note was refused: every reason, each shown as it is."""


def _require(user, perm, message):
    if not user.has_perm(perm):
        raise NoteError(message)


def _refuse_unless_author(note, by, doing):
    if note.author_id != by.pk:
        raise NoteError(f"Only the note's author, {note.author}, can {doing} this draft.")


# --- What a note can follow -------------------------------------------------------------------------


def active_templates():
    return NoteTemplate.objects.filter(is_active=True)


def recent_sessions(patient, limit=RECENT):
    """The patient's latest treatment sessions, newest first."""
    return list(
        patient.treatment_sessions.select_related("appointment__appointment_type").order_by("-started_at")[
            :limit
        ]
    )


def recent_integration_appointments(patient, limit=RECENT, now=None):
    """The patient's integration appointments that took place or are under way, newest first."""
    now = now or timezone.now()
    return list(
        patient.appointments.filter(
            appointment_type__kind=AppointmentType.Kind.INTEGRATION,
            start__lte=now,
        )
        .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW))
        .select_related("appointment_type")
        .order_by("-start")[:limit]
    )


# --- Start -----------------------------------------------------------------------------------------


def start_note(patient, *, by, template=None, treatment_session=None, appointment=None, now=None):
    """A new draft for ``patient`` by ``by``, following a session, an integration appointment or
    nothing. The sections start empty: the template's prompts are shown beside them, never copied in.

    Starting again for the same session or appointment returns the author's open draft for it, so a
    double click does not leave two drafts behind."""
    _require(by, roles.WRITE_NOTE, "Only therapists and prescribers write integration notes.")
    problems = []
    if treatment_session is not None and appointment is not None:
        problems.append("A note follows one treatment session or one integration appointment, not both.")
    if treatment_session is not None and treatment_session.patient_id != patient.pk:
        problems.append("That treatment session is not this patient's.")
    if appointment is not None:
        if appointment.patient_id != patient.pk:
            problems.append("That appointment is not this patient's.")
        elif appointment.appointment_type.kind != AppointmentType.Kind.INTEGRATION:
            problems.append(f"{appointment.appointment_type} is not an integration appointment.")
        elif appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
            problems.append(f"That appointment was {appointment.get_status_display().lower()}.")
    if template is not None and not template.is_active:
        problems.append(f"The template “{template}” is no longer in use: choose another.")
    if problems:
        raise NoteError(*problems)
    if treatment_session is not None or appointment is not None:
        existing = IntegrationNote.objects.filter(
            patient=patient,
            author=by,
            status=IntegrationNote.Status.DRAFT,
            treatment_session=treatment_session,
            appointment=appointment,
        ).first()
        if existing:
            return existing
    now = now or timezone.now()
    note = IntegrationNote.objects.create(
        patient=patient,
        author=by,
        template=template,
        treatment_session=treatment_session,
        appointment=appointment,
        created_at=now,
        saved_at=now,
    )
    log.info("integration note %s started for patient %s by user %s", note.external_id, patient.pk, by.pk)
    return note


def prompts(note):
    """{field: prompt} from the note's template (empty without one), shown as help under each section."""
    template = note.template
    fields = (*SECTION_FIELDS, "summary")
    return {field: (getattr(template, field) if template else "") for field in fields}


# --- Draft -----------------------------------------------------------------------------------------


def _locked_row(note):
    """The note re-read under a row lock, so a draft save and a signature never interleave."""
    return IntegrationNote.objects.select_for_update().get(pk=note.pk)


def save_draft(note, *, by, now=None, **fields):
    """Store any subset of ``DRAFT_FIELDS`` on a draft. Refused once the note is signed."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"Not a draft field: {', '.join(sorted(unknown))}")
    if note.is_locked:
        raise NoteError(NOTE_LOCKED_MESSAGE)
    _refuse_unless_author(note, by, "edit")
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked_row(note)
        if current.is_locked:
            raise NoteError(NOTE_LOCKED_MESSAGE)
        for field, value in fields.items():
            setattr(note, field, bool(value) if field == "risk_reviewed" else (value or "").strip())
        note.saved_at = now
        note.save(update_fields=[*fields, "saved_at"])
    log.debug("integration note %s draft saved", note.external_id)  # every pause in typing
    return note


# --- Risk check and signing ------------------------------------------------------------------------


def sign_problems(note):
    """What must be written before the note can be signed."""
    if note.is_locked:
        return ["The note is already signed."]
    problems = []
    if not (note.experience.strip() or note.themes.strip()):
        problems.append("Write the experience or the themes.")
    if not note.plan.strip():
        problems.append("Write the plan.")
    if not note.risk_reviewed:
        problems.append("Tick the risk check once suicide risk and the open alerts are reviewed.")
    return problems


def sign(note, *, by, password, share_summary=False, now=None):
    """The author signs with their password; the note locks. ``share_summary`` also shares the
    summary with the patient (it must be written). Records how many alerts were open at signing.

    The rules are checked on the row as stored (re-read under a lock), which is what gets signed."""
    if note.is_locked:
        raise NoteError("The note is already signed.")
    _require(by, roles.SIGN_NOTE, "Only therapists and prescribers sign integration notes.")
    _refuse_unless_author(note, by, "sign")
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked_row(note)
        problems = sign_problems(current)
        if share_summary and not current.is_locked and not current.patient_summary.strip():
            problems.append("Write the summary for the patient before sharing it, or sign without sharing.")
        if problems:
            raise NoteError(*problems)
        if not password:
            raise NoteError("Enter your password to sign.")
        if not by.check_password(password):
            raise NoteError("Your password is not correct; the note was not signed.")
        current.status = IntegrationNote.Status.SIGNED
        current.signed_at = now
        current.signed_by = by
        current.open_alerts_at_signing = alerts.open_count(current.patient)
        if share_summary:
            current.summary_shared_at = now
            current.summary_shared_by = by
        current.save()
    note.refresh_from_db()
    log.info("integration note %s signed by user %s", note.external_id, by.pk)
    if share_summary:
        log.info("integration note %s summary shared by user %s", note.external_id, by.pk)
    return note


# --- Sharing the summary -----------------------------------------------------------------------------


def share_summary(note, *, by, now=None):
    """Show the signed note's summary in the patient's portal. Only the author shares their words."""
    if not note.is_locked:
        raise NoteError("Sign the note first: only a signed note's summary can be shared.")
    _require(by, roles.SIGN_NOTE, "Only therapists and prescribers share note summaries.")
    if note.author_id != by.pk:
        raise NoteError(f"Only the note's author, {note.author}, can share its summary.")
    if not note.patient_summary.strip():
        raise NoteError("This note has no summary for the patient, so there is nothing to share.")
    now = now or timezone.now()
    # save() refuses signed notes on purpose; only the sharing columns change, and only once.
    updated = IntegrationNote.objects.filter(
        pk=note.pk, status=IntegrationNote.Status.SIGNED, summary_shared_at__isnull=True
    ).update(summary_shared_at=now, summary_shared_by=by)
    if updated:
        note.summary_shared_at, note.summary_shared_by = now, by
        log.info("integration note %s summary shared by user %s", note.external_id, by.pk)
    else:
        note.refresh_from_db(fields=["summary_shared_at", "summary_shared_by"])
    return note


def stop_sharing(note, *, by):
    """Take the summary out of the portal. Any clinician who signs notes may withdraw it."""
    _require(by, roles.SIGN_NOTE, "Only therapists and prescribers change what a patient sees.")
    IntegrationNote.objects.filter(pk=note.pk, summary_shared_at__isnull=False).update(
        summary_shared_at=None, summary_shared_by=None
    )
    note.summary_shared_at = note.summary_shared_by = None
    log.info("integration note %s summary withdrawn by user %s", note.external_id, by.pk)
    return note


def shared_summaries(patient):
    """What the portal shows: the shared summaries of signed notes, newest first, with only the
    columns the portal needs (the note's sections are not even read)."""
    return (
        IntegrationNote.objects.filter(
            patient=patient, status=IntegrationNote.Status.SIGNED, summary_shared_at__isnull=False
        )
        .exclude(patient_summary="")
        .select_related("author")
        .only(
            "external_id",
            "patient_summary",
            "signed_at",
            "summary_shared_at",
            "author__first_name",
            "author__last_name",
            "author__credential",
        )
        .order_by("-signed_at")
    )


# --- Addenda -----------------------------------------------------------------------------------------


def add_addendum(note, *, by, reason, text, now=None):
    """A dated, attributed correction or later note beside a signed note (which never changes)."""
    _require(by, roles.ADD_NOTE_ADDENDUM, "Only therapists and prescribers add addenda to notes.")
    if not note.is_locked:
        raise NoteError("The note is not signed yet: correct the draft itself.")
    reason, text = (reason or "").strip(), (text or "").strip()
    if not reason or not text:
        raise NoteError("Say why, and what the addendum records.")
    addendum = NoteAddendum.objects.create(
        note=note, author=by, reason=reason, text=text, created_at=now or timezone.now()
    )
    log.info("addendum %s added to integration note %s by user %s", addendum.pk, note.external_id, by.pk)
    return addendum
