from django.apps import AppConfig
from django.db.models.signals import post_migrate


def load_shipped_instruments(sender, **kwargs):
    from assessments.services import sync_shipped_instruments

    sync_shipped_instruments()


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        # Shipped definitions (assessments/instruments/*.json) are loaded after every migrate; a
        # version already stored is left alone, so scores given with it never change.
        post_migrate.connect(load_shipped_instruments, sender=self, dispatch_uid="load_shipped_instruments")
