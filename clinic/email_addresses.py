"""A login's e-mail address as allauth knows it (allauth.account.models.EmailAddress).

allauth refuses to add an authenticator while any of a user's addresses is unverified (an attacker
who signed up with someone else's address must not lock the owner out with MFA). Clinic has no
sign-up: every address was vouched for by someone, so it is recorded as verified when the account
is made or its address changed:

- staff: the administrator who creates or edits the account in Django admin (clinic/admin.py), the
  demo seed, the test factories, and migration clinic 0017 for accounts made before;
- a patient: the portal invitation link that reached the address (patients/services.py).

Without this, the first password reset (which records the address as unverified) or any other
allauth flow leaves a staff member under REQUIRE_STAFF_MFA with no way to enrol.
"""

from allauth.account.models import EmailAddress
from django.db import transaction


def vouch_for_email(user):
    """Record user.email as the user's verified, primary address; drop addresses they no longer have.

    Returns the EmailAddress. Safe to call on every save."""
    email = user.email.strip().lower()
    with transaction.atomic():
        EmailAddress.objects.filter(user=user).exclude(email=email).delete()
        # User.email is unique, so a row of another user for this address is left from an address
        # that user no longer has (it would break allauth's one-verified-owner constraint).
        EmailAddress.objects.filter(email=email).exclude(user=user).delete()
        address, _ = EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return address
