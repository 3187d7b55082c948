"""The one WebSocket per browser tab, at /ws/ (protocol: docs/messaging.md).

Authenticated from the Django session (close code 4401 otherwise, 4428 while the workspace
requires MFA the person has not set up); the origin is checked (scheme, host and port) by
core.ws_origin in mentoring/config/asgi.py. Bad frames get an error frame, the socket stays open.
"""

import asyncio
import logging
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connection as db_connection
from django.utils.dateparse import parse_datetime
from uvicorn.protocols.utils import ClientDisconnected

from accounts.mfa_policy import mfa_missing_for
from core import clock
from core.errors import DomainError
from core.realtime import conversation_group, user_group
from messaging.chat import selectors, services
from messaging.qa import selectors as questions
from messaging.routing import replies as routing
from messaging.sockets import presence
from messaging.sockets.events import frame_to_conversation, message_data
from messaging.sockets.frames import BadFrame, parse_frame

logger = logging.getLogger("messaging.sockets.consumers")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_SESSION_ENDED = 4403
CLOSE_MFA_REQUIRED = 4428  # the workspace requires two-factor authentication, not set up yet
RESUME_BATCH = 100  # messages replayed per conversation per resume frame
# resume is the costliest frame (queries per conversation): bounded per frame and per socket
RESUME_MAX_CONVERSATIONS = 20
RESUME_PER_MINUTE = 60
TYPING_MIN_INTERVAL = 2.0  # seconds; faster typing frames are dropped silently
# answer.typing: distinct questions per socket within TYPING_MIN_INTERVAL (bounds
# the memory and the database reads one socket can cause)
ANSWER_TYPING_MAX_QUESTIONS = 16


def answer_typing(*, user, question_id) -> bool:
    """Sync (a worker thread): the same NotFound for a question that does not exist
    and one the user may not read; then the routing marks the typing (it counts
    only for people the question was routed to) and tells the asker."""
    question = questions.access_question(user, question_id)
    return routing.answer_typing(user, question.pk)


PRESENCE_SUMMARIES: set[asyncio.Task] = set()  # pending presence.summary sends of this process


async def send_presence_summary(conversation_id: int) -> None:
    """After ``PRESENCE_SUMMARY_SECONDS``: who of the conversation is online or away,
    as one frame to all of it (``presence.summary_frame`` releases the claim first)."""
    await asyncio.sleep(settings.PRESENCE_SUMMARY_SECONDS)
    try:
        user_ids = await database_sync_to_async(selectors.member_user_ids)(conversation_id)
        frame = await database_sync_to_async(presence.summary_frame)(conversation_id, user_ids)
        await frame_to_conversation(conversation_id, frame)
    except Exception:  # the next change claims a new summary; resume.done has everyone's state
        logger.warning("presence summary for conversation %s not sent", conversation_id, exc_info=True)


def _released(service, kwargs):
    """Run ``service`` in a worker thread and give its pooled connection back when done
    (``database_sync_to_async``'s own cleanup left it open: test_pool_release.py)."""
    try:
        return service(**kwargs)
    finally:
        db_connection.close()


def _sizes_unless_mfa_missing(user) -> dict[int, int] | None:
    """The person's conversations and their sizes, or None when the workspace's policy
    requires MFA of them and they have not set it up (one hop to the database at connect)."""
    if mfa_missing_for(user):
        return None
    return selectors.conversation_sizes_for(user)


class TandemConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accept first: a close before the handshake reaches a browser as a bare
            # HTTP 403 (close code 1006); after it, the client sees 4401 and knows to log in.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        sizes = await database_sync_to_async(_sizes_unless_mfa_missing)(user)
        if sizes is None:
            await self.accept()
            await self.close(code=CLOSE_MFA_REQUIRED)
            return
        self.user = user
        self.conversation_sizes = sizes
        self.conversation_ids = set(self.conversation_sizes)
        self.typing_sent_at: dict[int, float] = {}
        self.resumes_at: deque[float] = deque(maxlen=RESUME_PER_MINUTE)
        self.answer_typing_sent_at: dict[int, float] = {}
        self.groups_joined = [user_group(user.id)] + [
            conversation_group(c) for c in sorted(self.conversation_ids)
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.id})
        await self.presence_set(presence.ONLINE)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.leave_presence()

    async def leave_presence(self):
        """This socket is gone: drop it from the person's presence (once)."""
        if not hasattr(self, "user") or getattr(self, "presence_left", False):
            return
        self.presence_left = True
        before, after = await database_sync_to_async(presence.socket_gone)(self.user.id, self.channel_name)
        if before != after:
            await self.broadcast_presence()

    async def __call__(self, scope, receive, send):
        """If the consumer dies (an error in a handler or in the channel layer's
        receive), ``disconnect`` never runs: still take the socket out of presence,
        or the person would read as online until the entry's TTL ran out."""
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnected:
            # the server closed this socket (SIGTERM: 1012 already sent) while a frame was
            # still on its way out; the client reconnects and resumes, nothing to report
            pass
        finally:
            try:
                await self.leave_presence()
            except Exception:  # the layer or cache is down too: the TTL expires it
                logger.warning("presence not cleared for a dead socket", exc_info=True)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if bytes_data is not None or text_data is None:
            await self.send_error("bad_frame", "Frames must be JSON text, not binary.")
            return
        try:
            content = parse_frame(text_data)
        except BadFrame as bad:
            extra = {"fields": bad.fields} if bad.fields else {}
            await self.send_error(bad.code, bad.reason, ref=bad.ref, **extra)
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        frame_type = content["type"]
        handler = self.HANDLERS.get(frame_type)
        if handler is None:
            await self.send_error(
                "unknown_type", f"Unknown frame type {frame_type!r}.", ref=content.get("ref")
            )
            return
        try:
            await handler(self, content)
        except ClientDisconnected:
            raise  # the socket is gone (server shutdown): ``__call__`` ends the consumer quietly
        except Exception:  # a bug must not end the socket: the client gets an error frame
            logger.exception("socket frame %r failed", frame_type)
            await self.send_error(
                "server_error", "The server could not handle this frame.", ref=content.get("ref")
            )

    async def handle_ping(self, content):
        await self.send_json({"type": "pong", "ref": content.get("ref")})

    # --- chat (docs/messaging.md) -----------------------------------------------------
    async def handle_message_send(self, content):
        ref = content.get("ref")
        if not await self.require(content, "conversation", "client_id", "body"):
            return
        message = await self.call(
            content,
            services.message_send,
            conversation_id=content["conversation"],
            author=self.user,
            client_id=content["client_id"],
            body=content["body"],
            reply_to_seq=content.get("reply_to"),
            echo=("conversation", "client_id"),
        )
        if message is None:
            return
        await self.send_json(
            {
                "type": "message.ack",
                "ref": ref,
                "conversation": message.conversation_id,
                "client_id": str(message.client_id),
                "seq": message.seq,
                "created": message.created,
                "message": message_data(message),
            }
        )

    async def handle_message_edit(self, content):
        if not await self.require(content, "conversation", "seq", "body"):
            return
        done = await self.call(
            content,
            services.message_edit,
            conversation_id=content["conversation"],
            seq=content["seq"],
            actor=self.user,
            body=content["body"],
            echo=("conversation", "seq"),
        )
        if done is not None:
            await self.send_ok(content)

    async def handle_message_delete(self, content):
        if not await self.require(content, "conversation", "seq"):
            return
        done = await self.call(
            content,
            services.message_delete,
            conversation_id=content["conversation"],
            seq=content["seq"],
            actor=self.user,
            echo=("conversation", "seq"),
        )
        if done is not None:
            await self.send_ok(content)

    async def handle_read_update(self, content):
        if not await self.require(content, "conversation", "last_read_seq"):
            return
        stored = await self.call(
            content,
            services.read_update,
            conversation_id=content["conversation"],
            user=self.user,
            last_read_seq=content["last_read_seq"],
            echo=("conversation",),
        )
        if stored is not None:
            await self.send_ok(content, last_read_seq=stored)

    async def handle_typing(self, content):
        if not await self.require(content, "conversation"):
            return
        conversation_id = content["conversation"]
        if isinstance(conversation_id, bool) or conversation_id not in self.conversation_ids:
            await self.send_error(
                "not_found", "No such conversation.", ref=content.get("ref"), conversation=conversation_id
            )
            return
        now = time.monotonic()
        if now - self.typing_sent_at.get(conversation_id, -TYPING_MIN_INTERVAL) < TYPING_MIN_INTERVAL:
            return
        self.typing_sent_at[conversation_id] = now
        await frame_to_conversation(
            conversation_id,
            {
                "type": "typing",
                "conversation": conversation_id,
                "user": self.user.id,
                "name": self.user.display_name,
            },
            skip_channel=self.channel_name,
        )

    async def handle_resume(self, content):
        ref = content.get("ref")
        if not await self.require(content, "conversations"):
            return
        wanted = content["conversations"]
        if not isinstance(wanted, dict) or not all(
            isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 for seq in wanted.values()
        ):
            await self.send_error(
                "invalid_field",
                'conversations must map conversation ids to the last seq seen, e.g. {"12": 40}.',
                ref=ref,
                fields={"conversations": ['Send {"<conversation id>": <last seq seen, 0 for none>}.']},
            )
            return
        if len(wanted) > RESUME_MAX_CONVERSATIONS:
            await self.send_error(
                "too_many_conversations",
                f"resume takes at most {RESUME_MAX_CONVERSATIONS} conversations per frame; send several.",
                ref=ref,
                fields={"conversations": [f"Name at most {RESUME_MAX_CONVERSATIONS} conversations."]},
            )
            return
        now = time.monotonic()
        if len(self.resumes_at) == RESUME_PER_MINUTE and now - self.resumes_at[0] < 60:
            retry_after = max(1, int(60 - (now - self.resumes_at[0])) + 1)
            await self.send_error(
                "rate_limited",
                f"At most {RESUME_PER_MINUTE} resume frames a minute; try again in {retry_after} s.",
                ref=ref,
                retry_after=retry_after,
            )
            return
        self.resumes_at.append(now)
        since = None
        if content.get("since") is not None:
            since = parse_datetime(content["since"]) if isinstance(content["since"], str) else None
            if since is None or since.tzinfo is None:
                await self.send_error(
                    "invalid_field",
                    "since must be an ISO 8601 time with a zone, as sent in resume.done.",
                    ref=ref,
                    fields={"since": ["Send the server_time of the last resume.done, or leave it out."]},
                )
                return
        server_time = clock.now()
        batches = await database_sync_to_async(self.resume_batches)(wanted, since)
        state = {}
        for conversation_id, outcome in batches:
            if isinstance(outcome, DomainError):
                await self.send_error(outcome.code, outcome.message, ref=ref, conversation=conversation_id)
                continue
            for message in outcome["changed"]:
                if message["deleted_at"]:
                    frame = {
                        "type": "message.deleted",
                        "conversation": message["conversation"],
                        "seq": message["seq"],
                        "deleted_at": message["deleted_at"],
                    }
                else:
                    frame = {"type": "message.updated", "message": message}
                await self.send_json({**frame, "replay": True})
            for message in outcome["messages"]:
                await self.send_json({"type": "message.new", "message": message, "replay": True})
            if outcome["has_more"]:
                await self.send_json(
                    {
                        "type": "resume.more",
                        "ref": ref,
                        "conversation": conversation_id,
                        "after": outcome["messages"][-1]["seq"],
                    }
                )
            state[str(conversation_id)] = {"last_seq": outcome["last_seq"], "read": outcome["read"]}
        user_ids = {int(user_id) for entry in state.values() for user_id in entry["read"]}
        people = await database_sync_to_async(presence.presence_of)(sorted(user_ids))
        await self.send_json(
            {
                "type": "resume.done",
                "ref": ref,
                "conversations": state,
                "presence": {str(user_id): info for user_id, info in people.items()},
                "server_time": server_time.isoformat(),
            }
        )

    def resume_batches(self, wanted: dict, since) -> list:
        """Sync (runs in a worker thread): per conversation, from the database, the
        messages after ``last_seq`` and (with ``since``) the earlier ones edited or
        deleted since then."""
        out = []
        for key, last_seq in wanted.items():
            try:
                conversation = selectors.access_conversation(self.user, key)
                page = selectors.history(conversation, after=last_seq, limit=RESUME_BATCH)
                changed = (
                    selectors.changed_since(conversation, up_to_seq=last_seq, since=since, limit=RESUME_BATCH)
                    if since is not None
                    else []
                )
                read = {
                    str(member.user_id): getattr(getattr(member, "read_state", None), "last_read_seq", 0)
                    for member in selectors.conversation_members(conversation)
                }
            except DomainError as error:
                out.append((key, error))
                continue
            out.append(
                (
                    conversation.pk,
                    {
                        "messages": [message_data(message) for message in page.messages],
                        "changed": [message_data(message) for message in changed],
                        "has_more": page.has_more,
                        "last_seq": conversation.last_seq,
                        "read": read,
                    },
                )
            )
        return out

    async def handle_presence_heartbeat(self, content):
        state = content.get("state", presence.ONLINE)
        if state not in presence.CLIENT_STATES:
            await self.send_error(
                "invalid_field",
                'state must be "online" or "away".',
                ref=content.get("ref"),
                fields={"state": ['Send "online" or "away".']},
            )
            return
        await self.presence_set(state)
        # Re-join this socket's groups (idempotent): after a short Redis blip the
        # layer may have come back empty while this socket stayed open; without
        # this it would get no live frames until it reconnects.
        for group in list(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)

    # --- ask the network: the asker watches routed candidates type -----------------
    async def handle_answer_typing(self, content):
        """``{"type": "answer.typing", "question": id}`` from the answer box of a
        question: marks the person as typing an answer (a short TTL in the cache)
        and pushes ``question.progress`` to the asker (``routing.answer_typing``).
        Throttled per question; nothing is sent back on success."""
        if not await self.require(content, "question"):
            return
        question_id = content["question"]
        if isinstance(question_id, bool) or not isinstance(question_id, int) or question_id < 1:
            await self.send_error(
                "invalid_field",
                "question must be the id of a question (a positive integer).",
                ref=content.get("ref"),
                question=question_id,
                fields={"question": ["Send the question's id as a number."]},
            )
            return
        now = time.monotonic()
        recent = self.answer_typing_sent_at
        if now - recent.get(question_id, -TYPING_MIN_INTERVAL) < TYPING_MIN_INTERVAL:
            return
        if len(recent) >= ANSWER_TYPING_MAX_QUESTIONS:
            for stale in [qid for qid, at in recent.items() if now - at >= TYPING_MIN_INTERVAL]:
                del recent[stale]
            if len(recent) >= ANSWER_TYPING_MAX_QUESTIONS:
                return  # a flood over many questions: dropped like any too-fast typing frame
        recent[question_id] = now
        await self.call(content, answer_typing, user=self.user, question_id=question_id, echo=("question",))

    HANDLERS = {
        "ping": handle_ping,
        "message.send": handle_message_send,
        "message.edit": handle_message_edit,
        "message.delete": handle_message_delete,
        "read.update": handle_read_update,
        "typing": handle_typing,
        "resume": handle_resume,
        "presence.heartbeat": handle_presence_heartbeat,
        "answer.typing": handle_answer_typing,
    }

    # --- one error path: domain errors become error frames ---------------------
    async def require(self, content, *names) -> bool:
        missing = [name for name in names if content.get(name) is None]
        if missing:
            await self.send_error(
                "missing_field",
                f"{content['type']} needs: {', '.join(missing)}.",
                ref=content.get("ref"),
                fields={name: ["This field is required."] for name in missing},
            )
            return False
        return True

    async def call(self, content, service, *, echo=(), **kwargs):
        """Run a service in a worker thread; a DomainError becomes an error frame
        (echoing ``echo`` fields of the request so the client can match it) and None.
        Not on the one thread-sensitive sync thread: a service is a whole unit of work
        (its transaction, its pooled connection), so sends of different sockets overlap
        their database waits (decision 0010)."""
        try:
            return await database_sync_to_async(_released, thread_sensitive=False)(service, kwargs)
        except DomainError as error:
            extra = {name: content.get(name) for name in echo}
            if error.fields:
                extra["fields"] = error.fields
            if isinstance(error, services.RateLimited):
                extra["retry_after"] = error.retry_after
            await self.send_error(error.code, error.message, ref=content.get("ref"), **extra)
            return None

    async def send_ok(self, content, **extra):
        await self.send_json({"type": "ok", "ref": content.get("ref"), "request": content["type"], **extra})

    # --- presence --------------------------------------------------------------
    async def presence_set(self, state: str):
        before, after = await database_sync_to_async(presence.heartbeat)(
            self.user.id, self.channel_name, state
        )
        if before != after:
            await self.broadcast_presence()

    async def broadcast_presence(self):
        """This person's state changed: a ``presence`` frame to each small
        conversation; a large one gets the next coalesced ``presence.summary``
        (claimed once across processes, so N people connecting are not N² frames)."""
        direct, coalesced = [], []
        for conversation_id in sorted(self.conversation_ids):
            size = self.conversation_sizes.get(conversation_id, 0)
            (direct if presence.direct_fan_out(size) else coalesced).append(conversation_id)
        if direct:
            info = (await database_sync_to_async(presence.presence_of)([self.user.id]))[self.user.id]
            frame = presence.presence_frame(self.user.id, info)
            for conversation_id in direct:
                await frame_to_conversation(conversation_id, frame, skip_channel=self.channel_name)
        for conversation_id in coalesced:
            if await database_sync_to_async(presence.claim_summary)(conversation_id):
                task = asyncio.get_running_loop().create_task(send_presence_summary(conversation_id))
                PRESENCE_SUMMARIES.add(task)  # the summary outlives this socket
                task.add_done_callback(PRESENCE_SUMMARIES.discard)

    async def send_error(self, code: str, reason: str, *, ref=None, **extra):
        frame = {"type": "error", "code": code, "reason": reason}
        if ref is not None:
            frame["ref"] = ref
        frame.update(extra)
        await self.send_json(frame)

    # --- channel-layer events (doorbells) -------------------------------------
    # Forwarding events and client frames skip Channels' hop to the one sync thread for
    # close_old_connections before every event (200 hops per message in a 200-member
    # chat; bench/ws_fanout.py: −40 % CPU): all database work here goes through
    # database_sync_to_async, which cleans connections up itself (decision 0005).
    FORWARD_ONLY_EVENTS = frozenset({"chat.frame", "chat.frames", "notification.new", "notification.count"})
    NO_CONNECTION_CLEANUP = FORWARD_ONLY_EVENTS | {"websocket.receive"}

    async def dispatch(self, message):
        if message.get("type") in self.NO_CONNECTION_CLEANUP:
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)

    async def session_revoked(self, event):
        """``accounts.services.sessions.sessions_end``: close this socket unless it
        belongs to the session that was kept (the browser that changed the password)."""
        session = self.scope.get("session")
        if event.get("keep") and getattr(session, "session_key", None) == event["keep"]:
            return
        await self.close(code=CLOSE_SESSION_ENDED)

    async def mfa_required(self, event):
        """``accounts.services.security``: the workspace now requires MFA of this person."""
        await self.close(code=CLOSE_MFA_REQUIRED)

    def sees(self, event) -> bool:
        """Not the sender's own (``skip_channel``), and a conversation of this socket (its
        set, kept by connect and ``conversation.joined`` / ``.left``): no query."""
        conversation_id = event.get("conversation")
        if event.get("skip_channel") == self.channel_name:
            return False
        return conversation_id is None or conversation_id in self.conversation_ids

    async def chat_frames(self, event):
        """``chat.frame`` (``text``) and ``chat.frames`` (``texts``, in order: a new message
        and its author's read mark) for a conversation, encoded once by the sender
        (``messaging.sockets.events``): sent as is. ``frame`` / ``frames`` are encoded here."""
        if not self.sees(event):
            return
        texts = event.get("texts") or ([event["text"]] if "text" in event else None)
        if texts is None:
            frames = event["frames"] if "frames" in event else [event["frame"]]
            texts = [await self.encode_json(frame) for frame in frames]
        for text in texts:
            await self.send(text_data=text)

    chat_frame = chat_frames

    async def conversation_joined(self, event):
        """The user became a member while connected: subscribe this socket too."""
        conversation_id = event["conversation"]
        group = conversation_group(conversation_id)
        await self.channel_layer.group_add(group, self.channel_name)
        if group not in self.groups_joined:
            self.groups_joined.append(group)
        self.conversation_ids.add(conversation_id)
        self.conversation_sizes[conversation_id] = await database_sync_to_async(selectors.conversation_size)(
            conversation_id
        )
        await self.send_json({"type": "conversation.joined", "conversation": conversation_id})

    async def conversation_left(self, event):
        conversation_id = event["conversation"]
        group = conversation_group(conversation_id)
        await self.channel_layer.group_discard(group, self.channel_name)
        if group in self.groups_joined:
            self.groups_joined.remove(group)
        self.conversation_ids.discard(conversation_id)
        self.conversation_sizes.pop(conversation_id, None)
        await self.send_json({"type": "conversation.left", "conversation": conversation_id})

    async def notification_new(self, event):
        """A notification for this user was stored (``messaging.notifications.notify``)."""
        await self.send_json(event["frame"])

    async def notification_count(self, event):
        """The user marked notifications read (maybe in another tab): the new count."""
        await self.send_json(event["frame"])
