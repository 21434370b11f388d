from django.core.management.base import BaseCommand

from clinic.audit.retention import purge_expired, retention_cutoff


class Command(BaseCommand):
    help = "Delete audit events older than the retention period in Clinic settings (beat runs this nightly)."

    def handle(self, *args, **options):
        cutoff = retention_cutoff()
        deleted = purge_expired()
        self.stdout.write(f"Deleted {deleted} audit event(s) from before {cutoff:%Y-%m-%d}.")
