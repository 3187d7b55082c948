"""How likely a person is to answer a network question well and soon (DESIGN §6;
docs/messaging.md "Routing"): what a ranking reads.

The question's skills are its tags, or — when it has none — the skills inferred from
its title and body (``accounts.skill_inference``: names and aliases, short ones too,
and meaning) and the tags of earlier questions like it (``profiles.tags_of_similar``).
From wave ``params.WIDEN_FROM_WAVE`` on, skills close in meaning join
with a lower weight. Everyone the wave may ask (``waves.rank_candidates`` applies the
hard filters) who holds one of those skills, whose headline or bio names it, or whose
expertise vector is close to the question's (``messaging.routing.profiles``) is scored
by ``messaging.routing.scoring`` (``score``, ``rank`` and ``choose_wave`` are importable
from here too). Reads only; a constant number of queries whatever the workspace size.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber

from accounts import skill_inference
from accounts.models import Expertise, Profile
from core import embeddings
from mentoring.engagements.matching import need_tokens
from mentoring.engagements.selectors import mentor_loads
from messaging.models import Question, RoutingAttempt
from messaging.routing import params, profiles
from messaging.routing.scoring import Candidate, choose_wave, rank, score
from trust.standing import RESPONSIVENESS, standings, workspace_prior

__all__ = ["Candidate", "Context", "batch", "choose_wave", "context", "pool", "profile_row", "rank", "score"]

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


def context(question: Question, now: datetime, *, wave: int = 1) -> Context:
    """What every score of ``question`` shares. The model embeds the question (when its
    vector is not stored yet) while the workspace's prior, taxonomy and expertise index
    and the question's tags are read."""
    vector_later = profiles.question_vector_later(question)
    prior = workspace_prior(question.organization_id)
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
    )


# --- the pool: people whose expertise, profile text or meaning can match at all ---------


def pool(profiles_qs: QuerySet[Profile], ctx: Context) -> list[dict]:
    """Up to ``POOL`` eligible people by declared points in the question's skills or a
    text match, plus the ``MEANING_POOL`` closest by expertise vector, in one query;
    each row carries ``levels`` (their declared level in each of the question's skills)."""
    ctx.meaning = profiles.nearest(
        ctx.question.organization_id,
        ctx.vector,
        params.MEANING_POOL,
        at_least=params.MEANING_AT_LEAST,
        fresh=not ctx.pooled,
    )
    ctx.pooled = True
    extra = list(ctx.meaning)
    matches = _pool_match(ctx) if (ctx.skills or ctx.tokens) else None
    if matches is None and not extra:
        return []
    if matches is None:
        profiles_qs = profiles_qs.filter(user_id__in=extra)
    elif not extra:
        profiles_qs = _with_skill_points(profiles_qs.filter(user_id__in=matches), ctx)
        profiles_qs = profiles_qs.order_by("-skill_points", "user_id")[: params.POOL]
    else:
        # the POOL best matches by skill points, and everyone close in meaning; one set of
        # ids to start from, so the database looks up only these people
        close = Profile.objects.filter(user_id__in=extra).order_by().values("user_id")
        profiles_qs = _with_skill_points(profiles_qs.filter(user_id__in=matches.union(close)), ctx)
        order = [F("matched").desc(), F("skill_points").desc(), F("user_id").asc()]
        best = Window(RowNumber(), order_by=order)
        whole = IntegerField()
        profiles_qs = (
            profiles_qs.annotate(
                matched=Case(When(user_id__in=matches, then=1), default=0, output_field=whole)
            )
            .annotate(slot=Case(When(user_id__in=extra, then=0), default=best, output_field=whole))
            .filter(slot__lte=params.POOL)
        )
    level_of = {
        f"level_{pk}": Subquery(
            Expertise.objects.filter(user_id=OuterRef("user_id"), skill_id=pk).order_by().values("level")[:1],
            output_field=IntegerField(),
        )
        for pk in ctx.level_skill_ids
    }
    rows = list(profiles_qs.values(*ROW_FIELDS, **level_of))
    for row in rows:
        row["levels"] = {pk: level for pk in ctx.level_skill_ids if (level := row.pop(f"level_{pk}"))}
    return rows


def _pool_match(ctx: Context) -> QuerySet:
    """The user ids (a union, for a subquery) of who can match: holds one of the
    question's skills, holds a skill named by its words, or its words are in headline
    or bio."""
    parts = []
    if ctx.skills:
        parts.append(Expertise.objects.filter(skill_id__in=ctx.skill_ids))
    if ctx.tokens:
        parts.append(Expertise.objects.filter(_any_token(ctx.tokens, "skill__name__icontains")))
        if connection.vendor == "postgresql":
            # reads the GIN index over this expression (accounts 0005)
            vector = SearchVector("headline", config="english") + SearchVector("bio", config="english")
            parts.append(Profile.objects.annotate(document=vector).filter(document=_or_query(ctx.tokens)))
        else:
            parts.append(
                Profile.objects.filter(
                    _any_token(ctx.tokens, "headline__icontains") | _any_token(ctx.tokens, "bio__icontains")
                )
            )
    first, *rest = [part.order_by().values("user_id") for part in parts]
    return first.union(*rest) if rest else first


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


def _with_skill_points(profiles_qs: QuerySet[Profile], ctx: Context) -> QuerySet[Profile]:
    if not ctx.skills:
        return profiles_qs.annotate(skill_points=Value(0, output_field=IntegerField()))
    points = (
        Expertise.objects.filter(user_id=OuterRef("user_id"), skill_id__in=ctx.skill_ids)
        .order_by()
        .values("user_id")
        .annotate(s=Sum("level"))
        .values("s")
    )
    return profiles_qs.annotate(skill_points=Coalesce(Subquery(points, output_field=IntegerField()), 0))


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
        RoutingAttempt.objects.filter(candidate_id__in=user_ids, notified_at__gt=ctx.now - params.HISTORY)
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
