"""Clinic-wide outcomes: the counts the database gives equal the per-course definitions, the filters
refuse what they cannot read, and no page's query count grows with the clinic."""

import io
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import outcomes
from assessments.models import AssessmentResponse, Instrument, OutcomeCourse
from assessments.outcomes import (
    InstrumentCourse,
    OutcomeRow,
    clinic_outcomes,
    refresh_outcome_courses,
)
from assessments.services import create_local_version, current_version_for
from patients.models import Patient
from testing.factories import PatientFactory

# The reference: clinic-wide outcomes as they were computed before the summary table, from every
# response in the clinic with its version's definition (kept here to hold the new path to it).


def reference_outcomes(min_followups, *, baseline_window=(None, None), patient_ids=None):
    responses = AssessmentResponse.objects.select_related("version__instrument", "patient").order_by(
        "completed_at", "pk"
    )
    grouped = defaultdict(dict)
    for response in responses:
        instrument = response.version.instrument
        course = grouped[response.patient_id].get(instrument.code)
        if course is None:
            course = grouped[response.patient_id][instrument.code] = InstrumentCourse(
                instrument, response.version.definition
            )
        course.responses.append(response)
        course.definition = response.version.definition
    since, until = baseline_window
    route_label = dict(Patient.Route.choices)
    rows = {}
    for patient_id, patient_courses_ in grouped.items():
        if patient_ids is not None and patient_id not in patient_ids:
            continue
        for code, course in patient_courses_.items():
            if not course.definition.get("outcomes") or len(course.follow_ups) < min_followups:
                continue
            if (since and course.baseline.completed_at < since) or (
                until and course.baseline.completed_at >= until
            ):
                continue
            route = route_label.get(course.baseline.patient.treatment_route, "Not decided yet")
            for key in ((code, route), (code, "All routes")):
                row = rows.setdefault(key, OutcomeRow(*key))
                row.patients += 1
                row.responded += bool(course.responded)
                row.remitted += bool(course.remitted)
                row.remission_defined = course.remitted is not None
    return sorted(rows.values(), key=lambda row: (row.instrument, row.route != "All routes", row.route))


START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def varied_clinic(user, patients=45, seed=16):
    """Patients on every route with courses of 1-7 scores on several instruments: zero baselines,
    baselines marked after earlier scores, scores at the same moment, and a clinic-edited version."""
    rng = random.Random(seed)
    phq9 = current_version_for("PHQ-9")
    local_phq9 = create_local_version(phq9.instrument, phq9.definition, user)
    versions = [current_version_for(code) for code in ("GAD-7", "PCL-5", "QIDS-SR16", "CADSS")]
    routes = [value for value, _ in Patient.Route.choices]
    made = []
    for _ in range(patients):
        patient = PatientFactory(treatment_route=rng.choice(routes))
        made.append(patient)
        for version in rng.sample([phq9, *versions], rng.randint(1, 3)):
            day = rng.randint(0, 120)
            for week in range(rng.randint(1, 7)):
                low, high = version.definition["scoring"]["min"], version.definition["scoring"]["max"]
                when = START + timedelta(days=day + 7 * week)
                if week and rng.random() < 0.15:
                    when = START + timedelta(days=day + 7 * (week - 1))  # same moment as the one before
                AssessmentResponse.objects.create(
                    patient=patient,
                    version=local_phq9 if version is phq9 and week > 2 and rng.random() < 0.5 else version,
                    mode="clinic",
                    is_baseline=rng.random() < 0.12,
                    answers={},
                    total=rng.choice([low, low, high, rng.randint(low, high), rng.randint(low, high // 3)]),
                    completed_at=when,
                    entered_by=user,
                )
    return made


@pytest.fixture
def site_registry():
    saved = list(outcomes._site_source)
    yield
    outcomes._site_source[:] = saved


def _table():
    return sorted(OutcomeCourse.objects.values_list(*(f.attname for f in OutcomeCourse._meta.fields[1:])))


def test_database_counts_equal_the_reference_definition_on_a_varied_clinic(nurse):
    varied_clinic(nurse)
    assert OutcomeCourse.objects.count() > 60
    for minimum in (1, 2, 3, 5):
        expected = reference_outcomes(minimum)
        assert expected, minimum
        assert clinic_outcomes(minimum) == expected


def test_summaries_kept_on_every_save_equal_a_full_rebuild(nurse):
    patients = varied_clinic(nurse, patients=15, seed=3)
    response = AssessmentResponse.objects.filter(patient=patients[0]).order_by("completed_at").first()
    response.is_baseline = True
    response.save()
    AssessmentResponse.objects.filter(patient=patients[1]).order_by("-completed_at").first().delete()
    patients[2].treatment_route = "kap" if patients[2].treatment_route != "kap" else "iv"
    patients[2].save()
    kept = _table()
    refresh_outcome_courses()
    assert _table() == kept
    assert clinic_outcomes(1) == reference_outcomes(1)


def test_baseline_dates_choose_courses_by_their_baseline(nurse):
    varied_clinic(nurse, seed=7)
    since, until = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)
    with_window = clinic_outcomes(
        1, baseline_from=since.date(), baseline_to=(until - timedelta(days=1)).date()
    )
    assert with_window == reference_outcomes(1, baseline_window=(since, until))
    assert sum(row.patients for row in with_window) < sum(row.patients for row in clinic_outcomes(1))


def test_a_site_counts_only_its_patients(nurse, site_registry):
    patients = varied_clinic(nurse, seed=11)
    north = {patient.pk for patient in patients[::3]}
    outcomes.register_sites(
        lambda: [("north", "North clinic"), ("south", "South clinic")],
        lambda site: Patient.objects.filter(pk__in=north if site == "north" else []).values("pk"),
    )
    assert clinic_outcomes(1, site="north") == reference_outcomes(1, patient_ids=north)
    assert clinic_outcomes(1, site="south") == []


def test_administrator_sees_filters_kept_and_what_the_dates_choose(client_for, administrator, nurse):
    varied_clinic(nurse, patients=10)
    page = client_for(administrator).get(
        reverse("assessments:outcomes"),
        {"min_followups": "2", "baseline_from": "2026-01-01", "baseline_to": "2026-06-30"},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert 'value="2026-01-01"' in text and 'value="2026-06-30"' in text and 'value="2"' in text
    assert "whose <strong>baseline</strong>" in text
    assert 'name="site"' not in text  # no site source registered: no site filter offered


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"baseline_from": "2026-13-01"}, "baseline_from", "Enter a valid date."),
        ({"baseline_from": "2026-05-01", "baseline_to": "2026-04-01"}, "baseline_to", "before the start"),
        ({"baseline_to": "1200-01-01"}, "baseline_to", "Choose a date between"),
        ({"min_followups": "0"}, "min_followups", "greater than or equal to 1"),
        ({"min_followups": "many"}, "min_followups", "Enter a whole number."),
        ({"site": "atlantis"}, "site", "Select a valid choice."),
    ],
)
def test_administrator_is_told_beside_the_field_what_filter_cannot_be_read(
    client_for, administrator, site_registry, query, field, message
):
    outcomes.register_sites(lambda: [("north", "North clinic")], lambda site: Patient.objects.none())
    page = client_for(administrator).get(reverse("assessments:outcomes"), query)
    assert page.status_code == 400
    text = page.content.decode()
    error = text.split(f'id="id_{field}-error">', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert "<table" not in text


def test_administrator_chooses_a_site_from_the_registered_sites(
    client_for, administrator, nurse, site_registry
):
    patients = varied_clinic(nurse, patients=12)
    outcomes.register_sites(
        lambda: [("north", "North clinic")],
        lambda site: Patient.objects.filter(pk__in=[patients[0].pk]).values("pk"),
    )
    page = client_for(administrator).get(
        reverse("assessments:outcomes"), {"site": "north", "min_followups": "1"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert '<option value="north" selected>North clinic</option>' in text


def test_outcomes_and_measures_pages_take_the_same_queries_however_large_the_clinic(client_for, nurse):
    def counts():
        client = client_for(nurse)
        client.get(reverse("assessments:outcomes"))  # session and settings rows made once
        patient = Patient.objects.order_by("pk").first()
        with CaptureQueriesContext(connection) as outcomes_page:
            assert client.get(reverse("assessments:outcomes"), {"min_followups": "1"}).status_code == 200
        with CaptureQueriesContext(connection) as measures_page:
            assert client.get(reverse("assessments:measures", args=[patient.external_id])).status_code == 200
        # The outcomes page reads course summaries, never responses; the measures page reads the
        # patient's responses without their versions' definitions (those come once per version).
        assert not any('"assessments_assessmentresponse"' in q["sql"] for q in outcomes_page.captured_queries)
        for query in measures_page.captured_queries:
            if 'FROM "assessments_assessmentresponse"' in query["sql"]:
                assert '"definition"' not in query["sql"]
        return len(outcomes_page.captured_queries), len(measures_page.captured_queries)

    varied_clinic(nurse, patients=2, seed=1)
    small = counts()
    varied_clinic(nurse, patients=25, seed=2)
    first = Patient.objects.order_by("pk").first()
    for instrument in Instrument.objects.exclude(code="CADSS"):
        version = current_version_for(instrument.code)
        for week in range(6):
            AssessmentResponse.objects.create(
                patient=first,
                version=version,
                mode="clinic",
                answers={},
                total=week,
                completed_at=START + timedelta(weeks=20 + week),
                entered_by=nurse,
            )
    assert counts() == small


def test_refresh_outcomes_rebuilds_what_a_bulk_change_left_behind(nurse):
    from django.core.management import call_command

    patients = varied_clinic(nurse, patients=6, seed=5)
    AssessmentResponse.objects.filter(patient=patients[0]).update(total=0)  # no signal
    out = io.StringIO()
    call_command("refresh_outcomes", stdout=out)
    assert "courses summarised" in out.getvalue()
    assert clinic_outcomes(1) == reference_outcomes(1)


def test_nurse_sees_a_long_course_as_baseline_and_latest_scores_and_can_show_all(
    client_for, nurse, patient_a
):
    version = current_version_for("PHQ-9")
    for week in range(30):
        AssessmentResponse.objects.create(
            patient=patient_a,
            version=version,
            mode="clinic",
            answers={},
            total=27 - week % 27,
            completed_at=START + timedelta(weeks=week),
            entered_by=nurse,
        )
    url = reverse("assessments:measures", args=[patient_a.external_id])
    page = client_for(nurse).get(url).content.decode()
    assert "12 of 30" in page and "Show all 30 scores" in page
    assert page.count(">Answers</a>") == 12
    assert "Jan 5, 2026" in page  # the baseline row stays
    full = client_for(nurse).get(url, {"all": "PHQ-9"}).content.decode()
    assert full.count(">Answers</a>") == 30 and "Show the latest only" in full


def test_label_collisions_are_the_same_as_sampling_the_whole_segment():
    import math

    from clinic.svg import Box

    def sampled(box, a, b):
        steps = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) / 2))
        return any(
            box.x0 <= a[0] + (b[0] - a[0]) * i / steps <= box.x1
            and box.y0 <= a[1] + (b[1] - a[1]) * i / steps <= box.y1
            for i in range(steps + 1)
        )

    rng = random.Random(2)
    for _ in range(20000):
        x0, y0 = rng.uniform(0, 600), rng.uniform(0, 240)
        box = Box(x0, y0, x0 + rng.uniform(0, 80), y0 + rng.uniform(0, 20))
        a = (rng.choice([x0, rng.uniform(0, 640)]), rng.choice([y0, rng.uniform(0, 260)]))
        b = (rng.choice([a[0], rng.uniform(0, 640)]), rng.choice([a[1], rng.uniform(0, 260)]))
        assert box.hits_segment(a, b) == sampled(box, a, b), (box, a, b)


def test_placing_labels_on_a_long_course_takes_about_linear_work(monkeypatch):
    """Each label is tested only against the boxes and lines near it: about a hundred collision tests
    per score on a crowded 160-score chart (testing against everything, as before, took over 1,200)."""
    from assessments.charts import Point, trend_chart_svg
    from clinic.svg import Box

    tests = []
    for name in ("overlaps", "hits_segment"):
        original = getattr(Box, name)
        monkeypatch.setattr(Box, name, lambda self, *args, _f=original: tests.append(1) or _f(self, *args))
    rng = random.Random(1)

    def collision_tests(count):
        tests.clear()
        points = [Point(when=START + timedelta(days=3 * i), value=rng.randint(0, 27)) for i in range(count)]
        trend_chart_svg(
            title="PHQ-9 total", points=points, y_min=0, y_max=27, baseline=20, threshold=(5, "R")
        )
        return len(tests)

    assert collision_tests(160) < 300 * 160


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_scores_saved_for_one_patient_at_once_each_reach_the_summary(nurse, patient_a):
    import threading

    from django.db import connections

    from conftest import require_service

    require_service(connection.vendor == "postgresql", "the race needs PostgreSQL (set DATABASE_URL)")
    versions = [current_version_for("PHQ-9"), current_version_for("GAD-7")]
    barrier = threading.Barrier(4)
    failures = []

    def save(week, version):
        try:
            barrier.wait()
            AssessmentResponse.objects.create(
                patient=patient_a,
                version=version,
                mode="clinic",
                answers={},
                total=10 + week,
                completed_at=START + timedelta(weeks=week),
                entered_by=nurse,
            )
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(week, versions[week % 2])) for week in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    kept = _table()
    refresh_outcome_courses()
    assert _table() == kept
    assert sorted(OutcomeCourse.objects.values_list("follow_ups", flat=True)) == [1, 1]
