"""A clinician's caseload: their patients with what needs doing, in five queries whatever its size.

Who is on a clinician's caseload (one definition for therapists and prescribers alike, since every
criterion is something the user did themselves): a patient is theirs when, in the last
CASELOAD_DAYS or from now on,

- the user is the clinician of one of the patient's appointments that was not cancelled, or
- the user wrote an integration note for the patient, or
- the user prescribed the patient's treatment plan, or
- the user ordered the dose of, or signed as prescriber, one of the patient's treatment sessions;

and, whatever its age, while the user has an unsigned (draft) integration note for the patient, so
a note that still needs signing never drops off the list. A therapist meets the first two in
practice, a prescriber the first, third and fourth (and the second when they write notes).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from assessments.models import AssessmentResponse
from patients import alerts
from patients.models import Patient
from sessions.models import Appointment, IntegrationNote, TreatmentPlan, TreatmentSession

CASELOAD_DAYS = 180

#: An unsigned note older than this is overdue (highlighted, and sorted up the list).
NOTE_SIGN_WITHIN = timedelta(hours=24)


# Direction of change: a plain rule over two scores ----------------------------------------------

IMPROVED, WORSE, SAME = "improved", "worse", "same"


@dataclass(frozen=True)
class Direction:
    meaning: str  # IMPROVED, WORSE or SAME
    arrow: str  # which way the score itself moved: ↓, ↑ or →
    points: int

    @property
    def words(self):
        return {IMPROVED: "improved", WORSE: "worse", SAME: "no change"}[self.meaning]


def lower_is_better(definition):
    """What an instrument's definition says about its direction; without a word on it (CADSS has no
    outcomes), lower is taken as better, as it is for every symptom scale the clinic ships."""
    outcomes = (definition or {}).get("outcomes") or {}
    return outcomes.get("lower_is_better", True)


def direction_of_change(previous, latest, *, lower_better=True):
    """How `latest` compares with `previous` on the same instrument."""
    points = latest - previous
    if points == 0:
        return Direction(SAME, "→", 0)
    arrow = "↓" if points < 0 else "↑"
    better = points < 0 if lower_better else points > 0
    return Direction(IMPROVED if better else WORSE, arrow, points)


# The caseload ---------------------------------------------------------------------------------------


@dataclass
class LatestScore:
    code: str
    total: int
    band: str
    completed_at: datetime
    direction: Direction | None  # None when there is only one score on this instrument


@dataclass
class CaseloadRow:
    patient: Patient
    last_session_at: datetime | None = None
    last_session_label: str = ""
    next_visit_at: datetime | None = None
    next_visit_label: str = ""
    unsigned_notes: int = 0
    overdue_notes: int = 0
    scores: list = field(default_factory=list)
    open_alerts: int = 0

    @property
    def sort_key(self):
        patient = self.patient
        return (
            -self.open_alerts,
            -self.overdue_notes,
            patient.legal_family_name.casefold(),
            patient.legal_given_name.casefold(),
            patient.pk,
        )


def caseload_patients(user, now=None):
    """The patients on `user`'s caseload (see the module docstring), as one query."""
    now = now or timezone.now()
    since = now - timedelta(days=CASELOAD_DAYS)
    patient = OuterRef("pk")
    appointments = Appointment.objects.filter(patient=patient, clinician=user, start__gte=since).exclude(
        status=Appointment.Status.CANCELLED
    )
    notes = IntegrationNote.objects.filter(patient=patient, author=user).filter(
        Q(created_at__gte=since) | Q(status=IntegrationNote.Status.DRAFT)
    )
    plans = TreatmentPlan.objects.filter(patient=patient, prescribed_by=user, created_at__gte=since)
    sessions = TreatmentSession.objects.filter(patient=patient, started_at__gte=since).filter(
        Q(ordered_by=user) | Q(prescriber_signed_by=user)
    )
    return Patient.objects.filter(Exists(appointments) | Exists(notes) | Exists(plans) | Exists(sessions))


def _first(queryset, value):
    return Subquery(queryset.values(value)[:1])


def build_caseload(user, now=None):
    """One row per patient on `user`'s caseload, sorted: open alerts first, then overdue unsigned
    notes, then by name."""
    now = now or timezone.now()
    patient = OuterRef("pk")
    last_visit = Appointment.objects.filter(
        patient=patient, status=Appointment.Status.COMPLETED, start__lte=now
    ).order_by("-start")
    last_chart = TreatmentSession.objects.filter(patient=patient, discharged_at__isnull=False).order_by(
        "-discharged_at"
    )
    next_visit = Appointment.objects.upcoming(now).filter(patient=patient)
    patients = list(
        caseload_patients(user, now).annotate(
            last_visit_at=_first(last_visit, "start"),
            last_visit_type=_first(last_visit, "appointment_type__name"),
            last_chart_at=_first(last_chart, "discharged_at"),
            last_chart_route=_first(last_chart, "route"),
            next_visit_at=_first(next_visit, "start"),
            next_visit_type=_first(next_visit, "appointment_type__name"),
        )
    )
    if not patients:
        return []
    ids = [p.pk for p in patients]
    rows = {p.pk: _row(p) for p in patients}

    drafts = IntegrationNote.objects.filter(
        author=user, status=IntegrationNote.Status.DRAFT, patient_id__in=ids
    ).values_list("patient_id", "created_at")
    for patient_id, created_at in drafts:
        rows[patient_id].unsigned_notes += 1
        rows[patient_id].overdue_notes += now - created_at > NOTE_SIGN_WITHIN

    for patient_id, count in alerts.open_counts(ids).items():
        rows[patient_id].open_alerts = count

    for patient_id, scores in _latest_scores(ids).items():
        rows[patient_id].scores = scores

    return sorted(rows.values(), key=lambda row: row.sort_key)


def _row(patient):
    row = CaseloadRow(patient=patient)
    chart_label = dict(TreatmentSession.Route.choices).get(patient.last_chart_route, "")
    last = [
        (at, label)
        for at, label in (
            (patient.last_visit_at, patient.last_visit_type),
            (patient.last_chart_at, chart_label),
        )
        if at is not None
    ]
    if last:
        row.last_session_at, row.last_session_label = max(last, key=lambda pair: pair[0])
    row.next_visit_at, row.next_visit_label = patient.next_visit_at, patient.next_visit_type or ""
    return row


def _latest_scores(patient_ids):
    """Per patient, the latest score on each instrument with its direction against the one before:
    one query, ranked in the database so that only two responses per instrument come back."""
    ranked = (
        AssessmentResponse.objects.filter(patient_id__in=patient_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id"), F("version__instrument_id")],
                order_by=[F("completed_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=2)
        .select_related("version__instrument")
        .order_by("patient_id", "version__instrument__code", "rank")
    )
    pairs = defaultdict(list)
    for response in ranked:
        pairs[(response.patient_id, response.version.instrument.code)].append(response)
    scores = defaultdict(list)
    for (patient_id, code), (latest, *earlier) in pairs.items():
        direction = None
        if earlier:
            direction = direction_of_change(
                earlier[0].total, latest.total, lower_better=lower_is_better(latest.version.definition)
            )
        scores[patient_id].append(
            LatestScore(
                code=code,
                total=latest.total,
                band=latest.band,
                completed_at=latest.completed_at,
                direction=direction,
            )
        )
    return scores
