"""Open /ws/ as a person and read its frames, for socket tests of every area.

Through ``mentoring.config.asgi`` with a real session cookie and the Origin the
validator wants, on whatever channel layer the settings give (in-memory by
default, Redis with REDIS_URL)."""

import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from mentoring.config.asgi import application

ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")
TIMEOUT = 10
QUIET = 0.3  # how long "nothing arrives" is watched
CHATTER = ("presence", "typing", "read.updated")


def session_cookie_for(user) -> tuple[bytes, bytes]:
    """Log in through Django's test client and return its real session cookie as a header."""
    client = Client()
    client.force_login(user)
    sessionid = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={sessionid}".encode())


async def open_as(user) -> tuple[WebsocketCommunicator, dict]:
    """``user``'s socket just after the handshake, and the first thing the server sent
    on it as raw ASGI output (a ``websocket.send`` with the hello, or a ``websocket.close``)."""
    cookie = await database_sync_to_async(session_cookie_for)(user)
    socket = WebsocketCommunicator(application, "/ws/", headers=[HOST, ORIGIN, cookie])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket, await socket.receive_output(timeout=TIMEOUT)


async def connect(user) -> WebsocketCommunicator:
    """An open socket of ``user``, past its ``hello``."""
    socket, first = await open_as(user)
    assert first["type"] == "websocket.send" and json.loads(first["text"])["type"] == "hello"
    return socket


async def next_frame(socket, frame_type: str, *, skip=CHATTER) -> dict:
    """The next frame of ``frame_type``; presence, typing and read-receipt chatter in
    between is skipped (a sender's own read mark moves with each message it sends);
    anything else unexpected fails the test."""
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == frame_type:
            return frame
        assert frame["type"] in skip, f"expected {frame_type}, got {frame}"


async def nothing_more(socket, *, ignore=("presence", "read.updated")) -> None:
    """No further frame (other than ``ignore``) arrives."""
    while not await socket.receive_nothing(timeout=QUIET):
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        assert frame["type"] in ignore, f"unexpected frame {frame}"


async def still_open(socket, *, skip=CHATTER) -> None:
    """The socket still answers a ping."""
    await socket.send_json_to({"type": "ping", "ref": "alive"})
    assert await next_frame(socket, "pong", skip=skip) == {"type": "pong", "ref": "alive"}
