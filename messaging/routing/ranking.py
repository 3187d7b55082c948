"""How well a person fits a network question (DESIGN §6; docs/messaging.md "Routing").

Everyone the wave may ask (``messaging.routing.waves.rank_candidates`` applies the
hard filters) whose expertise or profile matches the question gets

    score = match × competence × p_answer × availability      (each in [0, 1])

- match: mean of (declared level / 5)² over the question's skills (``SKILL_SHARE``)
  plus the share of the question's words found in their headline, bio and skill names;
- competence: mean trust lower bound (10th percentile) of competence in the
  question's skills; the workspace prior's lower bound where there is no evidence
  (``trust.standing``);
- p_answer: posterior mean of answering a routed question within the window: a
  Beta prior centred on their responsiveness trust mean (the workspace prior for
  newcomers), updated with their routed questions of the last 90 days (answered in
  time = success; missed, late = failure; a pass = half a failure);
- availability: working now (UTC week mask of the profile) × presence (online,
  away, offline) × load (pending routed questions and active mentoring engagements,
  ``mentoring.engagements.selectors.mentor_loads``).

``choose_wave`` takes the top ``ROUTING_WAVE_SIZE`` (3). With probability
``ROUTING_EXPLORATION_SHARE`` (seeded by question and wave, so a re-run decides the
same) the last slot goes to the best-matching person with little evidence, ranked
optimistically (competence mean instead of lower bound), so newcomers get a chance.

Reads only; a constant number of queries whatever the workspace size.
"""

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Expertise, Profile
from accounts.working_hours import hex_to_mask, is_working_at
from mentoring.engagements.matching import TOKEN, need_tokens
from mentoring.engagements.selectors import mentor_loads
from messaging.models import Question, RoutingAttempt
from messaging.routing import params
from messaging.sockets import presence
from trust.standing import RESPONSIVENESS, standings, workspace_prior

# the profile columns a score reads
ROW_FIELDS = ("user_id", "user__full_name", "user__email", "headline", "bio", "utc_week_mask")


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
class Context:
    """What every score of one question shares."""

    question: Question
    skill_ids: list[int]
    tokens: list[str]
    now: datetime
    prior_competence_lower: float
    prior_competence_mean: float
    prior_responsiveness: float

    @property
    def matchable(self) -> bool:
        """A question without skills and without words matches nobody."""
        return bool(self.skill_ids or self.tokens)


def context(question: Question, now: datetime) -> Context:
    prior = workspace_prior(question.organization_id)
    return Context(
        question=question,
        skill_ids=sorted(question.skills.values_list("pk", flat=True)),
        tokens=need_tokens(f"{question.title}\n{question.body}"),
        now=now,
        prior_competence_lower=prior.competence.lower,
        prior_competence_mean=prior.competence.mean,
        prior_responsiveness=prior.means[RESPONSIVENESS],
    )


# --- the pool: people whose expertise or profile text can match at all ------------------


def pool(profiles: QuerySet[Profile], ctx: Context) -> list[dict]:
    """The ``POOL`` best of ``profiles`` by declared skill points, among those whose
    expertise or profile text matches the question at all."""
    return _pool_rows(_with_pool_filter(profiles, ctx), ctx)


def _with_pool_filter(profiles: QuerySet[Profile], ctx: Context) -> QuerySet[Profile]:
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


def _pool_rows(profiles: QuerySet[Profile], ctx: Context) -> list[dict]:
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
    return list(profiles.order_by("-skill_points", "user_id").values(*ROW_FIELDS)[: params.POOL])


def profile_row(user_id: int) -> dict | None:
    """The profile columns of one person (a referral), or None."""
    return Profile.objects.filter(user_id=user_id).values(*ROW_FIELDS).first()


# --- scores -------------------------------------------------------------------------------


def batch(ctx: Context, user_ids: list[int], *, presence_states: dict) -> dict:
    """Everything the scores need about these people, in a constant number of queries;
    ``presence_states`` is ``messaging.sockets.presence.presence_of(user_ids)``."""
    levels: dict[int, dict[int, int]] = {}
    skill_words: dict[int, set[str]] = {}
    for user_id, skill_id, level, name in Expertise.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "skill_id", "level", "skill__name"
    ):
        levels.setdefault(user_id, {})[skill_id] = level
        skill_words.setdefault(user_id, set()).update(TOKEN.findall(name.lower()))
    history: dict[int, dict[str, int]] = {}
    for candidate_id, outcome, n in (
        RoutingAttempt.objects.filter(candidate_id__in=user_ids, notified_at__gt=ctx.now - params.HISTORY)
        .values("candidate_id", "outcome")
        .annotate(n=Count("id"))
        .values_list("candidate_id", "outcome", "n")
    ):
        history.setdefault(candidate_id, {})[outcome] = n
    return {
        "levels": levels,
        "skill_words": skill_words,
        "standings": standings(
            organization_id=ctx.question.organization_id, user_ids=user_ids, skill_ids=ctx.skill_ids
        ),
        "history": history,
        "engagements": mentor_loads(user_ids),
        "presence": presence_states,
    }


def _match(row: dict, ctx: Context, data: dict) -> tuple[float, float, float]:
    """(match, skill match, text match): declared levels in the question's skills and
    the question's words on the profile."""
    user_id = row["user_id"]
    levels = data["levels"].get(user_id, {})
    if ctx.tokens:
        words = set(TOKEN.findall(f"{row['headline']} {row['bio']}".lower()))
        words |= data["skill_words"].get(user_id, set())
        text = sum(1 for token in ctx.tokens if token in words) / len(ctx.tokens)
    else:
        text = 0.0
    if ctx.skill_ids:
        skill = sum(
            (levels.get(skill_id, 0) / params.MAX_LEVEL) ** params.LEVEL_EXPONENT
            for skill_id in ctx.skill_ids
        ) / len(ctx.skill_ids)
        match = params.SKILL_SHARE * skill + (1 - params.SKILL_SHARE) * text if ctx.tokens else skill
    else:
        skill = 0.0
        match = text
    return match, skill, text


def _competence(standing, ctx: Context) -> tuple[float, float, int]:
    """(lower bound, mean, evidence) of competence over the question's skills; the
    workspace prior for a skill without evidence."""
    if not ctx.skill_ids:
        return ctx.prior_competence_lower, ctx.prior_competence_mean, 0
    beliefs = [standing.competence_in(skill_id) for skill_id in ctx.skill_ids]
    return (
        sum(b.lower for b in beliefs) / len(beliefs),
        sum(b.mean for b in beliefs) / len(beliefs),
        sum(b.evidence for b in beliefs),
    )


def score(row: dict, ctx: Context, data: dict) -> Candidate:
    """One person's score and its breakdown (``row``: the ``ROW_FIELDS`` of their profile)."""
    user_id = row["user_id"]
    match, skill, text = _match(row, ctx, data)
    standing = data["standings"][user_id]
    competence, competence_mean, competence_evidence = _competence(standing, ctx)

    # p_answer: Beta posterior mean of answering routed questions in time
    history = data["history"].get(user_id, {})
    successes = history.get(RoutingAttempt.Outcome.ANSWERED, 0)
    failures = (
        history.get(RoutingAttempt.Outcome.MISSED, 0)
        + history.get(RoutingAttempt.Outcome.LATE, 0)
        + params.PASS_FAILURE * history.get(RoutingAttempt.Outcome.PASSED, 0)
    )
    decided = sum(history.get(outcome, 0) for outcome in params.DECIDED)
    responsiveness = standing.responsiveness
    prior_mean = responsiveness.mean if responsiveness.evidence else ctx.prior_responsiveness
    prior_mean = min(max(prior_mean, 0.05), 0.95)
    p_answer = (params.P_ANSWER_PRIOR_STRENGTH * prior_mean + successes) / (
        params.P_ANSWER_PRIOR_STRENGTH + successes + failures
    )

    # availability now: working hours × presence × load
    mask = hex_to_mask(row["utc_week_mask"] or "")
    working = None if not mask else is_working_at(mask, ctx.now)
    hours = (
        params.HOURS_UNKNOWN if working is None else (params.HOURS_WORKING if working else params.HOURS_OFF)
    )
    state = data["presence"].get(user_id, {}).get("state", presence.OFFLINE)
    pending = history.get(RoutingAttempt.Outcome.PENDING, 0)
    engagements = data["engagements"].get(user_id, 0)
    load = 1.0 / (1.0 + params.PENDING_LOAD * pending + params.ENGAGEMENT_LOAD * engagements)
    presence_factor = params.PRESENCE_FACTOR.get(state, params.PRESENCE_FACTOR[presence.OFFLINE])
    availability = hours * presence_factor * load

    total = match * competence * p_answer * availability
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
        "score": round(total, 6),
    }
    return Candidate(
        user_id=user_id,
        name=row["user__full_name"] or row["user__email"],
        score=total,
        breakdown=breakdown,
        little_evidence=decided < params.LITTLE_EVIDENCE and competence_evidence < params.LITTLE_EVIDENCE,
        optimistic=match * competence_mean * p_answer * availability,
        mask=row["utc_week_mask"] or "",
    )


def rank(rows: list[dict], ctx: Context, data: dict) -> list[Candidate]:
    """The scored ``rows`` that match enough (``MIN_MATCH``), best first."""
    candidates = [score(row, ctx, data) for row in rows]
    candidates = [c for c in candidates if c.breakdown["match"] >= params.MIN_MATCH]
    candidates.sort(key=lambda c: (-c.score, c.user_id))
    return candidates


def choose_wave(candidates: list[Candidate], *, question_id: int, wave: int) -> list[Candidate]:
    """The top ``ROUTING_WAVE_SIZE``; with probability ``ROUTING_EXPLORATION_SHARE``
    (deterministic per question and wave) the last slot goes to the best person
    with little evidence by the optimistic score, if they are not picked anyway."""
    size = params.wave_size()
    picks = candidates[:size]
    share = params.exploration_share()
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
