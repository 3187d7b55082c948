from django.apps import AppConfig
from django.db.backends.signals import connection_created


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self):
        # Celery autodiscovers ``mentoring.tasks``; the engagement domain's tasks are
        # registered here, since ``mentoring.tasks`` sits beside the domain in the
        # layers and may not import it.
        import mentoring.engagements.tasks  # noqa: F401
        from core.sql_dialect import register_sqlite_functions
        from mentoring.engagements import trust_sources

        trust_sources.register()
        connection_created.connect(register_sqlite_functions, dispatch_uid="mentoring.sqlite_functions")
