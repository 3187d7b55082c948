"""The statements of ``message_send``'s hot path, written once per process.

Building a queryset costs far more than running it on this path: the membership and
duplicate check's SQL runs in 0.07 ms, Django spent ~2 ms composing it. These are the
same statements as plain SQL (PostgreSQL and SQLite alike), their parameters adapted
and their results converted by Django's own field machinery, so the model instances
they return are the ones the ORM would have made. Only ``messaging.chat.services``
calls them; it keeps every rule (locking, idempotency, rate, rollup, fan-out).
"""

from functools import cache

from django.db import connection

from mentoring.models import Engagement
from messaging.models import ChatFirstReply, Conversation, ConversationMember, Message, ReadState


def _columns(model, alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def _converters(model) -> list[tuple]:
    """Per concrete field, the converters the ORM applies to a value read from the database."""
    result = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        result.append((field.attname, column, converters))
    return result


def _instance(model, converters, values):
    fields = {}
    for (attname, column, functions), value in zip(converters, values, strict=True):
        for function in functions:
            value = function(value, column, connection)
        fields[attname] = value
    return model.from_db(connection.alias, list(fields), list(fields.values()))


@cache
def _lookup(vendor: str):
    # vendor is part of the key: quoting and converters are the backend's
    models = (Conversation, ConversationMember, Message, Engagement, ChatFirstReply)
    table = {model: model._meta.db_table for model in models}
    sql = (
        f"SELECT {_columns(Conversation, 'c')}, {_columns(Engagement, 'e')}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {table[ChatFirstReply]} fr WHERE fr.conversation_id = c.id), cm.id, "
        f"(SELECT m.id FROM {table[Message]} m WHERE m.author_id = %s AND m.client_id = %s LIMIT 1) "
        f"FROM {table[Conversation]} c "
        f"JOIN {table[ConversationMember]} cm "
        "ON cm.conversation_id = c.id AND cm.user_id = %s AND cm.left_at IS NULL "
        f"LEFT JOIN {table[Engagement]} e ON e.id = c.engagement_id "
        "WHERE c.id = %s"
    )
    return sql, _converters(Conversation), _converters(Engagement)


def conversation_for_send(*, author_id: int, conversation_pk: int, client_id):
    """``(conversation with its engagement, whether its first reply is recorded, the
    author's member id, id of the message already stored for client_id or None)`` in one
    indexed lookup, or None when the author is not a current member (or there is no such
    conversation)."""
    sql, conversation_fields, engagement_fields = _lookup(connection.vendor)
    client_value = Message._meta.get_field("client_id").get_db_prep_value(client_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [author_id, client_value, author_id, conversation_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(conversation_fields)
    conversation = _instance(Conversation, conversation_fields, row[:split])
    engagement_values = row[split : split + len(engagement_fields)]
    if conversation.engagement_id is not None:
        conversation.engagement = _instance(Engagement, engagement_fields, engagement_values)
    answered, member_id, stored_message_id = bool(row[-3]), row[-2], row[-1]
    return conversation, answered, member_id, stored_message_id


@cache
def _insert(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = [
        "conversation_id",
        "seq",
        "author_id",
        "body",
        "body_html",
        "client_id",
        "reply_to_id",
        "created_at",
    ]
    return (
        f"INSERT INTO {Message._meta.db_table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id"
    )


def _saved(pk, conversation, seq, author, body, body_html, client_id, reply_to, moment) -> Message:
    """The ``Message`` a row just written holds, as the ORM would have returned it."""
    message = Message(
        pk=pk,
        conversation=conversation,
        seq=seq,
        author=author,
        body=body,
        body_html=body_html,
        client_id=client_id,
        reply_to=reply_to,
        created_at=moment,
    )
    message._state.adding = False
    message._state.db = connection.alias
    return message


def message_insert(*, conversation, seq: int, author, body: str, body_html: str, client_id, reply_to, moment):
    """Insert one message row; returns the saved ``Message`` (author, conversation and
    reply_to set). A duplicate (author, client_id) raises ``IntegrityError`` as ``create`` would."""
    with connection.cursor() as cursor:
        cursor.execute(
            _insert(connection.vendor),
            [
                conversation.pk,
                seq,
                author.pk,
                body,
                body_html,
                Message._meta.get_field("client_id").get_db_prep_value(client_id, connection),
                reply_to.pk if reply_to is not None else None,
                connection.ops.adapt_datetimefield_value(moment),
            ],
        )
        pk = cursor.fetchone()[0]
    return _saved(pk, conversation, seq, author, body, body_html, client_id, reply_to, moment)


# One statement hands out the next seq and takes the conversation's row lock.
_NEXT_SEQ = (
    f"UPDATE {Conversation._meta.db_table} SET last_seq = last_seq + 1, last_message_at = %s "  # noqa: S608
    "WHERE id = %s RETURNING last_seq"
)


def next_seq(*, conversation_pk: int, moment) -> int:
    """The conversation's next ``seq``, its row locked until the transaction ends.

    The UPDATE takes the conversation's row lock (like select_for_update, and on SQLite
    the database write lock) until commit: the next sender waits here, so seqs are
    handed out one by one, and a rollback gives the number back — no gaps, no
    duplicates. RETURNING reads the new value in the same statement (PostgreSQL;
    SQLite ≥ 3.35)."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SEQ, [connection.ops.adapt_datetimefield_value(moment), conversation_pk])
        return cursor.fetchone()[0]


_MARK_READ = (
    f"UPDATE {ReadState._meta.db_table} SET last_read_seq = %s, updated_at = %s "  # noqa: S608
    "WHERE member_id = %s AND last_read_seq < %s"
)


def read_mark_raise(*, member_id: int, seq: int, moment) -> bool:
    """Raise the member's read mark to ``seq`` (never lowers it); True when it moved."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_READ, [seq, connection.ops.adapt_datetimefield_value(moment), member_id, seq])
        return cursor.rowcount > 0


@cache
def _store(vendor: str) -> str:
    """PostgreSQL: the seq, the insert and the read mark as one statement (data-modifying
    CTEs), one round trip instead of three. The UPDATE takes the conversation's row lock
    as ``next_seq`` does; a duplicate (author, client_id) fails the whole statement."""
    quote = connection.ops.quote_name
    columns = ["conversation_id", "seq", "author_id", "body", "body_html", "client_id", "reply_to_id"]
    return (
        f"WITH s AS ({_NEXT_SEQ}), "  # noqa: S608
        f"m AS (INSERT INTO {Message._meta.db_table} "
        f"({', '.join(quote(c) for c in [*columns, 'created_at'])}) "
        "SELECT %s, s.last_seq, %s, %s, %s, %s, %s, %s FROM s RETURNING id, seq), "
        f"r AS (UPDATE {ReadState._meta.db_table} rs SET last_read_seq = m.seq, updated_at = %s FROM m "
        "WHERE rs.member_id = %s AND rs.last_read_seq < m.seq RETURNING 1) "
        "SELECT m.id, m.seq, EXISTS (SELECT 1 FROM r) FROM m"
    )


def message_store(
    *, conversation, member_id: int, author, body: str, body_html: str, client_id, reply_to, moment
):
    """The next ``seq`` (the conversation row locked until the transaction ends), the
    message row, and the author's read mark raised to it: ``(message, read mark moved)``,
    with ``conversation.last_seq`` / ``last_message_at`` set. One statement on
    PostgreSQL; ``next_seq``, ``message_insert`` and ``read_mark_raise`` elsewhere."""
    if connection.vendor != "postgresql":
        conversation.last_seq = next_seq(conversation_pk=conversation.pk, moment=moment)
        conversation.last_message_at = moment
        message = message_insert(
            conversation=conversation,
            seq=conversation.last_seq,
            author=author,
            body=body,
            body_html=body_html,
            client_id=client_id,
            reply_to=reply_to,
            moment=moment,
        )
        return message, read_mark_raise(member_id=member_id, seq=message.seq, moment=moment)
    at = connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(
            _store(connection.vendor),
            [
                at,
                conversation.pk,
                conversation.pk,
                author.pk,
                body,
                body_html,
                Message._meta.get_field("client_id").get_db_prep_value(client_id, connection),
                reply_to.pk if reply_to is not None else None,
                at,
                at,
                member_id,
            ],
        )
        pk, seq, moved = cursor.fetchone()
    conversation.last_seq, conversation.last_message_at = seq, moment
    message = _saved(pk, conversation, seq, author, body, body_html, client_id, reply_to, moment)
    return message, moved
