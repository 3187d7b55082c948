"""Notifications: rows from notify(), e-mail only when still unread after the
person's delay (once), the daily digest, mentions, marking read, preferences."""

from datetime import timedelta

import pytest
from django.core import mail

from core import clock
from core.errors import NotFound, ValidationFailed
from messaging import tasks
from messaging.models import Notification
from messaging.notifications import services as notifications
from messaging.notifications.notify import notify
from tests.factories import OrganizationFactory, member
from tests.messaging.factories import engagement_chat, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_delay(settings):
    """The product default (the test settings use 0 for older tests that expect mail at once)."""
    settings.TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES = 30


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def ana(org):
    return member(org, full_name="Ana Mentor")


@pytest.fixture
def ben(org):
    return member(org, full_name="Ben Builder")


def invite(*people, capture, title="Sam asks for your help: Terraform"):
    with capture(execute=True):
        notify(
            recipients=people,
            kind="invitation.received",
            subject=title,
            body="I must ship my first module.\n\nPlease answer by Friday.",
            link="/mentoring/invitations/",
        )


def test_notify_stores_one_unread_notification_per_recipient_and_sends_no_mail_at_once(
    ana, ben, org, django_capture_on_commit_callbacks
):
    invite(ana, ben, ana, capture=django_capture_on_commit_callbacks)

    rows = Notification.objects.order_by("recipient_id")
    assert [(n.recipient, n.kind, n.organization) for n in rows] == [
        (ana, "invitation.received", org),
        (ben, "invitation.received", org),
    ]
    assert rows[0].title == "Sam asks for your help: Terraform"
    assert rows[0].link == "/mentoring/invitations/"
    assert rows[0].read_at is None and rows[0].emailed_at is None
    assert mail.outbox == []


def test_an_unread_notification_is_emailed_after_the_delay_and_only_once(
    ana, django_capture_on_commit_callbacks
):
    invite(ana, capture=django_capture_on_commit_callbacks)

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


def test_a_notification_read_within_the_delay_is_never_emailed(ana, django_capture_on_commit_callbacks):
    invite(ana, capture=django_capture_on_commit_callbacks)
    notifications.notifications_mark_read(user=ana, all_unread=True)

    with clock.travel_by(timedelta(hours=2)):
        assert tasks.notifications_email_due() == 0

    assert mail.outbox == []


def test_the_personal_delay_and_the_per_group_switch_decide_the_email(
    ana, ben, django_capture_on_commit_callbacks
):
    notifications.notification_preferences_update(user=ana, groups={}, unread_email_delay_minutes=5)
    notifications.notification_preferences_update(
        user=ben, groups={"invitations": {"email_when_unread": False}}, unread_email_delay_minutes=5
    )
    invite(ana, ben, capture=django_capture_on_commit_callbacks)

    with clock.travel_by(timedelta(minutes=6)):
        assert tasks.notifications_email_due() == 1

    assert [m.to for m in mail.outbox] == [[ana.email]]


def test_a_zero_delay_emails_right_after_commit(ana, django_capture_on_commit_callbacks):
    notifications.notification_preferences_update(user=ana, groups={}, unread_email_delay_minutes=0)

    invite(ana, capture=django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[ana.email]]
    assert tasks.notifications_email_due() == 0
    assert len(mail.outbox) == 1


def test_the_daily_digest_lists_unread_notifications_once(ana, ben, django_capture_on_commit_callbacks):
    invite(ana, capture=django_capture_on_commit_callbacks, title="First invitation")
    invite(ana, capture=django_capture_on_commit_callbacks, title="Second invitation")
    invite(ben, capture=django_capture_on_commit_callbacks, title="Ben's invitation")
    notifications.notifications_mark_read(user=ben, all_unread=True)

    assert tasks.notifications_daily_digest() == 1
    assert tasks.notifications_daily_digest() == 0

    assert [m.to for m in mail.outbox] == [[ana.email]]
    digest = mail.outbox[0].body
    assert "2 unread notifications" in digest
    assert digest.index("First invitation") < digest.index("Second invitation")
    assert "Ben's invitation" not in digest


def test_people_who_turned_the_digest_off_get_none(ana, django_capture_on_commit_callbacks):
    groups = {group: {"daily_digest": False} for group in notifications.GROUPS}
    notifications.notification_preferences_update(user=ana, groups=groups, unread_email_delay_minutes=30)
    invite(ana, capture=django_capture_on_commit_callbacks)

    assert tasks.notifications_daily_digest() == 0
    assert mail.outbox == []


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
    [row] = notifications.notification_create(
        recipients=[ana], kind="question.routed", title="A question", body="x" * 900
    )

    assert len(row.body) == 500 and row.body.endswith("…")


def test_a_link_outside_the_product_is_rejected(ana):
    with pytest.raises(ValidationFailed) as error:
        notifications.notification_create(
            recipients=[ana], kind="mention", title="Hi", link="https://evil.example/"
        )

    assert "link" in error.value.fields
    assert not Notification.objects.exists()


def test_marking_someone_elses_notification_is_not_found_and_marks_nothing(
    ana, ben, django_capture_on_commit_callbacks
):
    invite(ana, ben, capture=django_capture_on_commit_callbacks)
    anas = Notification.objects.get(recipient=ana)
    bens = Notification.objects.get(recipient=ben)

    with pytest.raises(NotFound):
        notifications.notifications_mark_read(user=ben, ids=[bens.pk, anas.pk])
    with pytest.raises(NotFound):
        notifications.notifications_mark_read(user=ben, ids=[10**9])

    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    assert notifications.notifications_mark_read(user=ben, ids=[bens.pk]) == 0
    assert notifications.unread_count(ana) == 1


def test_bad_preference_input_names_each_field(ana):
    with pytest.raises(ValidationFailed) as error:
        notifications.notification_preferences_update(
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
    assert notifications.preferences_of(ana).unread_email_delay_minutes == 30  # nothing stored


def test_preferences_keep_groups_that_were_not_sent(ana):
    notifications.notification_preferences_update(
        user=ana, groups={"mentions": {"daily_digest": False}}, unread_email_delay_minutes=10
    )
    preferences = notifications.notification_preferences_update(
        user=ana, groups={"mentions": {"email_when_unread": False}}, unread_email_delay_minutes=15
    )

    assert preferences.groups["mentions"] == {"email_when_unread": False, "daily_digest": False}
    assert preferences.groups["invitations"] == {"email_when_unread": True, "daily_digest": True}
    assert preferences.unread_email_delay_minutes == 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_one_due_notification_send_one_email():
    from tests.concurrency import run_together

    ana = member(OrganizationFactory(), full_name="Ana Mentor")
    [notification] = notifications.notification_create(
        recipients=[ana], kind="mention", title="Sam mentioned you", link="/notifications/"
    )
    sent = []

    with clock.travel_by(timedelta(minutes=31)):
        run_together(
            6,
            lambda i: sent.append(
                notifications.notification_email_if_unread(notification_id=notification.pk)
            ),
        )

    assert sum(sent) == 1
    assert [m.to for m in mail.outbox] == [[ana.email]]


def test_a_large_fan_out_is_one_insert_its_frames_go_out_together_and_the_sweep_mails_everyone(
    org, settings, monkeypatch, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """A cohort announcement: bulk rows, one batch of wake-ups after commit, no per-row
    e-mail timers; the beat sweep then mails every unread one (walking past a batch of
    rows whose owners turned e-mail off, so they cannot starve the rest)."""
    monkeypatch.setattr(notifications, "SWEEP_BATCH", 7)
    monkeypatch.setattr(notifications, "SCHEDULE_EMAILS_UP_TO", 5)
    scheduled, frames = [], []
    monkeypatch.setattr(notifications, "_schedule_email", lambda pk, delay: scheduled.append(pk))
    monkeypatch.setattr(
        notifications.events, "_send_many_now", lambda sends: frames.extend(group for group, _ in sends)
    )
    quiet = [member(org) for _ in range(9)]
    for person in quiet:
        notifications.notification_preferences_update(
            user=person,
            groups={"invitations": {"email_when_unread": False, "daily_digest": True}},
            unread_email_delay_minutes=30,
        )
    people = [member(org) for _ in range(12)]
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(8):
        created = notifications.notification_create(
            recipients=quiet + people, kind="invitation.received", title="You have a new match"
        )

    assert len(created) == 21 and all(n.pk for n in created)
    assert sorted(frames) == sorted(f"user.{p.pk}" for p in quiet + people)
    assert scheduled == []  # 12 wanted e-mails > 5: the sweep sends them
    with clock.travel_by(timedelta(minutes=31)):
        assert tasks.notifications_email_due() == 12
        assert tasks.notifications_email_due() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_small_fan_out_schedules_each_email_and_counts_unread_per_person(
    ana, ben, monkeypatch, django_capture_on_commit_callbacks
):
    invite(ana, capture=django_capture_on_commit_callbacks)  # ana: one unread already
    scheduled, sent = [], []
    monkeypatch.setattr(notifications, "_schedule_email", lambda pk, delay: scheduled.append((pk, delay)))
    monkeypatch.setattr(notifications.events, "_send_many_now", lambda sends: sent.extend(sends))

    with django_capture_on_commit_callbacks(execute=True):
        created = notifications.notification_create(
            recipients=[ana, ben], kind="invitation.received", title="Hi"
        )

    assert sorted(scheduled) == sorted((n.pk, 30) for n in created)
    counts = {group: event["frame"]["unread_count"] for group, event in sent}
    assert counts == {f"user.{ana.pk}": 2, f"user.{ben.pk}": 1}
    assert {event["frame"]["id"] for _, event in sent} == {n.pk for n in created}
