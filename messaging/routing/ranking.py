"""How likely a person is to answer a network question well and soon (DESIGN §6;
docs/messaging.md "Routing"): what a ranking reads.

The question's skills are its tags, or — when it has none — the skills inferred from
its title and body (``accounts.skill_inference``: names and aliases, short ones too,
and meaning) and the tags of earlier questions like it (``profiles.tags_of_similar``).
From wave ``params.WIDEN_FROM_WAVE`` on, skills close in meaning join
with a lower weight. Everyone the wave may ask (``waves.rank_candidates`` applies the
hard filters) who holds one of those skills, whose headline or bio names it, or whose
expertise vector is close to the question's (``messaging.routing.profiles``) — the pool
``messaging.routing.candidates`` reads — is scored by ``messaging.routing.scoring``
(``score``, ``rank`` and ``choose_wave`` are importable from here too). Reads only; a
constant number of queries whatever the workspace size.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q

from accounts import skill_inference
from accounts.models import Expertise, Profile
from core import clock, embeddings
from core.lookups import AnyOf
from mentoring.engagements.matching import need_tokens
from mentoring.engagements.selectors import mentor_loads
from messaging.models import Question, RoutingAttempt
from messaging.routing import params, profiles
from messaging.routing.scoring import Candidate, choose_wave, rank, score
from trust.standing import RESPONSIVENESS, standings, workspace_prior

__all__ = ["Candidate", "Context", "batch", "choose_wave", "context", "profile_row", "rank", "score"]

ROW_FIELDS = ("user_id", "user__full_name", "user__email", "headline", "bio", "utc_week_mask")


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
    cached = _priors.get(organization_id)
    if cached is not None and clock.within(cached[0], PRIOR_FOR):
        return cached[1]
    prior = workspace_prior(organization_id)
    _priors[organization_id] = (clock.now(), prior)
    return prior


def forget() -> None:
    """Drop the priors kept in memory (tests and benchmarks that recreate workspaces)."""
    _priors.clear()


def context(question: Question, now: datetime, *, wave: int = 1) -> Context:
    """What every score of ``question`` shares: the workspace's prior, taxonomy and
    expertise index, the question's tags, then its vector (embedded and stored when it
    has none yet) and what follows from it."""
    prior = _workspace_prior(question.organization_id)
    tax = skill_inference.taxonomy(question.organization_id)
    tags = list(question.skills.values_list("pk", "name"))
    indexed = embeddings.available()
    if indexed:
        profiles.refresh(question.organization_id)
    vector = profiles.question_vector(question)
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
