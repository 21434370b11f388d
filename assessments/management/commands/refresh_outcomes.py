"""Rebuild the outcome course summaries from the stored responses.

Every response saved through the application keeps its patient's summaries in step; run this after
responses were loaded or changed in bulk (an import, a SQL fix), which sends no signals.
"""

import time

from django.core.management.base import BaseCommand

from assessments.models import OutcomeCourse
from assessments.outcomes import refresh_outcome_courses


class Command(BaseCommand):
    help = "Rebuild the outcome course summaries (the Outcomes page's counts) from the stored responses."

    def handle(self, *args, **options):
        started = time.monotonic()
        refresh_outcome_courses()
        self.stdout.write(
            f"{OutcomeCourse.objects.count():,} courses summarised in {time.monotonic() - started:.1f} s."
        )
