"""Profiles, the people directory and skill autocomplete (reads).

Every selector takes the viewer and only ever returns rows of the viewer's own
workspace. Fetch-by-id goes through ``access_profile``, which answers
"not found" alike for a missing user, a deactivated member and a member of
another workspace.
"""

from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from accounts import read_topics
from accounts.access import active_membership
from accounts.models import (
    Expertise,
    LearningGoal,
    Organization,
    Profile,
    Skill,
    SkillAlias,
    User,
)
from accounts.working_hours import hex_to_mask
from core import read_cache
from core.errors import NotFound

AUTOCOMPLETE_LIMIT = 10
SEARCH_MAX_TERMS = 8


def viewer_workspace(viewer: User) -> Organization | None:
    """The viewer's workspace (active membership), or None."""
    if viewer is None or not viewer.is_authenticated:
        return None
    membership = active_membership(viewer)
    return membership.organization if membership else None


def _visible_profiles(organization: Organization | None) -> QuerySet[Profile]:
    if organization is None:
        return Profile.objects.none()
    return Profile.objects.filter(
        user__is_active=True,
        user__membership__organization=organization,
        user__membership__is_active=True,
    )


def _expertise_prefetch() -> Prefetch:
    return Prefetch(
        "user__expertise",
        queryset=Expertise.objects.select_related("skill").order_by("-level", "skill__name"),
    )


def access_profile(viewer: User, user_id) -> Profile:
    """The profile of ``user_id`` as ``viewer`` may see it, with user, expertise
    (+skill) and learning goals (+skill) loaded.

    Raises NotFound for a missing user, a deactivated member, someone without a
    workspace, and anyone in another workspace — one answer for all of them.
    """
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("No such person.") from None
    profile = (
        _visible_profiles(viewer_workspace(viewer))
        .filter(user_id=pk)
        .select_related("user")
        .prefetch_related(
            _expertise_prefetch(),
            Prefetch("user__learning_goals", queryset=LearningGoal.objects.select_related("skill")),
        )
        .first()
    )
    if profile is None:
        raise NotFound("No such person.")
    return profile


def _skill_holders(term: str, organization: Organization) -> QuerySet[Expertise]:
    """User ids with expertise in a skill of the workspace whose name or an alias
    contains ``term`` (case-insensitive)."""
    skill_ids = Skill.objects.filter(organization=organization).filter(
        Q(name__icontains=term)
        | Exists(SkillAlias.objects.filter(skill=OuterRef("pk"), name__icontains=term))
    )
    return Expertise.objects.filter(skill__in=skill_ids).values("user_id")


# PostgreSQL, per term: the members of one workspace whose name, headline or bio
# contains it, through the trigram GIN index over (organization_id, upper(search_text))
# of migration accounts 0006; and the holders of the workspace's skills whose name or
# an alias contains it, the skills first (an array: the holders are then read by the
# expertise index on the skill, never by a scan of every workspace's expertise).
# ``upper(…) LIKE upper(…)`` is icontains as Django writes it on PostgreSQL; the id is
# cast to bigint because btree_gin's operator class compares bigint with bigint only (an
# integer parameter would leave the workspace out of the GIN index's condition).
TEXT_MATCH_SQL = (
    "SELECT m.user_id FROM accounts_membership m "
    "WHERE m.organization_id = %s::bigint AND upper(m.search_text) LIKE upper(%s) "
    "UNION ALL SELECT e.user_id FROM accounts_expertise e WHERE e.skill_id = ANY(ARRAY("
    "SELECT s.id FROM accounts_skill s WHERE s.organization_id = %s::bigint "
    "AND (upper(s.name) LIKE upper(%s) OR EXISTS (SELECT 1 FROM accounts_skillalias a "
    "WHERE a.skill_id = s.id AND upper(a.name) LIKE upper(%s)))))"
)


def _search_filter(q: str, organization: Organization) -> Q:
    """Each whitespace-separated term must match the name, headline, bio, or
    the name/alias of a skill the person has expertise in (case-insensitive).

    PostgreSQL: per term, the member is among the workspace's text matches
    (``TEXT_MATCH_SQL``) or its skill holders, both read through indexes that start
    with the workspace; the condition stands on the membership, which the directory
    reads by workspace, so no other workspace's profile is looked at.
    Elsewhere a portable ``icontains`` over the same fields. Both keep one row per
    profile (no joins to expertise, no DISTINCT).
    """
    condition = Q()
    for term in q.split()[:SEARCH_MAX_TERMS]:
        if connection.vendor == "postgresql":
            pattern = f"%{connection.ops.prep_for_like_query(term)}%"
            params = [organization.pk, pattern, organization.pk, pattern, pattern]
            condition &= Q(user__membership__user_id__in=RawSQL(TEXT_MATCH_SQL, params))  # noqa: S611 - fixed text
            continue
        condition &= (
            Q(user__full_name__icontains=term)
            | Q(headline__icontains=term)
            | Q(bio__icontains=term)
            | Q(user_id__in=_skill_holders(term, organization))
        )
    return condition


def directory_profiles(
    viewer: User,
    *,
    q: str | None = None,
    skill_id: int | None = None,
    min_level: int | None = None,
    open_to_mentor: bool | None = None,
    overlap_min_hours: int | None = None,
) -> QuerySet[Profile]:
    """Active members of the viewer's workspace matching the filters, ordered by
    name, with ``user`` joined and ``user.expertise`` (+skill, strongest first)
    prefetched — rendering any page of it costs a constant number of queries.

    - ``q``: free text over name, headline, bio and skill names/aliases.
    - ``skill_id`` / ``min_level``: has expertise in that skill (any skill when
      no ``skill_id``) at ``min_level`` or above. A skill id outside the
      viewer's workspace simply matches nobody.
    - ``open_to_mentor``: True/False filters on the flag; None ignores it.
    - ``overlap_min_hours``: works at least that many hours a week at the same
      time as the viewer. Cost: one extra query reading (user_id,
      utc_week_mask) for the already-filtered candidates and an AND + popcount
      per row in Python (~1 µs each, so ~10 ms for 10k members); the result
      becomes a ``user_id IN (...)`` filter.
    """
    organization = viewer_workspace(viewer)
    qs = _visible_profiles(organization)
    if q and q.strip() and organization is not None:
        qs = qs.filter(_search_filter(q.strip(), organization))
    if skill_id is not None or min_level is not None:
        expertise = Expertise.objects.filter(user=OuterRef("user_id"))
        if skill_id is not None:
            expertise = expertise.filter(skill_id=skill_id)
        if min_level is not None:
            expertise = expertise.filter(level__gte=min_level)
        qs = qs.filter(Exists(expertise))
    if open_to_mentor is not None:
        qs = qs.filter(open_to_mentor=open_to_mentor)
    if overlap_min_hours is not None and overlap_min_hours > 0:
        own = Profile.objects.filter(user=viewer).values_list("utc_week_mask", flat=True).first()
        own_mask = hex_to_mask(own or "")
        matching = [
            user_id
            for user_id, mask in qs.values_list("user_id", "utc_week_mask")
            if (own_mask & hex_to_mask(mask)).bit_count() >= overlap_min_hours
        ]
        qs = qs.filter(user_id__in=matching)
    return (
        qs.select_related("user")
        .prefetch_related(_expertise_prefetch())
        .order_by("user__full_name", "user_id")
    )


def workspace_skills(viewer: User) -> QuerySet[Skill]:
    """All skills of the viewer's workspace, by name."""
    organization = viewer_workspace(viewer)
    if organization is None:
        return Skill.objects.none()
    return Skill.objects.filter(organization=organization).order_by("name")


def skills_autocomplete(viewer: User, q: str, *, limit: int = AUTOCOMPLETE_LIMIT) -> list[Skill]:
    """Up to ``limit`` skills of the viewer's workspace whose name or an alias
    contains ``q`` (case-insensitive); names starting with ``q`` first, then
    alias prefix matches, then the rest, each by name. Aliases are prefetched."""
    term = " ".join((q or "").split())
    if not term:
        return []
    alias_match = SkillAlias.objects.filter(skill=OuterRef("pk"), name__icontains=term)
    alias_prefix = SkillAlias.objects.filter(skill=OuterRef("pk"), name__istartswith=term)
    return list(
        workspace_skills(viewer)
        .filter(Q(name__icontains=term) | Exists(alias_match))
        .annotate(
            rank=Case(
                When(name__iexact=term, then=Value(0)),
                When(name__istartswith=term, then=Value(1)),
                When(Exists(alias_prefix), then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "name")
        .prefetch_related("aliases")[:limit]
    )


def workspace_skill_choices(viewer: User) -> list[tuple[int, str]]:
    """(id, name) of every skill of the viewer's workspace, by name: the directory's
    skill filter. Kept in the read cache until a skill changes."""
    organization = viewer_workspace(viewer)
    if organization is None:
        return []
    return read_cache.cached(
        read_topics.PEOPLE,
        organization.pk,
        ("skill-choices",),
        lambda: list(
            Skill.objects.filter(organization=organization).order_by("name").values_list("pk", "name")
        ),
    )
