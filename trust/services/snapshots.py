"""Daily snapshots of every score, and the per-day distributions counted from them.

``snapshot_daily`` (the ``trust.snapshot_daily`` task) copies the current scores into
that day's ``TrustSnapshot`` and recounts the day's ``TrustDistribution`` in the same
transaction, so the dashboard's trust movement always matches the snapshots.
"""

from datetime import date

from django.db import connection, transaction

from core import clock
from trust import params
from trust.models import TrustDistribution, TrustScore, TrustSnapshot


def snapshot_daily(*, day: date | None = None) -> int:
    """Copy every current score into that day's snapshot (set-based; re-running the day
    overwrites) and recount that day's ``TrustDistribution`` from it, in one transaction."""
    day = day or clock.now().date()
    score, snapshot = TrustScore._meta.db_table, TrustSnapshot._meta.db_table
    sql = f"""
        INSERT INTO {snapshot} (organization_id, subject_id, dimension, skill_id, skill_key, date,
                                mean, lower, evidence_count)
        SELECT organization_id, subject_id, dimension, skill_id, skill_key, %s, mean, lower, evidence_count
        FROM {score} WHERE 1 = 1
        ON CONFLICT (subject_id, dimension, skill_key, date) DO UPDATE SET
            mean = excluded.mean, lower = excluded.lower, evidence_count = excluded.evidence_count
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [day])
        copied = cursor.rowcount
        distribution_rebuild(day=day)
        return copied


def _bucket_sql(column: str) -> str:
    """The tenth of 0–1 a score falls in (0–9; 1.0 counts in the top tenth)."""
    if connection.vendor == "postgresql":
        return f"LEAST(FLOOR({column} * 10), 9)::int"
    return f"MIN(CAST({column} * 10 AS INTEGER), 9)"  # SQLite: CAST truncates (means are >= 0)


def distribution_rebuild(*, day: date | None = None, organization_id: int | None = None) -> int:
    """Recount ``TrustDistribution`` from the snapshots: of one day (or every day), of one
    workspace (or all). Idempotent; one transaction. Returns how many rows it wrote."""
    distribution, snapshot = TrustDistribution._meta.db_table, TrustSnapshot._meta.db_table
    scope, args = ["1 = 1"], []
    if day is not None:
        scope.append("date = %s")
        args.append(connection.ops.adapt_datefield_value(day))
    if organization_id is not None:
        scope.append("organization_id = %s")
        args.append(organization_id)
    where = " AND ".join(scope)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {distribution} WHERE {where}", args)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {distribution} (organization_id, date, dimension, tenth, scores, mean_sum) "  # noqa: S608
            f"SELECT organization_id, date, dimension, {_bucket_sql('mean')}, COUNT(*), SUM(mean) "
            f"FROM {snapshot} WHERE {where} AND (skill_key = 0 OR dimension = %s) AND evidence_count >= %s "
            "GROUP BY 1, 2, 3, 4",
            [*args, params.COMPETENCE, params.NEWCOMER_EVIDENCE],
        )
        return cursor.rowcount
