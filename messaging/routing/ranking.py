"""How likely a person is to answer a network question well and soon (DESIGN §6;
docs/messaging.md "Routing").

The question's skills are its tags, or — when it has none — the skills inferred from
its title and body (``accounts.skill_inference``: names and aliases, short ones too,
and meaning) and the tags of earlier questions like it (``profiles.tags_of_similar``).
From wave ``params.WIDEN_FROM_WAVE`` on, skills close in meaning join
with a lower weight. Everyone the wave may ask (``waves.rank_candidates`` applies the
hard filters) who holds one of those skills, whose headline or bio names it, or whose
expertise vector is close to the question's (``messaging.routing.profiles``) gets

    score = match × p_good × p_answer × availability      (each in [0, 1])

the chance of a good answer within the window, where p_good = competence ^
``COMPETENCE_EXPONENT`` (a good answer needs competence above a bar, so the chance
rises faster than the estimate):

- match: how much of the question their expertise covers: the weighted share of its
  skills they declare or have evidence in (a mention in headline or bio counts
  ``TEXT_COVER``), or the closeness of their expertise vector, or 1 when they answered
  questions like this one before;
- competence: per covered skill, a Beta-style blend of a weak prior from the declared
  level (``LEVEL_PRIOR``, worth ``PRIOR_WEIGHT`` pieces of evidence) and the trust
  mean (``trust.standing``, one piece per event), plus their answers to similar
  questions (accepted or helpful = 1, otherwise ``UNACCEPTED_SIMILAR``): evidence
  overrides the declared level; someone who covers none of the question's skills is
  judged by the skill they hold closest in meaning to the question (``near_skills``);
- p_answer: Beta posterior of answering a routed question in time (their
  responsiveness mean as prior, routed questions of the last 90 days as evidence);
- availability: now and soon — 1 while working, decaying with the minutes until their
  next working hour (``exp(-minutes / SOON_MINUTES)``: an expert who starts in 20
  minutes beats a weak person free now) — × presence × load (pending routed requests,
  mentoring engagements, and the share of the daily cap already used).

``choose_wave`` mixes the best expected answerers with a little exploration. Every
pick carries ``reasons``: plain words for the person notified. Reads only; a
constant number of queries whatever the workspace size.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q

from accounts import skill_inference
from accounts.models import Expertise, Profile
from accounts.working_hours import hex_to_mask, is_working_at, working_deadline
from core import clock, embeddings
from core.lookups import AnyOf
from mentoring.engagements.matching import need_tokens
from mentoring.engagements.selectors import mentor_loads
from messaging.models import Question, RoutingAttempt
from messaging.routing import params, profile_text, profiles
from messaging.sockets import presence
from trust.standing import RESPONSIVENESS, standings, workspace_prior

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
    skills: dict[int, float]  # skill id -> weight (tags 1.0; inferred: confidence)
    skill_names: dict[int, str]
    inferred: bool  # the skills were inferred from the text (no tags)
    tokens: list[str]
    vector: object  # numpy row or None
    now: datetime
    prior_competence_lower: float
    prior_responsiveness: float
    wave: int = 1
    meaning: dict[int, float] = field(default_factory=dict)  # user id -> expertise cosine
    pooled: bool = False  # the expertise index was brought up to date for this ranking
    prior: object = None  # trust.standing.WorkspacePrior, read once per ranking
    hours: dict = field(default_factory=dict)  # week mask -> its availability now (memo)
    near: dict[int, float] = field(default_factory=dict)  # skill id -> cosine with the question
    near_names: dict[int, str] = field(default_factory=dict)
    all_skill_names: dict[int, str] = field(default_factory=dict)  # the workspace's skills

    @property
    def skill_ids(self) -> list[int]:
        return sorted(self.skills)

    @property
    def level_skill_ids(self) -> list[int]:
        """The question's skills and the ones closest to it in meaning: the declared levels
        and the standings a ranking reads (``_nearest_competence`` needs the near ones)."""
        return sorted({*self.skills, *self.near})

    @property
    def matchable(self) -> bool:
        """A question without skills, words or meaning matches nobody."""
        return bool(self.skills or self.tokens or self.vector is not None)


def question_skills(
    question: Question, tax: skill_inference.Taxonomy, *, vector=None, tags=None
) -> tuple[dict[int, float], dict[int, str], bool]:
    """(skill id -> weight, names, inferred?): the tags, or the skills inferred from the text.
    ``tags``: the question's (id, name) pairs when the caller has read them."""
    tags = list(question.skills.values_list("pk", "name")) if tags is None else tags
    if tags:
        return {pk: 1.0 for pk, _ in tags}, dict(tags), False
    # routing casts a wider net than the form shows: the few closest skills, each
    # weighted by its confidence, so a question understood only half reaches both sides
    found = skill_inference.scored(tax, profiles.question_text(question.title, question.body), vector=vector)
    confidence = {s.skill_id: s.confidence for s in found}
    # the workspace's own questions teach what its skills mean: the tags of earlier
    # questions like this one count, however far their wording is from the descriptions
    for skill_id, cosine in profiles.tags_of_similar(
        question.organization_id, vector, exclude_question=question.pk
    ).items():
        if skill_id in tax.skills:
            confidence[skill_id] = max(confidence.get(skill_id, 0.0), _example_confidence(cosine))
    ranked = sorted(confidence.items(), key=lambda kv: (-kv[1], tax.skills.get(kv[0], "")))
    top = ranked[0][1] if ranked else 0.0
    ranked = [(pk, c) for pk, c in ranked if c >= params.ROUTE_SKILL_SHARE * top][: params.ROUTE_SKILLS]
    return dict(ranked), {pk: tax.skills.get(pk, "") for pk, _ in ranked}, True


def _example_confidence(cosine: float) -> float:
    """An earlier tagged question ``profiles.SIMILAR`` close makes its skill inferred
    (``skill_inference.INFER_AT``), one ``EXAMPLE_FULL`` close makes it certain."""
    share = (cosine - profiles.SIMILAR) / max(params.EXAMPLE_FULL - profiles.SIMILAR, 1e-6)
    return skill_inference.INFER_AT + (1.0 - skill_inference.INFER_AT) * min(max(share, 0.0), 1.0)


def near_skills(tax: skill_inference.Taxonomy, vector) -> dict[int, float]:
    """Up to ``NEAR_SKILLS`` skills of the workspace closest in meaning to the question
    (cosine with their descriptions, at least ``skill_inference.MEANING_FLOOR``); empty
    without the model."""
    if tax.vectors is None or vector is None or not tax.skill_ids:
        return {}
    sims = (tax.vectors @ vector).tolist()
    ranked = sorted(zip(tax.skill_ids, sims, strict=True), key=lambda kv: -kv[1])[: params.NEAR_SKILLS]
    return {pk: float(sim) for pk, sim in ranked if sim >= skill_inference.MEANING_FLOOR}


PRIOR_FOR = timedelta(seconds=60)  # a workspace prior is reused this long (the nightly recompute sets it)
_priors: dict[int, tuple[datetime, object]] = {}


def _workspace_prior(organization_id: int):
    """``trust.standing.workspace_prior``, read at most once a ``PRIOR_FOR`` per process
    (of ``core.clock`` time, so a simulated night passes it too)."""
    moment = clock.now()
    cached = _priors.get(organization_id)
    if cached is not None and timedelta(0) <= moment - cached[0] < PRIOR_FOR:
        return cached[1]
    prior = workspace_prior(organization_id)
    _priors[organization_id] = (moment, prior)
    return prior


def forget() -> None:
    """Drop the priors kept in memory (tests and benchmarks that recreate workspaces)."""
    _priors.clear()


def context(question: Question, now: datetime, *, wave: int = 1) -> Context:
    """What every score of ``question`` shares: the workspace's prior, taxonomy and
    expertise index, the question's tags, then its vector (embedded and stored when it
    has none yet) and what follows from it."""
    vector_later = profiles.question_vector_later(question)
    prior = _workspace_prior(question.organization_id)
    tax = skill_inference.taxonomy(question.organization_id)
    tags = list(question.skills.values_list("pk", "name"))
    indexed = embeddings.available()
    if indexed:
        profiles.refresh(question.organization_id)
    vector = vector_later()
    skills, names, inferred = question_skills(question, tax, vector=vector, tags=tags)
    if wave >= params.WIDEN_FROM_WAVE and skills:
        for pk, sim in skill_inference.neighbours(tax, list(skills)).items():
            skills.setdefault(pk, params.NEIGHBOUR_WEIGHT * sim)
            names.setdefault(pk, tax.skills.get(pk, ""))
    near = near_skills(tax, vector)
    text = profiles.question_text(question.title, question.body)
    tokens = need_tokens(text)
    tokens += [w for w in skill_inference.named_skill_ids(text, tax).values() if w not in tokens]
    return Context(
        question=question,
        skills=skills,
        skill_names=names,
        inferred=inferred,
        tokens=tokens,
        vector=vector,
        now=now,
        prior_competence_lower=prior.competence.lower,
        prior_responsiveness=prior.means[RESPONSIVENESS],
        wave=wave,
        prior=prior,
        pooled=indexed,
        near=near,
        near_names={pk: tax.skills.get(pk, "") for pk in near},
        all_skill_names=tax.skills,
    )


def profile_row(user_id: int) -> dict | None:
    """The profile columns of one person (a referral), or None."""
    return Profile.objects.filter(user_id=user_id).values(*ROW_FIELDS).first()


# --- scores -------------------------------------------------------------------------------


def batch(ctx: Context, user_ids: list[int], *, presence_states: dict, levels: dict | None = None) -> dict:
    """Everything the scores need about these people, in a constant number of queries;
    ``presence_states`` is ``messaging.sockets.presence.presence_of(user_ids)``;
    ``levels`` (user id -> skill id -> declared level) when ``pool`` read them."""
    if levels is None:
        levels = {}
        for user_id, skill_id, level in Expertise.objects.filter(
            user_id__in=user_ids, skill_id__in=ctx.level_skill_ids
        ).values_list("user_id", "skill_id", "level"):
            levels.setdefault(user_id, {})[skill_id] = level
    history: dict[int, dict[str, int]] = {}
    recent: dict[int, int] = {}
    for candidate_id, outcome, n, lately in (
        RoutingAttempt.objects.filter(
            AnyOf("candidate_id", user_ids), notified_at__gt=ctx.now - params.HISTORY
        )
        .values("candidate_id", "outcome")
        .annotate(n=Count("id"), lately=Count("id", filter=Q(notified_at__gt=ctx.now - params.CAP_WINDOW)))
        .values_list("candidate_id", "outcome", "n", "lately")
    ):
        history.setdefault(candidate_id, {})[outcome] = n
        recent[candidate_id] = recent.get(candidate_id, 0) + lately
    meaning = dict(ctx.meaning)
    missing = [pk for pk in user_ids if pk not in meaning]
    meaning.update(
        profiles.similarity(ctx.question.organization_id, ctx.vector, missing, fresh=not ctx.pooled)
    )
    return {
        "levels": levels,
        "standings": standings(
            organization_id=ctx.question.organization_id,
            user_ids=user_ids,
            skill_ids=ctx.level_skill_ids,
            prior=ctx.prior,
        ),
        "history": history,
        "recent": recent,
        "engagements": mentor_loads(user_ids),
        "presence": presence_states,
        "meaning": meaning,
        "records": profiles.track_records(ctx.vector, user_ids, exclude_question=ctx.question.pk),
    }


def _skill_competence(level: int, belief) -> float:
    """Competence in one skill: the weak prior of the declared level (or of a mention)
    worth ``PRIOR_WEIGHT`` pieces of evidence, updated by the evidence's mean. The mean,
    not the lower bound: the prior already holds an estimate on little evidence back,
    and a bound blended in would pull a proven expert below what they declared."""
    prior = params.LEVEL_PRIOR[level] if level else params.MENTION_PRIOR
    evidence = belief.evidence
    return (params.PRIOR_WEIGHT * prior + evidence * belief.mean) / (params.PRIOR_WEIGHT + evidence)


def _nearest_competence(levels: dict, standing, ctx: Context) -> tuple[float, str, int]:
    """(competence, skill name, evidence) for someone who holds none of the question's
    skills, e.g. matched by meaning: their competence in the skill they hold that is
    closest in meaning to the question (``Context.near``), else ``MENTION_PRIOR``."""
    held = [
        (cosine, pk)
        for pk, cosine in ctx.near.items()
        if levels.get(pk) or standing.competence_in(pk).evidence
    ]
    if not held:
        return params.MENTION_PRIOR, "", 0
    _cosine, skill_id = max(held)
    belief = standing.competence_in(skill_id)
    name = ctx.skill_names.get(skill_id) or ctx.near_names.get(skill_id, "")
    return _skill_competence(levels.get(skill_id, 0), belief), name, belief.evidence


def _competence(
    row: dict, ctx: Context, data: dict, record, text: float
) -> tuple[float, float, list[str], int]:
    """(match, competence, reasons, evidence) over the question's skills."""
    user_id = row["user_id"]
    levels = data["levels"].get(user_id, {})
    standing = data["standings"][user_id]
    reasons: list[str] = []
    covered = weighted = evidence_total = 0.0
    total_weight = sum(ctx.skills.values()) or 1.0
    for skill_id, weight in ctx.skills.items():
        level = levels.get(skill_id, 0)
        belief = standing.competence_in(skill_id)
        name = ctx.skill_names.get(skill_id, "")
        mentioned = not level and profile_text.mentions(row, name)
        if not (level or belief.evidence or mentioned):
            continue
        evidence = belief.evidence
        value = _skill_competence(level, belief)
        cover = 1.0 if (level or evidence) else params.TEXT_COVER
        covered += weight * cover
        weighted += weight * cover * value
        evidence_total += evidence
        if level:
            reasons.append(f"you list {name} (level {level})")
        elif mentioned:
            reasons.append(f"your profile mentions {name}")
        if evidence:
            reasons.append(f"{evidence} pieces of evidence in {name}")
    match = covered / total_weight
    if covered:
        competence = weighted / covered
    else:
        competence, nearest, evidence = _nearest_competence(levels, standing, ctx)
        evidence_total += evidence
        if nearest:
            reasons.append(f"you list {nearest}, close to this question")
    text_share = params.TEXT_SHARE_WITH_SKILLS if ctx.skills else 1.0
    if text * text_share > match:
        match = text * text_share
        reasons.append("your profile uses the words of this question")
    closeness = data["meaning"].get(user_id)
    if closeness is not None:
        by_meaning = min(
            max((closeness - params.MEANING_AT_LEAST) / (params.MEANING_FULL - params.MEANING_AT_LEAST), 0.0),
            1.0,
        )
        if by_meaning > match:
            match = by_meaning
            reasons.append("your expertise is close to this question")
    if record is not None and record.similar:
        match = 1.0
        pseudo = params.PRIOR_WEIGHT + evidence_total
        competence = (
            pseudo * competence + record.good + params.UNACCEPTED_SIMILAR * (record.similar - record.good)
        ) / (pseudo + record.similar)
        reasons.insert(
            0,
            f"you answered {record.similar} question{'s' if record.similar != 1 else ''} like this; "
            f"{record.good} accepted or found helpful",
        )
    return match, competence, reasons, int(evidence_total)


def _availability(row: dict, ctx: Context, data: dict, history: dict) -> tuple[float, dict, list[str]]:
    user_id = row["user_id"]
    key = row["utc_week_mask"] or ""
    if key not in ctx.hours:  # people share a few week masks: each is worked out once
        ctx.hours[key] = _hours(hex_to_mask(key), ctx.now)
    working, soon, starts_in, reasons = ctx.hours[key]
    reasons = list(reasons)
    state = data["presence"].get(user_id, {}).get("state", presence.OFFLINE)
    pending = history.get(RoutingAttempt.Outcome.PENDING, 0)
    engagements = data["engagements"].get(user_id, 0)
    used = data["recent"].get(user_id, 0)
    cap = max(params.daily_cap(), 1)
    load = (1.0 / (1.0 + params.PENDING_LOAD * pending + params.ENGAGEMENT_LOAD * engagements)) * (
        1.0 - params.CAP_LOAD * min(used / cap, 1.0)
    )
    presence_factor = params.PRESENCE_FACTOR.get(state, params.PRESENCE_FACTOR[presence.OFFLINE])
    detail = {
        "working_now": working,
        "starts_in_minutes": None if starts_in is None else round(starts_in),
        "presence": state,
        "pending": pending,
        "engagements": engagements,
        "requests_24h": used,
        "load": round(load, 4),
    }
    return soon * presence_factor * load, detail, reasons


def _hours(mask: int, now: datetime) -> tuple[bool | None, float, float | None, list[str]]:
    """(working now, availability soon, minutes until work starts, reasons) of a week mask."""
    if not mask:
        return None, params.HOURS_UNKNOWN, None, []
    if is_working_at(mask, now):
        return True, 1.0, 0, ["you are working now"]
    starts = working_deadline(mask, now, 0.001)
    starts_in = max((starts - now).total_seconds() / 60, 0.0)
    soon = max(math.exp(-starts_in / params.SOON_MINUTES), params.HOURS_FLOOR)
    reasons = [f"you start work in {round(starts_in)} minutes"] if starts_in <= params.SOON_MINUTES else []
    return False, soon, starts_in, reasons


def _p_answer(standing, ctx: Context, history: dict) -> tuple[float, int]:
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
    return p_answer, decided


def score(row: dict, ctx: Context, data: dict) -> Candidate:
    """One person's score, its breakdown and the reasons shown to them."""
    user_id = row["user_id"]
    record = data["records"].get(user_id)
    text = profile_text.text_match(row, ctx.tokens)
    match, competence, reasons, evidence = _competence(row, ctx, data, record, text)
    history = data["history"].get(user_id, {})
    p_answer, decided = _p_answer(data["standings"][user_id], ctx, history)
    availability, detail, soon_reasons = _availability(row, ctx, data, history)
    # a good answer needs competence above a bar: the chance rises faster than the estimate
    p_good = competence**params.COMPETENCE_EXPONENT
    total = match * p_good * p_answer * availability
    breakdown = {
        "match": round(match, 4),
        "text_match": round(text, 4),
        "competence": round(competence, 4),
        "competence_evidence": evidence,
        "p_good": round(p_good, 4),
        "similar_answered": record.similar if record else 0,
        "similar_good": record.good if record else 0,
        "meaning": round(data["meaning"].get(user_id, 0.0), 4),
        "p_answer": round(p_answer, 4),
        "p_answer_evidence": decided,
        "availability": round(availability, 4),
        **detail,
        "skills": [ctx.skill_names.get(pk, "") for pk in ctx.skill_ids],
        "skills_inferred": ctx.inferred,
        "reasons": (reasons + soon_reasons)[:4],
        "exploration": False,
        "score": round(total, 6),
    }
    return Candidate(
        user_id=user_id,
        name=row["user__full_name"] or row["user__email"],
        score=total,
        breakdown=breakdown,
        little_evidence=decided < params.LITTLE_EVIDENCE and evidence < params.LITTLE_EVIDENCE,
        optimistic=match
        * max(competence, params.OPTIMISTIC_COMPETENCE) ** params.COMPETENCE_EXPONENT
        * p_answer
        * availability,
        mask=row["utc_week_mask"] or "",
    )


def rank(rows: list[dict], ctx: Context, data: dict) -> list[Candidate]:
    """The scored ``rows`` that match enough (``MIN_MATCH``), best first."""
    candidates = [score(row, ctx, data) for row in rows]
    candidates = [c for c in candidates if c.breakdown["match"] >= params.MIN_MATCH]
    candidates.sort(key=lambda c: (-c.score, c.user_id))
    return candidates


def choose_wave(candidates: list[Candidate], *, question_id: int, wave: int) -> list[Candidate]:
    """The top ``ROUTING_WAVE_SIZE`` (only those worth ``WAVE_RELATIVE_FLOOR`` of the
    best); with probability ``ROUTING_EXPLORATION_SHARE``
    (deterministic per question and wave) the last slot goes to the best person with
    little evidence by the optimistic score, if they are not picked anyway and are
    worth at least ``EXPLORE_AT_LEAST`` of the slot they take."""
    size = params.wave_size()
    # nobody far below the best: a weak filler spends their daily cap and our credibility
    floor = params.WAVE_RELATIVE_FLOOR * candidates[0].score if candidates else 0.0
    picks = [c for c in candidates[:size] if c is candidates[0] or c.score >= floor]
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
    if len(picks) >= size and explorer.optimistic < params.EXPLORE_AT_LEAST * picks[-1].score:
        return picks
    explorer.exploration = True
    explorer.breakdown["exploration"] = True
    explorer.breakdown["reasons"] = [
        *explorer.breakdown["reasons"][:3],
        "we are giving newer members a chance",
    ]
    return [*picks[: size - 1], explorer] if len(picks) >= size else [*picks, explorer]
