"""Celery tasks of messaging, for autodiscovery: each part keeps its own tasks
(``messaging.chat.tasks``, ``messaging.notifications.tasks``); the task names
(``messaging.<task>``) stay the same."""

from celery import shared_task

from messaging.chat import tasks as chat_tasks  # noqa: F401
from messaging.notifications import tasks as notification_tasks  # noqa: F401

# --- routing ("ask the network", messaging/routing/engine.py) --------------------------------


@shared_task(
    name="messaging.routing_start",
    ignore_result=True,
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def routing_start(question_id: int) -> None:
    """Enqueued on commit of ``question_ask`` (network scope): rank and notify wave 1.
    Idempotent (only an unrouted open network question starts); a missing question
    is done. The beat sweep starts any question whose task was lost."""
    from messaging.routing import engine as routing

    routing.routing_start(question_id)


@shared_task(
    name="messaging.routing_escalate",
    ignore_result=True,
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def routing_escalate(question_id: int, wave: int) -> None:
    """Scheduled with ``ROUTING_WAVE_DELAY_SECONDS`` as countdown after wave ``wave``:
    send the next wave if it is due and nobody escalated since (idempotent; an early
    or repeated run does nothing)."""
    from messaging.routing import engine as routing

    routing.routing_next_wave(question_id, expected_wave=wave)


@shared_task(name="messaging.routing_sweep", ignore_result=True, time_limit=300, soft_time_limit=240)
def routing_sweep() -> dict:
    """Beat safety net: due waves, ended answer windows (missed), lost starts."""
    from messaging.routing import engine as routing

    return routing.routing_sweep()
