"""Measurement-based care: load instruments, assign, submit and score, alert (outcomes: outcomes.py)."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import (
    AssessmentResponse,
    Instrument,
    InstrumentVersion,
    QuestionnaireAssignment,
    RiskAlert,
)
from assessments.signals import assignment_closed

log = logging.getLogger(__name__)


# Instruments ------------------------------------------------------------------------------------


def sync_shipped_instruments(definitions=None):
    """Add each shipped definition as a version unless that version is already stored. Idempotent;
    a version the clinic edited is never overwritten."""
    created = 0
    for definition in definitions if definitions is not None else scoring.shipped_definitions():
        instrument, _ = Instrument.objects.get_or_create(
            code=definition["code"], defaults={"name": definition["name"]}
        )
        _, made = InstrumentVersion.objects.get_or_create(
            instrument=instrument,
            version=definition["version"],
            defaults={"definition": definition, "source": InstrumentVersion.Source.SHIPPED},
        )
        created += made
    return created


def create_local_version(instrument, definition, user):
    """An administrator's edit: validated, stored as a new version; older versions stay as they were."""
    scoring.validate_definition(definition)
    if definition.get("code") != instrument.code:
        raise ValueError(f'The definition\'s "code" must stay {instrument.code!r}.')
    base = instrument.current_version.version if instrument.current_version else "0"
    base = base.split("-local-")[0]
    number = instrument.versions.filter(version__startswith=f"{base}-local-").count() + 1
    definition = {**definition, "version": f"{base}-local-{number}"}
    return InstrumentVersion.objects.create(
        instrument=instrument,
        version=definition["version"],
        definition=definition,
        source=InstrumentVersion.Source.LOCAL,
        created_by=user,
    )


def current_versions():
    """Active instruments' current versions, one query."""
    latest = {}
    for version in (
        InstrumentVersion.objects.filter(instrument__is_active=True)
        .select_related("instrument")
        .order_by("instrument__code", "created_at", "pk")
    ):
        latest[version.instrument.code] = version
    return list(latest.values())


def current_version_for(code):
    return next((version for version in current_versions() if version.instrument.code == code), None)


# Giving and submitting ----------------------------------------------------------------------------


def assign(patient, version, *, due_date, purpose, by):
    return QuestionnaireAssignment.objects.create(
        patient=patient, version=version, due_date=due_date, purpose=purpose, assigned_by=by
    )


def save_draft(assignment, raw):
    """Keep what the patient has ticked so far; only answers to this form's own fields are kept.

    An answer that is not one of its question's choices (only a tampered form sends one) keeps nothing
    at all: AnswerError names it."""
    unreadable = scoring.unreadable_answers(assignment.version.definition, raw)
    if unreadable:
        raise scoring.AnswerError(unreadable)
    keys = scoring_keys(assignment.version.definition)
    draft = {key: str(value) for key, value in raw.items() if key in keys and str(value).strip() != ""}
    QuestionnaireAssignment.objects.filter(
        pk=assignment.pk, status=QuestionnaireAssignment.Status.PENDING
    ).update(draft=draft, draft_saved_at=timezone.now())
    assignment.draft = draft
    return draft


def scoring_keys(definition):
    if definition.get("entry") == "totals":
        return {"total"} | {f"subscale:{sub['id']}" for sub in definition["scoring"].get("subscales", [])}
    return {item["id"] for item in definition["items"]}


CLOSED_MESSAGE = "This questionnaire has closed. Your care team will send the next one when it is due."


class QuestionnaireClosed(Exception):
    """The follow-up expired (it shows as missed) before the answers arrived."""


class AlreadySubmitted(Exception):
    def __init__(self, response):
        super().__init__("already submitted")
        self.response = response


def submit_response(
    *, patient, version, raw, entered_by, mode, assignment=None, submission_key=None, is_baseline=False
):
    """Score and store a response and raise its alerts, all in one transaction.

    Raises scoring.AnswerError (nothing stored) for incomplete or invalid answers, and
    AlreadySubmitted with the first response when the same assignment or form is submitted again.
    """
    answers = scoring.clean_answers(version.definition, raw)
    result = scoring.score(version.definition, answers)
    try:
        with transaction.atomic():
            if assignment is not None:
                locked = QuestionnaireAssignment.objects.select_for_update().get(pk=assignment.pk)
                if locked.is_expired:
                    raise QuestionnaireClosed(CLOSED_MESSAGE)
                if locked.status != QuestionnaireAssignment.Status.PENDING:
                    raise AlreadySubmitted(getattr(locked, "response", None))
            response = AssessmentResponse.objects.create(
                patient=patient,
                version=version,
                assignment=assignment,
                submission_key=submission_key,
                mode=mode,
                is_baseline=is_baseline or bool(assignment and assignment.is_baseline),
                answers=answers,
                total=result.total,
                subscales=result.subscales,
                domains=result.domains,
                band=result.band or "",
                entered_by=entered_by,
            )
            for rule in result.alerts:
                RiskAlert.objects.create(
                    patient=patient,
                    response=response,
                    rule=rule["id"],
                    message=rule["message"],
                    is_risk=rule.get("risk", False),
                )
            if assignment is not None:
                QuestionnaireAssignment.objects.filter(pk=assignment.pk).update(
                    status=QuestionnaireAssignment.Status.COMPLETED, draft={}
                )
                assignment_closed.send(sender=QuestionnaireAssignment, assignment_ids=[assignment.pk])
    except IntegrityError:
        # Two submissions raced past the checks above; the unique constraints kept one.
        first = (
            AssessmentResponse.objects.filter(assignment=assignment).first()
            if assignment is not None
            else AssessmentResponse.objects.filter(submission_key=submission_key).first()
        )
        if first is None:
            raise
        raise AlreadySubmitted(first) from None
    log.info("assessment response %s stored (%d alerts)", response.external_id, len(result.alerts))
    return response


def acknowledge_alert(alert, user, note):
    note = (note or "").strip()
    if not note:
        raise ValueError("Write what was done before acknowledging the alert.")
    updated = RiskAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user, acknowledgement_note=note
    )
    return bool(updated)


def withdraw(assignment, *, by):
    """Take a pending questionnaire off the portal. False if it was already answered or withdrawn."""
    with transaction.atomic():
        updated = QuestionnaireAssignment.objects.filter(
            pk=assignment.pk, status=QuestionnaireAssignment.Status.PENDING
        ).update(
            status=QuestionnaireAssignment.Status.CANCELLED,
            cancelled_at=timezone.now(),
            cancelled_by=by,
        )
        if updated:
            assignment_closed.send(sender=QuestionnaireAssignment, assignment_ids=[assignment.pk])
    return bool(updated)
