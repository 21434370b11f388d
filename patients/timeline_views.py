from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render

from clinic import roles
from patients.access import staff_view
from patients.timeline import KINDS, Access, build_timeline, chosen_kinds

PAGE_SIZE = 50


@staff_view(roles.VIEW_PATIENT)
def timeline(request, patient):
    """The patient's chart as one timeline; each kind only for the roles that may see it."""
    allowed = Access.for_user(request.user).kinds
    requested = request.GET.getlist("kind")
    kinds = chosen_kinds(requested, allowed)
    filtered = set(kinds) != set(allowed)
    entries = build_timeline(patient, request.user, kinds) if allowed else []
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "patients/timeline.html",
        {
            "patient": patient,
            "page": page,
            "choices": [(kind, KINDS[kind], filtered and kind in kinds) for kind in allowed],
            "filtered": filtered,
            "filter_query": urlencode([("kind", kind) for kind in kinds]) if filtered else "",
        },
    )
