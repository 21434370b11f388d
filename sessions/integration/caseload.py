"""A clinician's caseload: their patients with what needs doing, a page at a time, in a
fixed number of queries whatever its size.

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

Who is on it is a UNION of simple id queries, each served by an index on the user's column: an
OR of four correlated EXISTS was misestimated by PostgreSQL (18,758 rows expected for 861) and the
estimate alone made it spend a second compiling the query (JIT). The order (open alerts, overdue
notes, name) is applied by the database, so only one page of patients is read and only that page's
last and next visits and scores are looked up; open alerts and unsigned notes are few, and are counted
once for the whole caseload.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone

from assessments.models import AssessmentResponse, InstrumentVersion
from patients import alerts
from patients.models import Patient
from sessions.models import Appointment, IntegrationNote, TreatmentPlan, TreatmentSession

CASELOAD_DAYS = 180

#: Patients on one page of the caseload.
CASELOAD_PAGE_SIZE = 25

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


#: The caseload's order within equal alert and overdue-note counts: by name in the database's collation
#: (the id last, so that pages never overlap between two patients of the same name).
NAME_ORDER = (Lower("legal_family_name"), Lower("legal_given_name"), "pk")


def caseload_patient_ids(user, now=None):
    """The ids of the patients on `user`'s caseload (see the module docstring), as one UNION query."""
    now = now or timezone.now()
    since = now - timedelta(days=CASELOAD_DAYS)
    ids = [
        Appointment.objects.filter(clinician=user, start__gte=since).exclude(
            status=Appointment.Status.CANCELLED
        ),
        # Two parts rather than an OR, so that each is one index scan.
        IntegrationNote.objects.filter(author=user, created_at__gte=since),
        IntegrationNote.objects.filter(author=user, status=IntegrationNote.Status.DRAFT),
        TreatmentPlan.objects.filter(prescribed_by=user, created_at__gte=since),
        TreatmentSession.objects.filter(started_at__gte=since).filter(
            Q(ordered_by=user) | Q(prescriber_signed_by=user)
        ),
    ]
    ids = [queryset.order_by().values("patient_id") for queryset in ids]
    return ids[0].union(*ids[1:])


def caseload_order(user, now=None):
    """The ids of `user`'s caseload in its order, with what the order rests on: ``(ids, open alerts,
    overdue notes, unsigned notes)``, the last three as {patient id: count}. Open alerts first (most
    first), then overdue unsigned notes (most first), then by name.

    The database sorts the caseload by name (its collation, as every list of patients); the counts,
    few and known for the whole caseload, are applied by a stable sort here. As CASE expressions of a
    thousand branches the database evaluated every branch for every patient (150 ms for 2,500)."""
    now = now or timezone.now()
    # The ids as a sorted list (the primary key index is read in its order): joined with the UNION,
    # PostgreSQL read every patient to sort a caseload of a few hundred.
    ids = sorted(row["patient_id"] for row in caseload_patient_ids(user, now))
    unsigned, overdue = Counter(), Counter()
    # Every patient with a draft of the user's is on the caseload: no need to filter by it.
    drafts = IntegrationNote.objects.filter(author=user, status=IntegrationNote.Status.DRAFT)
    for patient_id, created_at in drafts.values_list("patient_id", "created_at"):
        unsigned[patient_id] += 1
        overdue[patient_id] += now - created_at > NOTE_SIGN_WITHIN
    # The UNION again rather than the list: the list would be sent once per kind of alert.
    open_alerts = Counter(alerts.open_counts(caseload_patient_ids(user, now)))
    ordered = list(Patient.objects.filter(pk__in=ids).order_by(*NAME_ORDER).values_list("pk", flat=True))
    ordered.sort(key=lambda pk: (-open_alerts[pk], -overdue[pk]))
    return ordered, open_alerts, overdue, unsigned


def _patients(ids, open_alerts, overdue, unsigned):
    """The patients of these ids, in this order, each with its counts."""
    found = Patient.objects.in_bulk(ids)
    patients = [found[pk] for pk in ids if pk in found]
    for patient in patients:
        patient.open_alert_count = open_alerts[patient.pk]
        patient.overdue_note_count = overdue[patient.pk]
        patient.unsigned_note_count = unsigned[patient.pk]
    return patients


def caseload_page(user, number=1, now=None, per_page=CASELOAD_PAGE_SIZE):
    """One page of `user`'s caseload: a Paginator page whose ``object_list`` is its CaseloadRows (an
    out-of-range or malformed number gives the nearest page, as Paginator.get_page does)."""
    now = now or timezone.now()
    ids, *counts = caseload_order(user, now)
    page = Paginator(ids, per_page).get_page(number)
    page.object_list = _rows(_patients(list(page.object_list), *counts), now)
    return page


def build_caseload(user, now=None):
    """Every row of `user`'s caseload in its order (the page shows CASELOAD_PAGE_SIZE at a time)."""
    now = now or timezone.now()
    ids, *counts = caseload_order(user, now)
    return _rows(_patients(ids, *counts), now)


def _first(queryset, value):
    return Subquery(queryset.values(value)[:1])


def _rows(patients, now):
    """The rows of the given (ordered) patients: their last and next visits in one query, their latest
    scores in two."""
    if not patients:
        return []
    patient = OuterRef("pk")
    last_visit = Appointment.objects.filter(
        patient=patient, status=Appointment.Status.COMPLETED, start__lte=now
    ).order_by("-start")
    last_chart = TreatmentSession.objects.filter(patient=patient, discharged_at__isnull=False).order_by(
        "-discharged_at"
    )
    next_visit = Appointment.objects.upcoming(now).filter(patient=patient)
    visits = (
        Patient.objects.filter(pk__in=[p.pk for p in patients])
        .annotate(
            last_visit_at=_first(last_visit, "start"),
            last_visit_type=_first(last_visit, "appointment_type__name"),
            last_chart_at=_first(last_chart, "discharged_at"),
            last_chart_route=_first(last_chart, "route"),
            next_visit_at=_first(next_visit, "start"),
            next_visit_type=_first(next_visit, "appointment_type__name"),
        )
        .order_by()
        .values(
            "pk",
            "last_visit_at",
            "last_visit_type",
            "last_chart_at",
            "last_chart_route",
            "next_visit_at",
            "next_visit_type",
        )
    )
    visits = {found["pk"]: found for found in visits}
    scores = _latest_scores([p.pk for p in patients])
    return [_row(p, visits[p.pk], scores.get(p.pk, [])) for p in patients]


def _row(patient, visits, scores):
    row = CaseloadRow(
        patient=patient,
        unsigned_notes=patient.unsigned_note_count,
        overdue_notes=patient.overdue_note_count,
        open_alerts=patient.open_alert_count,
        scores=scores,
    )
    chart_label = dict(TreatmentSession.Route.choices).get(visits["last_chart_route"], "")
    last = [
        (at, label)
        for at, label in (
            (visits["last_visit_at"], visits["last_visit_type"]),
            (visits["last_chart_at"], chart_label),
        )
        if at is not None
    ]
    if last:
        row.last_session_at, row.last_session_label = max(last, key=lambda pair: pair[0])
    row.next_visit_at, row.next_visit_label = visits["next_visit_at"], visits["next_visit_type"] or ""
    return row


def _latest_scores(patient_ids):
    """Per patient, the latest score on each instrument with its direction against the one before:
    ranked in the database so that only two responses per instrument come back, and each instrument
    version's definition read once (not once per response) to know which way is better."""
    ranked = (
        AssessmentResponse.objects.filter(patient_id__in=patient_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id"), F("version__instrument_id")],
                order_by=[F("completed_at").desc(), F("pk").desc()],
            ),
            code=F("version__instrument__code"),
        )
        .filter(rank__lte=2)
        .order_by("patient_id", "code", "rank")
        .values_list("patient_id", "code", "version_id", "total", "band", "completed_at")
    )
    pairs = defaultdict(list)
    for patient_id, code, version_id, total, band, completed_at in ranked:
        pairs[(patient_id, code)].append((version_id, total, band, completed_at))
    # Which way is better, read from each version's definition in the database: not the definition
    # itself (a whole questionnaire), and once per version rather than once per response.
    lower_better = dict(
        InstrumentVersion.objects.filter(pk__in={latest[0] for latest, *_ in pairs.values()})
        .order_by()
        .values_list("pk", "definition__outcomes__lower_is_better")
    )
    scores = defaultdict(list)
    for (patient_id, code), ((version_id, total, band, completed_at), *earlier) in pairs.items():
        direction = None
        if earlier:
            # Without a word on it (CADSS has no outcomes), lower is better: see lower_is_better().
            direction = direction_of_change(
                earlier[0][1], total, lower_better=lower_better[version_id] is not False
            )
        scores[patient_id].append(
            LatestScore(code=code, total=total, band=band, completed_at=completed_at, direction=direction)
        )
    return scores
