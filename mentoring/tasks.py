"""Celery tasks of the mentoring app: project housekeeping.

The engagement domain's tasks live in ``mentoring.engagements.tasks``; the app's
``ready()`` imports them, so the worker registers them with these.
"""

from importlib import import_module

from django.conf import settings

from core import clock
from core.tasks import sweep_task


@sweep_task(name="mentoring.clear_expired_sessions", time_limit=300)
def clear_expired_sessions() -> int:
    """Delete expired sessions (what Django's ``clearsessions`` does, read through the clock seam).

    Scheduled daily by beat (mentoring/beat.py). Idempotent and safe to run
    concurrently: it only deletes rows whose expiry has passed. Returns how
    many sessions it deleted (0 for a session engine that cleans itself).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # database-backed sessions
        deleted, _ = store.get_model_class().objects.filter(expire_date__lt=clock.now()).delete()
        return deleted
    store.clear_expired()
    return 0
