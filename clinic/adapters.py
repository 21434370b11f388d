from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from clinic.client import client_address


class ClinicAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff accounts are made by an administrator; patients join by invitation only.
        return False

    def get_client_ip(self, request):
        # Rate limits count per real client by the one rule in clinic/client.py (allauth's own
        # raises ImproperlyConfigured, a 500, on an X-Forwarded-For shorter than the proxy count).
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address
