import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import ClinicSettings
from patients.links import invitation_url
from patients.models import PortalInvitation

log = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def send_portal_invitation(invitation_id):
    """Email the link. Safe to run twice: a sent, used or replaced invitation is left alone."""
    invitation = PortalInvitation.objects.select_related("patient").filter(pk=invitation_id).first()
    if invitation is None or invitation.sent_at or invitation.state != "pending":
        log.info("portal invitation %s: nothing to send", invitation_id)
        return
    context = {
        "first_name": invitation.patient.display_first_name,
        "clinic": ClinicSettings.load(),
        "url": invitation_url(invitation),
        "expires_at": invitation.expires_at,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/portal_invitation_subject.txt", context).strip(),
        body=render_to_string("emails/portal_invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/portal_invitation.html", context), "text/html")
    message.send()
    PortalInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    log.info("portal invitation %s sent", invitation.external_id)


UNSENT_AFTER = timedelta(minutes=5)


@shared_task
def send_unsent_invitations():
    """Queue invitations still unsent a few minutes after they were made (the broker was down when
    they were created). Sending is safe to repeat, so one queued twice is still sent once."""
    cutoff = timezone.now() - UNSENT_AFTER
    pending = PortalInvitation.objects.filter(
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        created_at__lte=cutoff,
        expires_at__gt=timezone.now(),
    )
    ids = list(pending.values_list("pk", flat=True)[:500])
    for invitation_id in ids:
        send_portal_invitation.delay(invitation_id)
    if ids:
        log.info("queued %d unsent portal invitations", len(ids))
    return len(ids)
