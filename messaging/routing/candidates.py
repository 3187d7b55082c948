"""The pool of a network question: the people a ranking scores at all (docs/messaging.md
"Routing"). Everyone the wave may ask (``waves.rank_candidates`` passes the hard
filters) who holds one of the question's skills, holds a skill its words name, or whose
headline or bio holds its words — best by declared points first — plus the closest by
expertise vector (``messaging.routing.profiles.nearest``).

Four small reads whatever the workspace size: the skill holders (one indexed statement,
summed here), the profile words (the GIN index of accounts 0005 on PostgreSQL), the hard
filters applied to the best ``FETCH_SHARE × POOL`` ids only, and the declared levels of who is left.
"""

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Expertise, Membership, Profile
from core.lookups import AnyOf
from messaging.routing import params, profiles
from messaging.routing.ranking import ROW_FIELDS, Context

FETCH_SHARE = 1.3  # a round reads this many times ``POOL`` matches (the hard filters drop a few)


def pool(profiles_qs: QuerySet[Profile], ctx: Context) -> list[dict]:
    """Up to ``POOL`` eligible people who match (best by declared points in the question's
    skills first), plus the ``MEANING_POOL`` closest by expertise vector; each row carries
    ``levels`` (their declared level in each of ``ctx.level_skill_ids``). The hard filters
    (``profiles_qs``) are applied to the best ``FETCH_SHARE × POOL`` matches; a second round reads the
    next ones only when the filters dropped more than that margin."""
    ctx.meaning = profiles.nearest(
        ctx.question.organization_id,
        ctx.vector,
        params.MEANING_POOL,
        at_least=params.MEANING_AT_LEAST,
        fresh=not ctx.pooled,
    )
    ctx.pooled = True
    close = list(ctx.meaning)
    ranked = _matches(ctx) if (ctx.skills or ctx.tokens) else []
    if not ranked and not close:
        return []
    rows: dict[int, dict] = {}
    fetch = max(round(FETCH_SHARE * params.POOL), 1)
    for start in range(0, max(len(ranked), 1), fetch):
        ids = [user_id for user_id, _points in ranked[start : start + fetch]]
        if start == 0:
            ids += close  # everyone close in meaning is scored, matched or not
        rows.update(
            (row["user_id"], row)
            for row in profiles_qs.filter(AnyOf("user_id", ids)).order_by().values(*ROW_FIELDS)
        )
        if sum(1 for user_id, _points in ranked[: start + fetch] if user_id in rows) >= params.POOL:
            break
    best = [user_id for user_id, _points in ranked if user_id in rows][: params.POOL]
    picked = set(best)
    chosen = [*best, *(pk for pk in close if pk in rows and pk not in picked)]
    levels: dict[int, dict[int, int]] = {}
    if ctx.level_skill_ids and chosen:
        for user_id, skill_id, level in Expertise.objects.filter(
            AnyOf("user_id", chosen), skill_id__in=ctx.level_skill_ids
        ).values_list("user_id", "skill_id", "level"):
            if level:
                levels.setdefault(user_id, {})[skill_id] = level
    result = []
    for user_id in chosen:
        row = rows[user_id]
        row["levels"] = levels.get(user_id, {})
        result.append(row)
    return result


def _matches(ctx: Context) -> list[tuple[int, int]]:
    """(user id, points) of who can match, best first (points, then id): holds one of the
    question's skills (points: the sum of their declared levels in them), holds a skill
    its words name, or its words are in their headline or bio (0 points). The whole list:
    the hard filters decide how far down ``pool`` reads."""
    named = _named_by_tokens(ctx) - set(ctx.skills)
    points: dict[int, int] = {}
    if ctx.skills or named:
        # every holder's rows (a few thousand at most, by the (skill, level) index), summed
        # here: the ORM's grouped statement costs more to build than this costs to add up
        theirs = set(ctx.skills)
        for user_id, skill_id, level in _holders([*ctx.skill_ids, *sorted(named)]):
            points[user_id] = points.get(user_id, 0) + (level if skill_id in theirs else 0)
    if ctx.tokens:
        for user_id in _word_matches(ctx.question.organization_id, ctx.tokens):
            points.setdefault(user_id, 0)
    return sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))


def _holders(skill_ids: list[int]) -> list[tuple[int, int, int]]:
    """(user id, skill id, level) of every declared expertise in ``skill_ids``."""
    table = Expertise._meta.db_table
    marks = ", ".join(["%s"] * len(skill_ids))
    statement = f"SELECT user_id, skill_id, level FROM {table} WHERE skill_id IN ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, skill_ids)  # only placeholders are formatted in
        return cursor.fetchall()


def _named_by_tokens(ctx: Context) -> set[int]:
    """Ids of the workspace's skills whose name contains one of the question's words."""
    return {pk for pk, name in ctx.all_skill_names.items() if any(t in name.lower() for t in ctx.tokens)}


def _word_matches(organization_id: int, tokens: list[str]) -> list[int]:
    """Ids of the workspace's members whose headline or bio holds one of ``tokens``."""
    if connection.vendor == "postgresql":
        return _word_matches_postgresql(organization_id, tokens)
    found = Profile.objects.filter(user__membership__organization_id=organization_id).filter(
        _any_token(tokens, "headline__icontains") | _any_token(tokens, "bio__icontains")
    )
    return list(found.order_by().values_list("user_id", flat=True))


# the expression of the GIN index of accounts 0005 (the planner matches it as written);
# written out because the ORM spent more building this statement than PostgreSQL
# spent answering it (2.6 ms of CPU a ranking, for a match that usually finds nobody)
_DOCUMENT = (
    "to_tsvector('english'::regconfig, COALESCE(p.headline, ''))"
    " || to_tsvector('english'::regconfig, COALESCE(p.bio, ''))"
)


def _word_matches_postgresql(organization_id: int, tokens: list[str]) -> list[int]:
    query = " || ".join(["plainto_tsquery('english'::regconfig, %s)"] * len(tokens))
    statement = (
        f"SELECT p.user_id FROM {Profile._meta.db_table} p"  # noqa: S608 (table names and placeholders)
        f" JOIN {Membership._meta.db_table} m ON m.user_id = p.user_id AND m.organization_id = %s"
        f" WHERE ({_DOCUMENT}) @@ ({query})"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [organization_id, *tokens])
        return [user_id for (user_id,) in cursor.fetchall()]


def _any_token(tokens, lookup: str) -> Q:
    condition = Q()
    for token in tokens:
        condition |= Q(**{lookup: token})
    return condition
