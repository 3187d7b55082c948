"""Celery tasks of "ask the network" routing. Thin adapters: take ids, call one
idempotent service (``messaging.tasks`` imports this module, so Celery's
autodiscovery finds them)."""

from core.tasks import idempotent_task, sweep_task
from messaging.routing import profiles, sweep, waves


@idempotent_task(name="messaging.routing_start", time_limit=120, soft_time_limit=100)
def routing_start(question_id: int) -> None:
    """Enqueued on commit of ``question_ask`` (network scope): rank and notify wave 1.
    Idempotent (only an unrouted open network question starts); a missing question
    is done. The beat sweep starts any question whose task was lost."""
    waves.routing_start(question_id)


@idempotent_task(name="messaging.routing_escalate", time_limit=120, soft_time_limit=100)
def routing_escalate(question_id: int, wave: int) -> None:
    """Scheduled with ``ROUTING_WAVE_DELAY_SECONDS`` as countdown after wave ``wave``:
    send the next wave if it is due and nobody escalated since (idempotent; an early
    or repeated run does nothing)."""
    waves.routing_next_wave(question_id, expected_wave=wave)


@sweep_task(name="messaging.routing_sweep", time_limit=300, soft_time_limit=240)
def routing_sweep() -> dict:
    """Beat safety net: due waves, ended answer windows (missed), lost starts."""
    return sweep.routing_sweep()


@idempotent_task(name="messaging.routing_refresh_expertise", time_limit=60, soft_time_limit=50)
def routing_refresh_expertise(organization_id: int, user_id: int) -> None:
    """Enqueued on commit when someone answers or an answer of theirs is accepted:
    recompute their expertise vector from their profile and the questions they answered
    well (idempotent: recomputed from the rows; nothing without the embedding model)."""
    profiles.expertise_refresh(organization_id, user_id)
