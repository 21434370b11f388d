from django.apps import AppConfig
from django.db.models.signals import post_migrate


def load_default_screening_rules(sender, **kwargs):
    from patients.review import sync_default_rules

    sync_default_rules()


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        # Shipped screening rules (patients/screening_rules.json) are added after every migrate;
        # a rule an administrator has tuned is never overwritten.
        post_migrate.connect(load_default_screening_rules, sender=self, dispatch_uid="load_screening_rules")
