"""Live delivery: a stored notification reaches every open socket of its
recipient as a `notification` frame (after commit), and nobody else's."""

import pytest
from channels.db import database_sync_to_async

from messaging.models import Notification
from messaging.notifications import services as notifications
from messaging.notifications.notify import notify
from tests.factories import OrganizationFactory, member
from tests.messaging.test_consumers import TIMEOUT, connect, next_frame, nothing_more

pytestmark = pytest.mark.django_db(transaction=True)


def people():
    org = OrganizationFactory()
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
async def test_the_recipients_open_sockets_receive_the_notification_frame_live():
    ana, ben = await database_sync_to_async(people)()
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
async def test_marking_read_tells_the_other_tabs_the_new_count():
    ana, _ben = await database_sync_to_async(people)()
    await database_sync_to_async(invite)(ana)
    await database_sync_to_async(invite)(ana)
    tab = await connect(ana)

    await database_sync_to_async(notifications.notifications_mark_read)(user=ana, all_unread=True)

    assert await next_frame(tab, "notification.count") == {"type": "notification.count", "unread_count": 0}
    await tab.disconnect(timeout=TIMEOUT)
