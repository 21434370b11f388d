from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here, not at the top: hooks needs the models, which load after this module.
        from sessions import hooks

        hooks.register(self)
