"""Integration note screens: a patient's notes, a new note, the editor (drafts saved as the therapist
types), signing, the signed note with its addenda, sharing the summary; and the portal's page of
shared summaries.

Every staff view finds the patient through ``staff_view`` (another patient's id is a 404) and the
note through the patient. A refused step re-renders the page with every reason on the form.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from clinic import roles
from patients import alerts
from patients.access import patient_view, staff_view
from sessions.integration import notes
from sessions.integration.forms import NewNoteForm, NoteAddendumForm, NoteDraftForm, SignNoteForm
from sessions.integration.notes import NoteError


def _note(patient, note_id):
    return get_object_or_404(
        patient.integration_notes.select_related(
            "author",
            "template",
            "signed_by",
            "summary_shared_by",
            "treatment_session__appointment__appointment_type",
            "appointment__appointment_type",
        ),
        external_id=note_id,
    )


def _url(note, anchor=""):
    url = reverse("integration:note", args=[note.patient.external_id, note.external_id])
    return f"{url}#{anchor}" if anchor else url


def _post_only(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def _may_edit(user, note):
    return not note.is_locked and note.author_id == user.pk and user.has_perm(roles.WRITE_NOTE)


def _refuse_unless_author(request, note):
    if note.author_id != request.user.pk:
        raise PermissionDenied(f"Only the note's author, {note.author}, can edit or sign this draft.")


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _add_reasons(form, error):
    for reason in error.reasons:
        form.add_error(None, reason)


# --- List and start ---------------------------------------------------------------------------------


@staff_view(roles.VIEW_NOTE)
def note_list(request, patient):
    rows = patient.integration_notes.select_related(
        "author", "treatment_session__appointment__appointment_type", "appointment__appointment_type"
    ).annotate(addendum_count=Count("addenda"))
    return render(
        request,
        "sessions/integration/notes/list.html",
        {"patient": patient, "notes": rows, "can_write": request.user.has_perm(roles.WRITE_NOTE)},
    )


def _preselected(patient, request, sessions, appointments):
    """The session or appointment named in ?session= / ?appointment= (the chart's link), as a
    `follows` choice; an older one than the recent lists is added to them."""
    for param, manager, found in (
        ("session", patient.treatment_sessions, sessions),
        ("appointment", patient.appointments, appointments),
    ):
        raw = request.GET.get(param)
        if not raw:
            continue
        try:
            wanted = uuid.UUID(raw)
        except ValueError:
            continue
        target = next((item for item in found if item.external_id == wanted), None)
        if target is None:
            target = manager.filter(external_id=wanted).first()
            if target is None or (param == "appointment" and target.appointment_type.kind != "integration"):
                continue
            found.insert(0, target)
        return f"{param}:{wanted}"
    return ""


@staff_view(roles.WRITE_NOTE)
def note_new(request, patient):
    sessions = notes.recent_sessions(patient)
    appointments = notes.recent_integration_appointments(patient)
    initial = {"follows": _preselected(patient, request, sessions, appointments)}
    form = NewNoteForm(
        request.POST if request.method == "POST" else None,
        sessions=sessions,
        appointments=appointments,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            note = notes.start_note(
                patient, by=request.user, template=form.cleaned_data["template"], **form.follows_kwargs()
            )
        except NoteError as error:
            _add_reasons(form, error)
        else:
            messages.success(request, "Draft started. It is saved as you type.")
            return redirect(_url(note))
    return render(request, "sessions/integration/notes/new.html", {"patient": patient, "form": form})


# --- Editor and the signed note ---------------------------------------------------------------------


def _editor(request, note, form=None, sign_form=None, status=200):
    prompts = notes.prompts(note)
    if form is None:
        form = NoteDraftForm(prompts=prompts, initial={f: getattr(note, f) for f in notes.DRAFT_FIELDS})
    found = alerts.open_alerts_for(note.patient)
    return render(
        request,
        "sessions/integration/notes/editor.html",
        {
            "patient": note.patient,
            "note": note,
            "form": form,
            "sign_form": sign_form or SignNoteForm(),
            "sign_problems": notes.sign_problems(note),
            "risk_alerts": found.get("risk", []),
            "session_alerts": found.get("session", []),
            "can_sign": request.user.has_perm(roles.SIGN_NOTE),
        },
        status=status,
    )


def _read_view(request, note, addendum_form=None, status=200):
    user = request.user
    found = {} if note.is_locked else alerts.open_alerts_for(note.patient)
    return render(
        request,
        "sessions/integration/notes/detail.html",
        {
            "patient": note.patient,
            "note": note,
            "addenda": note.addenda.select_related("author"),
            "addendum_form": addendum_form or NoteAddendumForm(),
            "can_add_addendum": note.is_locked and user.has_perm(roles.ADD_NOTE_ADDENDUM),
            "can_share": note.is_locked
            and not note.is_shared
            and note.author_id == user.pk
            and user.has_perm(roles.SIGN_NOTE)
            and bool(note.patient_summary),
            "can_stop_sharing": note.is_locked and note.is_shared and user.has_perm(roles.SIGN_NOTE),
            "risk_alerts": found.get("risk", []),
            "session_alerts": found.get("session", []),
        },
        status=status,
    )


@staff_view(roles.VIEW_NOTE)
def note_detail(request, patient, note_id):
    """The author's draft opens in the editor; everything else (a signed note, a colleague's draft)
    is read-only."""
    note = _note(patient, note_id)
    if _may_edit(request.user, note):
        return _editor(request, note)
    return _read_view(request, note)


@staff_view(roles.WRITE_NOTE)
def note_draft(request, patient, note_id):
    """Save the draft: with htmx (as the therapist types) answer with the status line; without
    (the Save draft button) go back to the editor."""
    note = _note(patient, note_id)
    if (refusal := _post_only(request)) is not None:
        return refusal
    htmx = _is_htmx(request)
    if note.is_locked:
        if htmx:
            return render(
                request, "sessions/integration/notes/draft_status.html", {"note": note, "locked": True}
            )
        messages.error(request, notes.NOTE_LOCKED_MESSAGE)
        return redirect(_url(note))
    _refuse_unless_author(request, note)
    form = NoteDraftForm(request.POST, prompts=notes.prompts(note))
    problem = ""
    if form.is_valid():
        try:
            notes.save_draft(note, by=request.user, **form.draft_values())
        except NoteError as error:
            problem = " ".join(error.reasons)
    else:
        problem = "; ".join(
            f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
            for name, errors in form.errors.items()
        )
    if htmx:
        note.refresh_from_db()
        return render(
            request,
            "sessions/integration/notes/draft_status.html",
            {
                "note": note,
                "problem": problem,
                "locked": note.is_locked,
                "sign_problems": notes.sign_problems(note),
                "oob": True,
            },
        )
    if problem and not form.errors:
        messages.error(request, problem)
        return redirect(_url(note))
    if form.errors:
        return _editor(request, note, form=form)
    messages.success(request, "Draft saved.")
    return redirect(_url(note))


@staff_view(roles.SIGN_NOTE)
def note_sign(request, patient, note_id):
    """Save what the editor holds, then sign it with the password (the sign button is part of the
    editor form, so nothing typed since the last autosave is lost)."""
    note = _note(patient, note_id)
    if (refusal := _post_only(request)) is not None:
        return refusal
    if note.is_locked:
        messages.error(request, "The note is already signed.")
        return redirect(_url(note))
    _refuse_unless_author(request, note)
    form = NoteDraftForm(request.POST, prompts=notes.prompts(note))
    sign_form = SignNoteForm(request.POST)
    if not form.is_valid():
        sign_form.is_valid()
        sign_form.add_error(None, "Not signed: correct the note first.")
        return _editor(request, note, form=form, sign_form=sign_form)
    sign_form.is_valid()  # every field is optional: the service names what is missing
    try:
        if request.user.has_perm(roles.WRITE_NOTE):
            notes.save_draft(note, by=request.user, **form.draft_values())
        notes.sign(
            note,
            by=request.user,
            password=sign_form.cleaned_data.get("password", ""),
            share_summary=sign_form.cleaned_data.get("share_summary", False),
        )
    except NoteError as error:
        _add_reasons(sign_form, error)
        note.refresh_from_db()
        if note.is_locked:
            messages.error(request, " ".join(error.reasons))
            return redirect(_url(note))
        form = NoteDraftForm(
            prompts=notes.prompts(note), initial={f: getattr(note, f) for f in notes.DRAFT_FIELDS}
        )
        return _editor(request, note, form=form, sign_form=sign_form)
    shared = " The summary is now in the patient's portal." if note.is_shared else ""
    messages.success(request, f"Signed and locked.{shared}")
    return redirect(_url(note))


# --- After signing ----------------------------------------------------------------------------------


def _change_sharing(request, patient, note_id, change, done):
    note = _note(patient, note_id)
    if (refusal := _post_only(request)) is not None:
        return refusal
    try:
        change(note, by=request.user)
    except NoteError as error:
        messages.error(request, " ".join(error.reasons))
    else:
        messages.success(request, done)
    return redirect(_url(note, "sharing"))


@staff_view(roles.SIGN_NOTE)
def note_share(request, patient, note_id):
    return _change_sharing(
        request, patient, note_id, notes.share_summary, "The summary is now in the patient's portal."
    )


@staff_view(roles.SIGN_NOTE)
def note_stop_sharing(request, patient, note_id):
    return _change_sharing(
        request,
        patient,
        note_id,
        notes.stop_sharing,
        "The summary is no longer shown in the patient's portal.",
    )


@staff_view(roles.ADD_NOTE_ADDENDUM)
def note_addendum(request, patient, note_id):
    note = _note(patient, note_id)
    if (refusal := _post_only(request)) is not None:
        return refusal
    if not note.is_locked:
        messages.error(request, "The note is not signed yet: correct the draft itself.")
        return redirect(_url(note))
    form = NoteAddendumForm(request.POST)
    if form.is_valid():
        try:
            notes.add_addendum(note, by=request.user, **form.cleaned_data)
        except NoteError as error:
            _add_reasons(form, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect(_url(note, "addenda"))
    return _read_view(request, note, addendum_form=form)


# --- Portal -------------------------------------------------------------------------------------------


@patient_view
def portal_notes(request, patient):
    """Only the summaries the care team chose to share; never a note's sections or its risk check."""
    return render(request, "portal/notes.html", {"summaries": notes.shared_summaries(patient)})
