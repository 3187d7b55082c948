"""The score of one person for one network question, and the choice of a wave (DESIGN §6;
docs/messaging.md "Ranking"). ``messaging.routing.ranking`` reads what they need
(``context``, ``pool``, ``batch``); nothing here queries the database.

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
pick carries ``reasons``: plain words for the person notified.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from accounts.working_hours import hex_to_mask, is_working_at, working_deadline
from messaging.models import RoutingAttempt
from messaging.routing import params, profile_text
from messaging.sockets import presence

if TYPE_CHECKING:
    from messaging.routing.ranking import Context


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
