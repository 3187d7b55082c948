"""What a long-lived process does once it has loaded: ``settle()``.

Everything alive when a web or worker process has finished starting (modules, models,
URL patterns, settings, the ORM's metadata: a few hundred thousand objects) lives as long
as the process. Python's cyclic collector still walks all of it on every full (oldest
generation) pass, which the ORM's churn triggers every few dozen requests or tasks: on
this machine a full pass took 80–180 ms in a worker ranking network questions, so one
ranking in twenty-five paid it. ``gc.freeze()`` moves those objects to a permanent
generation that the collector skips (the full passes that remain took ~20 ms); garbage is
still collected as before. Called by the ASGI entry point after Django has loaded, by
each Celery worker process when it starts, and by the benchmarks that time the same work.
"""

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
