"""One way sessions end (accounts.services.sessions.sessions_end): logout, a
password change or reset, an e-mail change, an MFA change and deactivation end
the person's other sessions, close their other sockets with 4403 and take their
API token away (rotated on credential changes)."""

import re

import pytest
from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import UserSession
from accounts.services.sessions import SessionEnd, sessions_end
from messaging.sockets.consumers import CLOSE_SESSION_ENDED
from tests.clients import client_for
from tests.factories import DEFAULT_PASSWORD, member

STRONG = "plum-orbit-canyon-42"


def token_works(key: str) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/me").status_code == 200


def signed_in(client) -> bool:
    return client.get("/api/me").status_code == 200


async def open_socket(client):
    from mentoring.config.asgi import application

    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())],
    )
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def closed_with_session_ended(socket) -> None:
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_SESSION_ENDED}
    await socket.wait()


@pytest.mark.django_db(transaction=True)
class TestSockets:
    async def test_password_change_closes_the_users_other_sockets(self):
        # given one person signed in on a laptop and a phone, each with a socket
        user = await sync_to_async(member)()
        laptop = await sync_to_async(client_for)(user)
        phone = await sync_to_async(client_for)(user)
        phone_socket = await open_socket(phone)

        # when they change their password on the laptop
        response = await sync_to_async(laptop.post)(
            reverse("account_change_password"),
            {"oldpassword": DEFAULT_PASSWORD, "password1": STRONG, "password2": STRONG},
        )
        assert response.status_code == 302

        # then the phone's socket is closed (it could still send before) and its session is over
        await closed_with_session_ended(phone_socket)
        assert not await sync_to_async(signed_in)(phone)
        assert await sync_to_async(signed_in)(laptop)

    async def test_an_mfa_change_closes_other_sockets_but_not_the_changing_browsers(self):
        user = await sync_to_async(member)()
        laptop = await sync_to_async(client_for)(user)
        phone = await sync_to_async(client_for)(user)
        laptop_socket, phone_socket = await open_socket(laptop), await open_socket(phone)

        await sync_to_async(sessions_end)(
            user_id=user.pk,
            reason=SessionEnd.MFA_CHANGED,
            keep_session_key=laptop.cookies[settings.SESSION_COOKIE_NAME].value,
        )

        await closed_with_session_ended(phone_socket)
        await laptop_socket.send_json_to({"type": "ping", "ref": "still"})
        assert await laptop_socket.receive_json_from(timeout=5) == {"type": "pong", "ref": "still"}
        await laptop_socket.disconnect()


pytestmark = pytest.mark.django_db


def test_password_change_ends_other_sessions_and_rotates_the_api_token():
    user = member()
    laptop, phone = client_for(user), client_for(user)
    old_key = Token.objects.create(user=user).key

    laptop.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": STRONG, "password2": STRONG},
    )

    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not token_works(old_key)
    new_token = Token.objects.get(user=user)
    assert new_token.key != old_key and token_works(new_token.key)
    # the changing browser's new session key is on record, so a later deactivation ends it too
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        laptop.cookies[settings.SESSION_COOKIE_NAME].value
    ]


def test_logout_takes_the_api_token_away():
    user = member()
    browser = client_for(user)
    key = Token.objects.create(user=user).key

    browser.post(reverse("account_logout"))

    assert not token_works(key)
    assert not Token.objects.filter(user=user).exists()


def test_password_reset_ends_every_session_and_the_old_token(client):
    user = member(email="forgetful@acme.com")
    phone = client_for(user)
    old_key = Token.objects.create(user=user).key
    client.post(reverse("account_reset_password"), {"email": user.email})
    key_url = re.search(r"https?://testserver(\S+)", mail.outbox[0].body).group(1)
    set_password_url = client.get(key_url)["Location"]

    client.post(set_password_url, {"password1": STRONG, "password2": STRONG})

    assert not signed_in(phone)
    assert not token_works(old_key)
    assert not UserSession.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "signal",
    [account_signals.email_changed, mfa_signals.authenticator_added, mfa_signals.authenticator_removed],
    ids=["email_changed", "mfa_added", "mfa_removed"],
)
def test_email_and_mfa_changes_end_the_other_sessions(rf, signal):
    user = member()
    laptop, phone = client_for(user), client_for(user)
    request = rf.post("/")
    request.user = user
    request.session = laptop.session

    signal.send(sender=user.__class__, request=request, user=user)

    assert signed_in(laptop)
    assert not signed_in(phone)
