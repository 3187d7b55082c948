"""The message-activity rollup the talent-manager dashboard reads instead of the
message table (metadata only: who, which workspace, which UTC day, how many;
when a mentor first answered in an engagement's chat).

Two tables (``messaging.models``):

- ``MessageActivityDay`` (workspace, day, author) → messages sent. Deleted
  messages keep counting (the send happened; the tombstone only drops the
  text), edits change nothing, messages of erased accounts are not counted.
- ``ChatFirstReply`` (one per engagement chat) → when a mentor of the engagement
  first wrote in it at or after the engagement's start.

Writers:

- ``record_message`` — called by ``message_send`` inside its transaction, after
  the message row: one atomic upsert (``INSERT … ON CONFLICT DO UPDATE SET
  messages = messages + 1``, safe when the same person sends in two chats at
  once) and, for an engagement chat, one ``INSERT … SELECT … WHERE <author is a
  mentor> ON CONFLICT DO NOTHING`` (the first reply is never overwritten; sends
  in one chat are serialised by the conversation row lock, so the first insert
  is the earliest message).
- ``activity_rebuild`` / ``first_replies_rebuild`` — recount from the messages
  (backfill: ``manage.py rebuild_activity``; nightly repair:
  ``messaging.activity_repair``). On PostgreSQL they take a SHARE ROW EXCLUSIVE
  lock on the rollup tables for their transaction: concurrent sends wait at
  their upsert until the recount commits and then add their message on top,
  and the recount's snapshot holds every send that upserted before it, so no
  message is lost or counted twice. (SQLite has one writer at a time anyway.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

from mentoring import clock
from mentoring.models import Engagement, Participant
from messaging.models import ChatFirstReply, Conversation, Message, MessageActivityDay

ACTIVITY = MessageActivityDay._meta.db_table
FIRST_REPLY = ChatFirstReply._meta.db_table
MESSAGE = Message._meta.db_table
CONVERSATION = Conversation._meta.db_table
PARTICIPANT = Participant._meta.db_table
ENGAGEMENT = Engagement._meta.db_table
MENTOR = Participant.Role.MENTOR.value
# The nightly repair recounts this many days back (today included).
REPAIR_DAYS = 2


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _day_sql(column: str) -> str:
    """The UTC calendar day of a timestamp column, in this database's SQL."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"  # SQLite stores aware datetimes as UTC text


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date):
    return connection.ops.adapt_datefield_value(value)


# --- the send path -----------------------------------------------------------------------------


def record_message(message: Message, conversation: Conversation) -> None:
    """Count ``message`` in the rollup. Call inside the transaction that created it
    (``message_send``), so the count commits or rolls back with the message.
    ``conversation`` is the message's conversation with its engagement loaded."""
    if message.author_id is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACTIVITY} (organization_id, day, author_id, messages) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (organization_id, day, author_id) DO UPDATE SET messages = {ACTIVITY}.messages + 1",
            [conversation.organization_id, _d(utc_day(message.created_at)), message.author_id],
        )
        engagement = conversation.engagement if conversation.engagement_id else None
        if engagement is None or message.created_at < engagement.starts_at:
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
    if connection.vendor == "postgresql":
        cursor.execute(f"LOCK TABLE {ACTIVITY}, {FIRST_REPLY} IN SHARE ROW EXCLUSIVE MODE")


def activity_rebuild(
    *, since: date | None = None, until: date | None = None, organization_id: int | None = None
) -> int:
    """Recount ``MessageActivityDay`` from the messages for the UTC days ``since`` to
    ``until`` inclusive (open ends: every day), for one workspace or all. Idempotent;
    one transaction. Returns how many rollup rows now cover the range."""
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
