"""What a person does with their own notifications (messaging.notifications.services):
mark them read (someone else's is not found; the other tabs learn the count) and
choose what is e-mailed (every bad field named, nothing stored then)."""

import pytest

from core.errors import NotFound, ValidationFailed
from core.realtime import user_group
from messaging.models import Notification
from messaging.notifications import preferences, selectors, services
from tests.messaging.factories import NotificationFactory
from tests.messaging.layer import listening_to

pytestmark = pytest.mark.django_db


def test_marking_someone_elses_notification_is_not_found_and_marks_nothing(ana, ben):
    anas = NotificationFactory(recipient=ana)
    bens = NotificationFactory(recipient=ben)

    with pytest.raises(NotFound):
        services.notifications_mark_read(user=ben, ids=[bens.pk, anas.pk])
    with pytest.raises(NotFound):
        services.notifications_mark_read(user=ben, ids=[10**9])

    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    assert services.notifications_mark_read(user=ben, ids=[bens.pk]) == 0
    assert selectors.unread_count(ana) == 1


def test_marking_read_tells_the_persons_sockets_the_new_count(ana, django_capture_on_commit_callbacks):
    NotificationFactory.create_batch(2, recipient=ana)

    with listening_to(user_group(ana.pk)) as layer:
        with django_capture_on_commit_callbacks(execute=True):
            services.notifications_mark_read(user=ana, all_unread=True)
        [event] = layer.received()

    assert event == {
        "type": "notification.count",
        "frame": {"type": "notification.count", "unread_count": 0},
    }


def test_bad_preference_input_names_each_field(ana):
    with pytest.raises(ValidationFailed) as error:
        services.notification_preferences_update(
            user=ana,
            groups={
                "gossip": {"email_when_unread": True},
                "mentions": {"email_when_unread": "yes", "sms": True},
            },
            unread_email_delay_minutes=5000,
        )

    assert set(error.value.fields) == {
        "groups.gossip",
        "groups.mentions.email_when_unread",
        "groups.mentions.sms",
        "unread_email_delay_minutes",
    }
    assert preferences.preferences_of(ana).unread_email_delay_minutes == 30  # nothing stored


def test_preferences_keep_groups_and_the_delay_that_were_not_sent(ana):
    services.notification_preferences_update(
        user=ana, groups={"mentions": {"daily_digest": False}}, unread_email_delay_minutes=10
    )
    changed = services.notification_preferences_update(
        user=ana, groups={"mentions": {"email_when_unread": False}}, unread_email_delay_minutes=15
    )
    kept_delay = services.notification_preferences_update(user=ana, groups={})

    assert changed.groups["mentions"] == {"email_when_unread": False, "daily_digest": False}
    assert changed.groups["invitations"] == {"email_when_unread": True, "daily_digest": True}
    assert changed.unread_email_delay_minutes == 15
    assert kept_delay == changed
