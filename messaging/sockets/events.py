"""After-commit fan-out through the channel layer (the doorbell, never the record).

Services call these inside their transaction; the send happens only once the
data is durable (``transaction.on_commit``), like Zulip's
``send_event_on_commit``. A lost send costs nothing but latency: clients
resume from the database with the last ``seq`` they saw.

Channel-layer event types (handled in ``messaging.sockets.consumers``):

- ``chat.frame``: ``{"frame": {...}, "skip_channel": "<channel name>"|None}``
  sent to ``conversation.<id>``; the consumer forwards ``frame`` as is.
- ``chat.frames``: the same with ``"frames": [...]``, forwarded in order (a new
  message and the author's read mark: one fan-out instead of two).
- ``conversation.joined`` / ``conversation.left``: ``{"conversation": id}`` sent
  to ``user.<id>``; the consumer subscribes or unsubscribes its socket.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("messaging.sockets.events")


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def user_group(user_id: int) -> str:
    """Same name as ``messaging.sockets.consumers.user_group`` (every socket of one user)."""
    return f"user.{user_id}"


def _send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # Sync code on a thread that runs an event loop (a script or test driving
        # one) cannot block on the layer; the row is committed, clients resume.
        logger.warning("channel-layer send to %s skipped: called on an event-loop thread", group)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # the layer is down: clients catch up on resume
        logger.exception("channel-layer send to %s failed", group)


def send_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send_now(group, event))


def _send_many_now(sends: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        logger.warning("%d channel-layer sends skipped: called on an event-loop thread", len(sends))
        return

    async def send_all():
        for group, event in sends:
            await layer.group_send(group, event)

    try:
        async_to_sync(send_all)()
    except Exception:  # the layer is down: clients catch up on resume / the bell's next poll
        logger.exception("%d channel-layer sends failed", len(sends))


def send_many_on_commit(sends: list[tuple[str, dict]]) -> None:
    """Many wake-ups after commit in one trip to the event loop (bulk notifications)."""
    sends = list(sends)
    transaction.on_commit(lambda: _send_many_now(sends))


def frame_to_conversation_on_commit(conversation_id: int, frame: dict, *, skip_channel=None) -> None:
    send_on_commit(
        conversation_group(conversation_id),
        {"type": "chat.frame", "frame": frame, "skip_channel": skip_channel},
    )


async def frame_to_conversation(conversation_id: int, frame: dict, *, skip_channel=None) -> None:
    """For ephemeral frames (typing, presence) that have nothing to commit."""
    layer = get_channel_layer()
    await layer.group_send(
        conversation_group(conversation_id),
        {"type": "chat.frame", "frame": frame, "skip_channel": skip_channel},
    )


def membership_changed_on_commit(*, user_id: int, conversation_id: int, joined: bool) -> None:
    send_on_commit(
        user_group(user_id),
        {"type": "conversation.joined" if joined else "conversation.left", "conversation": conversation_id},
    )


# --- frames (the wire format, documented in docs/api.md) ----------------------


def message_data(message) -> dict:
    """A message as every client sees it (socket frames and REST share it).

    Needs ``author`` and ``reply_to`` loaded (``selectors.MESSAGE_JOINS``)."""
    author = message.author
    return {
        "conversation": message.conversation_id,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": {"id": author.pk, "name": author.display_name} if author else None,
        "body": message.body,
        "body_html": message.body_html,
        "reply_to": message.reply_to.seq if message.reply_to_id else None,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted_at": message.deleted_at.isoformat() if message.deleted_at else None,
    }


def message_new(message, *, read_by: int | None = None) -> None:
    """``message.new`` to the conversation; with ``read_by`` (the author, whose
    read mark moved to this message) the ``read.updated`` rides in the same
    channel-layer event (``chat.frames``): one fan-out per message, not two."""
    frame = {"type": "message.new", "message": message_data(message)}
    if read_by is None:
        frame_to_conversation_on_commit(message.conversation_id, frame)
        return
    read = {
        "type": "read.updated",
        "conversation": message.conversation_id,
        "user": read_by,
        "last_read_seq": message.seq,
    }
    send_on_commit(
        conversation_group(message.conversation_id),
        {"type": "chat.frames", "frames": [frame, read], "skip_channel": None},
    )


def message_updated(message) -> None:
    frame_to_conversation_on_commit(
        message.conversation_id, {"type": "message.updated", "message": message_data(message)}
    )


def message_deleted(message) -> None:
    frame_to_conversation_on_commit(
        message.conversation_id,
        {
            "type": "message.deleted",
            "conversation": message.conversation_id,
            "seq": message.seq,
            "deleted_at": message.deleted_at.isoformat(),
        },
    )


def read_updated(*, conversation_id: int, user_id: int, last_read_seq: int) -> None:
    frame_to_conversation_on_commit(
        conversation_id,
        {
            "type": "read.updated",
            "conversation": conversation_id,
            "user": user_id,
            "last_read_seq": last_read_seq,
        },
    )


def question_progress(question) -> None:
    """After commit, ``{"type": "question.progress", ...routing_progress}`` to every
    socket of the asker (a ``chat.frame`` on their user group: forwarded as is).
    The progress is read after commit, so it shows the committed state."""
    question_id, author_id = question.pk, question.author_id

    def send():
        from messaging.models import Question
        from messaging.routing.engine import routing_progress

        current = Question.objects.filter(pk=question_id).first()
        if current is None:
            return
        frame = {"type": "question.progress", **routing_progress(current)}
        _send_now(user_group(author_id), {"type": "chat.frame", "frame": frame, "skip_channel": None})

    transaction.on_commit(send, robust=True)  # a failed doorbell must not fail the caller
