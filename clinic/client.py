"""Who is on the other end of a request: the client's address and user agent.

One rule for every place that records or limits by address (sign-in rate limits through
ClinicAccountAdapter.get_client_ip, consent signatures, the audit trail). Behind
settings.TRUSTED_PROXY_COUNT proxies of our own, each proxy appends the address it received the
request from to X-Forwarded-For, so the client is the Nth entry from the right; anything further
left was written by the client and is not believed. With no trusted proxy the header is ignored and
REMOTE_ADDR is the client. A header that is missing, too short or malformed falls back to
REMOTE_ADDR: a request must never fail, or be attributed to a made-up address, because of it.

allauth's own reading (allauth.core.internal.httpkit, ALLAUTH_TRUSTED_PROXY_COUNT) follows the same
rule but is internal API, and raises ImproperlyConfigured (a 500) on a short header.
"""

import ipaddress

from django.conf import settings

USER_AGENT_LENGTH = 300


def client_address(request):
    """The client's IP address as a string, or None when even REMOTE_ADDR is not an address."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = forwarded.split(",") if forwarded else []
        if len(entries) >= count:
            address = _clean(entries[-count])
            if address:
                return address
    return _clean(request.META.get("REMOTE_ADDR", ""))


def user_agent(request):
    """The User-Agent header, cut to USER_AGENT_LENGTH characters and without NUL bytes (which
    PostgreSQL text cannot store); "" when absent."""
    return request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:USER_AGENT_LENGTH]


def _clean(value):
    value = value.strip()
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    # Some proxies write the client's port too: "203.0.113.7:52100" or "[2001:db8::1]:52100".
    if value.startswith("["):
        host = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        host = value.split(":", 1)[0]
    else:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
