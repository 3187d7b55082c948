from django.apps import AppConfig
from django.db.backends.signals import connection_created


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self):
        from core.sql_dialect import register_sqlite_functions
        from mentoring.engagements import trust_sources

        trust_sources.register()
        connection_created.connect(register_sqlite_functions, dispatch_uid="mentoring.sqlite_functions")
