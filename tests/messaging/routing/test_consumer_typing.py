"""`answer.typing` on /ws/ (docs/messaging.md "Ask the network"): a routed candidate
typing an answer reaches the asker as a `question.progress` frame; bad frames
and questions the sender cannot see get error frames, and the socket stays open."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from messaging.qa import services as qa
from messaging.sockets import consumers
from tests.factories import OrganizationFactory, member
from tests.messaging.factories import engagement_chat
from tests.messaging.routing.test_views import routed_question
from tests.messaging.sockets.client import TIMEOUT, connect, next_frame, nothing_more

pytestmark = pytest.mark.django_db(transaction=True)

QUIET_TYPES = ("presence", "read.updated", "notification", "notification.count")


async def still_open(socket):
    await socket.send_json_to({"type": "ping", "ref": "alive"})
    assert await next_frame(socket, "pong", skip=QUIET_TYPES) == {"type": "pong", "ref": "alive"}


async def error_for(socket, frame) -> dict:
    await socket.send_json_to(frame)
    return await next_frame(socket, "error", skip=QUIET_TYPES)


@pytest.mark.asyncio
async def test_a_routed_candidate_typing_reaches_the_asker_as_progress():
    question, asker, (ana,) = await database_sync_to_async(routed_question)()
    askers_socket, anas_socket = await connect(asker), await connect(ana)

    await anas_socket.send_json_to({"type": "answer.typing", "question": question.pk})

    frame = await next_frame(askers_socket, "question.progress", skip=QUIET_TYPES)
    assert frame["question"] == question.pk
    assert frame["typing"] == 1 and frame["sent"] == 1 and frame["pending"] == 1
    assert frame["state"] == "routing"
    await nothing_more(anas_socket, ignore=QUIET_TYPES)  # no error, no echo to the typist
    await still_open(anas_socket)
    for socket in (askers_socket, anas_socket):
        await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_typing_again_at_once_is_dropped_and_tells_the_asker_nothing_new():
    question, asker, (ana,) = await database_sync_to_async(routed_question)()
    askers_socket, anas_socket = await connect(asker), await connect(ana)
    await anas_socket.send_json_to({"type": "answer.typing", "question": question.pk})
    await next_frame(askers_socket, "question.progress", skip=QUIET_TYPES)

    await anas_socket.send_json_to({"type": "answer.typing", "question": question.pk})

    await nothing_more(askers_socket, ignore=QUIET_TYPES)
    await nothing_more(anas_socket, ignore=QUIET_TYPES)
    for socket in (askers_socket, anas_socket):
        await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_a_reader_who_was_not_asked_can_type_but_the_asker_hears_nothing():
    def setup():
        question, asker, _ = routed_question()
        return question, asker, member(question.organization)

    question, asker, reader = await database_sync_to_async(setup)()
    askers_socket, readers_socket = await connect(asker), await connect(reader)

    await readers_socket.send_json_to({"type": "answer.typing", "question": question.pk})

    await nothing_more(readers_socket, ignore=QUIET_TYPES)
    await nothing_more(askers_socket, ignore=QUIET_TYPES)
    for socket in (askers_socket, readers_socket):
        await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_bad_answer_typing_frames_get_error_frames_and_the_socket_stays_open():
    _question, _asker, (ana,) = await database_sync_to_async(routed_question)()
    socket = await connect(ana)

    missing = await error_for(socket, {"type": "answer.typing", "ref": "t1"})
    assert missing["code"] == "missing_field" and missing["ref"] == "t1"
    assert missing["fields"] == {"question": ["This field is required."]}
    for bad in ("12", 1.5, True, -3, 0, {"id": 1}):
        error = await error_for(socket, {"type": "answer.typing", "question": bad, "ref": "t2"})
        assert error["code"] == "invalid", bad  # not a positive JSON integer (messaging.sockets.frames)
        assert "question" in error["fields"], bad
    await socket.send_to(text_data="{not json")
    assert (await next_frame(socket, "error", skip=QUIET_TYPES))["code"] == "bad_json"
    await still_open(socket)
    await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_a_missing_question_and_one_you_cannot_see_get_the_same_not_found():
    _question, _asker, (ana,) = await database_sync_to_async(routed_question)()

    def others():
        elsewhere, _, _ = routed_question(OrganizationFactory(), title="Another workspace")
        conversation, (sam, _ana) = engagement_chat()
        private = qa.question_ask(
            author=sam,
            title="Only for our engagement",
            body="?",
            scope="engagement",
            engagement_id=conversation.engagement_id,
        )
        return elsewhere, private

    elsewhere, private = await database_sync_to_async(others)()
    socket = await connect(ana)

    errors = []
    for question_id in (elsewhere.pk, private.pk, 999_999):
        error = await error_for(socket, {"type": "answer.typing", "question": question_id, "ref": "nf"})
        errors.append({key: value for key, value in error.items() if key != "question"})
        assert error["question"] == question_id
    assert errors[0] == errors[1] == errors[2]
    assert errors[0]["code"] == "not_found" and errors[0]["ref"] == "nf"
    await still_open(socket)
    await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_a_flood_of_typing_over_many_questions_is_cut_off_and_the_socket_stays_open():
    _question, _asker, (ana,) = await database_sync_to_async(routed_question)()
    socket = await connect(ana)
    limit = consumers.ANSWER_TYPING_MAX_QUESTIONS

    for question_id in range(900_000, 900_000 + limit + 5):
        await socket.send_json_to({"type": "answer.typing", "question": question_id})

    answered = [await next_frame(socket, "error", skip=QUIET_TYPES) for _ in range(limit)]
    assert {frame["code"] for frame in answered} == {"not_found"}
    await nothing_more(socket, ignore=QUIET_TYPES)  # the rest were dropped
    await still_open(socket)
    await socket.disconnect(timeout=TIMEOUT)


# --- resilience: a heartbeat re-joins the socket's groups ------------------------------------


async def channels_in(group: str) -> list[str]:
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer
        return list(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return [name.decode() for name in await connection.zrange(layer._group_key(group), 0, -1)]


@pytest.mark.asyncio
async def test_a_heartbeat_puts_a_socket_back_into_groups_the_layer_lost():
    question, asker, _ = await database_sync_to_async(routed_question)()
    socket = await connect(asker)
    group = consumers.user_group(asker.pk)
    (channel,) = await channels_in(group)
    await get_channel_layer().group_discard(group, channel)  # what a Redis restart does

    await socket.send_json_to({"type": "presence.heartbeat", "state": "online"})
    await nothing_more(socket, ignore=QUIET_TYPES)  # the heartbeat is handled

    assert await channels_in(group) == [channel]
    await get_channel_layer().group_send(
        group, {"type": "chat.frame", "frame": {"type": "question.progress", "question": question.pk}}
    )
    frame = await next_frame(socket, "question.progress", skip=QUIET_TYPES)
    assert frame["question"] == question.pk
    await socket.disconnect(timeout=TIMEOUT)
