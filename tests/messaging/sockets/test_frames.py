"""One validation layer for client frames (messaging.sockets.frames): frames the
REST API would refuse get an error frame, the socket stays open, nothing is
stored and no exception reaches the log."""

import logging
import uuid

import pytest
from channels.db import database_sync_to_async

from messaging.models import Message
from messaging.sockets.frames import MAX_DEPTH, BadFrame, parse_frame
from tests.messaging.sockets.client import connect, next_frame, still_open

pytestmark = pytest.mark.django_db(transaction=True)


def send_text(conversation_id: int, body_json: str) -> str:
    return (
        f'{{"type": "message.send", "conversation": {conversation_id}, '
        f'"client_id": "{uuid.uuid4()}", "body": {body_json}, "ref": "bad"}}'
    )


BAD_FRAMES = {
    "nul_in_body": (lambda c: send_text(c, '"hello\\u0000there"'), "invalid"),
    "lone_surrogate": (lambda c: send_text(c, '"broken \\ud800 pair"'), "invalid"),
    "nested_30000_deep": (lambda c: send_text(c, "[" * 30000 + "]" * 30000), "frame_too_deep"),
    "deep_ref": (
        lambda c: '{"type": "ping", "ref": ' + '{"a": ' * 20 + "1" + "}" * 20 + "}",
        "frame_too_deep",
    ),
    "float_conversation": (
        lambda c: (
            f'{{"type": "message.send", "conversation": {c}.0, "client_id": "{uuid.uuid4()}", "body": "x"}}'
        ),
        "invalid",
    ),
    "string_seq": (lambda c: f'{{"type": "message.delete", "conversation": {c}, "seq": "1"}}', "invalid"),
    "resume_key_not_an_id": (lambda c: '{"type": "resume", "conversations": {"6.0": 0}}', "invalid"),
    "body_not_a_string": (lambda c: send_text(c, '{"x": 1}'), "invalid"),
}


@pytest.mark.parametrize("name", list(BAD_FRAMES))
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_open(chat, caplog, name):
    conversation, sam, _ = chat
    make_text, code = BAD_FRAMES[name]
    socket = await connect(sam)

    with caplog.at_level(logging.WARNING):
        await socket.send_to(text_data=make_text(conversation.pk))
        error = await next_frame(socket, "error")
        await still_open(socket)

    assert error["code"] == code, error
    assert error["reason"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not await database_sync_to_async(Message.objects.filter(conversation=conversation).exists)()
    await socket.disconnect()


async def test_a_good_send_after_a_bad_one_is_stored_once(chat):
    conversation, sam, _ = chat
    socket = await connect(sam)
    await socket.send_to(text_data=send_text(conversation.pk, '"a\\u0000b"'))
    await next_frame(socket, "error")

    await socket.send_json_to(
        {
            "type": "message.send",
            "conversation": conversation.pk,
            "client_id": str(uuid.uuid4()),
            "body": "ok",
        }
    )
    ack = await next_frame(socket, "message.ack")

    assert ack["seq"] == 1
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    await socket.disconnect()


def test_depth_is_counted_outside_strings_only():
    assert parse_frame('{"type": "ping", "ref": "' + "[" * 100 + '"}')["ref"] == "[" * 100
    with pytest.raises(BadFrame):
        parse_frame('{"type": "ping", "ref": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}")


def test_a_paired_surrogate_escape_is_an_ordinary_character():
    assert parse_frame('{"type": "ping", "ref": "\\ud83d\\ude00"}')["ref"] == "\U0001f600"


def test_integer_fields_accept_integers():
    assert parse_frame('{"type": "read.update", "conversation": 3, "last_read_seq": 0}')["conversation"] == 3
