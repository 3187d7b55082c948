"""SQL fragments the dashboard's statements (``dashboard.overview_sql``) are written with,
for PostgreSQL and SQLite.

- ``epoch_sql`` — a timestamp as float seconds since 1970 (UTC), so waits are plain
  subtractions the database can bin and rank.
- ``in_ids_sql`` — ``column`` is one of the ids a subquery selects, the ids read first:
  on PostgreSQL an array (``= ANY(ARRAY(…))``), which the planner looks up through the
  column's index; a semi-join there may instead hash a scan of the whole table, every
  workspace's rows (a workspace's engagements, then their participants).
- ``median_sql`` — the median of an expression over a group: the middle value, or the
  mean of the two middle values for an even count (what ``statistics.median``
  returns); NULLs left out, NULL when no row has a value. PostgreSQL has it as
  ``percentile_cont(0.5)``; SQLite has no such aggregate, so
  ``register_sqlite_functions`` adds one (``tandem_median``) to every SQLite connection
  Django opens (``MentoringConfig.ready`` connects it to ``connection_created``).
"""

from __future__ import annotations

import statistics

from django.db import connection

SQLITE_MEDIAN = "tandem_median"


def epoch_sql(expression: str) -> str:
    if connection.vendor == "postgresql":
        # date_part returns float8; EXTRACT returns numeric (PostgreSQL 14+), several times slower
        return f"date_part('epoch', {expression})"
    # SQLite keeps UTC text; julianday reads it (to ~50 µs: rounded to the millisecond)
    return f"ROUND((julianday({expression}) - 2440587.5) * 86400.0, 3)"


def in_ids_sql(column: str, subquery: str) -> str:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({subquery}))"
    return f"{column} IN ({subquery})"


def median_sql(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"
    return f"{SQLITE_MEDIAN}({expression})"


class _SQLiteMedian:
    """``tandem_median(x)`` for SQLite: collects the non-NULL values of the group."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return float(statistics.median(self.values)) if self.values else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: add ``tandem_median`` to a new SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_MEDIAN, 1, _SQLiteMedian)
