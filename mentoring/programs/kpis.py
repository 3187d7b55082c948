"""The engagement KPIs, defined once: time to a mentor's first answer, commitments kept
and feedback. The program pages read them per program, all time (``program_kpis``);
the dashboard's workspace overview reads them over a period and the one before, in
statements built from the same row sources and formulas (``dashboard.overview_sql``,
``dashboard.overview``). So the two always agree on the same engagements.

- **First answer**: per engagement, the seconds from its start to the first message a
  mentor of it wrote in its chat (``ChatFirstReply``, which ``message_send`` keeps;
  metadata only) — ``engagement_rows_sql``'s ``wait``, NULL while nobody answered. The
  figure is the median over the engagements that have one (``median_wait_sql``), in
  hours (``hours``).
- **Commitments kept**: kept / (kept + missed) (``kept_rate``); open and released ones
  do not count.
- **Feedback**: the mean of the competence and of the responsiveness ratings (1–5),
  ``AVG`` in the database over ``feedback_rows_sql``.

The statements are fixed text with named parameters, never user input, and read
metadata only (states, timestamps, ids, ratings), never a note or a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from core.sql_dialect import epoch_sql, median_sql
from mentoring.models import Commitment, Engagement, Feedback, Program, ProgramParticipant
from messaging.models import ChatFirstReply

ENGAGEMENT = Engagement._meta.db_table
FIRST_REPLY = ChatFirstReply._meta.db_table
COMMITMENT = Commitment._meta.db_table
FEEDBACK = Feedback._meta.db_table

# the commitment outcomes the kept rate counts, as named parameters of every statement
OUTCOME_PARAMS = {"kept": str(Commitment.State.KEPT), "missed": str(Commitment.State.MISSED)}
IS_KEPT = "state = %(kept)s"
IS_MISSED = "state = %(missed)s"


# --- the definitions -------------------------------------------------------------------------------


def engagement_rows_sql(where: str) -> str:
    """One row per engagement ``e`` matching ``where``: ``id``, ``program_id``,
    ``starts_at``, ``ended_at``, ``state`` and ``wait`` (seconds from the start to a
    mentor's first chat message; NULL while nobody answered)."""
    return (
        "SELECT e.id AS id, e.program_id AS program_id, e.starts_at AS starts_at, "  # noqa: S608 - fixed text
        "e.ended_at AS ended_at, e.state AS state, "
        f"{epoch_sql('f.replied_at')} - {epoch_sql('e.starts_at')} AS wait "
        f"FROM {ENGAGEMENT} e LEFT JOIN {FIRST_REPLY} f ON f.engagement_id = e.id WHERE {where}"
    )


def median_wait_sql() -> str:
    """The aggregate of the first-answer figure over ``engagement_rows_sql`` rows: the
    median ``wait`` of the answered ones (NULL when none was answered)."""
    return median_sql("wait")


def commitment_rows_sql(where: str) -> str:
    """One row per commitment ``c`` of an engagement ``e``, matching ``where``:
    ``decided_at``, ``state`` and the engagement's ``program_id``. Count the kept rate's
    parts with ``IS_KEPT`` / ``IS_MISSED`` (parameters ``OUTCOME_PARAMS``)."""
    return (
        "SELECT c.decided_at AS decided_at, c.state AS state, e.program_id AS program_id "  # noqa: S608
        f"FROM {COMMITMENT} c JOIN {ENGAGEMENT} e ON e.id = c.engagement_id WHERE {where}"
    )


def feedback_rows_sql(where: str) -> str:
    """One row per feedback ``f`` on an engagement ``e``, matching ``where``:
    ``submitted_at``, ``competence``, ``responsiveness``, ``would_work_again`` and the
    engagement's ``program_id`` (never the private note)."""
    return (
        "SELECT f.submitted_at AS submitted_at, f.competence AS competence, "  # noqa: S608 - fixed text
        "f.responsiveness AS responsiveness, f.would_work_again AS would_work_again, "
        "e.program_id AS program_id "
        f"FROM {FEEDBACK} f JOIN {ENGAGEMENT} e ON e.id = f.engagement_id WHERE {where}"
    )


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` to four places; ``None`` (no data) when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def kept_rate(kept: int, missed: int) -> float | None:
    """Commitments kept / (kept + missed)."""
    return rate(kept, kept + missed)


def hours(seconds: float | None) -> float | None:
    """A wait in seconds as hours to two places (``None`` stays no data)."""
    return None if seconds is None else round(seconds / 3600, 2)


def rating(value) -> float | None:
    """A mean rating to two places (``None`` stays no data)."""
    return None if value is None else round(float(value), 2)


# --- per program -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramKpis:
    """Figures of one program, all time. ``None`` = no data (shown as a dash, never 0)."""

    mentors: int = 0
    seekers: int = 0
    engagements: int = 0
    active: int = 0
    completed: int = 0
    commitments_kept_rate: float | None = None
    feedback_average: float | None = None
    feedback_count: int = 0
    median_hours_to_first_answer: float | None = None

    @property
    def participants(self) -> int:
        return self.mentors + self.seekers


def _grouped(sql: str, params: dict) -> dict[int, dict]:
    """Rows of ``sql`` keyed by their first column (``program_id``)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def program_kpis(programs: list[Program]) -> dict[int, ProgramKpis]:
    """KPIs per program id for ``programs`` (all of one workspace, checked by the caller):

    - participants: enrolled mentors and seekers;
    - engagements of the program, how many are active / completed now, and the median
      hours to a mentor's first answer over the answered ones;
    - commitments kept rate over the program's engagements;
    - feedback: the mean of every competence and responsiveness rating given in the
      program's engagements (the mean of the two dimensions' means: every feedback has
      both), and how many feedbacks.

    Four queries whatever the number of programs."""
    ids = [p.pk for p in programs]
    if not ids:
        return {}
    people = {
        (row["program_id"], row["role"]): row["n"]
        for row in ProgramParticipant.objects.filter(program_id__in=ids)
        .order_by()
        .values("program_id", "role")
        .annotate(n=Count("id"))
    }
    params = {
        **OUTCOME_PARAMS,
        "active": str(Engagement.State.ACTIVE),
        "completed": str(Engagement.State.COMPLETED),
        **{f"p{i}": pk for i, pk in enumerate(ids)},
    }
    scope = "e.program_id IN ({})".format(", ".join(f"%(p{i})s" for i in range(len(ids))))
    engagements = _grouped(
        "SELECT program_id, COUNT(*) AS n, "  # noqa: S608 - fixed text, named parameters
        "COUNT(*) FILTER (WHERE state = %(active)s) AS active, "
        "COUNT(*) FILTER (WHERE state = %(completed)s) AS completed, "
        f"{median_wait_sql()} AS first_median "
        f"FROM ({engagement_rows_sql(scope)}) t GROUP BY program_id",
        params,
    )
    commitments = _grouped(
        f"SELECT program_id, COUNT(*) FILTER (WHERE {IS_KEPT}) AS kept, "  # noqa: S608 - fixed text
        f"COUNT(*) FILTER (WHERE {IS_MISSED}) AS missed "
        f"FROM ({commitment_rows_sql(scope)}) t GROUP BY program_id",
        params,
    )
    feedback = _grouped(
        "SELECT program_id, COUNT(*) AS n, AVG(competence) AS competence, "  # noqa: S608 - fixed text
        f"AVG(responsiveness) AS responsiveness FROM ({feedback_rows_sql(scope)}) t GROUP BY program_id",
        params,
    )
    result = {}
    for pk in ids:
        e = engagements.get(pk, {})
        c = commitments.get(pk, {})
        f = feedback.get(pk)
        result[pk] = ProgramKpis(
            mentors=people.get((pk, ProgramParticipant.Role.MENTOR), 0),
            seekers=people.get((pk, ProgramParticipant.Role.SEEKER), 0),
            engagements=e.get("n", 0),
            active=e.get("active", 0),
            completed=e.get("completed", 0),
            commitments_kept_rate=kept_rate(c.get("kept", 0), c.get("missed", 0)),
            feedback_average=(
                rating((float(f["competence"]) + float(f["responsiveness"])) / 2) if f else None
            ),
            feedback_count=f["n"] if f else 0,
            median_hours_to_first_answer=hours(e.get("first_median")),
        )
    return result
