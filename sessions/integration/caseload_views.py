from django.shortcuts import render

from clinic import roles
from patients.access import staff_view
from sessions.integration.caseload import CASELOAD_DAYS, NOTE_SIGN_WITHIN, build_caseload


@staff_view(roles.VIEW_CASELOAD)
def caseload(request):
    """The signed-in therapist's or prescriber's patients, what is due and what is open."""
    return render(
        request,
        "sessions/integration/caseload.html",
        {
            "rows": build_caseload(request.user),
            "caseload_days": CASELOAD_DAYS,
            "note_hours": int(NOTE_SIGN_WITHIN.total_seconds() // 3600),
        },
    )
