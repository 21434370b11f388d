"""Follow-up questionnaires: made by rules when a session is booked or completed, e-mailed, reminded
daily while unanswered, then expired and shown as missed.

Each follow-up is a QuestionnaireAssignment created in the same transaction as the session's
completion (or the first booking, for a baseline), with its e-mails as QuestionnaireNotice rows. A
unique constraint on (rule, appointment) makes a second completion of the same session a no-op, and
the rows wait in the database while the broker is down: beat's dispatcher sends them when it can.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.models import QuestionnaireAssignment
from assessments.services import current_versions
from assessments.signals import assignment_closed
from clinic import outbox
from clinic.mail import send_with_message_id
from clinic.models import ClinicSettings
from sessions.models import FollowUpRule, QuestionnaireNotice, SchedulingSettings

log = logging.getLogger(__name__)

#: Statuses of an appointment that make it count as the patient's "first" of its kind.
_HELD_OR_OPEN = ("scheduled", "confirmed", "checked_in", "in_treatment", "completed")


def _rules(kind, triggers):
    return FollowUpRule.objects.filter(
        is_active=True, appointment_kind=kind, trigger__in=triggers, instrument__is_active=True
    ).select_related("instrument")


def _applies(rule, patient):
    return not rule.indication or rule.indication in (patient.indications or [])


def _create(*, rule, appointment, version, available_at, expires_at, by, is_baseline=False):
    """One follow-up and its e-mails, or None when this rule already made one for this appointment."""
    patient = appointment.patient
    if QuestionnaireAssignment.objects.filter(rule=rule, appointment=appointment).exists():
        return None
    try:
        # A savepoint: a concurrent completion that won the race leaves the caller's transaction usable.
        with transaction.atomic():
            assignment = QuestionnaireAssignment.objects.create(
                patient=patient,
                version=version,
                purpose=rule.name[:120],
                due_date=timezone.localdate(available_at),
                assigned_by=by,
                rule=rule,
                appointment=appointment,
                is_baseline=is_baseline,
                available_at=available_at,
                expires_at=expires_at,
            )
    except IntegrityError:
        return None
    if patient.email:
        notices = [available_at]
        days = SchedulingSettings.load().questionnaire_reminder_days
        notices += [available_at + timedelta(days=day) for day in range(1, days + 1)]
        QuestionnaireNotice.objects.bulk_create(
            QuestionnaireNotice(assignment=assignment, number=number, due_at=due_at)
            for number, due_at in enumerate(notices)
            if due_at < expires_at
        )
    return assignment


def expiry_after(available_at):
    """The daily reminders run for the configured days; a day after the last one it is missed."""
    return available_at + timedelta(days=SchedulingSettings.load().questionnaire_reminder_days + 1)


def on_session_completed(appointment, *, by, completed_at=None):
    """Create the follow-ups for a completed session, in the caller's transaction. Safe to call
    again for the same appointment: nothing more is created."""
    completed_at = completed_at or timezone.now()
    kind = appointment.appointment_type.kind
    patient = appointment.patient
    versions = {version.instrument_id: version for version in current_versions()}
    made = []
    for rule in _rules(kind, [FollowUpRule.Trigger.AFTER_EACH, FollowUpRule.Trigger.PERIODIC]):
        version = versions.get(rule.instrument_id)
        if version is None or not _applies(rule, patient):
            continue
        if rule.trigger == FollowUpRule.Trigger.PERIODIC and _given_since(
            patient, rule.instrument, completed_at - timedelta(days=rule.every_days)
        ):
            continue
        available_at = completed_at + timedelta(hours=rule.hours_after)
        assignment = _create(
            rule=rule,
            appointment=appointment,
            version=version,
            available_at=available_at,
            expires_at=expiry_after(available_at),
            by=by,
        )
        if assignment:
            made.append(assignment)
    if made:
        log.info("appointment %s: %d follow-up questionnaires scheduled", appointment.external_id, len(made))
    return made


def _given_since(patient, instrument, since):
    """Whether the patient was sent (answered or not) or gave this instrument since `since`."""
    return (
        patient.assignments.filter(version__instrument=instrument, created_at__gte=since)
        .exclude(status=QuestionnaireAssignment.Status.CANCELLED)
        .exists()
        or patient.responses.filter(version__instrument=instrument, completed_at__gte=since).exists()
    )


def on_appointment_booked(appointment, *, by):
    """A baseline before the patient's first session of this kind, in the booking's transaction. It
    opens at once and closes when the dose starts (``close_baseline``; the patient may answer in the
    waiting room), or at the latest when the appointment ends."""
    kind = appointment.appointment_type.kind
    patient = appointment.patient
    rules = [rule for rule in _rules(kind, [FollowUpRule.Trigger.BASELINE]) if _applies(rule, patient)]
    if not rules or appointment.start <= timezone.now():
        return []
    earlier = (
        patient.appointments.filter(appointment_type__kind=kind, status__in=_HELD_OR_OPEN)
        .exclude(pk=appointment.pk)
        .exists()
    )
    if earlier:
        return []
    versions = {version.instrument_id: version for version in current_versions()}
    made = []
    for rule in rules:
        version = versions.get(rule.instrument_id)
        already = patient.assignments.filter(
            version__instrument=rule.instrument,
            is_baseline=True,
            status__in=[QuestionnaireAssignment.Status.PENDING, QuestionnaireAssignment.Status.COMPLETED],
        ).exists()
        if version is None or already:
            continue
        assignment = _create(
            rule=rule,
            appointment=appointment,
            version=version,
            available_at=timezone.now(),
            expires_at=appointment.end,
            by=by,
            is_baseline=True,
        )
        if assignment:
            made.append(assignment)
    return made


def close_baseline(appointment, *, at):
    """The dose has started: a baseline for this appointment still unanswered is missed (an answer
    given after the dose is not a baseline). Its unsent e-mails are cancelled. In the dose's
    transaction."""
    ids = list(
        QuestionnaireAssignment.objects.filter(
            appointment=appointment, is_baseline=True, status=QuestionnaireAssignment.Status.PENDING
        ).values_list("pk", flat=True)
    )
    if ids:
        QuestionnaireAssignment.objects.filter(
            pk__in=ids, status=QuestionnaireAssignment.Status.PENDING
        ).update(status=QuestionnaireAssignment.Status.EXPIRED, expires_at=at)
        QuestionnaireNotice.cancel_unsent(pk__in=ids)
    return len(ids)


# Dispatch ----------------------------------------------------------------------------------------


def expire_unanswered(now=None):
    """Pending follow-ups past their expiry become missed; their unsent e-mails are cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            QuestionnaireAssignment.objects.filter(
                status=QuestionnaireAssignment.Status.PENDING, expires_at__lte=now
            ).values_list("pk", flat=True)
        )
        expired = QuestionnaireAssignment.objects.filter(
            pk__in=ids, status=QuestionnaireAssignment.Status.PENDING
        ).update(status=QuestionnaireAssignment.Status.EXPIRED)
        QuestionnaireNotice.cancel_unsent(pk__in=ids)
    if expired:
        log.info("%d follow-up questionnaires expired unanswered", expired)
    return expired


def supersede_open(now=None):
    """When a newer follow-up of an instrument opens while an older one is still unanswered (two
    infusions in a week), the older is withdrawn: the patient is asked for one PHQ-9 at a time."""
    now = now or timezone.now()
    open_now = (
        QuestionnaireAssignment.objects.filter(
            status=QuestionnaireAssignment.Status.PENDING, rule__isnull=False, available_at__lte=now
        )
        .order_by("patient_id", "version__instrument_id", "-available_at", "-pk")
        .values_list("pk", "patient_id", "version__instrument_id")
    )
    newest, older = set(), []
    for pk, patient_id, instrument_id in open_now:
        if (patient_id, instrument_id) in newest:
            older.append(pk)
        newest.add((patient_id, instrument_id))
    if older:
        with transaction.atomic():
            QuestionnaireAssignment.objects.filter(
                pk__in=older, status=QuestionnaireAssignment.Status.PENDING
            ).update(status=QuestionnaireAssignment.Status.CANCELLED, cancelled_at=now)
            QuestionnaireNotice.cancel_unsent(pk__in=older)
    return len(older)


def dispatch_notices(now=None, limit=None, budget=outbox.BUDGET):
    """Expire what is overdue, withdraw what a newer follow-up replaced, then send the questionnaire
    e-mails that are due, batch after batch until none is left or `budget` has passed. Safe to run
    twice at once."""
    expire_unanswered(now)
    supersede_open(now)
    return outbox.dispatch(
        QuestionnaireNotice,
        _deliver,
        now=now,
        limit=limit,
        budget=budget,
        related=("assignment__patient__user",),
    )


def _deliver(notice):
    assignment = notice.assignment
    patient = assignment.patient
    still_open = assignment.status == QuestionnaireAssignment.Status.PENDING and not assignment.is_expired
    if not still_open or not patient.email or patient.user is None:
        return False  # answered, withdrawn, missed, or the patient has no portal account to open it
    if assignment.notices.filter(number__gt=notice.number, due_at__lte=timezone.now()).exists():
        return False  # the dispatcher was down for days: send only the latest, not a burst
    context = notice_context(notice)
    send_with_message_id(
        render_to_string("emails/questionnaire_notice_subject.txt", context).strip(),
        render_to_string("emails/questionnaire_notice.txt", context),
        render_to_string("emails/questionnaire_notice.html", context),
        patient.email,
        message_id=notice.message_id,
    )
    return True


def notice_context(notice):
    """First name and a portal link only: no instrument, score or diagnosis goes into the e-mail."""
    assignment = notice.assignment
    return {
        "first_name": assignment.patient.display_first_name,
        "is_reminder": notice.number > 0,
        "closes": timezone.localtime(assignment.expires_at) if assignment.expires_at else None,
        "clinic": ClinicSettings.load(),
        "url": settings.SITE_URL
        + reverse("portal:questionnaire", kwargs={"assignment_id": assignment.external_id}),
    }


@receiver(assignment_closed)
def cancel_unsent_notices(sender, assignment_ids, **kwargs):
    """An answered or withdrawn questionnaire sends no more invitations or reminders."""
    QuestionnaireNotice.cancel_unsent(pk__in=assignment_ids)
