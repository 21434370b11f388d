from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patient portal: the pages a patient sees, gathered from every domain (the top layer)."""

    name = "portal"
    verbose_name = "Patient portal"
