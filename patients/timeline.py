"""One chronological timeline of a patient's chart: sessions, scores, notes, alerts and messages.

Each source is one table (about ten in all) and is shown only to users who hold its permissions
(clinic.roles). A page is drawn in two steps whatever the length of the chart: the moments of each
source's newest entries (a column of timestamps), merged to learn how many of the page's entries each
source holds; then only those rows, read and drawn. The timeline lives here, with the patient, but
knows no other domain: each layer above registers its own sources (``assessments/timeline.py``,
``sessions/timeline.py``, imported by their AppConfig.ready()), the way Django admin collects
ModelAdmins. Entries carry a one-line summary made here, never
a message's body or a note's text: the timeline says what happened, the linked page says the rest.
"""

import heapq
from dataclasses import dataclass
from datetime import datetime
from itertools import islice, repeat
from operator import attrgetter, itemgetter

from django.db.models import F
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


class Source:
    """Entries of one ``kind`` from one table, for users who hold every one of ``permissions``.

    A source says which rows are its entries (``rows``), the moment each happened (``at``: a field name
    or an expression, exactly the ``at`` its entries carry, since sources are merged, not sorted), and
    how a row reads on the timeline (``entry``). Register a subclass with ``@register``."""

    kind = ""
    permissions = ()
    at = None

    def rows(self, patient, user):
        """The source's rows for this patient (select_related what ``entry`` reads), in any order."""
        raise NotImplementedError

    def entry(self, row, ids, user):
        """The TimelineEntry of one row; ``ids`` are the patient's URL kwargs."""
        raise NotImplementedError

    def moments(self, patient, user, limit):
        """When the newest ``limit`` entries happened, newest first: one narrow query, no rows built."""
        ordered = newest(
            self.rows(patient, user).annotate(timeline_at=self._at()), "timeline_at", limit=limit
        )
        return list(ordered.values_list("timeline_at", flat=True))

    def entries(self, patient, ids, user, limit):
        """The newest ``limit`` entries (None: all), newest first."""
        for row in newest(self.rows(patient, user), self._at(), limit=limit):
            yield self.entry(row, ids, user)

    def _at(self):
        return F(self.at) if isinstance(self.at, str) else self.at


SOURCES = []


def register(source_class):
    """Add a Source subclass to the timeline (the way admin.register adds a ModelAdmin)."""
    SOURCES.append(source_class())
    return source_class


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
    limited to `kinds` (default: all they may see).

    With a limit, each source first gives only the moments of its newest `limit` entries (a column of
    timestamps); merged, they say how many of the page's entries each source holds, and only those rows
    are then read and drawn. A chart of hundreds of scores builds the fifty it shows, not 500."""
    access = Access.for_user(user)
    wanted = set(access.kinds if kinds is None else kinds) & set(access.kinds)
    sources = [found for found in access.sources if found.kind in wanted]
    ids = {"patient_id": patient.external_id}
    if limit is None:
        shares = [None] * len(sources)
    else:
        shares = [0] * len(sources)
        tagged = [zip(found.moments(patient, user, limit), repeat(n)) for n, found in enumerate(sources)]
        for _at, n in islice(heapq.merge(*tagged, key=itemgetter(0), reverse=True), limit):
            shares[n] += 1
    streams = [
        found.entries(patient, ids, user, share)
        for found, share in zip(sources, shares, strict=True)
        if share != 0
    ]
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


@register
class PortalInvitations(Source):
    kind = MESSAGE
    permissions = (roles.VIEW_APPOINTMENTS,)
    at = "sent_at"

    def rows(self, patient, user):
        return PortalInvitation.objects.filter(patient=patient, sent_at__isnull=False)

    def entry(self, invitation, ids, user):
        return TimelineEntry(kind=MESSAGE, at=invitation.sent_at, summary="Portal invitation e-mailed")
