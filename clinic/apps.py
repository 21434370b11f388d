from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from clinic import (
            checks,  # noqa: F401  (registers the deploy checks)
            role_sync,
        )
        from clinic.audit import signals  # noqa: F401  (sign-ins, MFA and role changes into the trail)

        # Groups get exactly the permissions clinic/roles.py lists, after every migrate (and flush);
        # no data migration per role change. See clinic/role_sync.py.
        post_migrate.connect(
            role_sync.sync_roles_after_migrate, sender=self, dispatch_uid="clinic.sync_roles"
        )
