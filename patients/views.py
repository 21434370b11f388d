from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from clinic import roles
from patients.access import public_view, staff_view
from patients.alerts import open_alerts_for
from patients.audit_report import recent_access
from patients.forms import PatientForm, SetPortalPasswordForm
from patients.models import ConsentDocument, Patient
from patients.review import current_consent, latest_decision, may_treat
from patients.search import pick, recall_search, remember_search, search_patients
from patients.services import (
    InvitationError,
    InvitationLinkError,
    accept_invitation,
    invite_to_portal,
    resolve_invitation,
)

PAGE_SIZE = 25


def _list_url(search_key="", status=""):
    """The patient list's address: a search by its key (patients/search.py), the status filter as is."""
    params = {name: value for name, value in (("s", search_key), ("status", status)) if value}
    return reverse("patients:list") + (f"?{urlencode(params)}" if params else "")


@staff_view(roles.VIEW_PATIENT)
def patient_list(request):
    """The list and its search. The search form posts, so what was typed stays out of the address, and
    comes back here by GET (post, redirect, get): reload, back and the page links keep working."""
    if request.method == "POST":
        words = request.POST.get("q", "").strip()
        status = request.POST.get("status", "")
        return redirect(
            _list_url(
                remember_search(request.session, words) if words else "",
                status if status in Patient.Status.values else "",
            )
        )
    search_key = request.GET.get("s", "")
    query = recall_search(request.session, search_key)
    status = request.GET.get("status", "")
    patients = search_patients(Patient.objects.all(), query)
    if status in Patient.Status.values:
        patients = patients.filter(status=status)
    else:
        status = ""
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "patients/patient_list.html",
        {
            "page": page,
            "query": query,
            "search_key": search_key if query else "",
            "search_forgotten": bool(search_key and not query),
            "status": status,
            "statuses": Patient.Status.choices,
        },
    )


@staff_view(roles.VIEW_PATIENT)
def patient_pick(request):
    """The type-ahead patient picker's matches (htmx, posted: the words stay out of the address). A
    page without JavaScript shows the same matches itself (templates/patients/includes/patient_picker.html);
    posted or opened without htmx, the address leads to the patient list's search."""
    query = request.POST.get("q", "")
    if not request.headers.get("HX-Request"):
        response = redirect(_list_url(remember_search(request.session, query) if query.strip() else ""))
    else:
        response = render(
            request, "patients/includes/patient_picker_results.html", {"picker": pick(query), "oob": True}
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_view(roles.ADD_PATIENT)
def patient_create(request):
    form = PatientForm(request.POST or None, submit_label="Register patient")
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect("patients:detail", patient_id=patient.external_id)
    return render(request, "patients/patient_form.html", {"form": form, "title": "Register a patient"})


@staff_view(roles.VIEW_PATIENT)
def patient_detail(request, patient):
    invitation = patient.latest_invitation()
    found = open_alerts_for(patient, request.user)
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "invitation": invitation,
            "portal_user": patient.user,
            "can_change": request.user.has_perm(roles.CHANGE_PATIENT),
            "can_invite": request.user.has_perm(roles.INVITE_PATIENT),
            "can_view_history": request.user.has_perm(roles.VIEW_PATIENT_HISTORY),
            "alerts": found.get("risk", []),
            "session_alerts": found.get("session", []),
            "gate": may_treat(patient, patient.treatment_route),
            "decision": latest_decision(patient),
            "consents": patient.consent_signatures.select_related("document"),
            "consent_document": ConsentDocument.current_for(patient.treatment_route)
            if patient.treatment_route
            else None,
            "has_current_consent": bool(
                patient.treatment_route and current_consent(patient, patient.treatment_route)
            ),
            "can_acknowledge": request.user.has_perm(roles.ACKNOWLEDGE_ALERT),
            "recent_access": recent_access(patient) if request.user.has_perm(roles.VIEW_AUDIT) else None,
        },
    )


@staff_view(roles.CHANGE_PATIENT)
def patient_edit(request, patient):
    form = PatientForm(request.POST or None, instance=patient, submit_label="Save changes")
    if request.method == "POST" and form.is_valid():
        # Compare cleaned values: "A@B.org" and the stored "a@b.org" are no change.
        if any(form.cleaned_data[name] != form.initial.get(name) for name in form.changed_data):
            form.save()
            messages.success(request, "Changes saved.")
        else:
            messages.info(request, "Nothing was changed.")
        return redirect("patients:detail", patient_id=patient.external_id)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "patient": patient, "title": f"Edit {patient.full_name}"},
    )


@staff_view(roles.VIEW_PATIENT_HISTORY)
def patient_history(request, patient):
    """A page of the record's changes, newest first, each compared with the version before it (for the
    page's last, the first version of the next page). A record with no history (loaded in bulk, or from
    before history was kept) shows an empty list."""
    history = patient.history.select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(history, 50).get_page(request.GET.get("page"))
    records = list(page.object_list)
    before_page = list(history[page.end_index() : page.end_index() + 1]) if records else []
    labels = {field.name: field.verbose_name for field in Patient._meta.fields}
    entries = []
    for record, older in zip(records, [*records[1:], *before_page, None][: len(records)], strict=True):
        changes = []
        if older is not None:
            for change in record.diff_against(older).changes:
                field = Patient._meta.get_field(change.field)
                changes.append(
                    {
                        "label": labels.get(change.field, change.field),
                        "old": _display(field, change.old),
                        "new": _display(field, change.new),
                    }
                )
        entries.append({"record": record, "changes": changes})
    page.object_list = entries
    return render(request, "patients/patient_history.html", {"patient": patient, "page": page})


def _display(field, value):
    if value in (None, ""):
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return "linked" if value else "—"
    return value


@staff_view(roles.INVITE_PATIENT)
@require_POST
def patient_invite(request, patient):
    try:
        invitation = invite_to_portal(patient, request.user)
    except InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Invitation queued for {invitation.email}. The link works once and expires "
            f"in {round((invitation.expires_at - invitation.created_at).total_seconds() / 3600)} hours.",
        )
    return redirect("patients:detail", patient_id=patient.external_id)


# Portal -----------------------------------------------------------------------------------------


LINK_PROBLEMS = {
    "invalid": (
        "This link is not valid",
        "The link may have been copied incompletely. Open it again from the email, "
        "or ask the clinic for a new invitation.",
    ),
    "expired": ("This link has expired", "Ask the clinic to send you a new invitation."),
    "used": (
        "This link has already been used",
        "Sign in with the password you set. If you have forgotten it, use “Forgot password”.",
    ),
    "replaced": (
        "A newer invitation replaced this link",
        "Open the most recent invitation email from the clinic.",
    ),
}


def _link_problem(request, reason):
    title, advice = LINK_PROBLEMS[reason]
    return render(
        request,
        "portal/invitation_problem.html",
        {"title": title, "advice": advice, "reason": reason},
        status=404 if reason == "invalid" else 410,
    )


@public_view
def accept_portal_invitation(request, token):
    try:
        invitation = resolve_invitation(token)
    except InvitationLinkError as problem:
        return _link_problem(request, problem.reason)
    form = SetPortalPasswordForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(token, form.cleaned_data["password1"])
        except InvitationLinkError as problem:
            return _link_problem(request, problem.reason)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Welcome to the patient portal.")
        return redirect("portal:home")
    return render(
        request,
        "portal/accept_invitation.html",
        {"form": form, "invitation": invitation, "patient": invitation.patient},
    )
