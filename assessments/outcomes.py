"""Outcomes: a patient's course on an instrument judged against its baseline, and the clinic's counts.

The definitions live once, in InstrumentCourse: the baseline is the first score marked "baseline", else
the first score; follow-ups are the scores after it; response and remission compare the latest score
with the baseline under the rules of the latest score's instrument version (scoring.is_response,
scoring.is_remission). The patient's pages build courses from the patient's own responses. The clinic's
counts read OutcomeCourse, one row per patient and instrument, which refresh_outcome_courses derives
from the same InstrumentCourse whenever a response is saved: the Outcomes page then aggregates a table
the size of the clinic's courses in the database, never the responses or their definitions.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from assessments import scoring
from assessments.models import AssessmentResponse, Instrument, InstrumentVersion, OutcomeCourse
from patients.models import Patient


@dataclass
class InstrumentCourse:
    """One patient's scores on one instrument, oldest first, with what they say against baseline."""

    instrument: Instrument | None
    definition: dict
    responses: list = field(default_factory=list)

    @property
    def baseline(self):
        marked = [r for r in self.responses if r.is_baseline]
        return (marked or self.responses or [None])[0]

    @property
    def follow_ups(self):
        baseline = self.baseline
        return [r for r in self.responses if baseline and r.completed_at > baseline.completed_at]

    @property
    def latest(self):
        return self.responses[-1] if self.responses else None

    @property
    def change(self):
        if not self.follow_ups:
            return None
        return scoring.change_from_baseline(self.baseline.total, self.latest.total)

    @property
    def responded(self):
        if not self.follow_ups:
            return None
        return scoring.is_response(self.definition, self.baseline.total, self.latest.total)

    @property
    def remitted(self):
        if not self.follow_ups:
            return None
        return scoring.is_remission(self.definition, self.latest.total)

    def recent_rows(self, count):
        """The baseline row and the latest others, `count` rows in all (every row when there are no
        more): a long course's table on a page; the chart and the PDF keep every score."""
        rows = list(self.rows())
        if len(rows) <= count:
            return rows
        baseline = [row for row in rows if row["is_baseline"]]
        others = [row for row in rows if not row["is_baseline"]]
        return sorted(
            baseline + others[len(others) - (count - len(baseline)) :],
            key=lambda row: (row["response"].completed_at, row["response"].pk),
        )

    def rows(self):
        """Each response with its change from baseline, for tables."""
        baseline = self.baseline
        for response in self.responses:
            change = None
            if baseline and response is not baseline and response.completed_at > baseline.completed_at:
                change = scoring.change_from_baseline(baseline.total, response.total)
            yield {"response": response, "is_baseline": response is baseline, "change": change}


def patient_courses(patient):
    """The patient's courses, one per instrument, by instrument code. Two queries however many scores:
    the responses without their versions' definitions, then the definitions of the versions that
    decide (each course's latest), once each."""
    responses = (
        AssessmentResponse.objects.filter(patient=patient)
        .select_related("version__instrument")
        .defer("version__definition", "answers", "subscales", "domains", "submission_key", "assignment")
        .order_by("completed_at", "pk")
    )
    by_code = {}
    latest_version = {}
    for response in responses:
        instrument = response.version.instrument
        course = by_code.get(instrument.code)
        if course is None:
            course = by_code[instrument.code] = InstrumentCourse(instrument, {})
        course.responses.append(response)
        latest_version[instrument.code] = response.version_id
    definitions = dict(
        InstrumentVersion.objects.filter(pk__in=set(latest_version.values())).values_list("pk", "definition")
    )
    for code, course in by_code.items():
        course.definition = definitions[latest_version[code]]
    return sorted(by_code.values(), key=lambda c: c.instrument.code)


# The summary table ---------------------------------------------------------------------------------


class _Score(NamedTuple):
    is_baseline: bool
    completed_at: datetime
    total: int


def summarise_courses(rows, outcomes_by_version):
    """Course summaries (dicts of OutcomeCourse fields) from response rows
    (patient_id, instrument_id, version_id, is_baseline, completed_at, total, the patient's treatment
    route) ordered by patient,
    instrument, completed_at and pk. `outcomes_by_version` maps a version id to its definition's
    "outcomes" (None when it has none). Pure: the data migration uses it too."""
    key, course, version_id, route = None, None, None, ""
    for patient_id, instrument_id, version, is_baseline, completed_at, total, patient_route in rows:
        if (patient_id, instrument_id) != key:
            if course is not None:
                yield _summary(key, route, course, outcomes_by_version.get(version_id))
            key, course = (patient_id, instrument_id), []
        course.append(_Score(is_baseline, completed_at, total))
        version_id, route = version, patient_route
    if course is not None:
        yield _summary(key, route, course, outcomes_by_version.get(version_id))


def _summary(key, route, scores, outcomes):
    course = InstrumentCourse(None, {"outcomes": outcomes}, scores)
    baseline, latest = course.baseline, course.latest
    return {
        "patient_id": key[0],
        "instrument_id": key[1],
        "route": route or "",
        "baseline_at": baseline.completed_at,
        "baseline_total": baseline.total,
        "latest_total": latest.total,
        "follow_ups": len(course.follow_ups),
        "has_outcomes": bool(outcomes),
        "remission_defined": scoring.is_remission(course.definition, latest.total) is not None,
        "responded": bool(course.responded),
        "remitted": bool(course.remitted),
    }


RESPONSE_ROW = (
    "patient_id",
    "version__instrument_id",
    "version_id",
    "is_baseline",
    "completed_at",
    "total",
    "patient__treatment_route",
)


def refresh_outcome_courses(patient_ids=None, *, batch=2000):
    """Rebuild the course summaries of these patients (all patients when None) from their responses."""
    # Each version's outcome rules only (not its items): as many rows as there are versions.
    rules = dict(InstrumentVersion.objects.values_list("pk", "definition__outcomes"))
    responses = AssessmentResponse.objects.order_by(
        "patient_id", "version__instrument_id", "completed_at", "pk"
    )
    with transaction.atomic():
        if patient_ids is None:
            OutcomeCourse.objects.all().delete()
        else:
            patient_ids = sorted(set(patient_ids))
            # Two scores saved for one patient at once: the second waits here for the first to commit,
            # then reads both (without the lock it could write a summary missing the first, or collide
            # with the first's new row).
            list(
                Patient.objects.select_for_update()
                .filter(pk__in=patient_ids)
                .order_by("pk")
                .values_list("pk")
            )
            OutcomeCourse.objects.filter(patient_id__in=patient_ids).delete()
            responses = responses.filter(patient_id__in=patient_ids)
        summaries = summarise_courses(responses.values_list(*RESPONSE_ROW).iterator(chunk_size=batch), rules)
        pending = []
        for summary in summaries:
            pending.append(OutcomeCourse(**summary))
            if len(pending) >= batch:
                OutcomeCourse.objects.bulk_create(pending)
                pending = []
        OutcomeCourse.objects.bulk_create(pending)


def response_changed(sender, instance, **kwargs):
    """post_save / post_delete of a response: its patient's courses follow, in the same transaction."""
    refresh_outcome_courses([instance.patient_id])


def patient_saved(sender, instance, **kwargs):
    """post_save of a patient: the courses' copy of the planned route follows."""
    OutcomeCourse.objects.filter(patient_id=instance.pk).exclude(route=instance.treatment_route).update(
        route=instance.treatment_route
    )


# Clinic-wide counts ---------------------------------------------------------------------------------


ALL_ROUTES = "All routes"
NO_ROUTE = "Not decided yet"


@dataclass
class OutcomeRow:
    instrument: str
    route: str
    patients: int = 0
    responded: int = 0
    remitted: int = 0
    remission_defined: bool = True

    @property
    def response_rate(self):
        return round(100 * self.responded / self.patients) if self.patients else None

    @property
    def remission_rate(self):
        if not self.patients or not self.remission_defined:
            return None
        return round(100 * self.remitted / self.patients)


@dataclass(frozen=True)
class SiteSource:
    """Where a clinic's sites come from, registered by the layer that knows them (register_sites):
    `choices()` gives (value, label) pairs; `patients_at(value)` a queryset of the ids of the patients
    who belong to that site."""

    choices: object
    patients_at: object


_site_source: list[SiteSource] = []


def register_sites(choices, patients_at):
    """Called from a higher layer's AppConfig.ready() (the way Django admin collects ModelAdmins):
    assessments knows no sites of its own."""
    _site_source[:] = [SiteSource(choices, patients_at)]


def site_source():
    return _site_source[0] if _site_source else None


def baseline_window(start, end):
    """Dates (either may be None) to the aware datetimes [start 00:00, the day after end 00:00) in the
    clinic's time zone: a course counts when its baseline was taken on one of those days."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone) if start else None
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone) if end else None
    return since, until


def clinic_outcomes(min_followups, *, baseline_from=None, baseline_to=None, site=None):
    """Among patients with a baseline and at least `min_followups` later scores on an instrument,
    how many responded and remitted, by instrument and planned treatment route. Optionally only the
    courses whose baseline falls between two dates (inclusive) and the patients of one site.

    One aggregate over the course summaries alone (no join), and the instruments' codes; as many rows
    as instruments × routes."""
    courses = OutcomeCourse.objects.filter(has_outcomes=True, follow_ups__gte=min_followups)
    since, until = baseline_window(baseline_from, baseline_to)
    if since:
        courses = courses.filter(baseline_at__gte=since)
    if until:
        courses = courses.filter(baseline_at__lt=until)
    if site is not None:
        courses = courses.filter(patient_id__in=site_source().patients_at(site))
    codes = dict(Instrument.objects.values_list("pk", "code"))
    counts = (
        courses.values("instrument_id", "route")
        .annotate(
            patients=Count("pk"),
            responded=Count("pk", filter=Q(responded=True)),
            remitted=Count("pk", filter=Q(remitted=True)),
            remission_defined=Count("pk", filter=Q(remission_defined=True)),
        )
        .order_by()
    )
    route_label = dict(Patient.Route.choices)
    rows = {}
    for count in counts:
        code = codes[count["instrument_id"]]
        route = route_label.get(count["route"], NO_ROUTE)
        for key in ((code, route), (code, ALL_ROUTES)):
            row = rows.setdefault(key, OutcomeRow(*key, remission_defined=False))
            row.patients += count["patients"]
            row.responded += count["responded"]
            row.remitted += count["remitted"]
            row.remission_defined |= count["remission_defined"] > 0
    return sorted(rows.values(), key=lambda row: (row.instrument, row.route != ALL_ROUTES, row.route))
