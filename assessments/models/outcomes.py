"""One patient's course on one instrument, summarised so clinic-wide outcomes are one aggregate."""

from django.db import models

from assessments.models.measures import Instrument
from patients.models import Patient


class OutcomeCourse(models.Model):
    """Derived from the patient's responses (assessments.outcomes.refresh_outcome_courses) every time
    one is saved or deleted, in the same transaction: the Outcomes page then counts rows of this table
    instead of reading every response in the clinic. Never edited by hand; rebuilt with
    `manage.py refresh_outcomes` after responses were changed in bulk."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    # The patient's planned treatment route, copied (and kept in step when the patient is saved) so the
    # counts by route read this table alone.
    route = models.CharField(max_length=12, blank=True)
    baseline_at = models.DateTimeField()
    baseline_total = models.IntegerField()
    latest_total = models.IntegerField()
    follow_ups = models.PositiveIntegerField(help_text="Scores after the baseline.")
    # From the definition of the latest response's version, which decides the outcome rules.
    has_outcomes = models.BooleanField()
    remission_defined = models.BooleanField()
    responded = models.BooleanField()
    remitted = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "instrument"], name="one_outcome_course_per_instrument"
            )
        ]
        indexes = [models.Index(fields=["instrument", "baseline_at"], name="outcome_course_baseline")]

    def __str__(self):
        return f"{self.instrument_id} course of patient {self.patient_id}"
