"""The house options of Celery tasks (docs: STYLE.md "Celery tasks").

- ``idempotent_task``: a task that takes ids, re-fetches and is idempotent, so it is
  acknowledged late (a worker lost mid-run hands it to another), retried a bounded
  number of times with exponential backoff, and stores no result.
- ``sweep_task``: a beat sweep, the safety net that runs again on its schedule, so it
  is not retried (otherwise the app's defaults); it stores no result either.

Both take the task's explicit ``name=`` and its time limits (seconds); any other
``shared_task`` option passes through unchanged.
"""

from celery import shared_task


def idempotent_task(
    *,
    name: str,
    time_limit: int,
    soft_time_limit: int | None = None,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    max_retries: int = 3,
    **options,
):
    limits = {"time_limit": time_limit}
    if soft_time_limit is not None:
        limits["soft_time_limit"] = soft_time_limit
    return shared_task(
        name=name,
        acks_late=True,
        ignore_result=True,
        autoretry_for=retry_on,
        retry_backoff=True,
        max_retries=max_retries,
        **limits,
        **options,
    )


def sweep_task(*, name: str, time_limit: int, soft_time_limit: int | None = None, **options):
    limits = {"time_limit": time_limit}
    if soft_time_limit is not None:
        limits["soft_time_limit"] = soft_time_limit
    return shared_task(name=name, ignore_result=True, **limits, **options)


def run_each(ids, step, *, logger, failure: str) -> list:
    """``step(id)`` for each id on its own, as a sweep does: one that raises is logged
    (``failure`` with the id, e.g. "could not expire invitation %s") and the rest still
    run. Returns what the steps that succeeded returned, in order."""
    results = []
    for item_id in ids:
        try:
            results.append(step(item_id))
        except Exception:
            logger.exception(failure, item_id)
    return results
