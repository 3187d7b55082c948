"""Project wiring: settings, URL roots, ASGI/WSGI entry points, the Celery app and health checks.

The Celery app is loaded here so that ``shared_task`` binds to it whenever Django starts.
"""

import os

# one BLAS thread per process (before numpy loads): the small matrix products of routing
# (sentence embeddings, the per-workspace index) are faster single-threaded, and web and
# worker processes share the cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .celery import app as celery_app

__all__ = ["celery_app"]
