"""The socket origin check compares scheme, host and port (core.ws_origin)."""

import pytest
from channels.testing import WebsocketCommunicator

from mentoring.config.asgi import application
from tests.factories import member
from tests.messaging.sockets.client import TIMEOUT, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(headers, scheme="ws") -> bool:
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    socket.scope["scheme"] = scheme
    connected, _ = await socket.connect(timeout=TIMEOUT)
    if connected:
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
        await socket.disconnect()
    return connected


@pytest.fixture
def cookie():
    return session_cookie_for(member())


@pytest.mark.parametrize(
    ("origin", "scheme", "accepted"),
    [
        ("http://testserver", "ws", True),
        ("http://testserver:80", "ws", True),
        ("http://testserver:8080", "ws", False),  # same host, another port
        ("https://testserver", "ws", False),  # same host, another scheme
        ("https://testserver", "wss", True),  # behind TLS (wss, or a trusted X-Forwarded-Proto)
        ("http://testserver", "wss", False),
        ("http://evil.example.net", "ws", False),
        ("null", "ws", False),
    ],
)
async def test_the_origin_must_match_scheme_host_and_port(cookie, origin, scheme, accepted):
    headers = [(b"host", b"testserver"), (b"origin", origin.encode()), cookie]

    assert await handshake(headers, scheme) is accepted


async def test_a_configured_origin_is_accepted_and_a_host_outside_allowed_hosts_is_not(cookie, settings):
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.example.com"]

    configured = [(b"host", b"testserver"), (b"origin", b"https://app.example.com"), cookie]
    other_port = [(b"host", b"testserver"), (b"origin", b"https://app.example.com:8443"), cookie]
    foreign_host = [(b"host", b"evil.example.net"), (b"origin", b"http://evil.example.net"), cookie]

    assert await handshake(configured) is True
    assert await handshake(other_port) is False
    assert await handshake(foreign_host) is False
