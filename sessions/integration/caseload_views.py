from django.shortcuts import render

from clinic import roles
from patients.access import staff_view
from sessions.integration.caseload import CASELOAD_DAYS, NOTE_SIGN_WITHIN, caseload_page


@staff_view(roles.VIEW_CASELOAD)
def caseload(request):
    """The signed-in therapist's or prescriber's patients, what is due and what is open, a page at a time."""
    page = caseload_page(request.user, request.GET.get("page"))
    return render(
        request,
        "sessions/integration/caseload.html",
        {
            "page": page,
            "rows": page.object_list,
            "caseload_days": CASELOAD_DAYS,
            "note_hours": int(NOTE_SIGN_WITHIN.total_seconds() // 3600),
        },
    )
