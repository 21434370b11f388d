"""Portal invitations: issue, resolve a link, accept."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from clinic.email_addresses import vouch_for_email
from clinic.queue import send_task_on_commit
from clinic.refusals import Refusal
from patients.models import Patient, PatientSettings, PortalInvitation
from patients.tasks import send_portal_invitation

log = logging.getLogger(__name__)


class InvitationError(Refusal):
    """Why a patient cannot be invited; the message is shown to staff as it is."""


class InvitationLinkError(Exception):
    """Why a link does not work: `reason` is invalid, expired, used or replaced."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def invite_to_portal(patient, by_user):
    """Create an invitation, replace any earlier one, and queue the email once the row commits."""
    email = (patient.email or "").strip().lower()
    if not email:
        raise InvitationError("Add the patient's email address before inviting them to the portal.")
    User = get_user_model()
    clash = User.objects.filter(email__iexact=email)
    if patient.user_id:
        clash = clash.exclude(pk=patient.user_id)
    if clash.exists():
        raise InvitationError(
            "Another login already uses this email address. Each portal login needs its own address."
        )
    now = timezone.now()
    hours = PatientSettings.load().invitation_valid_hours
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        patient.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        invitation = PortalInvitation.objects.create(
            patient=patient,
            email=email,
            created_by=by_user,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        send_task_on_commit(send_portal_invitation, invitation.pk)
    log.info("portal invitation %s queued", invitation.external_id)
    return invitation


def resolve_invitation(token, lock=False):
    """The pending invitation behind a link, or InvitationLinkError saying why not."""
    try:
        external_id = signing.loads(token, salt=settings.PORTAL_INVITATION_SALT)
    except signing.BadSignature:
        raise InvitationLinkError("invalid") from None
    invitations = PortalInvitation.objects.select_related("patient")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(external_id=external_id).first()
    if invitation is None:
        raise InvitationLinkError("invalid")
    state = invitation.state
    if state != "pending":
        raise InvitationLinkError({"accepted": "used"}.get(state, state))
    return invitation


def accept_invitation(token, password):
    """Set the patient's portal password through a pending link; the link is then used up."""
    User = get_user_model()
    with transaction.atomic():
        invitation = resolve_invitation(token, lock=True)
        patient = invitation.patient
        user = patient.user
        if user is None:
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                first_name=patient.display_first_name,
                last_name=patient.legal_family_name,
            )
            patient.user = user
            patient.save(update_fields=["user", "updated_at"])
        else:
            user.email = invitation.email
            user.set_password(password)
            user.is_active = True
            user.save()
        # The link reached this address, which is proof enough for allauth (password reset, MFA).
        vouch_for_email(user)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    log.info("portal invitation %s accepted", invitation.external_id)
    return user
