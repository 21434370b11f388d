"""One chronological timeline of a patient's chart: sessions, scores, notes, alerts and messages.

Each source is one query (about ten in all, whatever the length of the chart) that reads its rows
newest first and no more of them than the page being shown needs; the sources are merged as they
are read, so a chart with a thousand scores costs what one with fifty does. Each is shown only to
users who hold its permissions (clinic.roles). The timeline lives here, with the patient, but knows no
other domain: each layer above registers its own sources (``assessments/timeline.py``,
``sessions/timeline.py``, imported by their AppConfig.ready()), the way Django admin collects ModelAdmins. Entries carry a one-line summary made here, never
a message's body or a note's text: the timeline says what happened, the linked page says the rest.
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import attrgetter

from django.utils import timezone
from django.utils.formats import date_format

from clinic import roles
from patients.models import PortalInvitation

SESSION, SCORE, NOTE, ALERT, MESSAGE = "session", "score", "note", "alert", "message"

#: Every kind, in the order the filter shows them, with its label.
KINDS = {
    SESSION: "Sessions",
    SCORE: "Scores",
    NOTE: "Notes",
    ALERT: "Alerts",
    MESSAGE: "Messages",
}

#: Each kind's badge (Bootstrap classes), always with the kind's name in it.
KIND_CLASSES = {
    SESSION: "text-bg-primary",
    SCORE: "text-bg-info",
    NOTE: "text-bg-secondary",
    ALERT: "text-bg-dark",
    MESSAGE: "text-bg-light border",
}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    summary: str
    detail: str = ""
    url: str = ""
    #: A short state shown as a badge with its words ("Open", "Signed and locked", "Missed").
    state: str = ""
    #: The badge's CSS class, always beside the words, never instead of them.
    state_class: str = "text-bg-secondary"

    @property
    def kind_label(self):
        return KINDS[self.kind].removesuffix("s")

    @property
    def kind_class(self):
        return KIND_CLASSES[self.kind]


@dataclass(frozen=True)
class Source:
    """One query that adds entries of one kind, for users who hold every one of ``permissions``."""

    kind: str
    permissions: tuple
    #: (patient, ids, user, limit) -> TimelineEntry objects, newest first (by ``at``), at most ``limit``
    #: of them (None: all). The order must be exactly that of ``at``: the sources are merged, not sorted.
    entries: Callable


SOURCES = []


def source(kind, *permissions):
    """Register a function ``(patient, ids, user, limit)`` as a source of ``kind`` entries."""

    def register(function):
        SOURCES.append(Source(kind, permissions, function))
        return function

    return register


def _may_see(user, source):
    return all(user.has_perm(permission) for permission in source.permissions)


@dataclass(frozen=True)
class Access:
    """What a user may see on the timeline: the kinds of the sources their permissions open."""

    sources: tuple

    @classmethod
    def for_user(cls, user):
        return cls(tuple(found for found in SOURCES if _may_see(user, found)))

    @property
    def kinds(self):
        """The kinds this user may see, in display order."""
        shown = {found.kind for found in self.sources}
        return [kind for kind in KINDS if kind in shown]


def chosen_kinds(requested, allowed):
    """The kinds asked for that the user may see; none asked (or none usable) means all allowed.
    Unknown or forbidden values are ignored rather than refused."""
    chosen = [kind for kind in allowed if kind in set(requested)]
    return chosen or list(allowed)


def build_timeline(patient, user, kinds=None, limit=None):
    """The newest `limit` entries (None: all) of the patient's timeline for `user`, newest first,
    limited to `kinds` (default: all they may see). No source reads more than `limit` rows, and an
    entry is only made when the merge reaches it."""
    access = Access.for_user(user)
    wanted = set(access.kinds if kinds is None else kinds) & set(access.kinds)
    ids = {"patient_id": patient.external_id}
    streams = [found.entries(patient, ids, user, limit) for found in access.sources if found.kind in wanted]
    return list(islice(heapq.merge(*streams, key=attrgetter("at"), reverse=True), limit))


def newest(queryset, *order, limit):
    """`queryset` newest first by `order` (field names or expressions, descending), at most `limit` rows."""
    order = [f"-{field}" if isinstance(field, str) else field.desc() for field in order]
    return queryset.order_by(*order)[:limit]


def when(moment):
    return date_format(timezone.localtime(moment), "M j, Y H:i")


# Alerts --------------------------------------------------------------------------------------------


def alert_state(alert):
    if alert.acknowledged_at is None:
        return {"state": "Open", "state_class": "text-bg-danger"}
    return {"state": "Acknowledged", "state_class": "text-bg-secondary"}


@source(MESSAGE, roles.VIEW_APPOINTMENTS)
def portal_invitations(patient, ids, user, limit):
    invitations = PortalInvitation.objects.filter(patient=patient, sent_at__isnull=False)
    for invitation in newest(invitations, "sent_at", limit=limit):
        yield TimelineEntry(kind=MESSAGE, at=invitation.sent_at, summary="Portal invitation e-mailed")
