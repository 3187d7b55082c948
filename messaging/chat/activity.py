"""The message-activity rollup the talent-manager dashboard reads instead of the
message table (metadata only: who, which workspace, which UTC day, how many;
when a mentor first answered in an engagement's chat).

Three tables (``messaging.models``):

- ``MessageActivityDay`` (workspace, day, author) → messages sent. Deleted
  messages keep counting (the send happened; the tombstone only drops the
  text), edits change nothing, messages of erased accounts are not counted.
- ``MemberActivityMonth`` (workspace, author, month) → ``days``, a bitmap of the
  UTC days of that month with at least one message (bit 0 = the 1st): always
  ``MessageActivityDay``'s rows folded per month, so "active members" over a
  period reads one row per person and month (``active_authors_sql``).
- ``ChatFirstReply`` (one per engagement chat) → when a mentor of the engagement
  first wrote in it at or after the engagement's start.

Writers:

- ``record_message`` — called by ``message_send`` inside its transaction, after
  the message row: one atomic upsert (``INSERT … ON CONFLICT DO UPDATE SET
  messages = messages + 1 RETURNING messages``, safe when the same person sends
  in two chats at once); when it returns 1 (the person's first message of the
  UTC day) a second one sets the day's bit (``… DO UPDATE SET days = days |
  EXCLUDED.days``), so later messages of the day cost nothing more; and, for an
  engagement chat, one ``INSERT … SELECT … WHERE <author is a mentor> ON
  CONFLICT DO NOTHING`` (the first reply is never overwritten; sends in one
  chat are serialised by the conversation row lock, so the first insert is the
  earliest message).
- ``activity_rebuild`` / ``first_replies_rebuild`` — recount from the messages
  (backfill: ``manage.py rebuild_activity``; nightly repair:
  ``messaging.activity_repair``); ``activity_rebuild`` then recomputes the whole
  months its days fall in from ``MessageActivityDay``, in the same transaction.
  On PostgreSQL they take a SHARE ROW EXCLUSIVE lock on the rollup tables for
  their transaction: concurrent sends wait at their upsert until the recount
  commits and then add their message on top (a send whose day row the recount
  did not create is the day's first and sets the bit), and the recount's
  snapshot holds every send that upserted before it, so no message is lost or
  counted twice. (SQLite has one writer at a time anyway.)
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

from core import clock
from mentoring.models import Engagement, Participant
from messaging.models import (
    ChatFirstReply,
    Conversation,
    MemberActivityMonth,
    Message,
    MessageActivityDay,
)

ACTIVITY = MessageActivityDay._meta.db_table
MONTHS = MemberActivityMonth._meta.db_table
FIRST_REPLY = ChatFirstReply._meta.db_table
MESSAGE = Message._meta.db_table
CONVERSATION = Conversation._meta.db_table
PARTICIPANT = Participant._meta.db_table
ENGAGEMENT = Engagement._meta.db_table
MENTOR = Participant.Role.MENTOR.value
# The nightly repair recounts this many days back (today included).
REPAIR_DAYS = 2
# Every day of any month: bits 0 (the 1st) to 30 (the 31st); fits a signed 32-bit int.
ALL_DAYS = (1 << 31) - 1


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _day_sql(column: str) -> str:
    """The UTC calendar day of a timestamp column, in this database's SQL."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"  # SQLite stores aware datetimes as UTC text


def _month_sql(column: str) -> str:
    """The 1st of the month of a date column, in this database's SQL."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _day_of_month_sql(column: str) -> str:
    """The day of the month (1-31) of a date column, as an integer. ``%%`` because the
    statements that use it have parameters (SQLite's wrapper turns it back into ``%``)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(DAY FROM {column})::int"
    return f"CAST(strftime('%%d', {column}) AS INTEGER)"


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def day_bit(day: date) -> int:
    """The bit of ``day`` in its month's ``MemberActivityMonth.days``."""
    return 1 << (day.day - 1)


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date):
    return connection.ops.adapt_datefield_value(value)


# --- the send path -----------------------------------------------------------------------------


def record_message(message: Message, conversation: Conversation, *, answered: bool = False) -> None:
    """Count ``message`` in the rollup. Call inside the transaction that created it
    (``message_send``), so the count commits or rolls back with the message.
    ``conversation`` is the message's conversation with its engagement loaded;
    ``answered``: its ``ChatFirstReply`` was seen to exist (it is never overwritten, so the
    insert is skipped; a repair recounts it from the messages, this one or earlier)."""
    if message.author_id is None:
        return
    day = utc_day(message.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACTIVITY} (organization_id, day, author_id, messages) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (organization_id, day, author_id) DO UPDATE SET messages = {ACTIVITY}.messages + 1 "
            "RETURNING messages",
            [conversation.organization_id, _d(day), message.author_id],
        )
        if cursor.fetchone()[0] == 1:  # the person's first message of this UTC day: set its bit
            cursor.execute(
                f"INSERT INTO {MONTHS} (organization_id, author_id, month, days) VALUES (%s, %s, %s, %s) "  # noqa: S608
                "ON CONFLICT (organization_id, month, author_id) "
                f"DO UPDATE SET days = {MONTHS}.days | EXCLUDED.days",
                [conversation.organization_id, message.author_id, _d(first_of_month(day)), day_bit(day)],
            )
        engagement = conversation.engagement if conversation.engagement_id else None
        if answered or engagement is None or message.created_at < engagement.starts_at:
            return
        cursor.execute(
            f"INSERT INTO {FIRST_REPLY} (conversation_id, engagement_id, replied_at) "  # noqa: S608
            f"SELECT %s, %s, %s WHERE EXISTS (SELECT 1 FROM {PARTICIPANT} p "
            "WHERE p.engagement_id = %s AND p.user_id = %s AND p.role = %s) "
            "ON CONFLICT (conversation_id) DO NOTHING",
            [
                conversation.pk,
                engagement.pk,
                _dt(message.created_at),
                engagement.pk,
                message.author_id,
                MENTOR,
            ],
        )


# --- recount from the messages -----------------------------------------------------------------


def _lock_rollup(cursor) -> None:
    # ACTIVITY first: a send holds it (its day upsert) before it writes MONTHS, and LOCK
    # TABLE takes the tables in this order, so the recount and a send cannot deadlock.
    if connection.vendor == "postgresql":
        cursor.execute(f"LOCK TABLE {ACTIVITY}, {FIRST_REPLY}, {MONTHS} IN SHARE ROW EXCLUSIVE MODE")


def activity_rebuild(
    *, since: date | None = None, until: date | None = None, organization_id: int | None = None
) -> int:
    """Recount ``MessageActivityDay`` from the messages for the UTC days ``since`` to
    ``until`` inclusive (open ends: every day), for one workspace or all, then recompute
    ``MemberActivityMonth`` for the whole months those days fall in (same scope) from
    ``MessageActivityDay``. Idempotent; one transaction. Returns how many day rows now
    cover the range."""
    day_filters, message_filters, params_delete, params_insert = [], [], [], []
    if since is not None:
        day_filters.append("day >= %s")
        params_delete.append(_d(since))
        message_filters.append("m.created_at >= %s")
        params_insert.append(_dt(datetime.combine(since, time.min, tzinfo=UTC)))
    if until is not None:
        day_filters.append("day <= %s")
        params_delete.append(_d(until))
        message_filters.append("m.created_at < %s")
        params_insert.append(_dt(datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)))
    if organization_id is not None:
        day_filters.append("organization_id = %s")
        params_delete.append(organization_id)
        message_filters.append("c.organization_id = %s")
        params_insert.append(organization_id)
    where_days = " AND ".join(day_filters) or "1 = 1"
    where_messages = " AND ".join(["m.author_id IS NOT NULL", *message_filters])
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_rollup(cursor)
        cursor.execute(f"DELETE FROM {ACTIVITY} WHERE {where_days}", params_delete)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {ACTIVITY} (organization_id, day, author_id, messages) "  # noqa: S608
            f"SELECT c.organization_id, {_day_sql('m.created_at')}, m.author_id, count(*) "
            f"FROM {MESSAGE} m JOIN {CONVERSATION} c ON c.id = m.conversation_id "
            f"WHERE {where_messages} GROUP BY 1, 2, 3",
            params_insert,
        )
        days = cursor.rowcount
        _months_rebuild(
            cursor,
            first_month=None if since is None else first_of_month(since),
            last_month=None if until is None else first_of_month(until),
            organization_id=organization_id,
        )
        return days


def _months_rebuild(
    cursor, *, first_month: date | None, last_month: date | None, organization_id: int | None
) -> int:
    """Recompute ``MemberActivityMonth`` for the months ``first_month`` to ``last_month``
    (1sts of months, inclusive; open ends: every month) from ``MessageActivityDay``.
    Each (workspace, day, author) is one row, so SUM of the day bits is their bitwise OR
    (SUM is portable; PostgreSQL's bit_or is not in SQLite). Run it after
    ``_lock_rollup``, in the caller's transaction. Returns how many month rows it wrote."""
    month_filters, day_filters, params_delete, params_insert = [], [], [], []
    if first_month is not None:
        month_filters.append("month >= %s")
        params_delete.append(_d(first_month))
        day_filters.append("day >= %s")
        params_insert.append(_d(first_month))
    if last_month is not None:
        month_filters.append("month <= %s")
        params_delete.append(_d(last_month))
        day_filters.append("day < %s")
        params_insert.append(_d(next_month(last_month)))
    if organization_id is not None:
        month_filters.append("organization_id = %s")
        params_delete.append(organization_id)
        day_filters.append("organization_id = %s")
        params_insert.append(organization_id)
    cursor.execute(
        f"DELETE FROM {MONTHS} WHERE {' AND '.join(month_filters) or '1 = 1'}",  # noqa: S608
        params_delete,
    )
    cursor.execute(
        f"INSERT INTO {MONTHS} (organization_id, author_id, month, days) "  # noqa: S608
        f"SELECT organization_id, author_id, {_month_sql('day')}, SUM(1 << ({_day_of_month_sql('day')} - 1)) "
        f"FROM {ACTIVITY} WHERE {' AND '.join(day_filters) or '1 = 1'} GROUP BY 1, 2, 3",
        params_insert,
    )
    return cursor.rowcount


def first_replies_rebuild(*, organization_id: int | None = None, active_since: datetime | None = None) -> int:
    """Recompute ``ChatFirstReply`` from the messages for every engagement chat (of one
    workspace, or with a message since ``active_since``). Idempotent; one transaction.
    Returns how many chats of that scope have a first reply."""
    scope, params = ["c.engagement_id IS NOT NULL"], []
    if organization_id is not None:
        scope.append("c.organization_id = %s")
        params.append(organization_id)
    if active_since is not None:
        scope.append("c.last_message_at >= %s")
        params.append(_dt(active_since))
    where = " AND ".join(scope)
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_rollup(cursor)
        cursor.execute(
            f"DELETE FROM {FIRST_REPLY} WHERE conversation_id IN "  # noqa: S608
            f"(SELECT c.id FROM {CONVERSATION} c WHERE {where})",
            params,
        )
        cursor.execute(
            f"INSERT INTO {FIRST_REPLY} (conversation_id, engagement_id, replied_at) "  # noqa: S608
            "SELECT c.id, c.engagement_id, min(m.created_at) "
            f"FROM {CONVERSATION} c JOIN {ENGAGEMENT} e ON e.id = c.engagement_id "
            f"JOIN {MESSAGE} m ON m.conversation_id = c.id AND m.created_at >= e.starts_at "
            f"WHERE {where} AND EXISTS (SELECT 1 FROM {PARTICIPANT} p "
            "WHERE p.engagement_id = c.engagement_id AND p.user_id = m.author_id AND p.role = %s) "
            "GROUP BY c.id, c.engagement_id",
            [*params, MENTOR],
        )
        return cursor.rowcount


def activity_repair(*, days: int = REPAIR_DAYS) -> dict[str, int]:
    """The nightly safety net: recount the last ``days`` UTC days (today included) and
    the first replies of the chats written in since. Catches messages that did not go
    through ``message_send`` (imports, scripts). Idempotent."""
    today = utc_day(clock.now())
    since = today - timedelta(days=days - 1)
    return {
        "days": activity_rebuild(since=since),
        "first_replies": first_replies_rebuild(active_since=datetime.combine(since, time.min, tzinfo=UTC)),
    }


def rebuild_all(*, organization_id: int | None = None) -> dict[str, int]:
    """Backfill: recount every day and every engagement chat (of one workspace, or all)."""
    return {
        "days": activity_rebuild(organization_id=organization_id),
        "first_replies": first_replies_rebuild(organization_id=organization_id),
    }


# --- the dashboard's reader --------------------------------------------------------------------


def month_mask(month_start: date, first_day: date, end_day: date) -> int:
    """The bits of ``MemberActivityMonth.days`` for the month starting ``month_start``
    that fall in the UTC days [``first_day``, ``end_day``) (0 if none do)."""
    last_of_month = month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])
    low = max(first_day, month_start)
    high = min(end_day - timedelta(days=1), last_of_month)  # inclusive
    if low > high:
        return 0
    return ((1 << ((high - low).days + 1)) - 1) << (low.day - 1)


def active_authors_sql(organization_id: int, first_day: date, end_day: date) -> tuple[str, list]:
    """A ``SELECT author_id`` (an author may come back once per month) of the people of
    the workspace with at least one message on a UTC day in [``first_day``,
    ``end_day``), read from ``MemberActivityMonth`` only: the rows of the months the
    range touches, whose ``days`` meet that month's part of the range (only the first
    and last month can be partial; the months between match whatever day is set).
    Use it as a subquery, e.g. ``COUNT(DISTINCT author_id)`` or ``author_id IN (…)``."""
    if end_day <= first_day:
        return f"SELECT author_id FROM {MONTHS} WHERE 1 = 0", []  # noqa: S608
    first_month, last_month = first_of_month(first_day), first_of_month(end_day - timedelta(days=1))
    cases, case_params = [], []
    for month in dict.fromkeys([first_month, last_month]):  # one WHEN each, or one if the same
        cases.append("WHEN %s THEN %s")
        case_params += [_d(month), month_mask(month, first_day, end_day)]
    sql = (
        f"SELECT author_id FROM {MONTHS} "  # noqa: S608
        "WHERE organization_id = %s AND month >= %s AND month <= %s "
        f"AND (days & CASE month {' '.join(cases)} ELSE %s END) <> 0"
    )
    return sql, [organization_id, _d(first_month), _d(last_month), *case_params, ALL_DAYS]
