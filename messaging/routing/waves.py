"""Waves: who is asked about a network question, and when (DESIGN §6).

``routing_start`` (on commit of ``question_ask``, through the Celery task
``messaging.routing_start``) sends wave 1 and schedules ``messaging.routing_escalate``
with a countdown of ``ROUTING_WAVE_DELAY_SECONDS``; the beat task
``messaging.routing_sweep`` (``messaging.routing.sweep``) is the safety net.
Escalation is idempotent: the question row is locked, the wave number must match,
and the wave must be due (so an eager or early task does nothing);
``(question, candidate)`` is unique, so nobody is ever notified twice about one
question. Waves stop when the question gets an answer, is resolved, after
``ROUTING_MAX_WAVES``, or when nobody is left to ask.

Hard filters (``rank_candidates``): an active member of the workspace, not the asker,
not away, not asked about this question yet, below the daily cap; then ranked by
``messaging.routing.ranking`` with their presence now.

Daily cap: at most ``ROUTING_DAILY_CAP`` routed questions (waves and referrals) per
person in any 24 hours; checked again under a lock of the chosen people's profile
rows (``reserve``) before their attempts are written.

Window: ``ROUTING_WINDOW_WORKING_MINUTES`` of the candidate's working time (their
UTC week mask; wall-clock time when they have no working hours).
"""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.models import Membership, Profile, User
from accounts.working_hours import working_deadline
from core import clock
from messaging.models import Question, RoutingAttempt
from messaging.notifications.notify import notify
from messaging.routing import candidates, params, ranking
from messaging.routing.progress import progress_on_commit
from messaging.routing.ranking import Candidate
from messaging.sockets import presence

logger = logging.getLogger("messaging.routing.waves")


# --- who may be asked now, best first ---------------------------------------------------


def capped_candidates(organization_id: int, now: datetime) -> QuerySet:
    """Ids (a subquery) of people in the workspace already at the daily cap."""
    return (
        RoutingAttempt.objects.filter(
            organization_id=organization_id, notified_at__gt=now - params.CAP_WINDOW
        )
        .values("candidate_id")
        .annotate(n=Count("id"))
        .filter(n__gte=params.daily_cap())
        .values("candidate_id")
    )


def _eligible_profiles(question: Question, now: datetime) -> QuerySet[Profile]:
    """Hard filters: active member of the workspace, not the asker, not away, not
    asked about this question yet, below the daily cap."""
    # the membership as EXISTS, not a join: looked up per candidate by its user index,
    # where the join scanned every membership of the workspace (1.8 ms against 3.1 at
    # 10,000 members, for the few hundred ids ``candidates.pool`` asks about)
    member = Membership.objects.filter(
        user_id=OuterRef("user_id"), organization_id=question.organization_id, is_active=True
    )
    return (
        Profile.objects.filter(Exists(member), user__is_active=True, is_away=False)
        .exclude(user_id=question.author_id)
        .exclude(user_id__in=RoutingAttempt.objects.filter(question_id=question.pk).values("candidate_id"))
        .exclude(user_id__in=capped_candidates(question.organization_id, now))
    )


def rank_candidates(question: Question, *, now: datetime | None = None, wave: int = 1) -> list[Candidate]:
    """Everyone who may be asked about ``question`` now, best first, each with the
    score breakdown. Reads only (the question's vector is stored on first use); a
    constant number of queries (plus the cache for presence) whatever the workspace
    size. From ``params.WIDEN_FROM_WAVE`` on, neighbouring skills join."""
    now = now or clock.now()
    ctx = ranking.context(question, now, wave=wave)
    if not ctx.matchable:
        return []
    rows = candidates.pool(_eligible_profiles(question, now), ctx)
    if not rows:
        return []
    user_ids = [row["user_id"] for row in rows]
    levels = {row["user_id"]: row["levels"] for row in rows}
    data = ranking.batch(ctx, user_ids, presence_states=presence.presence_of(user_ids), levels=levels)
    return ranking.rank(rows, ctx, data)


def score_one(question: Question, user_id: int, now: datetime) -> Candidate | None:
    """The score of one person (a referral), without the hard filters or the match filter."""
    ctx = ranking.context(question, now)
    row = ranking.profile_row(user_id)
    if row is None:
        return None
    data = ranking.batch(ctx, [user_id], presence_states=presence.presence_of([user_id]))
    return ranking.score(row, ctx, data)


# --- writes -------------------------------------------------------------------------------


def reserve(organization_id: int, user_ids: list[int], now: datetime) -> set[int]:
    """Lock the profiles of ``user_ids`` (id order: no deadlocks) and return those
    still below the daily cap and not away (rechecked under the lock)."""
    if not user_ids:
        return set()
    rows = list(
        Profile.objects.select_for_update()
        .filter(user_id__in=user_ids)
        .order_by("user_id")
        .values_list("user_id", "is_away")
    )
    available = {user_id for user_id, away in rows if not away}
    counts = dict(
        RoutingAttempt.objects.filter(
            organization_id=organization_id,
            candidate_id__in=available,
            notified_at__gt=now - params.CAP_WINDOW,
        )
        .values("candidate_id")
        .annotate(n=Count("id"))
        .values_list("candidate_id", "n")
    )
    return {user_id for user_id in available if counts.get(user_id, 0) < params.daily_cap()}


def create_attempt(
    question: Question, candidate: Candidate, *, wave: int, rank: int, now: datetime, referred_by=None
) -> RoutingAttempt:
    """Write one person's request to answer, with its answer window."""
    breakdown = dict(candidate.breakdown)
    if referred_by is not None:
        breakdown["referred_by"] = referred_by.pk
    window_end = working_deadline(candidate.mask, now, params.window_minutes())
    breakdown["window_minutes"] = params.window_minutes()
    attempt = RoutingAttempt.objects.create(
        question=question,
        organization_id=question.organization_id,
        candidate_id=candidate.user_id,
        wave=wave,
        rank=rank,
        score=candidate.score,
        breakdown=breakdown,
        exploration=candidate.exploration,
        referred_by=referred_by,
        notified_at=now,
        window_ends_at=window_end,
    )
    logger.info(
        "question %s routed to %s (wave %s, rank %s, score %.4f%s)",
        question.pk,
        candidate.user_id,
        wave,
        rank,
        candidate.score,
        ", exploration" if candidate.exploration else "",
    )
    return attempt


def why_you(attempt: RoutingAttempt) -> str:
    """The reasons of a pick in plain words, for the person notified."""
    reasons = attempt.breakdown.get("reasons") or []
    if not reasons:
        return ""
    text = "; ".join(reasons)
    return f"Why you: {text[0].upper()}{text[1:]}."


def notify_candidates(question: Question, attempts: list[RoutingAttempt], *, referred_by=None) -> None:
    """Each person asked gets the question with why they were picked."""
    if not attempts:
        return
    users = {u.pk: u for u in User.objects.filter(pk__in=[a.candidate_id for a in attempts])}
    if referred_by is not None:
        subject = f"{referred_by.display_name} thinks you can answer “{question.title}”"
    else:
        subject = f"Can you help? “{question.title}”"
    for attempt in attempts:
        reason = why_you(attempt)
        notify(
            recipients=[users[attempt.candidate_id]],
            kind=params.NOTIFICATION_KIND,
            subject=subject,
            body=f"{reason}\n\n{question.body}" if reason else question.body,
            link=question.get_absolute_url(),
        )


def _schedule_escalation(question_id: int, wave: int) -> None:
    from kombu.exceptions import OperationalError

    from messaging.routing.tasks import routing_escalate  # the tasks call this module

    try:
        routing_escalate.apply_async((question_id, wave), countdown=params.wave_delay().total_seconds())
    except OperationalError:  # the broker is down: the beat sweep sends the wave
        logger.exception("could not schedule the next routing wave of question %s", question_id)


def _notify_exhausted(question: Question) -> None:
    asked = RoutingAttempt.objects.filter(question=question).count()
    notify(
        recipients=[question.author],
        kind=params.EXHAUSTED_KIND,
        subject=(
            f"Nobody more to ask about “{question.title}”"
            if asked
            else f"We found nobody to ask about “{question.title}”"
        ),
        body=(
            f"{asked} people were asked; their answers can still arrive. "
            "Add skills or details to the question to reach more people."
            if asked
            else "Nobody in the workspace matches its skills or words right now. "
            "Add skills or details to the question to reach people."
        ),
        link=question.get_absolute_url(),
    )


def _next_picks(question: Question, wave: int, now: datetime) -> list[Candidate]:
    candidates = rank_candidates(question, now=now, wave=wave)
    picks = ranking.choose_wave(candidates, question_id=question.pk, wave=wave)
    tried = {c.user_id for c in picks}
    wanted = len(picks)
    allowed = reserve(question.organization_id, list(tried), now)
    picks = [c for c in picks if c.user_id in allowed]
    if len(picks) < wanted:
        # someone reached the cap (or went away) since the ranking: fill from the next
        # ones that are still worth a slot
        floor = params.WAVE_RELATIVE_FLOOR * candidates[0].score
        rest = [c for c in candidates if c.user_id not in tried and c.score >= floor][: wanted * 2]
        allowed = reserve(question.organization_id, [c.user_id for c in rest], now)
        picks += [c for c in rest if c.user_id in allowed][: wanted - len(picks)]
    return picks


def advance(question: Question, now: datetime) -> list[RoutingAttempt]:
    """Send the next wave of ``question`` (locked by the caller, routing state set),
    or close routing when it has an answer, is resolved or has nobody left."""
    fields = ["routing_state", "routing_wave", "next_wave_at"]
    if question.state != Question.State.OPEN:
        question.routing_state = Question.RoutingState.DONE
        question.next_wave_at = None
        question.save(update_fields=fields)
        progress_on_commit(question)
        return []
    attempts: list[RoutingAttempt] = []
    if question.routing_wave < params.max_waves():
        wave = question.routing_wave + 1
        for rank, candidate in enumerate(_next_picks(question, wave, now), start=1):
            attempts.append(create_attempt(question, candidate, wave=wave, rank=rank, now=now))
    if attempts:
        question.routing_wave = attempts[0].wave
        question.routing_state = Question.RoutingState.ROUTING
        question.next_wave_at = now + params.wave_delay()
        notify_candidates(question, attempts)
        wave = question.routing_wave
        transaction.on_commit(lambda: _schedule_escalation(question.pk, wave))
    else:
        question.routing_state = Question.RoutingState.EXHAUSTED
        question.next_wave_at = None
        _notify_exhausted(question)
    question.save(update_fields=fields)
    progress_on_commit(question)
    return attempts


def _lock_question(question_id: int) -> Question | None:
    return Question.objects.select_for_update().select_related("author").filter(pk=question_id).first()


def routing_start(question) -> list[RoutingAttempt]:
    """Start routing a network question (a Question or its id): rank and notify
    wave 1. Idempotent: only a network question that is open and not yet routed
    starts; anything else returns []. Called after ``question_ask`` commits
    (Celery task ``messaging.routing_start``) and by the sweep for lost starts."""
    question_id = getattr(question, "pk", question)
    now = clock.now()
    with transaction.atomic():
        question = _lock_question(question_id)
        if (
            question is None
            or question.scope != Question.Scope.NETWORK
            or question.routing_state != Question.RoutingState.IDLE
            or question.state == Question.State.RESOLVED
        ):
            return []
        question.routing_state = Question.RoutingState.ROUTING
        return advance(question, now)


def routing_next_wave(question_id: int, *, expected_wave: int | None = None, force: bool = False):
    """Send the next wave if it is due. Called by the countdown task (with the wave
    it follows: a stale task does nothing), the beat sweep, and internally when
    everyone asked has passed (``force``). Locks the question row."""
    now = clock.now()
    with transaction.atomic():
        question = _lock_question(question_id)
        if question is None or question.routing_state != Question.RoutingState.ROUTING:
            return []
        if expected_wave is not None and question.routing_wave != expected_wave:
            return []
        if not force and (question.next_wave_at is None or question.next_wave_at > now):
            return []
        return advance(question, now)


def routing_start_on_commit(question: Question) -> None:
    """When a question is asked (``messaging.qa.signals.question_asked``, in
    ``question_ask``'s transaction): start routing a network question once it is
    committed, through the Celery task (the sweep starts it if the broker is down)."""
    if question.scope != Question.Scope.NETWORK:
        return
    question_id = question.pk

    def start():
        from kombu.exceptions import OperationalError

        from messaging.routing.tasks import routing_start as routing_start_task  # the tasks call this module

        try:
            routing_start_task.delay(question_id)
        except OperationalError:  # the broker is down: the sweep starts it
            logger.exception("could not enqueue the routing of question %s", question_id)

    transaction.on_commit(start)
