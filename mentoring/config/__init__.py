"""Project wiring: settings, URL roots, ASGI/WSGI entry points, the Celery app and health checks.

The Celery app is loaded here so that ``shared_task`` binds to it whenever Django starts.
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
