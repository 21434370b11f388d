from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): a small clinic built through every domain's services."""

    name = "demo"
    verbose_name = "Demo data"
