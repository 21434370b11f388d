from celery import shared_task

from clinic.audit.retention import purge_expired


@shared_task
def purge_audit_trail():
    """Nightly: the audit trail keeps what the retention setting says, and no more."""
    return purge_expired()


@shared_task(ignore_result=True)
def bench_noop(marker=None):
    """Does nothing: `make bench` compares reminder dispatch with raw Celery throughput on the same
    worker. The last one of a run is given a file to create, which says the run is done."""
    if marker:
        with open(marker, "x"):
            pass
