"""Time a patient's Measures page and progress-report PDF for a long course of scores.

    DATABASE_URL=postgres://… .venv/bin/python scripts/bench_progress_report.py [--scores 150] [--rounds 5]

Inside one transaction that is rolled back at the end (the database is left as it was), it makes a
patient with --scores weekly scores on each of --instruments and a nurse, then prints the
median and slowest time of: building the courses, drawing each chart, the PDF alone, and the two
pages through Django's test client (signed in as the nurse), with each page's query count.
Needs a migrated database (`manage.py migrate`); without DATABASE_URL it uses the SQLite default.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("REQUIRE_STAFF_MFA", "false")


class Rollback(Exception):
    pass


def timed(rounds, work):
    """Median and slowest wall-clock time, and the median CPU time of this process (steadier on a
    shared machine; the database's own time is not in it)."""
    times, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), max(times), statistics.median(cpu), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=150, help="scores per instrument (default 150)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--instruments",
        default="PHQ-9",
        help="comma-separated codes (default PHQ-9; e.g. PHQ-9,GAD-7,QIDS-SR16)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    from assessments.models import AssessmentResponse
    from assessments.outcomes import patient_courses
    from assessments.reports import course_chart, progress_report_pdf
    from assessments.services import current_version_for
    from clinic import roles
    from testing.factories import PatientFactory, UserFactory

    setup_test_environment()  # lets the test client's host in, whatever ALLOWED_HOSTS says
    rng = random.Random(16)
    codes = [code.strip() for code in args.instruments.split(",") if code.strip()]
    print(
        f"{args.scores} scores on each of {', '.join(codes)}; {args.rounds} rounds; {connection.vendor};"
        " times are wall-clock, cpu is this process's"
    )
    try:
        with transaction.atomic():
            nurse = UserFactory(email=f"bench-{rng.randrange(10**9)}@test.example", roles=[roles.NURSE])
            patient = PatientFactory()
            start = timezone.now() - timedelta(weeks=args.scores)
            for code in codes:
                version = current_version_for(code)
                top = version.definition["scoring"]["max"]
                AssessmentResponse.objects.bulk_create(
                    AssessmentResponse(
                        patient=patient,
                        version=version,
                        mode="clinic",
                        answers={},
                        total=max(
                            0, min(top, round(top * (0.8 - 0.6 * week / args.scores)) + rng.randint(-3, 3))
                        ),
                        completed_at=start + timedelta(weeks=week),
                        entered_by=nurse,
                    )
                    for week in range(args.scores)
                )
            median, worst, cpu, courses = timed(args.rounds, lambda: patient_courses(patient))
            print(
                f"courses                     median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms"
            )
            median, worst, cpu, _ = timed(
                args.rounds, lambda: [course_chart(c, width=680, height=240) for c in courses]
            )
            print(
                f"charts (PDF size)           median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms"
            )
            median, worst, cpu, _ = timed(args.rounds, lambda: progress_report_pdf(patient, courses, nurse))
            print(
                f"PDF alone                   median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms"
            )
            client = Client()
            client.force_login(nurse, backend="django.contrib.auth.backends.ModelBackend")
            for label, name in (
                ("Measures page", "assessments:measures"),
                ("Progress report", "assessments:report"),
            ):
                url = reverse(name, args=[patient.external_id])
                client.get(url)
                queries = []
                with connection.execute_wrapper(
                    lambda execute, sql, *rest, queries=queries: queries.append(sql) or execute(sql, *rest)
                ):
                    response = client.get(url)
                assert response.status_code == 200, response.status_code
                median, worst, cpu, _ = timed(args.rounds, lambda url=url: client.get(url))
                print(
                    f"{label:<27} median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms"
                    f"   {len(queries)} queries"
                )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
