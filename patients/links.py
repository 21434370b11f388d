"""The link in a portal invitation e-mail: signed, so it can be neither guessed nor altered
(patients.services reads it back)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse


def invitation_token(invitation):
    return signing.dumps(str(invitation.external_id), salt=settings.PORTAL_INVITATION_SALT)


def invitation_url(invitation):
    return settings.SITE_URL + reverse(
        "portal:accept_invitation", kwargs={"token": invitation_token(invitation)}
    )
