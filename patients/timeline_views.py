from urllib.parse import urlencode

from django.shortcuts import render

from clinic import roles
from patients.access import staff_view
from patients.timeline import KINDS, Access, build_timeline, chosen_kinds

PAGE_SIZE = 50
#: The deepest page a link or a typed address may ask for (500,000 entries back); beyond it, the last.
LAST_PAGE = 10_000


def _page_number(value):
    """The page asked for; anything that is not a page number means the first."""
    try:
        return min(max(int(value), 1), LAST_PAGE)
    except (TypeError, ValueError):
        return 1


@staff_view(roles.VIEW_PATIENT)
def timeline(request, patient):
    """The patient's chart as one timeline; each kind only for the roles that may see it.

    Paged newest first without counting the whole chart: page N reads the newest N × 50 + 1 entries
    (one more than it shows, to know whether an older page exists). A page past the end shows the last."""
    allowed = Access.for_user(request.user).kinds
    requested = request.GET.getlist("kind")
    kinds = chosen_kinds(requested, allowed)
    filtered = set(kinds) != set(allowed)
    number = _page_number(request.GET.get("page"))
    entries = build_timeline(patient, request.user, kinds, limit=number * PAGE_SIZE + 1) if allowed else []
    if entries and len(entries) <= (number - 1) * PAGE_SIZE:
        number = (len(entries) - 1) // PAGE_SIZE + 1
    shown = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    return render(
        request,
        "patients/timeline.html",
        {
            "patient": patient,
            "entries": shown,
            "page_number": number,
            "newer_page": number - 1 if number > 1 else None,
            "older_page": number + 1 if len(entries) > number * PAGE_SIZE else None,
            "choices": [(kind, KINDS[kind], filtered and kind in kinds) for kind in allowed],
            "filtered": filtered,
            "filter_query": urlencode([("kind", kind) for kind in kinds]) if filtered else "",
        },
    )
