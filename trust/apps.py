from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "trust"
    verbose_name = "Trust"

    def ready(self):
        from trust.services.vouching import register_builtin_sources

        register_builtin_sources()
