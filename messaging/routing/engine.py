"""Ask the network: route a network question, live, to the few people most likely
to answer it well and soon (DESIGN §6; docs/api.md "Routing").

Ranking (``rank_candidates``, a read): every active member of the workspace who is
not the asker, not away, not already asked about this question and below the
daily cap, and whose expertise or profile matches the question, gets

    score = match × competence × p_answer × availability      (each in [0, 1])

- match: mean of (declared level / 5)² over the question's skills (``SKILL_SHARE``)
  plus the share of the question's words found in their headline, bio and skill names;
- competence: mean trust lower bound (10th percentile) of competence in the
  question's skills; the workspace prior's lower bound where there is no evidence;
- p_answer: posterior mean of answering a routed question within the window: a
  Beta prior centred on their responsiveness trust mean (the workspace prior for
  newcomers), updated with their routed questions of the last 90 days (answered in
  time = success; missed, late = failure; a pass = half a failure);
- availability: working now (UTC week mask of the profile) × presence (online,
  away, offline) × load (pending routed questions and active mentoring engagements).

Each wave notifies the top ``ROUTING_WAVE_SIZE`` (3). With probability
``ROUTING_EXPLORATION_SHARE`` (seeded by question and wave, so a re-run decides the
same) the last slot goes to the best-matching person with little evidence, ranked
optimistically (competence mean instead of lower bound), so newcomers get a chance.

Waves: ``routing_start`` (on commit of ``question_ask``, through a Celery task)
sends wave 1 and schedules ``messaging.routing_escalate`` with a countdown of
``ROUTING_WAVE_DELAY_SECONDS``; the beat task ``messaging.routing_sweep`` is the
safety net (due waves, ended windows, lost starts). Escalation is idempotent: the
question row is locked, the wave number must match, and the wave must be due (so an
eager or early task does nothing); ``(question, candidate)`` is unique, so nobody is
ever notified twice about one question. Waves stop when the question gets an
answer, is resolved, after ``ROUTING_MAX_WAVES``, or when nobody is left to ask.

Daily cap: at most ``ROUTING_DAILY_CAP`` routed questions (waves and referrals) per
person in any 24 hours; checked again under a lock of the chosen people's profile
rows before their attempts are written.

Window: ``ROUTING_WINDOW_WORKING_MINUTES`` of the candidate's working time (their
UTC week mask; wall-clock time when they have no working hours). Outcomes: answered
(in the window) or late, passed, referred, missed (the window ended; the sweep),
cancelled (an answer was accepted, the question resolved, or someone else answered
before the window ended). Responsiveness evidence (source kind ``routing_attempt``,
an observed fact): 1 for an answer, pass or referral within the window, 0 for a
late answer, a late pass and a miss.
"""

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Expertise, Membership, Profile, User
from accounts.working_hours import hex_to_mask, is_working_at
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from mentoring.engagements.matching import TOKEN, need_tokens
from messaging.models import Answer, Question, RoutingAttempt
from messaging.notifications.notify import notify
from messaging.sockets import events, presence
from trust import params as trust_params
from trust.models import TrustScore
from trust.scoring import prior, quantiles

logger = logging.getLogger("messaging.routing.engine")

SOURCE_KIND = "routing_attempt"
NOTIFICATION_KIND = "question.routed"
EXHAUSTED_KIND = "question.unrouted"

# --- the numbers (change them here; tests pin behaviour, not numbers) ----------------
MAX_LEVEL = 5
LEVEL_EXPONENT = 2.0  # levels are ordinal: an expert (5) counts far more than an intermediate (3)
SKILL_SHARE = 0.8  # within match: declared levels vs. the text match
MIN_MATCH = 0.05  # below this nobody is asked (a wave of strangers is spam)
POOL = 300  # candidates scored in Python, pre-ranked in SQL by skill points
HISTORY = timedelta(days=90)  # routed questions that count for p_answer
P_ANSWER_PRIOR_STRENGTH = 4.0
PASS_FAILURE = 0.5
HOURS_WORKING = 1.0
HOURS_OFF = 0.25
HOURS_UNKNOWN = 0.7  # no working hours on the profile
PRESENCE_FACTOR = {presence.ONLINE: 1.0, presence.AWAY: 0.8, presence.OFFLINE: 0.6}
PENDING_LOAD = 0.5  # each pending routed question
ENGAGEMENT_LOAD = 0.15  # each active engagement they mentor in
LITTLE_EVIDENCE = 3  # fewer decided routed questions (and competence events) than this
TYPING_SECONDS = 10
CAP_WINDOW = timedelta(hours=24)
START_GRACE = timedelta(minutes=1)  # the sweep starts routing the on-commit start missed
START_LOOKBACK = timedelta(days=1)
DECIDED = (
    RoutingAttempt.Outcome.ANSWERED,
    RoutingAttempt.Outcome.LATE,
    RoutingAttempt.Outcome.PASSED,
    RoutingAttempt.Outcome.MISSED,
)


def wave_size() -> int:
    return max(1, int(getattr(settings, "ROUTING_WAVE_SIZE", 3)))


def wave_delay() -> timedelta:
    return timedelta(seconds=max(0, int(getattr(settings, "ROUTING_WAVE_DELAY_SECONDS", 600))))


def max_waves() -> int:
    return max(1, int(getattr(settings, "ROUTING_MAX_WAVES", 5)))


def daily_cap() -> int:
    return max(0, int(getattr(settings, "ROUTING_DAILY_CAP", 3)))


def exploration_share() -> float:
    return min(max(float(getattr(settings, "ROUTING_EXPLORATION_SHARE", 0.1)), 0.0), 1.0)


def window_minutes() -> int:
    return max(1, int(getattr(settings, "ROUTING_WINDOW_WORKING_MINUTES", 60)))


# --- working time ------------------------------------------------------------------


def _hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def working_deadline(mask: str | int, start: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time (UTC week mask) have passed after
    ``start``. A mask without any hour means "not set": wall-clock minutes."""
    mask = mask if isinstance(mask, int) else hex_to_mask(mask)
    remaining = timedelta(minutes=minutes)
    if not mask:
        return start + remaining
    moment = start
    for _ in range(24 * 7 * 2 + 2):  # a non-empty mask has a working hour every week
        hour_end = _hour_start(moment) + timedelta(hours=1)
        if is_working_at(mask, moment):
            available = hour_end - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
        moment = hour_end
    return moment + remaining  # unreachable for a non-empty mask


def working_minutes_between(mask: str | int, start: datetime, end: datetime) -> float:
    """Minutes of working time (UTC week mask) between ``start`` and ``end``; the
    wall-clock minutes when the mask is empty."""
    if end <= start:
        return 0.0
    mask = mask if isinstance(mask, int) else hex_to_mask(mask)
    if not mask:
        return (end - start).total_seconds() / 60
    total = timedelta(0)
    moment = start
    while moment < end:
        hour_end = min(_hour_start(moment) + timedelta(hours=1), end)
        if is_working_at(mask, moment):
            total += hour_end - moment
        moment = hour_end
    return total.total_seconds() / 60


# --- ranking -----------------------------------------------------------------------


@dataclass
class Candidate:
    user_id: int
    name: str
    score: float
    breakdown: dict
    little_evidence: bool = False
    optimistic: float = 0.0
    exploration: bool = False
    mask: str = ""


@dataclass
class _Context:
    question: Question
    skill_ids: list[int]
    tokens: list[str]
    now: datetime
    prior_competence_lower: float
    prior_competence_mean: float
    prior_responsiveness: float
    extra: dict = field(default_factory=dict)


def _prior_belief(mean: float) -> tuple[float, float]:
    alpha, beta = prior(mean)
    lower, _upper = quantiles(alpha, beta)
    return float(lower), alpha / (alpha + beta)


def _context(question: Question, now: datetime) -> _Context:
    from trust.services import prior_means

    priors = prior_means(question.organization_id)
    lower, mean = _prior_belief(priors[trust_params.COMPETENCE])
    return _Context(
        question=question,
        skill_ids=sorted(question.skills.values_list("pk", flat=True)),
        tokens=need_tokens(f"{question.title}\n{question.body}"),
        now=now,
        prior_competence_lower=lower,
        prior_competence_mean=mean,
        prior_responsiveness=priors[trust_params.RESPONSIVENESS],
    )


def capped_candidates(organization_id: int, now: datetime) -> QuerySet:
    """Ids (a subquery) of people in the workspace already at the daily cap."""
    return (
        RoutingAttempt.objects.filter(organization_id=organization_id, notified_at__gt=now - CAP_WINDOW)
        .values("candidate_id")
        .annotate(n=Count("id"))
        .filter(n__gte=daily_cap())
        .values("candidate_id")
    )


def _eligible_profiles(question: Question, now: datetime) -> QuerySet[Profile]:
    """Hard filters: active member of the workspace, not the asker, not away, not
    asked about this question yet, below the daily cap."""
    return (
        Profile.objects.filter(
            user__membership__organization_id=question.organization_id,
            user__membership__is_active=True,
            user__is_active=True,
            is_away=False,
        )
        .exclude(user_id=question.author_id)
        .exclude(user_id__in=RoutingAttempt.objects.filter(question_id=question.pk).values("candidate_id"))
        .exclude(user_id__in=capped_candidates(question.organization_id, now))
    )


def _with_pool_filter(profiles: QuerySet[Profile], ctx: _Context) -> QuerySet[Profile]:
    """Only people whose expertise or profile text can match at all."""
    matches = Q()
    if ctx.skill_ids:
        matches |= Q(user_id__in=Expertise.objects.filter(skill_id__in=ctx.skill_ids).values("user_id"))
    if ctx.tokens:
        named = Expertise.objects.filter(_any_token(ctx.tokens, "skill__name__icontains")).values("user_id")
        matches |= Q(user_id__in=named)
        if connection.vendor == "postgresql":
            # full-text search: any of the question's words in the headline or bio
            vector = SearchVector("headline", config="english") + SearchVector("bio", config="english")
            profiles = profiles.annotate(document=vector)
            matches |= Q(document=_or_query(ctx.tokens))
        else:
            matches |= _any_token(ctx.tokens, "headline__icontains") | _any_token(
                ctx.tokens, "bio__icontains"
            )
    return profiles.filter(matches)


def _or_query(tokens):
    query = None
    for token in tokens:
        part = SearchQuery(token, config="english")
        query = part if query is None else query | part
    return query


def _any_token(tokens, lookup: str) -> Q:
    condition = Q()
    for token in tokens:
        condition |= Q(**{lookup: token})
    return condition


def _pool_rows(profiles: QuerySet[Profile], ctx: _Context) -> list[dict]:
    if ctx.skill_ids:
        points = (
            Expertise.objects.filter(user_id=OuterRef("user_id"), skill_id__in=ctx.skill_ids)
            .order_by()
            .values("user_id")
            .annotate(s=Sum("level"))
            .values("s")
        )
        profiles = profiles.annotate(skill_points=Coalesce(Subquery(points, output_field=IntegerField()), 0))
    else:
        profiles = profiles.annotate(skill_points=Value(0, output_field=IntegerField()))
    return list(
        profiles.order_by("-skill_points", "user_id").values(
            "user_id", "user__full_name", "user__email", "headline", "bio", "utc_week_mask"
        )[:POOL]
    )


def _batch(ctx: _Context, user_ids: list[int]) -> dict:
    """Everything the scores need about these people, in a constant number of queries."""
    from mentoring.engagements.selectors import LOAD_STATES
    from mentoring.models import Participant

    levels: dict[int, dict[int, int]] = {}
    skill_words: dict[int, set[str]] = {}
    for user_id, skill_id, level, name in Expertise.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "skill_id", "level", "skill__name"
    ):
        levels.setdefault(user_id, {})[skill_id] = level
        skill_words.setdefault(user_id, set()).update(TOKEN.findall(name.lower()))
    competence: dict[int, dict[int, tuple[float, float, int]]] = {}
    responsiveness: dict[int, float] = {}
    for subject_id, dimension, skill_key, lower, mean, count in TrustScore.objects.filter(
        Q(dimension=trust_params.COMPETENCE, skill_key__in=ctx.skill_ids or [0])
        | Q(dimension=trust_params.RESPONSIVENESS, skill_key=0),
        subject_id__in=user_ids,
    ).values_list("subject_id", "dimension", "skill_key", "lower", "mean", "evidence_count"):
        if dimension == trust_params.COMPETENCE:
            competence.setdefault(subject_id, {})[skill_key] = (lower, mean, count)
        else:
            responsiveness[subject_id] = mean
    history: dict[int, dict[str, int]] = {}
    for candidate_id, outcome, n in (
        RoutingAttempt.objects.filter(candidate_id__in=user_ids, notified_at__gt=ctx.now - HISTORY)
        .values("candidate_id", "outcome")
        .annotate(n=Count("id"))
        .values_list("candidate_id", "outcome", "n")
    ):
        history.setdefault(candidate_id, {})[outcome] = n
    engagements = dict(
        Participant.objects.filter(
            user_id__in=user_ids,
            role=Participant.Role.MENTOR,
            left_at__isnull=True,
            engagement__state__in=LOAD_STATES,
        )
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    return {
        "levels": levels,
        "skill_words": skill_words,
        "competence": competence,
        "responsiveness": responsiveness,
        "history": history,
        "engagements": engagements,
        "presence": presence.presence_of(user_ids),
    }


def _score(row: dict, ctx: _Context, data: dict) -> Candidate:
    user_id = row["user_id"]
    # match: declared levels in the question's skills + the question's words on the profile
    levels = data["levels"].get(user_id, {})
    if ctx.tokens:
        words = set(TOKEN.findall(f"{row['headline']} {row['bio']}".lower()))
        words |= data["skill_words"].get(user_id, set())
        text = sum(1 for token in ctx.tokens if token in words) / len(ctx.tokens)
    else:
        text = 0.0
    if ctx.skill_ids:
        skill = sum(
            (levels.get(skill_id, 0) / MAX_LEVEL) ** LEVEL_EXPONENT for skill_id in ctx.skill_ids
        ) / len(ctx.skill_ids)
        match = SKILL_SHARE * skill + (1 - SKILL_SHARE) * text if ctx.tokens else skill
    else:
        skill = 0.0
        match = text

    # competence: lower bound per skill, the workspace prior where there is no evidence
    known = data["competence"].get(user_id, {})
    if ctx.skill_ids:
        lowers = [known.get(s, (ctx.prior_competence_lower,))[0] for s in ctx.skill_ids]
        means = [known.get(s, (0, ctx.prior_competence_mean))[1] for s in ctx.skill_ids]
        competence_evidence = sum(known.get(s, (0, 0, 0))[2] for s in ctx.skill_ids)
        competence, competence_mean = sum(lowers) / len(lowers), sum(means) / len(means)
    else:
        competence, competence_mean, competence_evidence = (
            ctx.prior_competence_lower,
            ctx.prior_competence_mean,
            0,
        )

    # p_answer: Beta posterior mean of answering routed questions in time
    history = data["history"].get(user_id, {})
    successes = history.get(RoutingAttempt.Outcome.ANSWERED, 0)
    failures = (
        history.get(RoutingAttempt.Outcome.MISSED, 0)
        + history.get(RoutingAttempt.Outcome.LATE, 0)
        + PASS_FAILURE * history.get(RoutingAttempt.Outcome.PASSED, 0)
    )
    decided = sum(history.get(outcome, 0) for outcome in DECIDED)
    prior_mean = data["responsiveness"].get(user_id, ctx.prior_responsiveness)
    prior_mean = min(max(prior_mean, 0.05), 0.95)
    p_answer = (P_ANSWER_PRIOR_STRENGTH * prior_mean + successes) / (
        P_ANSWER_PRIOR_STRENGTH + successes + failures
    )

    # availability now: working hours × presence × load
    mask = hex_to_mask(row["utc_week_mask"] or "")
    working = None if not mask else is_working_at(mask, ctx.now)
    hours = HOURS_UNKNOWN if working is None else (HOURS_WORKING if working else HOURS_OFF)
    state = data["presence"].get(user_id, {}).get("state", presence.OFFLINE)
    pending = history.get(RoutingAttempt.Outcome.PENDING, 0)
    engagements = data["engagements"].get(user_id, 0)
    load = 1.0 / (1.0 + PENDING_LOAD * pending + ENGAGEMENT_LOAD * engagements)
    availability = hours * PRESENCE_FACTOR.get(state, PRESENCE_FACTOR[presence.OFFLINE]) * load

    score = match * competence * p_answer * availability
    breakdown = {
        "match": round(match, 4),
        "skill_match": round(skill, 4),
        "text_match": round(text, 4),
        "competence": round(competence, 4),
        "competence_evidence": competence_evidence,
        "p_answer": round(p_answer, 4),
        "p_answer_evidence": decided,
        "availability": round(availability, 4),
        "working_now": working,
        "presence": state,
        "pending": pending,
        "engagements": engagements,
        "load": round(load, 4),
        "exploration": False,
        "score": round(score, 6),
    }
    return Candidate(
        user_id=user_id,
        name=row["user__full_name"] or row["user__email"],
        score=score,
        breakdown=breakdown,
        little_evidence=decided < LITTLE_EVIDENCE and competence_evidence < LITTLE_EVIDENCE,
        optimistic=match * competence_mean * p_answer * availability,
        mask=row["utc_week_mask"] or "",
    )


def rank_candidates(question: Question, *, now: datetime | None = None) -> list[Candidate]:
    """Everyone who may be asked about ``question`` now, best first, each with the
    score breakdown. Reads only; a constant number of queries (plus the cache for
    presence) whatever the workspace size."""
    now = now or clock.now()
    ctx = _context(question, now)
    if not ctx.skill_ids and not ctx.tokens:
        return []
    rows = _pool_rows(_with_pool_filter(_eligible_profiles(question, now), ctx), ctx)
    if not rows:
        return []
    data = _batch(ctx, [row["user_id"] for row in rows])
    candidates = [_score(row, ctx, data) for row in rows]
    candidates = [c for c in candidates if c.breakdown["match"] >= MIN_MATCH]
    candidates.sort(key=lambda c: (-c.score, c.user_id))
    return candidates


def _score_one(question: Question, user_id: int, now: datetime) -> Candidate | None:
    """The score of one person (a referral), without the match filter."""
    ctx = _context(question, now)
    row = (
        Profile.objects.filter(user_id=user_id)
        .values("user_id", "user__full_name", "user__email", "headline", "bio", "utc_week_mask")
        .first()
    )
    if row is None:
        return None
    return _score(row, ctx, _batch(ctx, [user_id]))


def choose_wave(candidates: list[Candidate], *, question_id: int, wave: int) -> list[Candidate]:
    """The top ``ROUTING_WAVE_SIZE``; with probability ``ROUTING_EXPLORATION_SHARE``
    (deterministic per question and wave) the last slot goes to the best person
    with little evidence by the optimistic score, if they are not picked anyway."""
    size = wave_size()
    picks = candidates[:size]
    share = exploration_share()
    if share <= 0 or not candidates:
        return picks
    if random.Random(f"routing:{question_id}:{wave}").random() >= share:
        return picks
    if any(c.little_evidence for c in picks):
        return picks  # a newcomer is already in the wave on merit
    newcomers = [c for c in candidates[size:] if c.little_evidence]
    if not newcomers:
        return picks
    explorer = max(newcomers, key=lambda c: (c.optimistic, -c.user_id))
    explorer.exploration = True
    explorer.breakdown["exploration"] = True
    return [*picks[: size - 1], explorer] if len(picks) >= size else [*picks, explorer]


# --- writes ------------------------------------------------------------------------


def _reserve(organization_id: int, user_ids: list[int], now: datetime) -> set[int]:
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
            organization_id=organization_id, candidate_id__in=available, notified_at__gt=now - CAP_WINDOW
        )
        .values("candidate_id")
        .annotate(n=Count("id"))
        .values_list("candidate_id", "n")
    )
    return {user_id for user_id in available if counts.get(user_id, 0) < daily_cap()}


def _create_attempt(
    question: Question, candidate: Candidate, *, wave: int, rank: int, now: datetime, referred_by=None
) -> RoutingAttempt:
    breakdown = dict(candidate.breakdown)
    if referred_by is not None:
        breakdown["referred_by"] = referred_by.pk
    window_end = working_deadline(candidate.mask, now, window_minutes())
    breakdown["window_minutes"] = window_minutes()
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


def _notify_candidates(question: Question, attempts: list[RoutingAttempt], *, referred_by=None) -> None:
    if not attempts:
        return
    recipients = list(User.objects.filter(pk__in=[a.candidate_id for a in attempts]))
    if referred_by is not None:
        subject = f"{referred_by.display_name} thinks you can answer “{question.title}”"
    else:
        subject = f"Can you help? “{question.title}”"
    notify(
        recipients=recipients,
        kind=NOTIFICATION_KIND,
        subject=subject,
        body=question.body,
        link=question.get_absolute_url(),
    )


def _schedule_escalation(question_id: int, wave: int) -> None:
    from kombu.exceptions import OperationalError

    from messaging.tasks import routing_escalate

    try:
        routing_escalate.apply_async((question_id, wave), countdown=wave_delay().total_seconds())
    except OperationalError:  # the broker is down: the beat sweep sends the wave
        logger.exception("could not schedule the next routing wave of question %s", question_id)


def _advance(question: Question, now: datetime) -> list[RoutingAttempt]:
    """Send the next wave of ``question`` (locked by the caller, routing state set),
    or close routing when it has an answer, is resolved or has nobody left."""
    fields = ["routing_state", "routing_wave", "next_wave_at"]
    if question.state != Question.State.OPEN:
        question.routing_state = Question.RoutingState.DONE
        question.next_wave_at = None
        question.save(update_fields=fields)
        events.question_progress(question)
        return []
    attempts: list[RoutingAttempt] = []
    if question.routing_wave < max_waves():
        wave = question.routing_wave + 1
        candidates = rank_candidates(question, now=now)
        picks = choose_wave(candidates, question_id=question.pk, wave=wave)
        tried = {c.user_id for c in picks}
        allowed = _reserve(question.organization_id, list(tried), now)
        picks = [c for c in picks if c.user_id in allowed]
        if len(picks) < wave_size():
            # someone reached the cap (or went away) since the ranking: fill from the next ones
            rest = [c for c in candidates if c.user_id not in tried][: wave_size() * 2]
            allowed = _reserve(question.organization_id, [c.user_id for c in rest], now)
            picks += [c for c in rest if c.user_id in allowed][: wave_size() - len(picks)]
        for rank, candidate in enumerate(picks, start=1):
            attempts.append(_create_attempt(question, candidate, wave=wave, rank=rank, now=now))
    if attempts:
        question.routing_wave = attempts[0].wave
        question.routing_state = Question.RoutingState.ROUTING
        question.next_wave_at = now + wave_delay()
        _notify_candidates(question, attempts)
        wave = question.routing_wave
        transaction.on_commit(lambda: _schedule_escalation(question.pk, wave))
    else:
        question.routing_state = Question.RoutingState.EXHAUSTED
        question.next_wave_at = None
        asked = RoutingAttempt.objects.filter(question=question).count()
        notify(
            recipients=[question.author],
            kind=EXHAUSTED_KIND,
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
    question.save(update_fields=fields)
    events.question_progress(question)
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
        return _advance(question, now)


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
        return _advance(question, now)


def routing_start_on_commit(question: Question) -> None:
    """For ``question_ask``: start routing a network question once it is committed."""
    if question.scope != Question.Scope.NETWORK:
        return
    question_id = question.pk

    def start():
        from kombu.exceptions import OperationalError

        from messaging.tasks import routing_start as routing_start_task

        try:
            routing_start_task.delay(question_id)
        except OperationalError:  # the broker is down: the sweep starts it
            logger.exception("could not enqueue the routing of question %s", question_id)

    transaction.on_commit(start)


# --- evidence ----------------------------------------------------------------------


def _record_responsiveness(attempt: RoutingAttempt, *, in_time: bool) -> None:
    from trust.services import record_evidence

    if not Membership.objects.filter(user_id=attempt.candidate_id, is_active=True).exists():
        return  # evidence only about active members
    record_evidence(
        subject=attempt.candidate,
        actor=None,
        dimension=trust_params.RESPONSIVENESS,
        outcome=1.0 if in_time else 0.0,
        source_kind=SOURCE_KIND,
        source_id=attempt.pk,
        occurred_at=attempt.responded_at or attempt.window_ends_at,
    )


def attempt_participants(source_id) -> set[int]:
    """Trust source: the candidate and the asker shared the routed question."""
    try:
        pk = int(str(source_id))
    except (TypeError, ValueError):
        return set()
    row = RoutingAttempt.objects.filter(pk=pk).values_list("candidate_id", "question__author_id").first()
    return set(row) if row else set()


# --- hooks from messaging.qa.services -------------------------------------------------


def routing_on_answer(question: Question, answer: Answer) -> None:
    """In ``answer_post``'s transaction (question locked): the author's pending (or
    missed) attempt becomes answered (in the window) or late, with its evidence;
    the first answer ends the waves."""
    if question.scope != Question.Scope.NETWORK:
        return
    now = clock.now()
    attempt = (
        RoutingAttempt.objects.select_for_update()
        .select_related("candidate")
        .filter(
            question_id=question.pk,
            candidate_id=answer.author_id,
            outcome__in=[RoutingAttempt.Outcome.PENDING, RoutingAttempt.Outcome.MISSED],
        )
        .first()
    )
    changed = False
    if attempt is not None:
        in_time = attempt.outcome == RoutingAttempt.Outcome.PENDING and now <= attempt.window_ends_at
        attempt.outcome = RoutingAttempt.Outcome.ANSWERED if in_time else RoutingAttempt.Outcome.LATE
        attempt.responded_at = now
        attempt.answer = answer
        attempt.save(update_fields=["outcome", "responded_at", "answer"])
        _record_responsiveness(attempt, in_time=in_time)
        _typing_stop(question.pk, answer.author_id)  # the progress frame below already says 0
        changed = True
    if question.routing_state == Question.RoutingState.ROUTING:
        question.routing_state = Question.RoutingState.DONE
        question.next_wave_at = None
        question.save(update_fields=["routing_state", "next_wave_at"])
        changed = True
    if changed:
        events.question_progress(question)


def routing_on_settled(question: Question) -> None:
    """In ``answer_accept`` / ``question_resolve`` (question locked): pending
    attempts are cancelled (no evidence) and the waves end."""
    if question.scope != Question.Scope.NETWORK:
        return
    cancelled = RoutingAttempt.objects.filter(
        question_id=question.pk, outcome=RoutingAttempt.Outcome.PENDING
    ).update(outcome=RoutingAttempt.Outcome.CANCELLED)
    changed = bool(cancelled)
    if question.routing_state in (Question.RoutingState.ROUTING, Question.RoutingState.EXHAUSTED):
        question.routing_state = Question.RoutingState.DONE
        question.next_wave_at = None
        question.save(update_fields=["routing_state", "next_wave_at"])
        changed = True
    if changed:
        events.question_progress(question)


# --- pass / refer ------------------------------------------------------------------

ACTIONS = ("pass", "refer")


@dataclass
class RoutingResponse:
    attempt: RoutingAttempt
    referred: RoutingAttempt | None = None
    # refer only: asked | already_asked | away | capped
    referral_status: str | None = None


def _own_attempt(user, question_id, *, for_update: bool) -> tuple[Question, RoutingAttempt]:
    from messaging.qa.services import access_question

    question = access_question(user, question_id, for_update=for_update)
    rows = RoutingAttempt.objects.select_related("candidate", "referred_by")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    attempt = rows.filter(question_id=question.pk, candidate_id=user.pk).first()
    if attempt is None:
        raise NotFound("No such question was routed to you.")
    return question, attempt


def routing_respond(*, user, question_id, action: str, refer_to_id=None) -> RoutingResponse:
    """A routed candidate passes or refers a colleague (``action``: pass | refer).

    Only the candidate's own pending attempt (NotFound when the question was not
    routed to them or they may not see it; Conflict when they already responded or
    the window was closed as missed). A referral names an active member of the same
    workspace other than themselves and the asker (ValidationFailed on
    ``refer_to``; one NotFound for anyone else). The referred person gets their own
    attempt unless already asked, away or at the daily cap (``referral_status``).
    Responding within the window is responsiveness evidence (1), after it 0. When
    nobody asked is still pending, the next wave goes out at once."""
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = ["Use pass or refer."]
    target_id = None
    if action == "refer":
        try:
            target_id = int(refer_to_id)
            if isinstance(refer_to_id, bool) or target_id < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors["refer_to"] = ["Pick the colleague you refer by their id."]
    elif refer_to_id not in (None, ""):
        errors["refer_to"] = ["Only a referral names a colleague; leave refer_to empty to pass."]
    if errors:
        raise ValidationFailed("The response is invalid: " + ", ".join(sorted(errors)) + ".", fields=errors)

    now = clock.now()
    with transaction.atomic():
        question, attempt = _own_attempt(user, question_id, for_update=True)
        if attempt.outcome != RoutingAttempt.Outcome.PENDING:
            raise Conflict(
                "You already responded to this question, or its window has closed.",
                fields={
                    "action": [f"Your request is {attempt.get_outcome_display().lower()}; answer instead."]
                },
            )
        if question.state == Question.State.RESOLVED:
            raise Conflict(
                "The asker resolved this question.",
                fields={"action": ["The question is resolved; nothing to respond to."]},
            )
        target = None
        if target_id is not None:
            if target_id == user.pk:
                raise ValidationFailed(
                    "You cannot refer yourself.", fields={"refer_to": ["Refer a colleague, or pass."]}
                )
            if target_id == question.author_id:
                raise ValidationFailed(
                    "The asker cannot be referred to their own question.",
                    fields={"refer_to": ["Refer someone who might know the answer, not the asker."]},
                )
            target = User.objects.filter(
                pk=target_id,
                is_active=True,
                membership__organization_id=question.organization_id,
                membership__is_active=True,
            ).first()
            if target is None:
                raise NotFound(
                    "No such person in your workspace.",
                    fields={"refer_to": ["Pick an active member of your workspace."]},
                )
        in_time = now <= attempt.window_ends_at
        attempt.outcome = RoutingAttempt.Outcome.REFERRED if target else RoutingAttempt.Outcome.PASSED
        attempt.responded_at = now
        attempt.save(update_fields=["outcome", "responded_at"])
        _record_responsiveness(attempt, in_time=in_time)

        response = RoutingResponse(attempt=attempt)
        if target is not None:
            response.referral_status, response.referred = _refer(question, target, referrer=user, now=now)
        events.question_progress(question)
        still_pending = RoutingAttempt.objects.filter(
            question_id=question.pk, outcome=RoutingAttempt.Outcome.PENDING
        ).exists()
        if (
            not still_pending
            and question.routing_state == Question.RoutingState.ROUTING
            and question.state == Question.State.OPEN
        ):
            question.refresh_from_db(fields=["routing_state", "routing_wave", "next_wave_at"])
            _advance(question, now)
    return response


def _refer(question: Question, target: User, *, referrer, now) -> tuple[str, RoutingAttempt | None]:
    if RoutingAttempt.objects.filter(question_id=question.pk, candidate_id=target.pk).exists():
        return "already_asked", None
    if Profile.objects.filter(user_id=target.pk, is_away=True).exists():
        return "away", None
    if target.pk not in _reserve(question.organization_id, [target.pk], now):
        return "capped", None
    candidate = _score_one(question, target.pk, now)
    if candidate is None:
        return "away", None
    attempt = _create_attempt(
        question, candidate, wave=max(question.routing_wave, 1), rank=0, now=now, referred_by=referrer
    )
    _notify_candidates(question, [attempt], referred_by=referrer)
    return "asked", attempt


# --- the sweep (beat) ---------------------------------------------------------------


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
            _record_responsiveness(attempt, in_time=False)
        events.question_progress(question)
        return attempt.outcome


def routing_sweep(*, limit: int = 500) -> dict[str, int]:
    """Beat safety net, safe to run anywhere any time: send the waves that are due
    (a lost countdown task), close attempts whose window ended (missed), and start
    routing of network questions whose on-commit start was lost. Each item in its
    own transaction; one failure does not block the rest."""
    now = clock.now()
    done = {"waves": 0, "missed": 0, "cancelled": 0, "started": 0}
    due = Question.objects.filter(
        routing_state=Question.RoutingState.ROUTING, next_wave_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    for question_id in list(due):
        try:
            if routing_next_wave(question_id):
                done["waves"] += 1
        except Exception:
            logger.exception("routing sweep: the next wave of question %s failed", question_id)
    ended = RoutingAttempt.objects.filter(
        outcome=RoutingAttempt.Outcome.PENDING, window_ends_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    for attempt_id in list(ended):
        try:
            outcome = _close_if_missed(attempt_id, now)
        except Exception:
            logger.exception("routing sweep: could not close attempt %s", attempt_id)
            continue
        if outcome == RoutingAttempt.Outcome.MISSED:
            done["missed"] += 1
        elif outcome == RoutingAttempt.Outcome.CANCELLED:
            done["cancelled"] += 1
    lost = Question.objects.filter(
        scope=Question.Scope.NETWORK,
        routing_state=Question.RoutingState.IDLE,
        state=Question.State.OPEN,
        created_at__gte=now - START_LOOKBACK,
        created_at__lte=now - START_GRACE,
    ).values_list("pk", flat=True)[:limit]
    for question_id in list(lost):
        try:
            routing_start(question_id)
            done["started"] += 1
        except Exception:
            logger.exception("routing sweep: could not start routing question %s", question_id)
    return done


# --- reads: progress, inbox, typing --------------------------------------------------


def _typing_key(question_id: int) -> str:
    return f"routing:typing:{question_id}"


def _typing_now(question_id: int) -> dict:
    now_ts = clock.now().timestamp()
    markers = cache.get(_typing_key(question_id)) or {}
    return {int(user_id): expires for user_id, expires in markers.items() if expires > now_ts}


def _typing_stop(question_id: int, user_id: int) -> None:
    markers = _typing_now(question_id)
    if markers.pop(user_id, None) is None:
        return
    if markers:
        cache.set(_typing_key(question_id), markers, timeout=TYPING_SECONDS + 5)
    else:
        cache.delete(_typing_key(question_id))


def answer_typing(user, question_id, typing: bool = True) -> bool:
    """A routed candidate is (or stopped) typing an answer (ephemeral, in the cache
    for ``TYPING_SECONDS``; the socket refreshes it). Only people the question was
    routed to count. Tells the asker when the number of people typing changes.
    Returns whether the marker applies to this user."""
    try:
        question_id = int(question_id)
    except (TypeError, ValueError):
        return False
    row = (
        RoutingAttempt.objects.filter(question_id=question_id, candidate_id=user.pk)
        .values_list("question__author_id", flat=True)
        .first()
    )
    if row is None:
        return False
    markers = _typing_now(question_id)
    before = len(markers)
    if typing:
        markers[user.pk] = clock.now().timestamp() + TYPING_SECONDS
    else:
        markers.pop(user.pk, None)
    if markers:
        cache.set(_typing_key(question_id), markers, timeout=TYPING_SECONDS + 5)
    else:
        cache.delete(_typing_key(question_id))
    if len(markers) != before:
        question = Question.objects.filter(pk=question_id).first()
        if question is not None:
            events.question_progress(question)
    return True


def routing_progress(question) -> dict:
    """What the asker sees: ``{"question", "state", "sent", "waves", "pending",
    "answered", "passed", "referred", "missed", "cancelled", "typing",
    "next_wave_at"}`` (answered counts late answers too; typing = routed people
    typing an answer now)."""
    counts = dict(
        RoutingAttempt.objects.filter(question_id=question.pk)
        .values("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    outcome = RoutingAttempt.Outcome
    return {
        "question": question.pk,
        "state": question.routing_state,
        "sent": sum(counts.values()),
        "waves": question.routing_wave,
        "pending": counts.get(outcome.PENDING, 0),
        "answered": counts.get(outcome.ANSWERED, 0) + counts.get(outcome.LATE, 0),
        "passed": counts.get(outcome.PASSED, 0),
        "referred": counts.get(outcome.REFERRED, 0),
        "missed": counts.get(outcome.MISSED, 0),
        "cancelled": counts.get(outcome.CANCELLED, 0),
        "typing": len(_typing_now(question.pk)),
        "next_wave_at": question.next_wave_at.isoformat() if question.next_wave_at else None,
    }


def routed_to(user) -> QuerySet[RoutingAttempt]:
    """The user's routed questions for the "Questions for you" inbox: pending first
    (the window ending soonest first), then the rest newest first; only questions of
    their current workspace."""
    from django.db.models import Case, When

    organization_id = (
        Membership.objects.filter(user_id=user.pk, is_active=True)
        .values_list("organization_id", flat=True)
        .first()
    )
    if organization_id is None:
        return RoutingAttempt.objects.none()
    return (
        RoutingAttempt.objects.filter(candidate_id=user.pk, organization_id=organization_id)
        .select_related("candidate", "question__author", "referred_by")
        .annotate(
            is_pending=Case(
                When(outcome=RoutingAttempt.Outcome.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_pending", "window_ends_at", "-notified_at", "-pk")
    )


@dataclass
class RoutingView:
    question: Question
    role: str  # asker | manager | candidate
    progress: dict
    attempts: list[RoutingAttempt]
    mine: RoutingAttempt | None


def routing_detail(viewer, question_id) -> RoutingView:
    """Routing of one question for ``viewer``: the asker sees progress and who was
    asked (names, waves, outcomes; no scores); a talent manager of the workspace
    sees everything including scores; a candidate sees progress and their own
    attempt. Anyone else: NotFound (the same as a question that does not exist)."""
    from messaging.qa.services import access_question

    question = access_question(viewer, question_id)
    is_manager = Membership.objects.filter(
        user_id=viewer.pk,
        organization_id=question.organization_id,
        is_active=True,
        role=Membership.Role.TALENT_MANAGER,
    ).exists()
    attempts = list(
        RoutingAttempt.objects.filter(question_id=question.pk)
        .select_related("candidate", "referred_by")
        .order_by("wave", "rank", "pk")
    )
    mine = next((a for a in attempts if a.candidate_id == viewer.pk), None)
    if question.author_id == viewer.pk:
        role = "asker"
    elif is_manager:
        role = "manager"
    elif mine is not None:
        role = "candidate"
        attempts = []
    else:
        raise NotFound("No such question.")
    return RoutingView(
        question=question, role=role, progress=routing_progress(question), attempts=attempts, mine=mine
    )
