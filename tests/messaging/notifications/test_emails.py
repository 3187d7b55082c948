"""E-mail deliveries (messaging.notifications.emails and .tasks): only when still
unread after the person's delay, once; the per-group switch; the daily digest."""

from datetime import timedelta

import pytest
from django.core import mail

from core import clock
from messaging.models import Notification
from messaging.notifications import emails, services, tasks
from messaging.notifications.preferences import GROUPS
from tests.factories import member
from tests.messaging.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_an_unread_notification_is_emailed_after_the_delay_and_only_once(ana, invite):
    invite(ana)

    with clock.travel_by(timedelta(minutes=29)):
        assert tasks.notifications_email_due() == 0
    assert mail.outbox == []

    with clock.travel_by(timedelta(minutes=31)):
        assert tasks.notifications_email_due() == 1
        assert tasks.notifications_email_due() == 0
        tasks.notification_email_if_unread(Notification.objects.get().pk)

    assert [m.to for m in mail.outbox] == [[ana.email]]
    assert mail.outbox[0].subject == "Sam asks for your help: Terraform"
    assert "I must ship my first module." in mail.outbox[0].body
    assert "http://" in mail.outbox[0].body and "/mentoring/invitations/" in mail.outbox[0].body
    assert Notification.objects.get().emailed_at is not None


def test_a_notification_read_within_the_delay_is_never_emailed(ana, invite):
    invite(ana)
    services.notifications_mark_read(user=ana, all_unread=True)

    with clock.travel_by(timedelta(hours=2)):
        assert tasks.notifications_email_due() == 0

    assert mail.outbox == []


def test_the_personal_delay_and_the_per_group_switch_decide_the_email(ana, ben, invite):
    services.notification_preferences_update(user=ana, groups={}, unread_email_delay_minutes=5)
    services.notification_preferences_update(
        user=ben, groups={"invitations": {"email_when_unread": False}}, unread_email_delay_minutes=5
    )
    invite(ana, ben)

    with clock.travel_by(timedelta(minutes=6)):
        assert tasks.notifications_email_due() == 1

    assert [m.to for m in mail.outbox] == [[ana.email]]


def test_a_zero_delay_emails_right_after_commit(ana, invite):
    services.notification_preferences_update(user=ana, groups={}, unread_email_delay_minutes=0)

    invite(ana)

    assert [m.to for m in mail.outbox] == [[ana.email]]
    assert tasks.notifications_email_due() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_skips_rows_older_than_its_window(ana):
    NotificationFactory(
        recipient=ana, created_at=clock.now() - emails.EMAIL_SWEEP_WINDOW - timedelta(minutes=1)
    )

    assert tasks.notifications_email_due() == 0
    assert mail.outbox == []


def test_the_daily_digest_lists_unread_notifications_once(ana, ben, invite):
    invite(ana, title="First invitation")
    invite(ana, title="Second invitation")
    invite(ben, title="Ben's invitation")
    services.notifications_mark_read(user=ben, all_unread=True)

    assert tasks.notifications_daily_digest() == 1
    assert tasks.notifications_daily_digest() == 0

    assert [m.to for m in mail.outbox] == [[ana.email]]
    digest = mail.outbox[0].body
    assert "2 unread notifications" in digest
    assert digest.index("First invitation") < digest.index("Second invitation")
    assert "Ben's invitation" not in digest


def test_people_who_turned_the_digest_off_get_none(ana, invite):
    groups = {group: {"daily_digest": False} for group in GROUPS}
    services.notification_preferences_update(user=ana, groups=groups, unread_email_delay_minutes=30)
    invite(ana)

    assert tasks.notifications_daily_digest() == 0
    assert mail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_one_due_notification_send_one_email(org):
    from tests.concurrency import run_together

    ana = member(org, full_name="Ana Mentor")
    notification = NotificationFactory(recipient=ana, kind="mention", title="Sam mentioned you")
    sent = []

    with clock.travel_by(timedelta(minutes=31)):
        run_together(
            6, lambda i: sent.append(emails.notification_email_if_unread(notification_id=notification.pk))
        )

    assert sum(sent) == 1
    assert [m.to for m in mail.outbox] == [[ana.email]]
