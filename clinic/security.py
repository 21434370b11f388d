"""Response headers that keep patient data out of caches and switch off what no page uses.

- ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches) on every response to a
  signed-in user and on every response of a patient-scoped address, HTML, PDF and CSV alike: a
  shared computer's browser cache, the back button after sign-out and any proxy on the way keep no
  copy of a chart (HIPAA §164.312(a)(2)(iv) asks that PHI is not left where others can read it).
  Static files are served by WhiteNoise before this middleware and keep their long cache lifetimes.
- ``Permissions-Policy``: no page uses the camera, microphone, location, payment or device APIs, so
  they are refused to the pages and to anything that might be framed into them.
- The Content-Security-Policy itself is django-csp's (``CONTENT_SECURITY_POLICY`` in settings),
  except on PDFs: Chrome shows a PDF through an internal ``<embed>`` that the response's own
  ``object-src 'none'`` would block (crbug.com/271452). A PDF runs none of our scripts.
"""

import uuid

from csp.middleware import CSPMiddleware
from django.conf import settings

#: Features no page of Clinic uses. Each is denied everywhere (``()``), our own pages included.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

#: URL namespaces whose every page is about a patient, whoever asks (an invitation link is opened
#: before the patient has signed in).
PATIENT_NAMESPACES = frozenset({"patients", "portal"})


def is_patient_scoped(request):
    """Whether the address is about one patient: a UUID in it (patient-scoped objects are addressed
    by UUID, never by database id) or a page of the patient list or the portal."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if PATIENT_NAMESPACES.intersection(match.namespaces):
        return True
    return any(isinstance(value, uuid.UUID) for value in match.kwargs.values())


def is_signed_in(request):
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; no-store on what a signed-in user or a patient page gets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith(settings.STATIC_URL):  # "/static/": Django adds the script prefix
            return response
        if is_signed_in(request) or is_patient_scoped(request):
            # Replaces any caching a view allowed: no-store is the only safe answer for PHI.
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, leaving PDFs alone (see the module's docstring)."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/pdf"):
            return response
        return super().process_response(request, response)
