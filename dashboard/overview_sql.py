"""The overview's aggregate statements, written as SQL.

Each function runs ONE statement that covers the period and the previous one and
returns a single row (a dict): the database filters, counts, bins and takes medians,
and nothing but the figures comes back. They are SQL rather than ORM expressions
because the ORM spends longer building a query with a few dozen filtered aggregates
than the database spends running it (measured on the 20,000-member benchmark
workspace: ~45 ms of query building against ~12 ms of execution for the engagement
summary); the statements are fixed text with named parameters, never user input.

The engagement KPIs (first answer, commitments kept, feedback) read the row sources
of ``mentoring.programs.kpis`` — the same waits, outcomes and ratings the program
pages count — split here into the period and the one before.

Both databases: PostgreSQL and SQLite (3.30+: ``FILTER``). The two differences
are in ``core.sql_dialect.epoch_sql`` and ``core.sql_dialect.median_sql``. Timestamps are
compared as the ORM compares them (parameters adapted by the backend's
``adapt_datetimefield_value``).

Every statement reads metadata only: states, timestamps, ids. No text a person wrote.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from core.sql_dialect import epoch_sql, in_ids_sql, median_sql
from mentoring.models import Invitation, MentoringRequest, Participant
from mentoring.programs import kpis
from messaging.chat import activity
from messaging.models import Answer, Question, RoutingAttempt

ENGAGEMENT = kpis.ENGAGEMENT
COMMITMENT = kpis.COMMITMENT
REQUEST = MentoringRequest._meta.db_table
INVITATION = Invitation._meta.db_table
QUESTION = Question._meta.db_table
ANSWER = Answer._meta.db_table
ATTEMPT = RoutingAttempt._meta.db_table
PARTICIPANT = Participant._meta.db_table

FIRST_ANSWER = f"(SELECT MIN(a.created_at) FROM {ANSWER} a WHERE a.question_id = q.id)"  # noqa: S608

# (column prefix, lower bound parameter, upper bound parameter): the period, the one before
PARTS = (("now", "start", "end"), ("before", "before", "start"))


def _of_workspace(column: str, organization: str = "%(org)s") -> str:
    """``column`` (an engagement id) is one of the workspace's engagements: read by the
    column's index, whatever other workspaces hold (``core.sql_dialect.in_ids_sql``)."""
    return in_ids_sql(column, f"SELECT id FROM {ENGAGEMENT} WHERE organization_id = {organization}")  # noqa: S608


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def bounds(*, organization_id: int, before: datetime, start: datetime, end: datetime) -> dict:
    """The named parameters every statement takes."""
    return {"org": organization_id, "before": _dt(before), "start": _dt(start), "end": _dt(end)}


def _fetch_one(sql: str, params: dict) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _in(column: str, low: str, high: str) -> str:
    return f"{column} >= %({low})s AND {column} < %({high})s"


def _per_part(column: str, build) -> str:
    """The select list for both parts: ``build(part, condition)`` gives one part's columns,
    ``condition`` being "``column`` falls in that part's period"."""
    columns = []
    for part, low, high in PARTS:
        columns += build(part, _in(column, low, high))
    return ", ".join(columns)


def _summarize(select: str, rows_sql: str, params: dict) -> dict:
    """``SELECT <select> FROM (<rows_sql>) t``: one row, as a dict."""
    return _fetch_one(f"SELECT {select} FROM ({rows_sql}) t", params)  # noqa: S608 - fixed text


def engagement_summary(params: dict, *, settled: tuple[str, ...], completed: str, bins: list[tuple]) -> dict:
    """Engagements touching either period, with the wait from the start to a mentor's first
    chat message (``ChatFirstReply``) computed once per engagement in the inner query.
    ``bins``: (lower hours or None, upper hours or None) per time-to-first-answer bin.
    Columns per part: ``active``, ``ended``, ``completed``, ``first_median``,
    ``unanswered``, ``bin<i>``."""
    params = {**params, "completed": completed, **{f"settled{i}": state for i, state in enumerate(settled)}}
    settled_in = ", ".join(f"%(settled{i})s" for i in range(len(settled)))
    columns = []
    for part, low, high in PARTS:
        started = _in("starts_at", low, high)
        ended = _in("ended_at", low, high)
        columns += [
            f"COUNT(*) FILTER (WHERE starts_at < %({high})s AND (ended_at IS NULL OR ended_at > %({low})s))"
            f" AS {part}_active",
            f"COUNT(*) FILTER (WHERE {ended} AND state IN ({settled_in})) AS {part}_ended",
            f"COUNT(*) FILTER (WHERE {ended} AND state = %(completed)s) AS {part}_completed",
            f"{kpis.median_wait_sql()} FILTER (WHERE {started}) AS {part}_first_median",
            f"COUNT(*) FILTER (WHERE {started} AND wait IS NULL) AS {part}_unanswered",
        ]
        for index, (lower, upper) in enumerate(bins):
            condition = [started, "wait IS NOT NULL"]
            if lower is not None:
                condition.append(f"wait >= {float(lower * 3600)}")
            if upper is not None:
                condition.append(f"wait < {float(upper * 3600)}")
            columns.append(f"COUNT(*) FILTER (WHERE {' AND '.join(condition)}) AS {part}_bin{index}")
    # MATERIALIZED: the wait is computed once per engagement; inlined, PostgreSQL would
    # recompute it in every FILTER that reads it (three times slower here).
    rows = kpis.engagement_rows_sql(
        "e.organization_id = %(org)s AND e.starts_at < %(end)s "
        "AND (e.ended_at IS NULL OR e.ended_at >= %(before)s)"
    )
    sql = f"WITH t AS MATERIALIZED ({rows}) SELECT {', '.join(columns)} FROM t"  # noqa: S608 - fixed text
    return _fetch_one(sql, params)


def request_summary(params: dict, *, accepted: str) -> dict:
    """Requests created in either period with the wait to their first accepted invitation.
    Columns per part: ``requests``, ``matched``, ``median``."""
    select = _per_part(
        "created_at",
        lambda part, created: [
            f"COUNT(*) FILTER (WHERE {created}) AS {part}_requests",
            f"COUNT(*) FILTER (WHERE {created} AND wait IS NOT NULL) AS {part}_matched",
            f"{median_sql('wait')} FILTER (WHERE {created}) AS {part}_median",
        ],
    )
    rows = (
        "SELECT r.created_at AS created_at, "  # noqa: S608 - fixed text, named parameters
        f"{epoch_sql('MIN(i.responded_at)')} - {epoch_sql('r.created_at')} AS wait "
        f"FROM {REQUEST} r LEFT JOIN {INVITATION} i ON i.request_id = r.id AND i.state = %(accepted)s "
        "WHERE r.organization_id = %(org)s AND r.created_at >= %(before)s AND r.created_at < %(end)s "
        "GROUP BY r.id, r.created_at"
    )
    return _summarize(select, rows, {**params, "accepted": accepted})


def question_summary(params: dict, *, network: str, pending: str, answered: str) -> dict:
    """Network questions asked in either period: the wait to the first answer (anyone's),
    and per question how many routing attempts have an outcome and how many were answered
    in their window. Columns per part: ``median``, ``decided``, ``in_window``."""
    select = _per_part(
        "created_at",
        lambda part, asked: [
            f"{median_sql('wait')} FILTER (WHERE {asked}) AS {part}_median",
            f"COUNT(*) FILTER (WHERE {asked} AND decided > 0) AS {part}_decided",
            f"COUNT(*) FILTER (WHERE {asked} AND decided > 0 AND in_window > 0) AS {part}_in_window",
        ],
    )
    # one row per question of the workspace, its first answer and its attempts read per
    # question through their question indexes (a join could hash every workspace's rows)
    rows = (
        "SELECT q.created_at AS created_at, "  # noqa: S608 - fixed text, named parameters
        f"{epoch_sql(FIRST_ANSWER)} - {epoch_sql('q.created_at')} AS wait, "
        f"(SELECT COUNT(*) FROM {ATTEMPT} r WHERE r.question_id = q.id "
        "AND r.outcome <> %(pending)s) AS decided, "
        f"(SELECT COUNT(*) FROM {ATTEMPT} r WHERE r.question_id = q.id "
        "AND r.outcome = %(answered)s) AS in_window "
        f"FROM {QUESTION} q "
        "WHERE q.organization_id = %(org)s AND q.scope = %(network)s "
        "AND q.created_at >= %(before)s AND q.created_at < %(end)s"
    )
    return _summarize(select, rows, {**params, "network": network, "pending": pending, "answered": answered})


def feedback_summary(params: dict) -> dict:
    """Feedback submitted in either period: mean competence and responsiveness (1–5) and the
    share who would work with the other person again. Columns per part: ``competence``,
    ``responsiveness``, ``would_work_again``. Private notes are never read."""
    select = _per_part(
        "submitted_at",
        lambda part, submitted: [
            f"AVG(competence) FILTER (WHERE {submitted}) AS {part}_competence",
            f"AVG(responsiveness) FILTER (WHERE {submitted}) AS {part}_responsiveness",
            f"AVG(CASE WHEN would_work_again THEN 1.0 ELSE 0.0 END) FILTER (WHERE {submitted})"
            f" AS {part}_would_work_again",
        ],
    )
    rows = kpis.feedback_rows_sql(
        f"e.organization_id = %(org)s AND {_of_workspace('f.engagement_id')} "
        "AND f.submitted_at >= %(before)s AND f.submitted_at < %(end)s"
    )
    return _summarize(select, rows, params)


def commitment_summary(params: dict) -> dict:
    """Commitments decided in either period. Columns per part: ``kept``, ``missed``."""
    select = _per_part(
        "decided_at",
        lambda part, decided: [
            f"COUNT(*) FILTER (WHERE {decided} AND {kpis.IS_KEPT}) AS {part}_kept",
            f"COUNT(*) FILTER (WHERE {decided} AND {kpis.IS_MISSED}) AS {part}_missed",
        ],
    )
    rows = kpis.commitment_rows_sql(
        f"e.organization_id = %(org)s AND {_of_workspace('c.engagement_id')} "
        "AND c.decided_at >= %(before)s AND c.decided_at < %(end)s"
    )
    return _summarize(select, rows, {**params, **kpis.OUTCOME_PARAMS})


def active_member_counts(*, organization_id: int, before: datetime, start: datetime, end: datetime) -> dict:
    """Distinct people who sent a chat message (the monthly activity bitmaps,
    ``messaging.chat.activity.active_authors_sql``; periods are whole UTC days), joined an
    engagement or recorded a commitment, in each period: ``{"now": n, "before": n}``.
    A UNION (not ALL) of (person, is-current) pairs, counted by the database: two rows
    come back, not one per person."""
    current_sql, current_params = activity.active_authors_sql(organization_id, start.date(), end.date())
    previous_sql, previous_params = activity.active_authors_sql(organization_id, before.date(), start.date())
    sql = (
        "SELECT is_current, COUNT(*) FROM ("  # noqa: S608 - fixed text, parameters
        f"SELECT author_id AS person, 1 AS is_current FROM ({current_sql}) now_authors "
        f"UNION SELECT author_id, 0 FROM ({previous_sql}) before_authors "
        "UNION SELECT p.user_id, CASE WHEN p.joined_at >= %s THEN 1 ELSE 0 END "
        f"FROM {PARTICIPANT} p WHERE {_of_workspace('p.engagement_id', '%s')} "
        "AND p.joined_at >= %s AND p.joined_at < %s "
        "UNION SELECT c.owner_id, CASE WHEN c.created_at >= %s THEN 1 ELSE 0 END "
        f"FROM {COMMITMENT} c WHERE {_of_workspace('c.engagement_id', '%s')} "
        "AND c.created_at >= %s AND c.created_at < %s"
        ") pairs GROUP BY is_current"
    )
    window = [_dt(start), organization_id, _dt(before), _dt(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*current_params, *previous_params, *window, *window])
        counts = dict(cursor.fetchall())
    return {"now": counts.get(1, 0), "before": counts.get(0, 0)}
