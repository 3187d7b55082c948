from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The talent-manager read side: overview, drill-downs, skills, network, attention,
    exports and the actions taken from them. No models of its own: it reads the other
    apps through their selectors and owns no table."""

    name = "dashboard"
    verbose_name = "Dashboard"
