from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project wiring as an app, for what drives every app (``manage.py seed_demo``).
    It has no models."""

    name = "mentoring.config"
    label = "config"
    verbose_name = "Tandem wiring"
