"""What every view needs before it knows anything clinical: signing in again, and public views.

Who may see which patient is the patients layer's (patients/access.py)."""

from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def sign_in_again(request):
    """The answer to a request that needs a signed-in user and has none (never signed in, or signed out
    after being idle). An htmx request gets 401, so the page can say that nothing was saved and keep
    what was typed (static/js/unsaved.js); it must not get the sign-in page swapped into a table. A
    POST sends the browser to sign in and then back to the page the form was on, not to the POST-only
    address."""
    if request.headers.get("HX-Request"):
        return HttpResponse(
            "Signed out: nothing was saved. Sign in again.", status=401, content_type="text/plain"
        )
    next_url = request.get_full_path()
    if request.method != "GET":
        referer = request.headers.get("Referer", "")
        allowed = url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
        next_url = urlsplit(referer).path if referer and allowed else "/"
    return redirect_to_login(next_url)


def public_view(view):
    """Marks a view that needs no login (tests check that every other view does)."""
    view.audience = "public"
    return view
