from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        # Imported here, not at the top: hooks needs the models, which load after this module.
        from assessments import hooks

        hooks.register(self)
