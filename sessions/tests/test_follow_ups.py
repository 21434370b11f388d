"""Follow-up questionnaires: made once when a session completes, e-mailed, reminded daily, missed."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from assessments.models import QuestionnaireAssignment
from assessments.services import current_version_for, withdraw
from sessions.charting.steps import ChartingError
from sessions.integration import followups
from sessions.models import (
    Appointment,
    FollowUpRule,
    QuestionnaireNotice,
    SchedulingSettings,
    TreatmentSession,
)
from sessions.scheduling.booking import set_status
from testing.charting import charted_session, discharge
from testing.factories import past_visit

pytestmark = pytest.mark.django_db

PHQ9_ANSWERS = {f"q_{n}": "1" for n in range(1, 11)}


def held_visit(patient, clinician, *, kind="iv", hours_ago=3):
    """A treatment appointment that took place (checked in), entered after the fact."""
    start = (timezone.now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    return past_visit(patient, clinician, start, kind=kind, status=Appointment.Status.CHECKED_IN, minutes=120)


def follow_ups(patient):
    return patient.assignments.filter(rule__isnull=False).select_related("version__instrument", "rule")


def the_24_hour_phq9(patient):
    return follow_ups(patient).get(version__instrument__code="PHQ-9", rule__hours_after=24)


def test_completing_an_infusion_schedules_the_starter_follow_ups(patient_a, nurse, prescriber):
    session = charted_session(patient_a, nurse, prescriber, until="discharged")

    made = sorted(
        (a.version.instrument.code, a.available_at - session.discharged_at) for a in follow_ups(patient_a)
    )
    assert made == [
        ("GAD-7", timedelta(hours=24)),
        ("GAD-7", timedelta(days=7)),
        ("PHQ-9", timedelta(hours=24)),
        ("PHQ-9", timedelta(days=7)),
    ]
    phq9 = the_24_hour_phq9(patient_a)
    assert phq9.appointment == session.appointment
    assert phq9.expires_at == phq9.available_at + timedelta(days=4)
    # The invitation when it opens, then a reminder on each of the next three days.
    assert [n.due_at - phq9.available_at for n in phq9.notices.order_by("number")] == [
        timedelta(days=day) for day in range(4)
    ]


def test_completing_a_session_twice_makes_its_follow_ups_once(patient_a, nurse, prescriber):
    session = charted_session(patient_a, nurse, prescriber, until="monitored")
    second_tab = TreatmentSession.objects.get(pk=session.pk)

    discharge(session, nurse)
    count = follow_ups(patient_a).count()
    notices = QuestionnaireNotice.objects.count()
    with pytest.raises(ChartingError, match="already been discharged"):
        discharge(second_tab, nurse)
    # The completion saved again by another path (a retried task, say).
    followups.on_session_completed(session.appointment, by=nurse)
    followups.on_session_completed(session.appointment, by=prescriber, completed_at=timezone.now())

    assert count == 4
    assert follow_ups(patient_a).count() == count
    assert QuestionnaireNotice.objects.count() == notices


def test_marking_an_appointment_completed_schedules_follow_ups_once(patient_a, nurse):
    visit = held_visit(patient_a, nurse)
    stale_copy = Appointment.objects.get(pk=visit.pk)

    set_status(visit, Appointment.Status.COMPLETED, by=nurse)
    set_status(stale_copy, Appointment.Status.COMPLETED, by=nurse)  # a second tab, loaded before

    assert follow_ups(patient_a).count() == 4


def test_completion_does_not_need_the_broker(patient_a, nurse, monkeypatch):
    """The follow-ups are rows in the completing transaction; nothing is queued on the broker, so a
    broker outage cannot lose them. Beat's dispatcher sends them once it runs again."""
    from celery.app.task import Task

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    visit = held_visit(patient_a, nurse)

    set_status(visit, Appointment.Status.COMPLETED, by=nurse)

    assert follow_ups(patient_a).count() == 4


def test_a_failed_completion_leaves_no_follow_ups(patient_a, nurse, monkeypatch):
    visit = held_visit(patient_a, nurse)
    original = followups.on_session_completed

    def then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the database went away mid-completion")

    monkeypatch.setattr(followups, "on_session_completed", then_fail)
    with pytest.raises(RuntimeError):
        set_status(visit, Appointment.Status.COMPLETED, by=nurse)

    assert not follow_ups(patient_a).exists()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN


def test_reminders_go_daily_for_three_days_then_the_questionnaire_is_missed(
    patient_a, nurse, client_for, prescriber
):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)
    opens = phq9.available_at

    def sent_for_phq9(at):
        mail.outbox.clear()
        with time_machine.travel(at, tick=False):
            followups.dispatch_notices()
            followups.dispatch_notices()  # a doubled beat run sends nothing more
        return [m for m in mail.outbox if str(phq9.external_id) in m.body]

    assert sent_for_phq9(opens - timedelta(minutes=1)) == []
    for day, subject in enumerate(["A questionnaire", "Reminder", "Reminder", "Reminder"]):
        sent = sent_for_phq9(opens + timedelta(days=day, minutes=1))
        assert len(sent) == 1, f"day {day}"
        assert sent[0].subject.startswith(subject)
    assert sent_for_phq9(opens + timedelta(days=3, hours=23)) == []

    with time_machine.travel(opens + timedelta(days=4, minutes=1), tick=False):
        followups.dispatch_notices()
        phq9.refresh_from_db()
        assert phq9.status == QuestionnaireAssignment.Status.EXPIRED
        page = client_for(prescriber).get(reverse("assessments:measures", args=[patient_a.external_id]))
        portal = client_for(patient_a.user).get(reverse("portal:questionnaire", args=[phq9.external_id]))
    assert 'id="missed"' in page.content.decode()
    assert "PHQ-9 24 h after each infusion" in page.content.decode().split('id="missed"')[1]
    assert portal.status_code == 302
    assert phq9.notices.filter(status="sent").count() == 4


def test_the_reminder_count_is_configurable(patient_a, nurse):
    settings = SchedulingSettings.load()
    settings.questionnaire_reminder_days = 1
    settings.save()
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)

    assert phq9.notices.count() == 2
    assert phq9.expires_at == phq9.available_at + timedelta(days=2)


def test_answering_stops_the_reminders(patient_a, nurse, client_for):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)
    with time_machine.travel(phq9.available_at + timedelta(minutes=5), tick=False):
        followups.dispatch_notices()
        response = client_for(patient_a.user).post(
            reverse("portal:questionnaire", args=[phq9.external_id]), PHQ9_ANSWERS
        )
    assert response.status_code == 302
    phq9.refresh_from_db()
    assert phq9.status == QuestionnaireAssignment.Status.COMPLETED

    mail.outbox.clear()
    with time_machine.travel(phq9.available_at + timedelta(days=1, minutes=1), tick=False):
        followups.dispatch_notices()
    assert not [m for m in mail.outbox if str(phq9.external_id) in m.body]
    assert phq9.notices.filter(status="cancelled").count() == 3


def test_patient_a_cannot_open_a_follow_up_before_it_opens(patient_a, nurse, client_for):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)
    client = client_for(patient_a.user)

    home = client.get(reverse("portal:home")).content.decode()
    response = client.get(reverse("portal:questionnaire", args=[phq9.external_id]), follow=True)
    refused = client.post(reverse("portal:questionnaire", args=[phq9.external_id]), PHQ9_ANSWERS)

    assert str(phq9.external_id) not in home
    assert "This questionnaire opens on" in response.content.decode()
    assert refused.status_code == 302
    phq9.refresh_from_db()
    assert phq9.status == QuestionnaireAssignment.Status.PENDING


def test_the_email_carries_a_portal_link_and_nothing_clinical(patient_a, nurse):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)
    with time_machine.travel(phq9.available_at + timedelta(minutes=1), tick=False):
        followups.dispatch_notices()

    message = next(m for m in mail.outbox if str(phq9.external_id) in m.body)
    everything = message.subject + message.body + message.alternatives[0][0]
    assert message.to == [patient_a.email]
    assert reverse("portal:questionnaire", args=[phq9.external_id]) in message.body
    for clinical in (
        "PHQ",
        "GAD",
        "depress",
        "anxiety",
        "ketamine",
        "infusion",
        "score",
        patient_a.legal_family_name,
    ):
        assert clinical.lower() not in everything.lower(), clinical


def test_a_patient_without_a_portal_account_is_not_emailed(nurse):
    from testing.factories import PatientFactory

    patient = PatientFactory()
    set_status(held_visit(patient, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient)
    with time_machine.travel(phq9.available_at + timedelta(minutes=1), tick=False):
        followups.dispatch_notices()

    assert mail.outbox == []
    assert phq9.notices.get(number=0).status == "cancelled"


def test_a_patient_without_email_gets_the_questionnaire_but_no_notices(nurse):
    from testing.factories import PatientFactory

    patient = PatientFactory(email="")
    set_status(held_visit(patient, nurse), Appointment.Status.COMPLETED, by=nurse)

    assert follow_ups(patient).count() == 4
    assert not QuestionnaireNotice.objects.filter(assignment__patient=patient).exists()


def test_pcl5_goes_monthly_to_patients_treated_for_ptsd(patient_a, patient_b, nurse):
    patient_a.indications = ["ptsd", "depression"]
    patient_a.save()

    for patient in (patient_a, patient_b):
        set_status(held_visit(patient, nurse, hours_ago=30), Appointment.Status.COMPLETED, by=nurse)
    set_status(held_visit(patient_a, nurse, hours_ago=3), Appointment.Status.COMPLETED, by=nurse)

    assert follow_ups(patient_a).filter(version__instrument__code="PCL-5").count() == 1
    assert not follow_ups(patient_b).filter(version__instrument__code="PCL-5").exists()
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    assert follow_ups(patient_a).filter(version__instrument__code="PCL-5").count() == 2


def test_an_inactive_rule_makes_nothing(patient_a, nurse):
    FollowUpRule.objects.filter(instrument__code="GAD-7").update(is_active=False)
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)

    assert {a.version.instrument.code for a in follow_ups(patient_a)} == {"PHQ-9"}


def test_booking_the_first_infusion_sends_a_baseline_open_until_the_session(patient_a, nurse, prescriber):
    from testing.charting import checked_in_visit, cleared_patient

    cleared_patient(patient_a, nurse, prescriber)
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    first = checked_in_visit(patient_a, nurse, start=start)
    checked_in_visit(patient_a, nurse, start=start + timedelta(days=3))

    baseline = patient_a.assignments.get(is_baseline=True)
    assert baseline.appointment == first
    assert baseline.version == current_version_for("PHQ-9")
    assert baseline.expires_at == first.end  # at the latest; the dose closes it (sessions tests)
    assert baseline.is_available
    assert patient_a.assignments.filter(is_baseline=True).count() == 1


def test_the_baseline_answer_is_marked_as_the_baseline(patient_a, nurse, prescriber, client_for):
    from testing.charting import checked_in_visit, cleared_patient

    cleared_patient(patient_a, nurse, prescriber)
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    checked_in_visit(patient_a, nurse, start=start)
    baseline = patient_a.assignments.get(is_baseline=True)

    client_for(patient_a.user).post(
        reverse("portal:questionnaire", args=[baseline.external_id]), PHQ9_ANSWERS
    )

    assert patient_a.responses.get().is_baseline


def test_beat_runs_the_questionnaire_dispatcher(settings, patient_a, nurse):
    from sessions.tasks import dispatch_questionnaire_notices

    schedule = settings.CELERY_BEAT_SCHEDULE["dispatch-questionnaire-notices"]
    assert schedule["task"] == "assessments.tasks.dispatch_questionnaire_notices"
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert dispatch_questionnaire_notices.delay().get() == 2  # PHQ-9 and GAD-7 at 24 h


def test_administrator_can_edit_a_rule_in_admin(administrator, client_for):
    rule = FollowUpRule.objects.get(name="PHQ-9 24 h after each infusion")
    client = client_for(administrator)
    url = reverse("admin:treatment_sessions_followuprule_change", args=[rule.pk])

    assert client.get(reverse("admin:treatment_sessions_followuprule_changelist")).status_code == 200
    response = client.post(
        url,
        {
            "name": rule.name,
            "appointment_kind": "iv",
            "instrument": rule.instrument_id,
            "trigger": "after_each",
            "hours_after": 48,
            "every_days": "",
            "indication": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.hours_after == 48


def test_a_periodic_rule_without_its_interval_is_refused_in_admin(administrator, client_for):
    rule = FollowUpRule.objects.filter(trigger="periodic").first()
    response = client_for(administrator).post(
        reverse("admin:treatment_sessions_followuprule_change", args=[rule.pk]),
        {
            "name": rule.name,
            "appointment_kind": "iv",
            "instrument": rule.instrument_id,
            "trigger": "periodic",
            "hours_after": 24,
            "every_days": "",
            "indication": "ptsd",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "A periodic rule needs its interval in days." in response.content.decode()


def test_front_desk_cannot_edit_rules(front_desk, client_for):
    response = client_for(front_desk).get(reverse("admin:treatment_sessions_followuprule_changelist"))
    assert response.status_code in (302, 403)


def test_after_an_outage_only_the_latest_due_email_goes_out(patient_a, nurse):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)

    with time_machine.travel(phq9.available_at + timedelta(days=2, hours=1), tick=False):
        followups.dispatch_notices()

    assert len([m for m in mail.outbox if str(phq9.external_id) in m.body]) == 1
    assert list(phq9.notices.order_by("number").values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
        "sent",
        "pending",
    ]


def test_withdrawing_a_follow_up_cancels_its_emails(patient_a, nurse, client_for):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)

    client_for(nurse).post(
        reverse("assessments:cancel_assignment", args=[patient_a.external_id, phq9.external_id])
    )

    assert set(phq9.notices.values_list("status", flat=True)) == {"cancelled"}


def test_a_withdrawal_whose_emails_cannot_be_cancelled_is_not_saved(patient_a, nurse, monkeypatch):
    set_status(held_visit(patient_a, nurse), Appointment.Status.COMPLETED, by=nurse)
    phq9 = the_24_hour_phq9(patient_a)

    def database_gone(**assignment_filter):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(QuestionnaireNotice, "cancel_unsent", database_gone)
    with pytest.raises(OperationalError):
        withdraw(phq9, by=nurse)

    phq9.refresh_from_db()
    assert phq9.status == QuestionnaireAssignment.Status.PENDING  # withdrawn and e-mails stopped, or neither
    assert phq9.cancelled_by is None


def test_a_newer_follow_up_replaces_an_older_one_still_open(patient_a, nurse, client_for):
    set_status(held_visit(patient_a, nurse, hours_ago=72), Appointment.Status.COMPLETED, by=nurse)
    set_status(held_visit(patient_a, nurse, hours_ago=3), Appointment.Status.COMPLETED, by=nurse)
    first, second = (
        follow_ups(patient_a)
        .filter(version__instrument__code="PHQ-9", rule__hours_after=24)
        .order_by("available_at")
    )

    with time_machine.travel(second.available_at + timedelta(minutes=1), tick=False):
        followups.dispatch_notices()
        home = client_for(patient_a.user).get(reverse("portal:home")).content.decode()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == QuestionnaireAssignment.Status.CANCELLED
    assert second.status == QuestionnaireAssignment.Status.PENDING
    assert str(second.external_id) in home and str(first.external_id) not in home
