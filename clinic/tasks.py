from celery import shared_task

from clinic.audit.retention import purge_expired


@shared_task
def purge_audit_trail():
    """Nightly: the audit trail keeps what the retention setting says, and no more."""
    return purge_expired()
