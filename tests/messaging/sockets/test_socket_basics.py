"""The /ws/ socket: origin-checked, authenticated from the Django session,
ping/pong, and bad frames answered with an error frame on a socket that stays open.

Runs on whatever channel layer the settings give: in-memory by default, Redis
when REDIS_URL is set.
"""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from core import realtime
from mentoring.config.asgi import application
from messaging.sockets.consumers import CLOSE_SESSION_ENDED, CLOSE_UNAUTHENTICATED
from tests.factories import member
from tests.messaging.sockets.client import HOST, ORIGIN, TIMEOUT, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person():
    return member()


@pytest.fixture
def logged_in_headers(person):
    return [HOST, ORIGIN, session_cookie_for(person)]


async def open_socket(headers):
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    return communicator, connected, code


async def test_a_logged_in_person_is_greeted_and_gets_pong_for_ping(person, logged_in_headers):
    socket, connected, _ = await open_socket(logged_in_headers)
    assert connected

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "hello", "user": person.id}
    await socket.send_json_to({"type": "ping", "ref": "r1"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": "r1"}

    await socket.disconnect()


async def assert_closed_unauthenticated(headers):
    """Accepted (so a browser can read the code), then closed with 4401 before any frame."""
    socket, connected, _ = await open_socket(headers)
    assert connected
    assert await socket.receive_output(timeout=TIMEOUT) == {
        "type": "websocket.close",
        "code": CLOSE_UNAUTHENTICATED,
    }
    await socket.wait()


async def test_a_socket_without_a_session_is_closed_with_4401():
    await assert_closed_unauthenticated([HOST, ORIGIN])


async def test_a_forged_session_cookie_is_closed_with_4401():
    await assert_closed_unauthenticated(
        [HOST, ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}=not-a-real-session".encode())]
    )


async def test_a_deactivated_account_is_closed_with_4401(person, logged_in_headers):
    person.is_active = False
    await person.asave(update_fields=["is_active"])

    await assert_closed_unauthenticated(logged_in_headers)


async def test_a_socket_from_a_foreign_origin_is_refused_even_with_a_valid_session(logged_in_headers):
    headers = [header for header in logged_in_headers if header[0] != b"origin"]

    socket, connected, _ = await open_socket([*headers, (b"origin", b"https://evil.example.net")])

    assert not connected
    await socket.disconnect()


async def test_a_socket_without_an_origin_header_is_refused(logged_in_headers):
    socket, connected, _ = await open_socket(
        [header for header in logged_in_headers if header[0] != b"origin"]
    )

    assert not connected
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ('{"ref": "x"}', "missing_type"),
        ('{"type": 42}', "missing_type"),
        ('["ping"]', "missing_type"),
        ('{"type": "launch.rockets", "ref": "r9"}', "unknown_type"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_open(logged_in_headers, frame, code):
    socket, connected, _ = await open_socket(logged_in_headers)
    assert connected
    await socket.receive_json_from(timeout=TIMEOUT)  # hello

    await socket.send_to(text_data=frame)
    error = await socket.receive_json_from(timeout=TIMEOUT)

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["reason"]
    if code == "unknown_type":
        assert error["ref"] == "r9"
        assert "launch.rockets" in error["reason"]
    # still open and answering
    await socket.send_json_to({"type": "ping", "ref": "after"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": "after"}
    await socket.disconnect()


async def test_a_binary_or_oversized_frame_gets_an_error_frame(logged_in_headers):
    socket, connected, _ = await open_socket(logged_in_headers)
    assert connected
    await socket.receive_json_from(timeout=TIMEOUT)  # hello

    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=TIMEOUT))["code"] == "bad_frame"
    await socket.send_to(text_data='{"type": "ping", "pad": "' + "x" * 70_000 + '"}')
    assert (await socket.receive_json_from(timeout=TIMEOUT))["code"] == "frame_too_large"

    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": None}
    await socket.disconnect()


async def test_a_session_revoked_event_on_the_channel_layer_closes_every_socket_of_that_user(
    person, logged_in_headers
):
    first, connected_first, _ = await open_socket(logged_in_headers)
    second, connected_second, _ = await open_socket(logged_in_headers)
    assert connected_first and connected_second
    await first.receive_json_from(timeout=TIMEOUT)
    await second.receive_json_from(timeout=TIMEOUT)

    await realtime.send_async(realtime.user_group(person.id), {"type": "session.revoked"})

    assert (await first.receive_output(timeout=TIMEOUT)) == {
        "type": "websocket.close",
        "code": CLOSE_SESSION_ENDED,
    }
    assert (await second.receive_output(timeout=TIMEOUT)) == {
        "type": "websocket.close",
        "code": CLOSE_SESSION_ENDED,
    }
    await first.wait()
    await second.wait()


@pytest.mark.redis
async def test_the_socket_runs_on_the_redis_channel_layer_when_redis_is_configured(logged_in_headers):
    expected = {"lists": "RedisChannelLayer", "pubsub": "RedisPubSubChannelLayer"}[settings.CHANNEL_LAYER]
    assert type(get_channel_layer()).__name__ == expected
    socket, connected, _ = await open_socket(logged_in_headers)
    assert connected
    await socket.receive_json_from(timeout=TIMEOUT)

    await socket.send_json_to({"type": "ping", "ref": "redis"})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": "redis"}
    await socket.disconnect()


async def test_a_consumer_that_dies_still_takes_its_socket_out_of_presence(
    person, logged_in_headers, monkeypatch
):
    """An error inside the consumer (or in the layer's receive) skips ``disconnect``;
    the person must not stay "online" until the presence entry expires."""
    from channels.db import database_sync_to_async

    from messaging.sockets import presence
    from messaging.sockets.consumers import TandemConsumer

    socket, connected, _ = await open_socket(logged_in_headers)
    assert connected
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    state = await database_sync_to_async(presence.presence_of)([person.id])
    assert state[person.id]["state"] == presence.ONLINE

    async def broken(self, event):
        raise RuntimeError("a bug in an event handler")

    monkeypatch.setattr(TandemConsumer, "notification_new", broken)
    await get_channel_layer().group_send(
        realtime.user_group(person.id), {"type": "notification.new", "frame": {}}
    )
    with pytest.raises(RuntimeError):
        await socket.receive_output(timeout=TIMEOUT)

    state = await database_sync_to_async(presence.presence_of)([person.id])
    assert state[person.id]["state"] == presence.OFFLINE


async def test_a_bug_in_a_frame_handler_is_an_error_frame_and_the_socket_stays_open(
    logged_in_headers, monkeypatch
):
    from messaging.sockets.consumers import TandemConsumer

    socket, _, _ = await open_socket(logged_in_headers)
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"

    async def broken(self, content):
        raise RuntimeError("a bug in a handler")

    monkeypatch.setitem(TandemConsumer.HANDLERS, "typing", broken)
    await socket.send_json_to({"type": "typing", "conversation": 1, "ref": "t"})

    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "code": "server_error",
        "reason": "The server could not handle this frame.",
        "ref": "t",
    }
    await socket.send_json_to({"type": "ping", "ref": "after"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": "after"}
    await socket.disconnect()
