"""Open alerts for a patient: the one definition that the treatment gate, the menu badge, Today, the
Alerts page, the patient's page, integration notes and the caseload all use.

An alert is open until a clinician acknowledges it, saying what was done. There are two kinds:

- **risk**: a questionnaire answer past a rule (a PHQ-9 item 9 answer of 1 or more, say), raised by
  ``assessments``;
- **session**: a value past a threshold on a treatment session's chart (vital signs, deep sedation, a
  serious adverse event, a pre-dose hold), raised by ``sessions``, on *any* chart of the patient's,
  including one that was started and never finished.

Both apps sit above this one, so each registers its kind here from its ``AppConfig.ready()`` (the way
models register with Django admin) and nothing here imports them. Every query below is bounded: open
alerts are few, and each kind's table has a partial index on its open rows.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.db import models
from django.db.models import Count, Max

from patients.models import Patient

__all__ = [
    "AlertKind",
    "kinds",
    "open_alerts_for",
    "open_count",
    "open_counts",
    "open_total",
    "patients_with_open_alerts",
    "register",
]


class AlertQuerySet(models.QuerySet):
    """The questions every kind of alert answers the same way (RiskAlert, SessionAlert)."""

    def open(self):
        return self.filter(acknowledged_at__isnull=True)


@dataclass(frozen=True)
class AlertKind:
    """A kind of alert and how to find its open rows.

    ``model`` has ``acknowledged_at`` (NULL while open); ``patient_field`` is the lookup from an alert to
    its patient; ``time_field`` when it was raised; ``permission`` is what a user needs to see this kind;
    ``describe(alert)`` is one line for a person (what, where, when) and ``url(alert)`` the page where it
    is acknowledged.
    """

    name: str
    label: str
    model: type
    patient_field: str
    time_field: str
    permission: str
    describe: Callable
    url: Callable
    related: tuple = ()

    def open(self):
        return self.model.objects.open()

    def patient_of(self, alert):
        return reduce(getattr, self.patient_field.split("__"), alert)


_KINDS: dict[str, AlertKind] = {}


def register(kind):
    _KINDS[kind.name] = kind


def kinds(user=None):
    """The registered kinds, in registration order; with ``user``, only those the user may see."""
    return [kind for kind in _KINDS.values() if user is None or user.has_perm(kind.permission)]


def open_alerts_for(patient, user=None, limit=None):
    """``{kind name: [open alerts, newest first]}`` for one patient (every kind is a key)."""
    found = {}
    for kind in kinds(user):
        rows = (
            kind.open()
            .filter(**{kind.patient_field: patient})
            .select_related(*kind.related)
            .order_by(f"-{kind.time_field}", "-pk")
        )
        found[kind.name] = list(rows[:limit] if limit else rows)
    return found


def open_count(patient, user=None):
    return sum(kind.open().filter(**{kind.patient_field: patient}).count() for kind in kinds(user))


def open_counts(patient_ids, user=None):
    """``Counter({patient id: open alerts})`` for the given patients (absent: none open)."""
    counts = Counter()
    for kind in kinds(user):
        rows = (
            kind.open()
            .filter(**{f"{kind.patient_field}_id__in": patient_ids})
            .values_list(f"{kind.patient_field}_id")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for patient_id, count in rows:
            counts[patient_id] += count
    return counts


def open_total(user=None):
    """Open alerts in the whole clinic (the menu badge), in one query over every kind's open rows."""
    queries = [kind.open().values_list("pk").order_by() for kind in kinds(user)]
    if not queries:
        return 0
    return queries[0].union(*queries[1:], all=True).count()


def patients_with_open_alerts(user=None, limit=20):
    """``(patients, total)``: up to ``limit`` patients with open alerts, the most recent alert first,
    each with ``open_alert_count``; ``total`` is how many patients have one."""
    latest = {}
    counts = Counter()
    for kind in kinds(user):
        rows = (
            kind.open()
            .values_list(f"{kind.patient_field}_id")
            .annotate(count=Count("pk"), latest=Max(kind.time_field))
            .order_by()
        )
        for patient_id, count, at in rows:
            counts[patient_id] += count
            latest[patient_id] = max(at, latest.get(patient_id, at))
    chosen = sorted(latest, key=lambda pk: latest[pk], reverse=True)[:limit]
    patients = Patient.objects.in_bulk(chosen)
    result = []
    for pk in chosen:
        patient = patients[pk]
        patient.open_alert_count = counts[pk]
        result.append(patient)
    return result, len(latest)
