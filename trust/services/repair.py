"""The repair path: every tally and belief rebuilt from the live ledger, set-based.

``recompute_all(from_ledger=True)`` (``trust.services.nightly``) lands here: one
GROUP BY over the whole live ledger rebuilds tallies and beliefs of every key, inserts
missing rows and deletes rows without live evidence. Needed after a change of
``params.HALF_LIFE_DAYS`` and to repair tallies; gives the same scores as the nightly
refresh from the tallies.
"""

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
from django.db import connection, transaction

from trust import params, scoring
from trust.models import TrustEvent, TrustPrior, TrustScore
from trust.services.priors import (
    belief_columns,
    beliefs_from_sums,
    dimension_codes,
    established_lowers,
    refresh_priors,
    stored_priors,
)
from trust.services.recompute import SCORE_FIELDS


def rebuild_all(*, as_of: datetime, organization_id: int | None = None) -> int:
    """Rebuild every score (of one workspace, or all) from the ledger as of ``as_of``;
    returns the number of scores written. PostgreSQL: in SQL, one snapshot; elsewhere
    through the ORM in one write transaction."""
    if connection.vendor == "postgresql":
        return _rebuild_all_postgres(as_of=as_of, organization_id=organization_id)
    return _rebuild_all_portable(as_of=as_of, organization_id=organization_id)


def half_life_sql(column: str) -> str:
    """The half-life in days of the dimension in ``column``, as a SQL CASE."""
    return (
        f"CASE {column} "
        + " ".join(f"WHEN '{dimension}' THEN {days!r}" for dimension, days in params.HALF_LIFE_DAYS.items())
        + " END"
    )


def _aggregate_sql(*, vendor: str, organization_id: int | None) -> str:
    """The GROUP BY over the live ledger behind ``recompute_all(from_ledger=True)``."""
    event = TrustEvent._meta.db_table
    half_life = half_life_sql("e.dimension")
    if vendor == "postgresql":
        # date_part (float8), not EXTRACT (numeric since PostgreSQL 14): numeric math is slow
        signed = "date_part('epoch', %(as_of)s::timestamptz - e.occurred_at) / 86400.0"
        two = "2.0::float8"
    else:
        signed = "(julianday(%(as_of)s) - julianday(e.occurred_at))"
        two = "2.0"
    # Per event, once: ref = 2^((t − as_of)/h), unclamped — times 2^((as_of − last)/h) it is the
    # tally's factor — and the decay at as_of, which is ref except for evidence younger than
    # as_of (counts as fresh: 1). OFFSET 0 keeps the subquery from being flattened, so POWER
    # runs once per event instead of once per reference.
    ref = f"POWER({two}, -({signed}) / ({half_life}))"
    fence = "OFFSET 0" if vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    where = "" if organization_id is None else "AND e.organization_id = %(org)s"
    # Two-level aggregation: (key, actor) first, then key; counting distinct raters
    # this way stays a hash aggregate instead of a sort per group. The void set is
    # small: NOT IN over it is a hashed sub-plan, one probe per ledger row.
    # Identifiers come from model metadata and params, every value is a query parameter.
    return f"""
        SELECT organization_id, subject_id, dimension, skill_key,
               SUM(good), SUM(bad), SUM(n), COUNT(actor_id), MAX(last_at), SUM(good_ref), SUM(bad_ref),
               SUM(pgood), SUM(pbad), SUM(pn), SUM(pgood_ref), SUM(pbad_ref)
        FROM (
            SELECT organization_id, subject_id, dimension, skill_key, actor_id,
                   SUM(wg * decay) AS good,
                   SUM(wb * decay) AS bad,
                   COUNT(*) AS n,
                   MAX(occurred_at) AS last_at,
                   SUM(wg * ref) AS good_ref,
                   SUM(wb * ref) AS bad_ref,
                   SUM(wg * decay * p) AS pgood,
                   SUM(wb * decay * p) AS pbad,
                   SUM(p) AS pn,
                   SUM(wg * ref * p) AS pgood_ref,
                   SUM(wb * ref * p) AS pbad_ref
            FROM (
                SELECT organization_id, subject_id, dimension, skill_key, actor_id, occurred_at,
                       wg, wb, ref, p, CASE WHEN age > 0.0 THEN ref ELSE 1.0 END AS decay
                FROM (
                    SELECT e.organization_id, e.subject_id, e.dimension, e.skill_key, e.actor_id,
                           e.occurred_at, e.weight * e.outcome AS wg, e.weight * (1.0 - e.outcome) AS wb,
                           CASE WHEN e.in_pattern THEN 1 ELSE 0 END AS p,
                           {signed} AS age, {ref} AS ref
                    FROM {event} e
                    WHERE e.voids_id IS NULL
                      AND e.id NOT IN (SELECT v.voids_id FROM {event} v WHERE v.voids_id IS NOT NULL)
                      {where}
                    {fence}
                ) per_event_raw
            ) per_event
            GROUP BY organization_id, subject_id, dimension, skill_key, actor_id
        ) per_actor
        GROUP BY organization_id, subject_id, dimension, skill_key
    """  # noqa: S608


def _sqlite_moment(as_of: datetime) -> str:
    # SQLite stores naive UTC text; julianday() wants the same shape.
    return as_of.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def aggregate_ledger(*, as_of: datetime, organization_id: int | None = None) -> list[tuple]:
    """One GROUP BY over the live ledger, decay in SQL: (org, subject, dimension, skill_key,
    good, bad, count, distinct raters, last, good·2^(as_of−…), bad·2^(as_of−…), and the same
    five sums over the evidence found inside a suspicious pattern: good, bad, count, good·…,
    bad·…)."""
    sql = _aggregate_sql(vendor=connection.vendor, organization_id=organization_id)
    moment = as_of if connection.vendor == "postgresql" else _sqlite_moment(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": moment, "org": organization_id})
        return cursor.fetchall()


def _parse_dt(value):
    if value is None or isinstance(value, datetime):
        return value
    from django.utils.dateparse import parse_datetime
    from django.utils.timezone import make_aware

    parsed = parse_datetime(value)
    return make_aware(parsed) if parsed.tzinfo is None else parsed


def _float_csv(values: np.ndarray) -> str:
    # repr() round-trips a float exactly; PostgreSQL parses the list in C.
    return ",".join(map(repr, values.tolist()))


def _rebuild_all_postgres(*, as_of: datetime, organization_id: int | None) -> int:
    score = TrustScore._meta.db_table
    prior = TrustPrior._meta.db_table
    aggregate = _aggregate_sql(vendor="postgresql", organization_id=organization_id)
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = f"LEAST(GREATEST(COALESCE(p.mean, {params.DEFAULT_PRIOR_MEAN!r}), {low!r}), {high!r})"
    m = repr(params.PRIOR_STRENGTH)
    to_last = (
        "POWER(2.0::float8, date_part('epoch', %(as_of)s::timestamptz - t.last_at) / 86400.0 / "
        f"({half_life_sql('t.dimension')}))"
    )
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the ledger read and the writes: a score a ledger write changes
            # meanwhile makes the MERGE fail with a serialization error (the task retries)
            # instead of overwriting a newer tally with an older one.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # A batch job: enough memory for the hash aggregates not to spill, and no JIT
        # (compiling the plan costs more than it saves at this size).
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.trust_recompute_agg")
        cursor.execute(
            """
            CREATE TEMPORARY TABLE trust_recompute_agg (
                rid bigint GENERATED ALWAYS AS IDENTITY, organization_id bigint, subject_id bigint,
                dimension varchar(20), skill_key bigint, good float8, bad float8, n int, raters int,
                last_at timestamptz, good_ref float8, bad_ref float8, pgood float8, pbad float8, pn int,
                pgood_ref float8, pbad_ref float8
            ) ON COMMIT DROP
            """
        )
        cursor.execute(
            "INSERT INTO trust_recompute_agg (organization_id, subject_id, dimension, skill_key, good, bad, "
            f"n, raters, last_at, good_ref, bad_ref, pgood, pbad, pn, pgood_ref, pbad_ref) {aggregate}",
            {"as_of": as_of, "org": organization_id},
        )
        cursor.execute(
            # the priors without what suspicious patterns traded (decision 0018)
            "SELECT organization_id, dimension, SUM(GREATEST(good - pgood, 0.0)), "
            "SUM(GREATEST(good - pgood, 0.0) + GREATEST(bad - pbad, 0.0)) "
            "FROM trust_recompute_agg GROUP BY 1, 2"
        )
        refresh_priors({(o, d): (g, t) for o, d, g, t in cursor.fetchall()}, as_of=as_of)
        cursor.execute(
            f"""
            SELECT COUNT(*), string_agg(a::text, ',' ORDER BY rid), string_agg(b::text, ',' ORDER BY rid),
                   string_agg(pgood::text, ',' ORDER BY rid), string_agg(pbad::text, ',' ORDER BY rid)
            FROM (
                SELECT t.rid, {m} * {mu} + t.good AS a, {m} * (1.0 - {mu}) + t.bad AS b, t.pgood, t.pbad
                FROM trust_recompute_agg t
                LEFT JOIN {prior} p ON p.organization_id = t.organization_id AND p.dimension = t.dimension
            ) ab
            """  # noqa: S608 (identifiers from model metadata and params)
        )
        count, alpha_csv, beta_csv, pgood_csv, pbad_csv = cursor.fetchone()
        if count:
            alpha = np.array(alpha_csv.split(","), dtype=np.float64)
            beta = np.array(beta_csv.split(","), dtype=np.float64)
            lower, upper = scoring.quantiles(alpha, beta)
            ranked = established_lowers(
                lower,
                alpha,
                beta,
                np.array(pgood_csv.split(","), dtype=np.float64),
                np.array(pbad_csv.split(","), dtype=np.float64),
            )
            # MERGE joins the new rows to the scores in one hash join (no per-row conflict
            # probe); the updated columns are not indexed, so updates stay HOT.
            cursor.execute(
                f"""
                MERGE INTO {score} s
                USING (
                    SELECT t.*, {m} * {mu} + t.good AS a, {m} * (1.0 - {mu}) + t.bad AS b, q.lo, q.up, q.el,
                           t.good_ref * {to_last} AS good_last, t.bad_ref * {to_last} AS bad_last,
                           t.pgood_ref * {to_last} AS pgood_last, t.pbad_ref * {to_last} AS pbad_last,
                           GREATEST(t.good - t.pgood, 0.0) + GREATEST(t.bad - t.pbad, 0.0) AS ew
                    FROM trust_recompute_agg t
                    LEFT JOIN {prior} p ON p.organization_id = t.organization_id AND p.dimension = t.dimension
                    JOIN unnest(string_to_array(%(lower)s, ',')::float8[],
                                string_to_array(%(upper)s, ',')::float8[],
                                string_to_array(%(ranked)s, ',')::float8[])
                         WITH ORDINALITY AS q(lo, up, el, rid)
                         ON q.rid = t.rid
                ) n
                ON s.subject_id = n.subject_id AND s.dimension = n.dimension AND s.skill_key = n.skill_key
                WHEN MATCHED THEN UPDATE SET
                    organization_id = n.organization_id, alpha = n.a, beta = n.b, mean = n.a / (n.a + n.b),
                    lower = n.lo, upper = n.up, evidence_weight = n.good + n.bad, evidence_count = n.n,
                    distinct_raters = n.raters, last_evidence_at = n.last_at, computed_at = %(as_of)s,
                    good_at_last = n.good_last, bad_at_last = n.bad_last,
                    pattern_good_at_last = n.pgood_last, pattern_bad_at_last = n.pbad_last,
                    established_weight = n.ew, established_count = n.n - n.pn, established_lower = n.el
                WHEN NOT MATCHED THEN INSERT (organization_id, subject_id, dimension, skill_id, skill_key,
                    alpha, beta, mean, lower, upper, evidence_weight, evidence_count, distinct_raters,
                    last_evidence_at, computed_at, good_at_last, bad_at_last, pattern_good_at_last,
                    pattern_bad_at_last, established_weight, established_count, established_lower)
                VALUES (n.organization_id, n.subject_id, n.dimension, NULLIF(n.skill_key, 0), n.skill_key,
                    n.a, n.b, n.a / (n.a + n.b), n.lo, n.up, n.good + n.bad, n.n, n.raters, n.last_at,
                    %(as_of)s, n.good_last, n.bad_last, n.pgood_last, n.pbad_last, n.ew, n.n - n.pn, n.el)
                """,  # noqa: S608 (identifiers from model metadata and params; values are parameters)
                {
                    "as_of": as_of,
                    "lower": _float_csv(lower),
                    "upper": _float_csv(upper),
                    "ranked": _float_csv(ranked),
                },
            )
        # keys without live evidence (all voided) lose their score
        cursor.execute(
            f"DELETE FROM {score} s WHERE NOT EXISTS (SELECT 1 FROM trust_recompute_agg t "  # noqa: S608
            "WHERE t.subject_id = s.subject_id AND t.dimension = s.dimension AND t.skill_key = s.skill_key)"
            + ("" if organization_id is None else " AND s.organization_id = %(org)s"),
            {"org": organization_id},
        )
        return count or 0


def _rebuild_all_portable(*, as_of: datetime, organization_id: int | None) -> int:
    """SQLite (development, tests): the same aggregate, fetched; the same upsert through the ORM."""
    with transaction.atomic():
        return _rebuild_all_portable_locked(as_of=as_of, organization_id=organization_id)


def _rebuild_all_portable_locked(*, as_of: datetime, organization_id: int | None) -> int:
    rows = aggregate_ledger(as_of=as_of, organization_id=organization_id)
    totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for org_id, _subject, dimension, _skill, good, bad, *_rest, pgood, pbad, _pn, _pgr, _pbr in rows:
        acc = totals[(org_id, dimension)]
        kept_good, kept_bad = max(good - pgood, 0.0), max(bad - pbad, 0.0)  # the priors without patterns
        acc[0] += kept_good
        acc[1] += kept_good + kept_bad
    refresh_priors(totals, as_of=as_of)
    keep = {(row[1], row[2], row[3]) for row in rows}
    existing = TrustScore.objects.all()
    if organization_id is not None:
        existing = existing.filter(organization_id=organization_id)
    stale = [
        pk
        for pk, *key in existing.values_list("pk", "subject_id", "dimension", "skill_key")
        if tuple(key) not in keep
    ]
    if stale:
        TrustScore.objects.filter(pk__in=stale).delete()
    if not rows:
        return 0
    priors = stored_priors()
    columns = list(zip(*rows, strict=True))
    org_ids, subject_ids, dimensions, skill_keys = columns[0], columns[1], columns[2], columns[3]
    good = np.asarray(columns[4], dtype=float)
    bad = np.asarray(columns[5], dtype=float)
    beliefs = beliefs_from_sums(
        np.asarray(org_ids, dtype=np.int64), dimension_codes(dimensions), good, bad, priors
    )
    pattern_good = np.asarray(columns[11], dtype=float)
    pattern_bad = np.asarray(columns[12], dtype=float)
    ranked = established_lowers(beliefs[3], beliefs[0], beliefs[1], pattern_good, pattern_bad)
    objs = []
    for i in range(len(rows)):
        last = _parse_dt(columns[8][i])
        # the ledger sums were referenced to as_of; the tally is referenced to the newest evidence
        back = 2.0 ** (scoring.age_days(last, as_of) / params.HALF_LIFE_DAYS[dimensions[i]])
        objs.append(
            TrustScore(
                organization_id=org_ids[i],
                subject_id=subject_ids[i],
                dimension=dimensions[i],
                skill_id=int(skill_keys[i]) or None,
                skill_key=int(skill_keys[i]),
                **belief_columns(beliefs, good, bad, i),
                evidence_count=int(columns[6][i]),
                distinct_raters=int(columns[7][i]),
                last_evidence_at=last,
                computed_at=as_of,
                good_at_last=float(columns[9][i]) * back,
                bad_at_last=float(columns[10][i]) * back,
                pattern_good_at_last=float(columns[14][i]) * back,
                pattern_bad_at_last=float(columns[15][i]) * back,
                established_weight=max(good[i] - columns[11][i], 0.0) + max(bad[i] - columns[12][i], 0.0),
                established_count=int(columns[6][i]) - int(columns[13][i]),
                established_lower=float(ranked[i]),
            )
        )
    TrustScore.objects.bulk_create(
        objs,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["subject", "dimension", "skill_key"],
        update_fields=SCORE_FIELDS,
    )
    return len(rows)
