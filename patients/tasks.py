import logging
import smtplib

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
