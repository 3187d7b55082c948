from django.apps import AppConfig
from django.db.backends.signals import connection_created


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self):
        from mentoring import trust_sources
        from mentoring.sql_dialect import register_sqlite_functions

        trust_sources.register()
        connection_created.connect(register_sqlite_functions, dispatch_uid="mentoring.sqlite_functions")
