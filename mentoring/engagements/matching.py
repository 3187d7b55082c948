"""Mentor suggestions: hard filters in SQL, then an explained weighted score.

``suggest_mentors`` is a read (a selector in all but name): it never writes.
Pipeline, with a constant number of queries whatever the workspace size:

1. the seeker's profile and membership with the workspace's trust priors (one
   query) — newcomers get the prior's lower bound, not zero;
2. (only when no skills were given) skills named in the need text;
3. the candidates (one query): same workspace, active member, open to
   mentoring, not away, capacity left (the core's mentor-load subquery), not
   the seeker, not excluded (e.g. already invited on this request), and with
   expertise in a requested skill (or a text match when there is no skill);
   annotated with load, level points, trust lower bounds and, on PostgreSQL,
   the full-text rank; pre-ranked and cut at ``CANDIDATE_POOL`` (the strongest
   experts per skill come from a UNION subquery on PostgreSQL, from one small
   query per skill on SQLite);
4. their levels in the requested skills (one query).

Then each candidate is scored in Python. Weights and tables live in
``mentoring.engagements.matching_params``.
"""

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, FloatField, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Left

from accounts import skill_inference
from accounts.models import Expertise, Profile, Skill, User
from accounts.working_hours import hex_to_mask
from core.errors import PermissionDenied, ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.engagements.selectors import mentor_load_subquery
from trust.standing import (
    COMPETENCE,
    RESPONSIVENESS,
    prior_belief,
    prior_mean_subquery,
    standing_annotations,
)

TOKEN = re.compile(r"[\w+#]+")

FACTOR_LABELS = {
    "skill_fit": "Skill fit",
    "competence": "Proven competence",
    "responsiveness": "Responsiveness",
    "working_hours": "Working hours overlap",
    "load": "Free capacity",
    "work_style": "Work style fit",
}


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    value: float  # in [0, 1]
    weight: float  # relative weight (see matching_params.WEIGHTS)
    detail: str  # plain words: why this value

    @property
    def percent(self) -> int:
        return round(self.value * 100)

    @property
    def weight_percent(self) -> int:
        return round(self.weight / mp.WEIGHTS.total * 100)


@dataclass
class Suggestion:
    user: User
    score: float
    factors: list[Factor]
    skill_levels: list[tuple[str, int]] = field(
        default_factory=list
    )  # (skill name, level) per requested skill
    load: int = 0
    capacity: int = 0
    overlap_hours: int | None = None

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def need_tokens(text: str) -> list[str]:
    """Distinct lower-case words of the need that can carry meaning (order kept)."""
    seen: dict[str, None] = {}
    for token in TOKEN.findall((text or "").lower()):
        if len(token) >= mp.MIN_TOKEN_LENGTH and token not in mp.STOP_WORDS and not token.isdigit():
            seen.setdefault(token, None)
    return list(seen)[: mp.MAX_TOKENS]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _search_vector():
    # Only the start of the bio: to_tsvector runs per candidate at query time (there
    # is no stored vector), and the first paragraphs say what someone does.
    return SearchVector("headline", weight="A", config="english") + SearchVector(
        Left("bio", mp.BIO_SEARCH_CHARS), weight="B", config="english"
    )


def _search_query(tokens: Sequence[str]):
    return reduce(operator.or_, [SearchQuery(token, config="english") for token in tokens])


def _skills_named_in(need_text: str, organization_id: int) -> list[Skill]:
    """Skills whose name or alias the need names (``accounts.skill_inference``: short
    aliases such as "k8s" or "tf" count; no model: mentor suggestions stay on words)."""
    named = skill_inference.named_skill_ids(need_text, skill_inference.taxonomy(organization_id))
    return list(Skill.objects.filter(organization_id=organization_id, pk__in=named)) if named else []


def _strongest_experts(skill_ids: Sequence[int]):
    """Up to EXPERTS_PER_SKILL user ids per skill, highest level first: a UNION of
    ordered, limited parts used as a subquery where the database allows it
    (PostgreSQL), else a list read with one small query per skill (SQLite)."""
    parts = [
        Expertise.objects.filter(skill_id=skill_id)
        .order_by("-level", "user_id")
        .values_list("user_id", flat=True)[: mp.EXPERTS_PER_SKILL]
        for skill_id in skill_ids
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return [user_id for part in parts for user_id in part]


def work_style_fit(seeker: dict, mentor: dict) -> tuple[float, str]:
    """Mean compatibility of work mode, cadence and feedback style, with the mismatches named."""
    mode = mp.WORK_MODE_FIT.get(frozenset({seeker["work_mode"], mentor["work_mode"]}), 0.5)
    if "as_needed" in (seeker["cadence"], mentor["cadence"]):
        cadence = 1.0 if seeker["cadence"] == mentor["cadence"] else mp.CADENCE_AS_NEEDED_FIT
    else:
        span = max(mp.CADENCE_ORDER.values())
        distance = abs(mp.CADENCE_ORDER[seeker["cadence"]] - mp.CADENCE_ORDER[mentor["cadence"]])
        cadence = 1.0 - distance / span
    feedback = mp.FEEDBACK_STYLE_FIT.get(frozenset({seeker["feedback_style"], mentor["feedback_style"]}), 0.5)
    differences = [
        name
        for name, value in (("work mode", mode), ("cadence", cadence), ("feedback style", feedback))
        if value < 1.0
    ]
    detail = (
        "Same work mode, cadence and feedback style as you."
        if not differences
        else ("Differs from you in " + ", ".join(differences) + ".")
    )
    return (mode + cadence + feedback) / 3.0, detail


def _token_overlap(tokens: Sequence[str], *texts: str) -> float:
    if not tokens:
        return 0.0
    words = set(TOKEN.findall(" ".join(t or "" for t in texts).lower()))
    return sum(1 for token in tokens if token in words) / len(tokens)


def suggest_mentors(
    *,
    seeker,
    skills: Iterable[Skill] = (),
    need_text: str = "",
    limit: int = 10,
    exclude_user_ids: Iterable[int] = (),
) -> list[Suggestion]:
    """The best ``limit`` mentors for ``seeker``'s need, best first, each with its
    factor breakdown. Reads only. Skills must belong to the seeker's workspace
    (ValidationFailed on ``skills`` otherwise). ``exclude_user_ids`` (a list or
    a ``values("mentor_id")`` queryset) removes people, e.g. those already invited."""
    seeker_row = (
        Profile.objects.filter(user_id=seeker.pk)
        .annotate(
            organization_id=F("user__membership__organization_id"),
            member_active=F("user__membership__is_active"),
            **{
                f"prior_{dimension}": prior_mean_subquery(
                    organization_ref="user__membership__organization_id", dimension=dimension
                )
                for dimension in (COMPETENCE, RESPONSIVENESS)
            },
        )
        .values(
            "organization_id",
            "member_active",
            "utc_week_mask",
            "work_mode",
            "cadence",
            "feedback_style",
            f"prior_{COMPETENCE}",
            f"prior_{RESPONSIVENESS}",
        )
        .first()
    )
    if seeker_row is None or seeker_row["organization_id"] is None or not seeker_row["member_active"]:
        raise PermissionDenied("You need an active workspace membership to find a mentor.")
    organization_id = seeker_row["organization_id"]
    skills = list(dict.fromkeys(skills))
    if any(skill.organization_id != organization_id for skill in skills):
        raise ValidationFailed(
            "Some skills are not from your workspace.",
            fields={"skills": ["Choose skills from your workspace's list."]},
        )
    limit = max(1, min(int(limit), 50))
    tokens = need_tokens(need_text)
    # The workspace prior (read in the seeker's query; prior_belief(None) is the default
    # when the nightly recompute has not stored one yet).
    prior_competence = prior_belief(seeker_row[f"prior_{COMPETENCE}"]).lower
    prior_responsiveness = prior_belief(seeker_row[f"prior_{RESPONSIVENESS}"]).lower

    inferred = False
    if not skills and (need_text or "").strip():
        skills = _skills_named_in(need_text, organization_id)
        inferred = bool(skills)
    skill_ids = [skill.pk for skill in skills]
    if not skill_ids and not tokens:
        return []

    postgres = _is_postgres()
    candidates = (
        Profile.objects.filter(
            user__membership__organization_id=organization_id,
            user__membership__is_active=True,
            user__is_active=True,
            open_to_mentor=True,
            is_away=False,
        )
        .exclude(user_id=seeker.pk)
        .annotate(load=mentor_load_subquery("user_id"))
        .filter(capacity__gt=F("load"))
    )
    excluded = exclude_user_ids if hasattr(exclude_user_ids, "query") else list(exclude_user_ids)
    if hasattr(excluded, "query") or excluded:
        candidates = candidates.exclude(user_id__in=excluded)

    text_filter = Q()
    if tokens:
        if postgres:
            candidates = candidates.annotate(text_rank=SearchRank(_search_vector(), _search_query(tokens)))
        else:
            text_filter = reduce(
                operator.or_, [Q(headline__icontains=t) | Q(bio__icontains=t) for t in tokens]
            )
    if not postgres or not tokens:
        candidates = candidates.annotate(text_rank=Value(0.0, output_field=FloatField()))

    if skill_ids:
        expertise = Expertise.objects.filter(user_id=OuterRef("user_id"), skill_id__in=skill_ids)
        points = expertise.order_by().values("user_id").annotate(s=Sum("level")).values("s")
        candidates = candidates.annotate(
            skill_points=Coalesce(Subquery(points, output_field=IntegerField()), Value(0))
        )
        # Narrow to people with expertise in a requested skill — per skill, the
        # EXPERTS_PER_SKILL strongest by declared level, read from the (skill, level)
        # index — so the per-candidate work below is bounded whatever the workspace size.
        # One UNION, not an OR of IN-subqueries: with the OR, PostgreSQL expected
        # thousands of rows and spent 80 ms on JIT compilation. The text match only ranks.
        candidates = candidates.filter(user_id__in=_strongest_experts(skill_ids))
    else:
        candidates = candidates.annotate(skill_points=Value(0, output_field=IntegerField()))
        if postgres:
            candidates = candidates.annotate(document=_search_vector()).filter(document=_search_query(tokens))
        else:
            candidates = candidates.filter(text_filter)

    # competence_sum, competence_n, responsiveness_lower (NULL without evidence)
    candidates = candidates.annotate(**standing_annotations(user_ref="user_id", skill_ids=skill_ids))
    fields = [
        "id",
        "user_id",
        "user__full_name",
        "user__email",
        "headline",
        "capacity",
        "load",
        "utc_week_mask",
        "work_mode",
        "cadence",
        "feedback_style",
        "skill_points",
        "text_rank",
        "competence_sum",
        "competence_n",
        "responsiveness_lower",
    ]
    if not postgres:
        fields += ["bio"]
    rows = list(
        # Pre-rank on cheap columns only: PostgreSQL then evaluates the text rank and the
        # trust subqueries for the CANDIDATE_POOL rows that survive the LIMIT, not for all.
        candidates.order_by("-skill_points", "-capacity", "user_id").values(*fields)[: mp.CANDIDATE_POOL]
    )
    if not rows:
        return []

    levels: dict[int, dict[int, int]] = {}
    if skill_ids:
        for user_id, skill_id, level in Expertise.objects.filter(
            user_id__in=[row["user_id"] for row in rows], skill_id__in=skill_ids
        ).values_list("user_id", "skill_id", "level"):
            levels.setdefault(user_id, {})[skill_id] = level

    seeker_style = {key: seeker_row[key] for key in ("work_mode", "cadence", "feedback_style")}
    seeker_mask = hex_to_mask(seeker_row["utc_week_mask"] or "")
    weights = mp.WEIGHTS.as_dict()
    scored = []
    for row in rows:
        factors, extra = _factors(
            row,
            skills=skills,
            inferred=inferred,
            tokens=tokens,
            postgres=postgres,
            levels=levels.get(row["user_id"], {}),
            seeker_style=seeker_style,
            seeker_mask=seeker_mask,
            prior_competence=prior_competence,
            prior_responsiveness=prior_responsiveness,
        )
        score = sum(weights[key] * value for key, (value, _detail) in factors.items()) / mp.WEIGHTS.total
        scored.append((score, row, factors, extra))
    scored.sort(key=lambda item: (-item[0], item[1]["user_id"]))
    top = scored[:limit]
    return [
        Suggestion(
            user=_partial_user(row),
            score=score,
            factors=[
                Factor(key=key, label=FACTOR_LABELS[key], value=value, weight=weights[key], detail=detail)
                for key, (value, detail) in factors.items()
            ],
            skill_levels=extra["skill_levels"],
            load=row["load"],
            capacity=row["capacity"],
            overlap_hours=extra["overlap_hours"],
        )
        for score, row, factors, extra in top
    ]


def _from_row(model, values: dict):
    """An instance with ``values`` (attname → value) and every other field deferred
    (loaded on access, never a default). ``from_db`` takes values in field order."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(model.objects.db, names, [values[name] for name in names])


def _partial_user(row: dict) -> User:
    """The suggested user and profile from the candidate row, without another query."""
    user = _from_row(
        User, {"id": row["user_id"], "full_name": row["user__full_name"], "email": row["user__email"]}
    )
    profile_fields = (
        "id",
        "user_id",
        "headline",
        "capacity",
        "utc_week_mask",
        "work_mode",
        "cadence",
        "feedback_style",
    )
    profile = _from_row(Profile, {name: row[name] for name in profile_fields})
    user.profile = profile  # caches both directions of the one-to-one
    return user


def _factors(
    row: dict,
    *,
    skills: list[Skill],
    inferred: bool,
    tokens: list[str],
    postgres: bool,
    levels: dict[int, int],
    seeker_style: dict,
    seeker_mask: int,
    prior_competence: float,
    prior_responsiveness: float,
) -> tuple[dict[str, tuple[float, str]], dict]:
    """Each factor as (value in [0, 1], plain words), plus levels and overlap for display."""
    factors: dict[str, tuple[float, str]] = {}

    # skill fit: declared levels + text match of the need
    if tokens:
        if postgres:
            rank = float(row["text_rank"] or 0.0)
            text = rank / (rank + mp.TEXT_RANK_HALF) if rank > 0 else 0.0
        else:
            text = _token_overlap(tokens, row["headline"], row["bio"])
    else:
        text = 0.0
    skill_levels = [(skill.name, levels.get(skill.pk, 0)) for skill in skills]
    if skills:
        level_fit = sum(level for _name, level in skill_levels) / (mp.MAX_LEVEL * len(skills))
        share = mp.SKILL_LEVEL_SHARE if tokens else 1.0
        skill_fit = share * level_fit + (1.0 - share) * text
        parts = ", ".join(f"{name} {level}/5" if level else f"{name}: none" for name, level in skill_levels)
        prefix = "Skills named in your need: " if inferred else "Levels: "
        words = f" Profile matches your words {round(text * 100)}%." if tokens else ""
        detail = f"{prefix}{parts}.{words}"
    else:
        skill_fit = text
        detail = f"Profile matches your words {round(text * 100)}%."
    factors["skill_fit"] = (min(max(skill_fit, 0.0), 1.0), detail)

    # competence: lower bound per requested skill, the prior for skills without evidence
    if skills:
        known = row["competence_n"] or 0
        total = (row["competence_sum"] or 0.0) + (len(skills) - known) * prior_competence
        competence = total / len(skills)
        detail = (
            "New in these skills: starts from the workspace's typical level."
            if known == 0
            else f"Evidence in {known} of {len(skills)} requested skill(s) (cautious estimate)."
        )
    else:
        competence = prior_competence
        detail = "No skill named: the workspace's typical level."
    factors["competence"] = (competence, detail)

    responsiveness = row["responsiveness_lower"]
    if responsiveness is None:
        factors["responsiveness"] = (
            prior_responsiveness,
            "No track record yet: the workspace's typical level.",
        )
    else:
        factors["responsiveness"] = (responsiveness, "Cautious estimate from answering in time.")

    mentor_mask = hex_to_mask(row["utc_week_mask"] or "")
    if seeker_mask and mentor_mask:
        hours = (seeker_mask & mentor_mask).bit_count()
        factors["working_hours"] = (
            min(hours / mp.OVERLAP_FULL_HOURS, 1.0),
            f"{hours} hour{'s' if hours != 1 else ''} a week at the same time as you.",
        )
    else:
        hours = None
        factors["working_hours"] = (mp.OVERLAP_UNKNOWN, "Working hours not set on one side.")

    capacity, load = row["capacity"], row["load"]
    factors["load"] = (
        1.0 - load / capacity if capacity else 0.0,
        f"Mentoring {load} of {capacity} people right now.",
    )
    factors["work_style"] = work_style_fit(seeker_style, row)
    return factors, {"skill_levels": skill_levels, "overlap_hours": hours}


def suggestions_for_request(*, seeker, request, limit: int = 10) -> list[Suggestion]:
    """Suggestions for one of the seeker's requests (``selectors.access_request`` first):
    its skills and text, without the mentors already invited on it."""
    from mentoring.models import Invitation

    return suggest_mentors(
        seeker=seeker,
        skills=list(request.skills.all()),
        need_text=f"{request.title}\n{request.description}",
        limit=limit,
        exclude_user_ids=Invitation.objects.filter(request_id=request.pk).values("mentor_id"),
    )
