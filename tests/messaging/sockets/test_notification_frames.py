"""Live delivery: a stored notification reaches every open socket of its
recipient as a `notification` frame (after commit), and nobody else's."""

import pytest
from channels.db import database_sync_to_async

from messaging.models import Notification
from messaging.notifications import services
from messaging.notifications.notify import notify
from tests.factories import member
from tests.messaging.sockets.client import TIMEOUT, connect, next_frame, nothing_more

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(org):
    return member(org, full_name="Ana Mentor"), member(org, full_name="Ben Builder")


def invite(user):
    notify(
        recipients=[user],
        kind="invitation.received",
        subject="Sam asks for your help",
        body="Please answer by Friday.",
        link="/mentoring/invitations/",
    )


@pytest.mark.asyncio
async def test_the_recipients_open_sockets_receive_the_notification_frame_live(people):
    ana, ben = people
    first_tab, second_tab, bens = await connect(ana), await connect(ana), await connect(ben)

    await database_sync_to_async(invite)(ana)

    stored = await database_sync_to_async(Notification.objects.get)()
    for socket in (first_tab, second_tab):
        frame = await next_frame(socket, "notification")
        assert frame == {
            "type": "notification",
            "id": stored.pk,
            "kind": "invitation.received",
            "title": "Sam asks for your help",
            "link": "/mentoring/invitations/",
            "created_at": stored.created_at.isoformat(),
            "unread_count": 1,
        }
    await nothing_more(bens, ignore=("presence",))
    for socket in (first_tab, second_tab, bens):
        await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.asyncio
async def test_marking_read_tells_the_other_tabs_the_new_count(people):
    ana, _ben = people
    await database_sync_to_async(invite)(ana)
    await database_sync_to_async(invite)(ana)
    tab = await connect(ana)

    await database_sync_to_async(services.notifications_mark_read)(user=ana, all_unread=True)

    assert await next_frame(tab, "notification.count") == {"type": "notification.count", "unread_count": 0}
    await tab.disconnect(timeout=TIMEOUT)
