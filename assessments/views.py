import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import scoring
from assessments.forms import (
    AcknowledgeAlertForm,
    AssignForm,
    OutcomeFilterForm,
    QuestionnaireForm,
    field_name,
)
from assessments.models import AssessmentResponse, AssessmentSettings, QuestionnaireAssignment
from assessments.outcomes import clinic_outcomes, patient_courses, site_source
from assessments.reports import course_chart, progress_report_pdf
from assessments.services import (
    CLOSED_MESSAGE,
    AlreadySubmitted,
    QuestionnaireClosed,
    acknowledge_alert,
    assign,
    current_version_for,
    current_versions,
    save_draft,
    submit_response,
    withdraw,
)
from clinic import roles
from clinic.downloads import document_filename
from clinic.models import OutboxMessage
from patients import alerts
from patients.access import patient_view, staff_view

# Staff: a patient's measures --------------------------------------------------------------------

TABLE_ROWS = 12


@staff_view(roles.VIEW_RESPONSES)
def patient_measures(request, patient):
    courses = patient_courses(patient)
    versions = current_versions()
    # A long course's table shows its baseline and latest scores unless all are asked for
    # (?all=PHQ-9): the page stays the same size however long the patient has been treated.
    expanded = request.GET.get("all", "")
    return render(
        request,
        "assessments/patient_measures.html",
        {
            "patient": patient,
            "courses": [
                (
                    course,
                    course_chart(course),
                    list(course.rows())
                    if course.instrument.code == expanded
                    else course.recent_rows(TABLE_ROWS),
                )
                for course in courses
            ],
            "table_rows": TABLE_ROWS,
            "pending": patient.assignments.filter(status=QuestionnaireAssignment.Status.PENDING)
            .select_related("version__instrument", "assigned_by")
            .annotate(sent_notices=Count("notices", filter=Q(notices__status=OutboxMessage.Status.SENT)))
            .order_by("due_date", "available_at"),
            "missed": patient.assignments.filter(status=QuestionnaireAssignment.Status.EXPIRED)
            .select_related("version__instrument")
            .order_by("-expires_at")[:20],
            "alerts": patient.risk_alerts.select_related(
                "response__version__instrument", "acknowledged_by"
            ).defer("response__version__definition", "response__answers"),
            "versions": versions,
            "assign_form": AssignForm(versions),
            "can_give": request.user.has_perm(roles.ADD_RESPONSE),
            "can_assign": request.user.has_perm(roles.ASSIGN_QUESTIONNAIRE),
            "can_acknowledge": request.user.has_perm(roles.ACKNOWLEDGE_ALERT),
        },
    )


@staff_view(roles.ADD_RESPONSE)
def give_instrument(request, patient, code):
    version = current_version_for(code)
    if version is None:
        raise Http404("No such instrument.")
    # Bound on every POST, an empty one too: it is refused with every unanswered question named.
    form = QuestionnaireForm(version.definition, request.POST if request.method == "POST" else None)
    key = request.POST.get("submission_key") or str(uuid.uuid4())
    if request.method == "POST":
        try:
            submission_key = uuid.UUID(key)
        except ValueError:
            submission_key = uuid.uuid4()
        try:
            response = submit_response(
                patient=patient,
                version=version,
                raw=form.raw_answers(),
                entered_by=request.user,
                mode=AssessmentResponse.Mode.CLINIC,
                submission_key=submission_key,
                is_baseline=request.POST.get("is_baseline") == "on",
            )
        except scoring.AnswerError as error:
            form.is_valid()
            form.apply_errors(error)
        except AlreadySubmitted as already:
            return redirect(
                "assessments:response",
                patient_id=patient.external_id,
                response_id=already.response.external_id,
            )
        else:
            messages.success(
                request,
                f"{code} saved: total {response.total}{' · ' + response.band if response.band else ''}.",
            )
            _announce_alerts(request, response)
            return redirect("assessments:measures", patient_id=patient.external_id)
    return render(
        request,
        "assessments/give.html",
        {
            "patient": patient,
            "version": version,
            "form": form,
            "submission_key": key,
            "progress": form.progress(),
        },
    )


def _announce_alerts(request, response):
    for alert in response.alerts.all():
        messages.warning(request, f"Alert raised: {alert.message}")


@staff_view(roles.ASSIGN_QUESTIONNAIRE)
@require_POST
def assign_questionnaire(request, patient):
    form = AssignForm(current_versions(), request.POST)
    if form.is_valid():
        assignment = assign(
            patient,
            form.cleaned_data["version"],
            due_date=form.cleaned_data["due_date"],
            purpose=form.cleaned_data["purpose"],
            by=request.user,
        )
        messages.success(
            request,
            f"{assignment.version.instrument.code} is waiting in {patient.display_first_name}'s portal, "
            f"due {assignment.due_date:%b %-d}.",
        )
    else:
        problems = "; ".join(
            f"{form[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Not sent to the portal. {problems}")
    return redirect("assessments:measures", patient_id=patient.external_id)


@staff_view(roles.ASSIGN_QUESTIONNAIRE)
@require_POST
def cancel_assignment(request, patient, assignment_id):
    assignment = get_object_or_404(patient.assignments, external_id=assignment_id)
    if withdraw(assignment, by=request.user):
        messages.success(request, f"{assignment.version.instrument.code} removed from the portal.")
    else:
        messages.info(request, "That questionnaire was already completed or cancelled.")
    return redirect("assessments:measures", patient_id=patient.external_id)


@staff_view(roles.VIEW_RESPONSES)
def response_detail(request, patient, response_id):
    response = get_object_or_404(
        patient.responses.select_related("version__instrument", "entered_by"), external_id=response_id
    )
    definition = response.version.definition
    if definition.get("entry") == "totals":
        answers = [(key, value) for key, value in response.answers.items()]
    else:
        answers = [
            (item["text"], scoring.answer_label(definition, item["id"], response.answers[item["id"]]))
            for item in definition["items"]
            if item["id"] in response.answers
        ]
    return render(
        request,
        "assessments/response_detail.html",
        {"patient": patient, "response": response, "answers": answers, "alerts": response.alerts.all()},
    )


@staff_view(roles.VIEW_RESPONSES)
def progress_report(request, patient):
    pdf = progress_report_pdf(patient, patient_courses(patient), request.user)
    name = document_filename("progress report", timezone.localdate(), patient.external_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@staff_view(roles.ACKNOWLEDGE_ALERT)
@require_POST
def acknowledge(request, patient, alert_id):
    alert = get_object_or_404(patient.risk_alerts, external_id=alert_id)
    form = AcknowledgeAlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write what was done before acknowledging the alert.")
    elif acknowledge_alert(alert, request.user, form.cleaned_data["note"]):
        messages.success(request, "Alert acknowledged.")
    else:
        messages.info(request, "Someone acknowledged this alert already.")
    if request.POST.get("next") == "alerts":
        return redirect("assessments:alerts")
    return redirect("assessments:measures", patient_id=patient.external_id)


# Staff: clinic-wide -------------------------------------------------------------------------------


@staff_view(roles.VIEW_ALERTS)
def alert_list(request):
    """Every open alert of the kinds this user may see (patients.alerts), newest first, 25 a page."""
    kinds = {kind.name: kind for kind in alerts.kinds(request.user)}
    keys = sorted(
        (
            (at, name, pk)
            for name, kind in kinds.items()
            for at, pk in kind.open().values_list(kind.time_field, "pk")
        ),
        reverse=True,
    )
    page = Paginator(keys, 25).get_page(request.GET.get("page"))
    rows = {}
    for name, kind in kinds.items():
        wanted = [pk for _at, each, pk in page.object_list if each == name]
        found = kind.model.objects.select_related(*kind.related).in_bulk(wanted)
        rows.update({(name, pk): found[pk] for pk in wanted if pk in found})
    items = [
        {"kind": kinds[name], "alert": rows[(name, pk)], "at": at}
        for at, name, pk in page.object_list
        if (name, pk) in rows
    ]
    for item in items:
        item["url"] = item["kind"].url(item["alert"])
        item["patient"] = item["kind"].patient_of(item["alert"])
    return render(request, "assessments/alert_list.html", {"items": items, "page": page})


@staff_view(roles.VIEW_OUTCOMES)
def outcomes(request):
    """Clinic-wide response and remission counts, filtered by follow-ups, baseline dates and site.
    A filter that cannot be read is refused (400) with its message beside the field."""
    sites = site_source()
    form = OutcomeFilterForm(
        request.GET,
        default_min_followups=AssessmentSettings.load().outcome_min_followups,
        # No field at all for a clinic that has set up no sites.
        sites=(sites.choices() or None) if sites else None,
    )
    if not form.is_valid():
        return render(request, "assessments/outcomes.html", {"form": form, "rows": None}, status=400)
    filters = form.cleaned_data
    rows = clinic_outcomes(
        filters["min_followups"],
        baseline_from=filters["baseline_from"],
        baseline_to=filters["baseline_to"],
        site=filters.get("site"),
    )
    return render(
        request,
        "assessments/outcomes.html",
        {"form": form, "rows": rows, "minimum": filters["min_followups"], "filters": filters},
    )


# Portal -----------------------------------------------------------------------------------------


def _assignment_for(patient, assignment_id):
    """The patient's own assignment, or 404 (another patient's id looks like a missing one)."""
    return get_object_or_404(
        QuestionnaireAssignment.objects.select_related("version__instrument"),
        external_id=assignment_id,
        patient=patient,
    )


def _closed_reason(assignment):
    """Why the patient cannot answer this assignment now, or "" when they can."""
    if assignment.status == QuestionnaireAssignment.Status.CANCELLED:
        return "The clinic has withdrawn this questionnaire."
    if assignment.is_expired:
        return CLOSED_MESSAGE
    if not assignment.is_available:
        opens = timezone.localtime(assignment.available_at)
        return f"This questionnaire opens on {opens:%A, %B} {opens.day} at {opens:%-I:%M %p}."
    return ""


@patient_view
def questionnaire(request, patient, assignment_id):
    assignment = _assignment_for(patient, assignment_id)
    if assignment.status == QuestionnaireAssignment.Status.COMPLETED:
        return redirect("portal:questionnaire_done", assignment_id=assignment.external_id)
    closed = _closed_reason(assignment)
    if closed:
        messages.info(request, closed)
        return redirect("portal:home")
    definition = assignment.version.definition
    if request.method == "POST":
        form = QuestionnaireForm(definition, request.POST)
        try:
            save_draft(assignment, form.raw_answers())
            submit_response(
                patient=patient,
                version=assignment.version,
                raw=form.raw_answers(),
                entered_by=request.user,
                mode=AssessmentResponse.Mode.PORTAL,
                assignment=assignment,
            )
        except scoring.AnswerError as error:
            form.is_valid()
            form.apply_errors(error)
        except AlreadySubmitted:
            return redirect("portal:questionnaire_done", assignment_id=assignment.external_id)
        except QuestionnaireClosed as closed:
            messages.info(request, str(closed))
            return redirect("portal:home")
        else:
            return redirect("portal:questionnaire_done", assignment_id=assignment.external_id)
    else:
        form = QuestionnaireForm(definition, initial={field_name(k): v for k, v in assignment.draft.items()})
    return render(
        request,
        "assessments/portal_questionnaire.html",
        {"assignment": assignment, "definition": definition, "form": form, "progress": form.progress()},
    )


@patient_view
def questionnaire_draft(request, patient, assignment_id):
    assignment = _assignment_for(patient, assignment_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if assignment.status != QuestionnaireAssignment.Status.PENDING or _closed_reason(assignment):
        return HttpResponse("This questionnaire is closed.", status=409)
    form = QuestionnaireForm(assignment.version.definition, request.POST)
    try:
        save_draft(assignment, form.raw_answers())
    except scoring.AnswerError:
        # Only a tampered form sends an answer that is not one of the choices; the script shows this.
        return HttpResponse(
            "An answer was not one of the question's choices, so nothing was saved. Reload the page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    done, total = form.progress()
    return render(
        request,
        "assessments/includes/draft_status.html",
        {"done": done, "total": total, "saved_at": timezone.now()},
    )


@patient_view
def questionnaire_done(request, patient, assignment_id):
    assignment = _assignment_for(patient, assignment_id)
    if assignment.status != QuestionnaireAssignment.Status.COMPLETED:
        return redirect("portal:questionnaire", assignment_id=assignment.external_id)
    return render(request, "assessments/portal_done.html", {"assignment": assignment})
