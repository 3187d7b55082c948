"""Chat frames on the channel layer, after commit (the doorbell, never the record).

The group names and the sends are ``core.realtime``'s; this module only builds the
chat's channel-layer events. Services call these inside their transaction; the send
happens only once the data is durable. A lost send costs nothing but latency:
clients resume from the database with the last ``seq`` they saw.

Channel-layer event types (handled in ``messaging.sockets.consumers``):

- ``chat.frame``: ``{"conversation": id, "text": "<the frame as JSON>", "skip_channel":
  "<channel name>"|None}`` sent to ``conversation.<id>``. The frame is encoded once
  here, not once per socket: the consumer checks the socket is in that conversation
  (its own set, no query) and sends the text as is. (``"frame": {...}`` instead of
  ``text`` is still forwarded, encoded by the consumer: events from a process of the
  previous version during a deploy, and the asker's ``question.progress``.)
- ``chat.frames``: the same with ``"texts": [...]``, forwarded in order (a new
  message and the author's read mark: one fan-out instead of two).
- ``conversation.joined`` / ``conversation.left``: ``{"conversation": id}`` sent
  to ``user.<id>``; the consumer subscribes or unsubscribes its socket.
"""

import json

from core import realtime


def encode(frame: dict) -> str:
    """A frame as the socket sends it (``AsyncJsonWebsocketConsumer.send_json``'s encoding)."""
    return json.dumps(frame)


def _chat_frame(conversation_id: int, frame: dict, skip_channel=None) -> dict:
    return {
        "type": "chat.frame",
        "conversation": conversation_id,
        "text": encode(frame),
        "skip_channel": skip_channel,
    }


def frame_to_conversation_on_commit(conversation_id: int, frame: dict, *, skip_channel=None) -> None:
    realtime.send_on_commit(
        realtime.conversation_group(conversation_id), _chat_frame(conversation_id, frame, skip_channel)
    )


async def frame_to_conversation(conversation_id: int, frame: dict, *, skip_channel=None) -> None:
    """For ephemeral frames (typing, presence) that have nothing to commit."""
    await realtime.send_async(
        realtime.conversation_group(conversation_id), _chat_frame(conversation_id, frame, skip_channel)
    )


def membership_changed_on_commit(*, user_id: int, conversation_id: int, joined: bool) -> None:
    realtime.send_on_commit(
        realtime.user_group(user_id),
        {"type": "conversation.joined" if joined else "conversation.left", "conversation": conversation_id},
    )


# --- frames (the wire format, documented in docs/messaging.md) ----------------------


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
    realtime.send_on_commit(
        realtime.conversation_group(message.conversation_id),
        {
            "type": "chat.frames",
            "conversation": message.conversation_id,
            "texts": [encode(frame), encode(read)],
            "skip_channel": None,
        },
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
