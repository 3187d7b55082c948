"""resume is bounded: conversations per frame and frames per minute per socket,
each with a clear error frame; the socket stays open."""

import pytest

from messaging.sockets import consumers
from tests.messaging.sockets.client import connect, next_frame, nothing_more, still_open

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_resume_naming_5000_conversations_is_refused_before_any_work(chat):
    conversation, sam, _ = chat
    socket = await connect(sam)
    wanted = {str(conversation.pk + n): 0 for n in range(5000)}

    await socket.send_json_to({"type": "resume", "ref": "big", "conversations": wanted})
    error = await next_frame(socket, "error")

    assert error["code"] == "too_many_conversations" and error["ref"] == "big"
    assert "conversations" in error["fields"]
    assert str(consumers.RESUME_MAX_CONVERSATIONS) in error["reason"]
    await nothing_more(socket)  # no replay and no resume.done
    await still_open(socket)
    await socket.disconnect()


async def test_a_resume_at_the_cap_is_answered(chat):
    conversation, sam, _ = chat
    socket = await connect(sam)
    wanted = {str(conversation.pk + n): 0 for n in range(consumers.RESUME_MAX_CONVERSATIONS)}

    await socket.send_json_to({"type": "resume", "conversations": wanted})

    # the ids that are not Sam's get a not_found error each, then the one resume.done
    frame = await next_frame(socket, "resume.done", skip=("error", "presence"))
    assert str(conversation.pk) in frame["conversations"]
    await socket.disconnect()


async def test_resume_frames_beyond_the_per_minute_cap_are_rate_limited(chat, monkeypatch):
    monkeypatch.setattr(consumers, "RESUME_PER_MINUTE", 3)
    conversation, sam, _ = chat
    socket = await connect(sam)
    frame = {"type": "resume", "ref": "again", "conversations": {str(conversation.pk): 0}}

    for _ in range(3):
        await socket.send_json_to(frame)
        await next_frame(socket, "resume.done")
    await socket.send_json_to(frame)
    error = await next_frame(socket, "error")

    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
    await still_open(socket)
    await socket.disconnect()
