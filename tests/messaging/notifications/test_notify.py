"""Telling people things (messaging.notifications.notify): one row per recipient
from notify(), mentions in chat, excerpts and links, and the deliveries after
commit — frames on each recipient's group, e-mail timers for small fan-outs."""

from datetime import timedelta

import pytest
from django.core import mail

from core import clock
from core.errors import ValidationFailed
from core.realtime import user_group
from messaging.models import Notification
from messaging.notifications import emails, notify, tasks
from tests.factories import member
from tests.messaging.factories import engagement_chat, send
from tests.messaging.layer import listening_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(monkeypatch):
    """The e-mail timers handed to the broker: ``[(notification id, countdown seconds)]``."""
    timers = []
    monkeypatch.setattr(
        tasks.notification_email_if_unread,
        "apply_async",
        lambda args, countdown=None, **options: timers.append((args[0], countdown)),
    )
    return timers


def test_notify_stores_one_unread_notification_per_recipient_and_sends_no_mail_at_once(ana, ben, org, invite):
    invite(ana, ben, ana)

    rows = Notification.objects.order_by("recipient_id")
    assert [(n.recipient, n.kind, n.organization) for n in rows] == [
        (ana, "invitation.received", org),
        (ben, "invitation.received", org),
    ]
    assert rows[0].title == "Sam asks for your help: Terraform"
    assert rows[0].link == "/mentoring/invitations/"
    assert rows[0].read_at is None and rows[0].emailed_at is None
    assert mail.outbox == []


def test_notify_without_recipients_stores_nothing(invite):
    invite()

    assert not Notification.objects.exists()


def test_page_link_falls_back_while_a_page_does_not_exist():
    assert notify.page_link("messaging:notifications", fallback="/x/") == "/notifications/"
    assert notify.page_link("messaging:no_such_page", 1, fallback="/later/") == "/later/"


def test_a_mention_notifies_the_mentioned_member_and_not_the_author(django_capture_on_commit_callbacks):
    conversation, (sam, ana) = engagement_chat()

    with django_capture_on_commit_callbacks(execute=True):
        message = send(conversation, sam, "@Ana Mentor could you review this? And I, @Sam Seeker, agree.")

    mention = Notification.objects.get()
    assert mention.recipient == ana
    assert mention.kind == "mention"
    assert mention.title == "Sam Seeker mentioned you"
    assert mention.body.startswith("@Ana Mentor could you review this?")
    assert mention.link.endswith(f"#msg-{conversation.pk}-{message.seq}")
    assert mention.payload == {"conversation": conversation.pk, "seq": message.seq, "message": message.pk}
    assert not Notification.objects.filter(recipient=sam).exists()


def test_a_message_without_mentions_notifies_nobody():
    conversation, (sam, _ana) = engagement_chat()

    send(conversation, sam, "no names here, just an email like ana@example.com")

    assert not Notification.objects.exists()


def test_a_long_body_is_cut_to_an_excerpt_with_an_ellipsis(ana):
    [row] = notify.notification_create(
        recipients=[ana], kind="question.routed", title="A question", body="x" * 900
    )

    assert len(row.body) == 500 and row.body.endswith("…")


def test_a_link_outside_the_product_is_rejected(ana):
    with pytest.raises(ValidationFailed) as error:
        notify.notification_create(recipients=[ana], kind="mention", title="Hi", link="https://evil.example/")

    assert "link" in error.value.fields
    assert not Notification.objects.exists()


def test_frames_go_out_only_after_commit(ana, django_capture_on_commit_callbacks):
    with listening_to(user_group(ana.pk)) as layer:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            [created] = notify.notification_create(recipients=[ana], kind="mention", title="Hi")
        assert layer.received() == []
        for callback in callbacks:
            callback()
        [event] = layer.received()

    assert event["type"] == "notification.new"
    assert event["frame"] == {
        "type": "notification",
        "id": created.pk,
        "kind": "mention",
        "title": "Hi",
        "link": "",
        "created_at": created.created_at.isoformat(),
        "unread_count": 1,
    }


def test_a_large_fan_out_is_one_insert_its_frames_go_out_together_and_the_sweep_mails_everyone(
    org, monkeypatch, scheduled, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """A cohort announcement: bulk rows, one batch of wake-ups after commit, no per-row
    e-mail timers; the beat sweep then mails every unread one (walking past a batch of
    rows whose owners turned e-mail off, so they cannot starve the rest)."""
    from messaging.notifications import services

    monkeypatch.setattr(emails, "SWEEP_BATCH", 7)
    monkeypatch.setattr(notify, "SCHEDULE_EMAILS_UP_TO", 5)
    quiet = [member(org) for _ in range(9)]
    for person in quiet:
        services.notification_preferences_update(
            user=person,
            groups={"invitations": {"email_when_unread": False, "daily_digest": True}},
            unread_email_delay_minutes=30,
        )
    people = [member(org) for _ in range(12)]
    Notification.objects.all().delete()

    with listening_to(*[user_group(p.pk) for p in quiet + people]) as layer:
        with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(8):
            created = notify.notification_create(
                recipients=quiet + people, kind="invitation.received", title="You have a new match"
            )
        frames = layer.received()

    assert len(created) == 21 and all(n.pk for n in created)
    assert sorted(event["frame"]["id"] for event in frames) == sorted(n.pk for n in created)
    assert scheduled == []  # 12 wanted e-mails > 5: the sweep sends them
    with clock.travel_by(timedelta(minutes=31)):
        assert tasks.notifications_email_due() == 12
        assert tasks.notifications_email_due() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_small_fan_out_schedules_each_email_and_counts_unread_per_person(
    ana, ben, invite, scheduled, django_capture_on_commit_callbacks
):
    invite(ana)  # ana: one unread already
    scheduled.clear()

    with listening_to(user_group(ana.pk), user_group(ben.pk)) as layer:
        with django_capture_on_commit_callbacks(execute=True):
            created = notify.notification_create(
                recipients=[ana, ben], kind="invitation.received", title="Hi"
            )
        sent = layer.received()

    assert sorted(scheduled) == sorted((n.pk, 30 * 60) for n in created)
    counts = {event["frame"]["id"]: event["frame"]["unread_count"] for event in sent}
    assert counts == {n.pk: 2 if n.recipient == ana else 1 for n in created}
