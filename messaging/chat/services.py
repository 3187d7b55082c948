"""Writes for messaging: conversations, messages, read state.

Every service takes keyword-only arguments, owns its transaction, raises
``core.errors`` (with the field and the fix), and fans out over the channel
layer only after commit (``messaging.sockets.events`` on ``core.realtime``). The
database is the record.

Locking: ``message_send`` locks the conversation row to hand out the next
``seq``; ``conversation_for_engagement`` locks the engagement row so two first
visits create one conversation.
"""

import logging
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from core import clock
from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.markdown import render_markdown
from core.throttling import count_in_window
from mentoring.engagements.selectors import access_engagement
from mentoring.engagements.services.engagements import engagement_touch
from mentoring.models import Engagement, Participant
from messaging.chat import activity, send_sql
from messaging.chat.selectors import MESSAGE_JOINS, access_conversation
from messaging.models import (
    MAX_BODY_CHARS,
    Conversation,
    ConversationMember,
    Message,
    MessageMention,
    ReadState,
)
from messaging.notifications.notify import notify_mentions
from messaging.sockets import events
from messaging.sockets.presence import CACHE_ERRORS

logger = logging.getLogger("messaging.chat.services")

# Sends per user per window; override with TANDEM_MESSAGE_RATE = (count, seconds).
DEFAULT_MESSAGE_RATE = (20, 10)
# Engagement states in which the chat still takes messages (read-only afterwards).
OPEN_ENGAGEMENT_STATES = (Engagement.State.ACTIVE, Engagement.State.WRAPPING_UP)


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


# --- conversations and members -------------------------------------------------


def conversation_for_engagement(*, engagement: Engagement) -> Conversation:
    """The engagement's conversation, created on first use, with its members
    brought in line with the active participants. Who may call: code that has
    already checked the caller may see the engagement (``access_engagement``).
    Locks the engagement row so concurrent first visits create one conversation."""
    with transaction.atomic():
        Engagement.objects.select_for_update().filter(pk=engagement.pk).first()
        conversation, _ = Conversation.objects.get_or_create(
            engagement=engagement,
            defaults={"organization_id": engagement.organization_id, "kind": Conversation.Kind.ENGAGEMENT},
        )
        _sync_members(conversation, engagement)
    return conversation


def engagement_chat_open(*, user, engagement_id) -> Conversation:
    """A current participant opens the chat of their engagement: created if it has
    none yet (older engagements), members brought in line. Anyone else, a former
    participant or a talent manager of the workspace included, gets NotFound."""
    engagement = access_engagement(user, engagement_id)
    if not any(p.user_id == user.pk and p.left_at is None for p in engagement.participants.all()):
        raise NotFound("No such engagement.")
    return conversation_for_engagement(engagement=engagement)


def conversation_sync_members(*, engagement_id: int) -> Conversation | None:
    """Bring an engagement's conversation members in line with its active
    participants (joins and leaves). The engagement services call this after a
    participant joins or leaves; idempotent. None if no conversation exists yet
    (it is created with the right members on first use)."""
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().filter(pk=engagement_id).first()
        if engagement is None:
            return None
        conversation = Conversation.objects.filter(engagement=engagement).first()
        if conversation is not None:
            _sync_members(conversation, engagement)
    return conversation


def _sync_members(conversation: Conversation, engagement: Engagement) -> None:
    wanted = set(
        Participant.objects.filter(engagement=engagement, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    existing = {
        member.user_id: member for member in ConversationMember.objects.filter(conversation=conversation)
    }
    moment = clock.now()
    for user_id in wanted:
        member = existing.get(user_id)
        if member is None:
            member = ConversationMember.objects.create(
                conversation=conversation, user_id=user_id, joined_at=moment
            )
            ReadState.objects.create(member=member, conversation=conversation, last_read_seq=0)
        elif member.left_at is not None:
            member.left_at = None
            member.joined_at = moment
            member.save(update_fields=["left_at", "joined_at"])
        else:
            continue
        events.membership_changed_on_commit(user_id=user_id, conversation_id=conversation.pk, joined=True)
    for user_id, member in existing.items():
        if user_id not in wanted and member.left_at is None:
            member.left_at = moment
            member.save(update_fields=["left_at"])
            events.membership_changed_on_commit(
                user_id=user_id, conversation_id=conversation.pk, joined=False
            )


# --- validation ------------------------------------------------------------------


def _clean_client_id(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise ValidationFailed(
            "client_id must be a UUID.",
            fields={"client_id": ["Send a UUID (crypto.randomUUID()), the same one on every retry."]},
            code="invalid_client_id",
        ) from None


def _clean_body(value) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(
            "body must be text.", fields={"body": ["Send the message as text."]}, code="invalid"
        )
    if not value.strip():
        raise ValidationFailed(
            "The message is empty.", fields={"body": ["Write something first."]}, code="empty_body"
        )
    if len(value) > MAX_BODY_CHARS:
        raise ValidationFailed(
            f"The message is longer than {MAX_BODY_CHARS:,} characters.",
            fields={
                "body": [f"Shorten it to {MAX_BODY_CHARS:,} characters ({len(value):,} now) or split it."]
            },
            code="body_too_long",
        )
    return value


def _check_rate(user) -> None:
    """A fixed window per user in the shared cache (every process sees it).

    If the cache is unreachable (a Redis outage) the limit is not enforced and a
    warning is logged: the message is still stored — the database is the record,
    and a chat must not stop working, over REST or the socket, while Redis
    restarts."""
    count, seconds = getattr(settings, "TANDEM_MESSAGE_RATE", DEFAULT_MESSAGE_RATE)
    try:
        sent, left = count_in_window(f"messaging:rate:{user.pk}", seconds)
    except CACHE_ERRORS:
        logger.warning("message rate limit not checked: the cache is unreachable", exc_info=True)
        return
    if sent > count:
        retry_after = max(1, int(left) + 1)
        raise RateLimited(
            f"You are sending too fast ({count} messages per {seconds} seconds). "
            f"Try again in {retry_after} s.",
            retry_after=retry_after,
        )


def _check_open(conversation: Conversation) -> None:
    if conversation.engagement_id and conversation.engagement.state not in OPEN_ENGAGEMENT_STATES:
        raise Conflict("This engagement has ended; its chat is read-only.", code="conversation_closed")


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+(?:[ ][\w.+-]+)?)")


def _mentioned_user_ids(conversation: Conversation, body: str, *, author_id: int) -> set[int]:
    """Members named as @Full Name, @First (when unique) or @email-local-part."""
    candidates = {match.lower().rstrip(".") for match in MENTION.findall(body)}
    if not candidates:
        return set()
    # "@Ana Mentor" and "@Ana, thanks": try the one-word prefix of each match too.
    candidates |= {c.split(" ")[0] for c in candidates}
    members = ConversationMember.objects.filter(
        conversation=conversation, left_at__isnull=True
    ).select_related("user")
    first_names: dict[str, list[int]] = {}
    found = set()
    for member in members:
        user = member.user
        full = (user.full_name or "").strip().lower()
        local = user.email.split("@")[0].lower()
        if (full and full in candidates) or local in candidates:
            found.add(user.pk)
        if full:
            first_names.setdefault(full.split(" ")[0], []).append(user.pk)
    for name, ids in first_names.items():
        if name in candidates and len(ids) == 1:
            found.add(ids[0])
    found.discard(author_id)
    return found


def _record_mentions(message: Message) -> set[int]:
    """Store who ``message`` @mentions; returns their ids (no query when the body
    names nobody)."""
    ids = _mentioned_user_ids(message.conversation, message.body, author_id=message.author_id)
    if ids:
        MessageMention.objects.bulk_create(
            [MessageMention(message=message, user_id=user_id) for user_id in sorted(ids)],
            ignore_conflicts=True,
        )
    return ids


# A busy chat touches its engagement's last_activity_at at most this often (an
# UPDATE per message otherwise); readers only ask "ever active?" and "how long ago?".
ENGAGEMENT_TOUCH_EVERY = timedelta(minutes=1)


def _touch_engagement(conversation: Conversation, moment) -> None:
    if not conversation.engagement_id:
        return
    last = conversation.engagement.last_activity_at
    if clock.within(last, ENGAGEMENT_TOUCH_EVERY, at=moment):
        return
    engagement_touch(engagement=conversation.engagement, at=moment)


# --- messages ----------------------------------------------------------------------


def _existing(author, client_id: uuid.UUID, conversation_id: int) -> Message | None:
    message = (
        Message.objects.select_related(*MESSAGE_JOINS).filter(author=author, client_id=client_id).first()
    )
    if message is not None and message.conversation_id != conversation_id:
        raise Conflict(
            "This client_id was already used for a message in another conversation.",
            fields={"client_id": ["Generate a new UUID for a new message."]},
            code="client_id_reused",
        )
    return message


def _conversation_for_send(author, conversation_id, client_id: uuid.UUID):
    """``(conversation, whether its first reply is recorded, the author's member id, message
    already stored for client_id or None)`` in one indexed lookup on the hot path
    (``send_sql.conversation_for_send``: the membership check of ``access_conversation``
    with the idempotency lookup as a subquery). The full stored message is loaded only for
    a retry, and anything unusual (a malformed id, not a member) goes through
    ``access_conversation`` itself, so the NotFound answer is the same."""
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        pk = 0
    found = None
    if pk >= 1 and not isinstance(conversation_id, bool) and getattr(author, "is_authenticated", False):
        found = send_sql.conversation_for_send(author_id=author.pk, conversation_pk=pk, client_id=client_id)
    if found is None:
        conversation = access_conversation(author, conversation_id)  # NotFound, unless we raced a join
        member_id = (
            ConversationMember.objects.filter(conversation=conversation, user=author)
            .values_list("pk", flat=True)
            .first()
        )
        return conversation, False, member_id, _existing(author, client_id, conversation.pk)
    conversation, answered, member_id, stored_message_id = found
    if stored_message_id is None:
        return conversation, answered, member_id, None
    return conversation, answered, member_id, _existing(author, client_id, conversation.pk)


def message_send(*, conversation_id, author, client_id, body, reply_to_seq=None) -> Message:
    """Persist a message from ``author`` (a current member) and fan out
    ``message.new`` after commit.

    Idempotent on (author, client_id): a retry returns the same message (with
    ``created`` False) and sends nothing — also when two copies race, thanks to
    the unique constraint. Locks the conversation row to hand out the next gap-free
    ``seq``. Rate-limited per author (retries of a stored message are not counted).
    """
    client_id = _clean_client_id(client_id)
    body = _clean_body(body)
    conversation, answered, member_id, existing = _conversation_for_send(author, conversation_id, client_id)
    if existing is not None:
        existing.created = False
        return existing
    _check_open(conversation)
    _check_rate(author)
    try:
        with transaction.atomic():
            reply_to = None
            if reply_to_seq is not None:
                try:
                    reply_to = Message.objects.get(conversation=conversation, seq=int(reply_to_seq))
                except (TypeError, ValueError, Message.DoesNotExist):
                    raise ValidationFailed(
                        "The message you reply to is not in this conversation.",
                        fields={"reply_to": ["Reply to the seq of a message in this conversation."]},
                    ) from None
            moment = clock.now()
            # The next seq (the conversation row locked), the row, the author's read mark
            # (writing means having read everything up to here).
            message, moved = send_sql.message_store(
                conversation=conversation,
                member_id=member_id,
                author=author,
                body=body,
                body_html=render_markdown(body),
                client_id=client_id,
                reply_to=reply_to,
                moment=moment,
            )
            # The dashboard's rollup (counts and first reply only), in this transaction.
            activity.record_message(message, conversation, answered=answered)
            if _record_mentions(message):
                notify_mentions(message)
            _touch_engagement(conversation, moment)
            # One fan-out: message.new, then the author's read.updated if it moved.
            events.message_new(message, read_by=author.pk if moved else None)
    except IntegrityError:
        # The same (author, client_id) committed between our check and our insert.
        existing = _existing(author, client_id, conversation.pk)
        if existing is None:
            raise
        existing.created = False
        return existing
    message.created = True
    return message


def _own_message(*, actor, conversation_id, seq, lock: bool) -> Message:
    conversation = access_conversation(actor, conversation_id)
    queryset = Message.objects.select_related(*MESSAGE_JOINS)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        message = queryset.get(conversation=conversation, seq=int(seq))
    except (TypeError, ValueError, Message.DoesNotExist):
        raise NotFound("No such message.") from None
    if message.author_id != actor.pk:
        raise PermissionDenied("You can only change your own messages.", code="not_your_message")
    message.conversation = conversation
    return message


def message_edit(*, conversation_id, seq, actor, body) -> Message:
    """The author changes the text of their message; fans out ``message.updated``.
    Deleted messages cannot be edited (409). Mentions added by the edit are recorded."""
    body = _clean_body(body)
    with transaction.atomic():
        message = _own_message(actor=actor, conversation_id=conversation_id, seq=seq, lock=True)
        if message.is_deleted:
            raise Conflict("This message was deleted.", code="message_deleted")
        _check_open(message.conversation)
        if message.body == body:
            return message
        message.body = body
        message.body_html = render_markdown(body)
        message.edited_at = clock.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        _record_mentions(message)
        events.message_updated(message)
    return message


def message_delete(*, conversation_id, seq, actor) -> Message:
    """The author deletes their message: the text goes, a tombstone with the same
    ``seq`` stays (the numbering has no holes). Idempotent. Fans out ``message.deleted``."""
    with transaction.atomic():
        message = _own_message(actor=actor, conversation_id=conversation_id, seq=seq, lock=True)
        if message.is_deleted:
            return message
        message.body = ""
        message.body_html = ""
        message.deleted_at = clock.now()
        message.save(update_fields=["body", "body_html", "deleted_at"])
        MessageMention.objects.filter(message=message).delete()
        events.message_deleted(message)
    return message


def read_update(*, conversation_id, user, last_read_seq) -> int:
    """Raise ``user``'s read mark to ``last_read_seq`` (never lowers it; at most
    the conversation's last seq). Returns the mark now stored; fans out
    ``read.updated`` only when it moved."""
    conversation = access_conversation(user, conversation_id)
    if isinstance(last_read_seq, bool) or not isinstance(last_read_seq, int) or last_read_seq < 0:
        raise ValidationFailed(
            "last_read_seq must be a message seq.", fields={"last_read_seq": ["Give a whole number ≥ 0."]}
        )
    if last_read_seq > conversation.last_seq:
        raise ValidationFailed(
            "last_read_seq is past the last message.",
            fields={
                "last_read_seq": [f"Give at most {conversation.last_seq}, the last seq in this conversation."]
            },
        )
    with transaction.atomic():
        member = ConversationMember.objects.get(conversation=conversation, user=user)
        state, _ = ReadState.objects.get_or_create(member=member, defaults={"conversation": conversation})
        moved = ReadState.objects.filter(pk=state.pk, last_read_seq__lt=last_read_seq).update(
            last_read_seq=last_read_seq, updated_at=clock.now()
        )
        if moved:
            events.read_updated(conversation_id=conversation.pk, user_id=user.pk, last_read_seq=last_read_seq)
            return last_read_seq
        return ReadState.objects.get(pk=state.pk).last_read_seq
