"""The beat safety net of routing (task ``messaging.routing_sweep``, every minute):
waves whose countdown task was lost, answer windows that ended (missed), network
questions whose on-commit start was lost, and members without an expertise vector yet
(a few per run, when the embedding model is installed)."""

import logging
from datetime import datetime

from django.db import transaction

from core import clock
from core.tasks import run_each
from messaging.models import Answer, Question, RoutingAttempt
from messaging.routing import params, profiles
from messaging.routing.progress import progress_on_commit
from messaging.routing.replies import record_responsiveness
from messaging.routing.waves import routing_next_wave, routing_start

logger = logging.getLogger("messaging.routing.sweep")


def _close_if_missed(attempt_id: int, now: datetime) -> str | None:
    with transaction.atomic():
        attempt = (
            RoutingAttempt.objects.select_for_update()
            .select_related("candidate", "question")
            .filter(pk=attempt_id, outcome=RoutingAttempt.Outcome.PENDING)
            .first()
        )
        if attempt is None or attempt.window_ends_at > now:
            return None
        question = attempt.question
        answered_by_others = (
            Answer.objects.filter(question_id=question.pk, created_at__lte=attempt.window_ends_at)
            .exclude(author_id=attempt.candidate_id)
            .exists()
        )
        if question.state == Question.State.RESOLVED or answered_by_others:
            # someone else answered in time: not answering is no failure
            attempt.outcome = RoutingAttempt.Outcome.CANCELLED
            attempt.save(update_fields=["outcome"])
        else:
            attempt.outcome = RoutingAttempt.Outcome.MISSED
            attempt.save(update_fields=["outcome"])
            record_responsiveness(attempt, in_time=False)
        progress_on_commit(question)
        return attempt.outcome


def routing_sweep(*, limit: int = 500) -> dict[str, int]:
    """Beat safety net, safe to run anywhere any time: send the waves that are due
    (a lost countdown task), close attempts whose window ended (missed), and start
    routing of network questions whose on-commit start was lost, and embed the
    expertise of up to ``EMBED_PER_SWEEP`` members without a vector. Each item in its
    own transaction; one failure does not block the rest."""
    now = clock.now()
    done = {"waves": 0, "missed": 0, "cancelled": 0, "started": 0}
    due = Question.objects.filter(
        routing_state=Question.RoutingState.ROUTING, next_wave_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    sent = run_each(
        list(due),
        routing_next_wave,
        logger=logger,
        failure="routing sweep: the next wave of question %s failed",
    )
    done["waves"] = sum(1 for wave in sent if wave)
    ended = RoutingAttempt.objects.filter(
        outcome=RoutingAttempt.Outcome.PENDING, window_ends_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    outcomes = run_each(
        list(ended),
        lambda pk: _close_if_missed(pk, now),
        logger=logger,
        failure="routing sweep: could not close attempt %s",
    )
    done["missed"] = outcomes.count(RoutingAttempt.Outcome.MISSED)
    done["cancelled"] = outcomes.count(RoutingAttempt.Outcome.CANCELLED)
    lost = Question.objects.filter(
        scope=Question.Scope.NETWORK,
        routing_state=Question.RoutingState.IDLE,
        state=Question.State.OPEN,
        created_at__gte=now - params.START_LOOKBACK,
        created_at__lte=now - params.START_GRACE,
    ).values_list("pk", flat=True)[:limit]
    started = run_each(
        list(lost), routing_start, logger=logger, failure="routing sweep: could not start routing question %s"
    )
    done["started"] = len(started)
    done["embedded"] = len(
        run_each(
            profiles.people_without_vector(limit=params.EMBED_PER_SWEEP),
            lambda pair: profiles.expertise_refresh(*pair),
            logger=logger,
            failure="routing sweep: could not embed the expertise of %s",
        )
    )
    return done
