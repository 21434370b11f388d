from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Standard exports of the record (FHIR R4). A face on top of the domain apps: it reads every one of
    them and none of them knows it."""

    name = "interop"
    verbose_name = "Interoperability"
