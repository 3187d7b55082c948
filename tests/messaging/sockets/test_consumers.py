"""The chat protocol on /ws/ (docs/messaging.md), end to end through mentoring.config.asgi:
session cookie + Origin, the real services and database, and whatever channel
layer the settings give (in-memory by default, Redis with REDIS_URL)."""

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from core.realtime import conversation_group
from mentoring.models import Participant
from messaging.chat import services
from messaging.models import Message, ReadState
from messaging.sockets import consumers
from tests.factories import member
from tests.messaging.factories import engagement_chat
from tests.messaging.sockets.client import CHATTER, TIMEOUT, connect, next_frame, nothing_more, still_open

pytestmark = pytest.mark.django_db(transaction=True)


async def acked(socket) -> dict:
    """After a message.send: the ack and the sender's own message.new (either order); the ack."""
    frames = {}
    while len(frames) < 2:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] in ("message.ack", "message.new"):
            frames[frame["type"]] = frame
        else:
            assert frame["type"] in CHATTER, f"unexpected {frame}"
    assert frames["message.new"]["message"]["seq"] == frames["message.ack"]["seq"]
    return frames["message.ack"]


def send_frame(conversation, body="hello", *, client_id=None, ref="r1", **extra):
    return {
        "type": "message.send",
        "conversation": conversation.pk,
        "client_id": str(client_id or uuid.uuid4()),
        "body": body,
        "ref": ref,
        **extra,
    }


async def test_two_members_chat_live_and_the_sender_gets_an_ack_and_the_broadcast(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)

    frame = send_frame(conversation, "**hi** Ana", ref="s1")
    await sam_socket.send_json_to(frame)

    ack = await next_frame(sam_socket, "message.ack")
    assert ack["ref"] == "s1" and ack["client_id"] == frame["client_id"]
    assert ack["seq"] == 1 and ack["conversation"] == conversation.pk and ack["created"] is True
    own = await next_frame(sam_socket, "message.new")
    received = await next_frame(ana_socket, "message.new")
    assert own == received
    message = received["message"]
    assert message["seq"] == 1 and message["client_id"] == frame["client_id"]
    assert message["author"] == {"id": sam.pk, "name": "Sam Seeker"}
    assert message["body"] == "**hi** Ana" and "<strong>hi</strong>" in message["body_html"]

    await ana_socket.send_json_to(send_frame(conversation, "hi Sam", ref="a1"))
    assert (await acked(ana_socket))["seq"] == 2
    assert (await next_frame(sam_socket, "message.new"))["message"]["body"] == "hi Sam"

    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_resume_after_a_disconnect_replays_exactly_the_missed_messages_in_order(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)
    await sam_socket.send_json_to(send_frame(conversation, "seen by both"))
    await acked(sam_socket)
    assert (await next_frame(ana_socket, "message.new"))["message"]["seq"] == 1

    await ana_socket.disconnect()
    for i in range(3):
        await sam_socket.send_json_to(send_frame(conversation, f"missed {i}", ref=f"m{i}"))
        await acked(sam_socket)
    ana_socket = await connect(ana)
    await ana_socket.send_json_to(
        {"type": "resume", "ref": "res", "conversations": {str(conversation.pk): 1}}
    )

    replayed = [await next_frame(ana_socket, "message.new") for _ in range(3)]
    done = await next_frame(ana_socket, "resume.done")
    assert [f["message"]["seq"] for f in replayed] == [2, 3, 4]
    assert [f["message"]["body"] for f in replayed] == ["missed 0", "missed 1", "missed 2"]
    assert all(f["replay"] is True for f in replayed)
    assert done["ref"] == "res"
    assert done["conversations"][str(conversation.pk)]["last_seq"] == 4
    assert done["conversations"][str(conversation.pk)]["read"] == {str(sam.pk): 4, str(ana.pk): 0}
    assert done["presence"][str(sam.pk)]["state"] == "online"
    await nothing_more(ana_socket)

    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_a_long_gap_is_replayed_in_bounded_batches_with_a_more_hint(chat, monkeypatch):
    conversation, sam, ana = chat
    monkeypatch.setattr(consumers, "RESUME_BATCH", 2)
    for i in range(5):
        await database_sync_to_async(services.message_send)(
            conversation_id=conversation.pk, author=sam, client_id=uuid.uuid4(), body=f"m{i}"
        )
    socket = await connect(ana)

    await socket.send_json_to({"type": "resume", "conversations": {str(conversation.pk): 0}})
    first = [(await next_frame(socket, "message.new"))["message"]["seq"] for _ in range(2)]
    more = await next_frame(socket, "resume.more")
    await next_frame(socket, "resume.done")
    await socket.send_json_to({"type": "resume", "conversations": {str(conversation.pk): more["after"]}})
    second = [(await next_frame(socket, "message.new"))["message"]["seq"] for _ in range(2)]
    await next_frame(socket, "resume.more")
    await next_frame(socket, "resume.done")

    assert first == [1, 2] and more == {
        "type": "resume.more",
        "ref": None,
        "conversation": conversation.pk,
        "after": 2,
    }
    assert second == [3, 4]
    await socket.disconnect()


async def test_a_retried_client_id_yields_one_message_and_one_broadcast(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)
    frame = send_frame(conversation, "only once")

    await sam_socket.send_json_to(frame)
    first = await acked(sam_socket)
    await sam_socket.send_json_to({**frame, "ref": "retry"})
    retry = await next_frame(sam_socket, "message.ack")

    assert (first["seq"], first["created"]) == (1, True)
    assert (retry["seq"], retry["created"], retry["ref"]) == (1, False, "retry")
    assert (await next_frame(ana_socket, "message.new"))["message"]["seq"] == 1
    await nothing_more(ana_socket)
    assert await Message.objects.filter(conversation=conversation).acount() == 1

    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_a_conversation_that_is_not_yours_and_one_that_does_not_exist_get_the_same_not_found(chat):
    conversation, _, _ = chat
    # a colleague in the same workspace, just not in this engagement
    outsider = await database_sync_to_async(lambda: member(conversation.engagement.organization))()
    socket = await connect(outsider)

    answers = []
    for conversation_id in (conversation.pk, conversation.pk + 999):
        for frame in (
            {
                "type": "message.send",
                "conversation": conversation_id,
                "client_id": str(uuid.uuid4()),
                "body": "x",
            },
            {"type": "typing", "conversation": conversation_id},
            {"type": "read.update", "conversation": conversation_id, "last_read_seq": 0},
            {"type": "message.edit", "conversation": conversation_id, "seq": 1, "body": "x"},
            {"type": "message.delete", "conversation": conversation_id, "seq": 1},
        ):
            await socket.send_json_to({**frame, "ref": "nf"})
            error = await next_frame(socket, "error")
            answers.append((error["code"], error["reason"], error["ref"]))
        await socket.send_json_to({"type": "resume", "conversations": {str(conversation_id): 0}})
        error = await next_frame(socket, "error")
        answers.append((error["code"], error["reason"], error.get("ref", "nf")))
        await next_frame(socket, "resume.done")

    assert {code for code, _, _ in answers} == {"not_found"}
    assert len({reason for _, reason, _ in answers}) == 1
    assert await Message.objects.acount() == 0
    await still_open(socket)
    await socket.disconnect()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"body": None}, "missing_field", "body"),
        ({"client_id": None}, "missing_field", "client_id"),
        ({"conversation": None}, "missing_field", "conversation"),
        ({"body": "x" * 10_001}, "body_too_long", "body"),
        ({"body": ""}, "empty_body", "body"),
        ({"body": "   \n  "}, "empty_body", "body"),
        ({"body": 42}, "invalid", "body"),
        ({"client_id": "not-a-uuid"}, "invalid_client_id", "client_id"),
        ({"reply_to": 77}, "invalid", "reply_to"),
    ],
)
async def test_a_bad_message_send_gets_an_error_frame_naming_the_field_and_the_socket_stays_open(
    chat, change, code, field
):
    conversation, sam, _ = chat
    socket = await connect(sam)
    frame = {
        key: value
        for key, value in {**send_frame(conversation, ref="bad"), **change}.items()
        if value is not None
    }

    await socket.send_json_to(frame)
    error = await next_frame(socket, "error")

    assert error["code"] == code and error["ref"] == "bad" and error["reason"]
    assert field in error["fields"]
    assert await Message.objects.acount() == 0
    await still_open(socket)
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{oops", "bad_json"),
        ('{"type": "message.sned"}', "unknown_type"),
        ('{"type": "resume", "conversations": [1, 2]}', "invalid_field"),
        ('{"type": "resume", "conversations": {"1": -4}}', "invalid_field"),
        ('{"type": "resume"}', "missing_field"),
        ('{"type": "read.update", "conversation": 1}', "missing_field"),
        ('{"type": "presence.heartbeat", "state": "asleep"}', "invalid_field"),
        ('{"type": "typing"}', "missing_field"),
    ],
)
async def test_other_bad_frames_get_an_error_frame_and_the_socket_stays_open(chat, frame, code):
    _, sam, _ = chat
    socket = await connect(sam)

    await socket.send_to(text_data=frame)

    assert (await next_frame(socket, "error"))["code"] == code
    await still_open(socket)
    await socket.disconnect()


async def test_sending_faster_than_the_rate_limit_gets_rate_limited_and_nothing_is_stored(chat, settings):
    settings.TANDEM_MESSAGE_RATE = (2, 60)
    conversation, sam, _ = chat
    socket = await connect(sam)

    for i in range(2):
        await socket.send_json_to(send_frame(conversation, f"ok {i}", ref=f"ok{i}"))
        await acked(socket)
    limited = send_frame(conversation, "too fast", ref="fast")
    await socket.send_json_to(limited)
    error = await next_frame(socket, "error")

    assert error["code"] == "rate_limited" and error["ref"] == "fast"
    assert error["client_id"] == limited["client_id"] and error["retry_after"] >= 1
    assert await Message.objects.acount() == 2
    await still_open(socket)
    await socket.disconnect()


async def test_typing_reaches_the_others_but_not_the_typist(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)

    await sam_socket.send_json_to({"type": "typing", "conversation": conversation.pk})

    typing = await next_frame(ana_socket, "typing")
    assert typing == {"type": "typing", "conversation": conversation.pk, "user": sam.pk, "name": "Sam Seeker"}
    await nothing_more(sam_socket)
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_a_read_update_is_stored_and_broadcast_as_a_read_receipt(chat):
    conversation, sam, ana = chat
    await database_sync_to_async(services.message_send)(
        conversation_id=conversation.pk, author=sam, client_id=uuid.uuid4(), body="read me"
    )
    sam_socket, ana_socket = await connect(sam), await connect(ana)

    await ana_socket.send_json_to(
        {"type": "read.update", "conversation": conversation.pk, "last_read_seq": 1, "ref": "rd"}
    )

    ok = await next_frame(ana_socket, "ok")
    receipt = await next_frame(sam_socket, "read.updated")
    assert ok == {"type": "ok", "ref": "rd", "request": "read.update", "last_read_seq": 1}
    assert receipt == {
        "type": "read.updated",
        "conversation": conversation.pk,
        "user": ana.pk,
        "last_read_seq": 1,
    }
    # the reader's other tabs learn it too
    assert await next_frame(ana_socket, "read.updated") == receipt
    state = await ReadState.objects.aget(conversation=conversation, member__user=ana)
    assert state.last_read_seq == 1

    await ana_socket.send_json_to(
        {"type": "read.update", "conversation": conversation.pk, "last_read_seq": 5}
    )
    error = await next_frame(ana_socket, "error")
    assert error["code"] == "invalid" and "last_read_seq" in error["fields"]
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_edits_and_deletes_reach_everyone_and_only_the_author_may_make_them(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)
    await sam_socket.send_json_to(send_frame(conversation, "typo"))
    await acked(sam_socket)
    await next_frame(ana_socket, "message.new")

    await ana_socket.send_json_to(
        {"type": "message.edit", "conversation": conversation.pk, "seq": 1, "body": "mine now"}
    )
    refused = await next_frame(ana_socket, "error")
    await sam_socket.send_json_to(
        {"type": "message.edit", "conversation": conversation.pk, "seq": 1, "body": "fixed"}
    )
    updated = await next_frame(ana_socket, "message.updated")
    await sam_socket.send_json_to(
        {"type": "message.delete", "conversation": conversation.pk, "seq": 1, "ref": "del"}
    )
    deleted = await next_frame(ana_socket, "message.deleted")

    assert refused["code"] == "not_your_message"
    assert updated["message"]["body"] == "fixed" and updated["message"]["edited_at"]
    assert deleted["seq"] == 1 and deleted["conversation"] == conversation.pk and deleted["deleted_at"]
    # the author gets an ok for each request and the same broadcasts as everyone; an ok
    # (sent directly) and a broadcast (through the channel layer) may swap places, as the
    # ack and message.new do in acked(), so only each path's own order is fixed
    frames = []
    while len(frames) < 4:
        frame = await sam_socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] not in CHATTER:
            frames.append(frame)
    assert [f for f in frames if f["type"] == "ok"] == [
        {"type": "ok", "ref": None, "request": "message.edit"},
        {"type": "ok", "ref": "del", "request": "message.delete"},
    ]
    assert [f for f in frames if f["type"] != "ok"] == [updated, deleted]
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_a_socket_picks_up_a_conversation_its_user_joins_while_connected():
    conversation, (_, seeker) = await database_sync_to_async(engagement_chat)(kind="group")
    newcomer = await database_sync_to_async(lambda: member(conversation.engagement.organization))()
    socket = await connect(newcomer)

    def join():
        Participant.objects.create(engagement=conversation.engagement, user=newcomer, role="seeker")
        services.conversation_sync_members(engagement_id=conversation.engagement_id)

    await database_sync_to_async(join)()
    joined = await next_frame(socket, "conversation.joined")
    await database_sync_to_async(services.message_send)(
        conversation_id=conversation.pk, author=seeker, client_id=uuid.uuid4(), body="welcome"
    )

    assert joined == {"type": "conversation.joined", "conversation": conversation.pk}
    assert (await next_frame(socket, "message.new"))["message"]["body"] == "welcome"
    await socket.disconnect()


async def test_presence_goes_online_away_and_offline_with_last_seen(chat):
    _, sam, ana = chat
    sam_socket = await connect(sam)

    ana_socket = await connect(ana)
    online = await next_frame(sam_socket, "presence", skip=())
    await ana_socket.send_json_to({"type": "presence.heartbeat", "state": "away"})
    away = await next_frame(sam_socket, "presence", skip=())
    await ana_socket.disconnect()
    offline = await next_frame(sam_socket, "presence", skip=())

    assert (online["user"], online["state"]) == (ana.pk, "online")
    assert away["state"] == "away"
    assert offline["state"] == "offline" and offline["last_seen"]
    await sam_socket.disconnect()


async def test_a_second_tab_keeps_a_person_online_when_the_first_closes(chat):
    _, sam, ana = chat
    sam_socket = await connect(sam)
    first_tab = await connect(ana)
    await next_frame(sam_socket, "presence", skip=())
    second_tab = await connect(ana)

    await first_tab.disconnect()

    await nothing_more(sam_socket, ignore=())
    await second_tab.disconnect()
    assert (await next_frame(sam_socket, "presence", skip=()))["state"] == "offline"
    await sam_socket.disconnect()


@pytest.mark.redis
async def test_chat_and_resume_work_across_the_redis_channel_layer(chat):
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)

    await sam_socket.send_json_to(send_frame(conversation, "over redis"))
    await acked(sam_socket)
    assert (await next_frame(ana_socket, "message.new"))["message"]["body"] == "over redis"
    await ana_socket.disconnect()
    await asyncio.gather(
        *[
            database_sync_to_async(services.message_send)(
                conversation_id=conversation.pk, author=sam, client_id=uuid.uuid4(), body=f"offline {i}"
            )
            for i in range(3)
        ]
    )
    ana_socket = await connect(ana)
    await ana_socket.send_json_to({"type": "resume", "conversations": {str(conversation.pk): 1}})

    seqs = [(await next_frame(ana_socket, "message.new"))["message"]["seq"] for _ in range(3)]
    assert seqs == [2, 3, 4]
    await next_frame(ana_socket, "resume.done")
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_a_member_who_leaves_is_unsubscribed_and_can_no_longer_send(chat):
    conversation, sam, ana = chat
    sam_socket, ana_socket = await connect(sam), await connect(ana)

    def leave():
        from core import clock

        Participant.objects.filter(engagement=conversation.engagement, user=ana).update(left_at=clock.now())
        services.conversation_sync_members(engagement_id=conversation.engagement_id)

    await database_sync_to_async(leave)()
    left = await next_frame(ana_socket, "conversation.left")
    await sam_socket.send_json_to(send_frame(conversation, "after she left"))
    await acked(sam_socket)
    await ana_socket.send_json_to(send_frame(conversation, "still here?", ref="gone"))
    refused = await next_frame(ana_socket, "error")

    assert left == {"type": "conversation.left", "conversation": conversation.pk}
    assert refused["code"] == "not_found" and refused["ref"] == "gone"
    await nothing_more(ana_socket)  # "after she left" never reached her
    assert await Message.objects.acount() == 1
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def group_channels(group: str) -> set[str]:
    """The channels subscribed to ``group``, read from the layer itself."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # in memory
        return set(layer.groups.get(group, {}))
    members = await layer.connection(layer.consistent_hash(group)).zrange(layer._group_key(group), 0, -1)
    return {name.decode() for name in members}


async def test_a_socket_that_left_gets_nothing_more_of_the_chat_even_if_its_subscription_lingers(chat):
    """Frames are encoded once by the sender and forwarded as is; each socket still
    checks that the conversation is one of its own (no query) before sending."""
    conversation, sam, ana = chat
    group = conversation_group(conversation.pk)
    sam_socket = await connect(sam)
    before = await group_channels(group)
    ana_socket = await connect(ana)
    (ana_channel,) = await group_channels(group) - before

    def leave():
        from core import clock

        Participant.objects.filter(engagement=conversation.engagement, user=ana).update(left_at=clock.now())
        services.conversation_sync_members(engagement_id=conversation.engagement_id)

    await database_sync_to_async(leave)()
    await next_frame(ana_socket, "conversation.left")
    await get_channel_layer().group_add(group, ana_channel)  # as if the discard had been lost
    await sam_socket.send_json_to(send_frame(conversation, "after she left"))
    await acked(sam_socket)

    await nothing_more(ana_socket)
    await sam_socket.disconnect()
    await ana_socket.disconnect()


async def test_resume_with_since_replays_edits_and_deletions_made_while_away(chat):
    conversation, sam, ana = chat
    for body in ("keep", "edit me", "delete me"):
        await database_sync_to_async(services.message_send)(
            conversation_id=conversation.pk, author=sam, client_id=uuid.uuid4(), body=body
        )
    ana_socket = await connect(ana)
    await ana_socket.send_json_to({"type": "resume", "conversations": {str(conversation.pk): 0}})
    for _ in range(3):
        await next_frame(ana_socket, "message.new")
    since = (await next_frame(ana_socket, "resume.done"))["server_time"]
    await ana_socket.disconnect()

    await database_sync_to_async(services.message_edit)(
        conversation_id=conversation.pk, seq=2, actor=sam, body="edited while away"
    )
    await database_sync_to_async(services.message_delete)(conversation_id=conversation.pk, seq=3, actor=sam)
    ana_socket = await connect(ana)
    await ana_socket.send_json_to(
        {"type": "resume", "conversations": {str(conversation.pk): 3}, "since": since}
    )

    updated = await next_frame(ana_socket, "message.updated")
    deleted = await next_frame(ana_socket, "message.deleted")
    await next_frame(ana_socket, "resume.done")
    assert updated["message"]["seq"] == 2 and updated["message"]["body"] == "edited while away"
    assert updated["replay"] is True
    assert (deleted["seq"], deleted["replay"]) == (3, True)
    await nothing_more(ana_socket)

    await ana_socket.send_json_to({"type": "resume", "conversations": {}, "since": "yesterday"})
    assert (await next_frame(ana_socket, "error"))["code"] == "invalid_field"
    await ana_socket.disconnect()
