"""The dashboard's message-activity rollup (messaging/activity.py): kept by
message_send in its transaction, recounted by the backfill and the nightly
repair, always equal to counting the messages themselves."""

import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.db.models.functions import TruncDate

from mentoring import clock
from mentoring.models import Participant
from messaging import activity, services
from messaging.models import ChatFirstReply, Conversation, Message, MessageActivityDay
from tests.concurrency import run_together
from tests.factories import OrganizationFactory, member
from tests.mentoring.factories import EngagementFactory, mentor
from tests.messaging.factories import engagement_chat, send

pytestmark = pytest.mark.django_db


def at(month, day, hour=0):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def rollup() -> dict[tuple[int, date, int], int]:
    return {
        (row.organization_id, row.day, row.author_id): row.messages
        for row in MessageActivityDay.objects.all()
    }


def counted_from_messages() -> dict[tuple[int, date, int], int]:
    """What the rollup must hold: the messages counted directly (deleted ones included)."""
    rows = (
        Message.objects.filter(author__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("conversation__organization_id", "day", "author_id")
        .annotate(n=Count("id"))
    )
    return {(r["conversation__organization_id"], r["day"], r["author_id"]): r["n"] for r in rows}


def raw_message(conversation, author, when, body="imported"):
    """A message that did not go through message_send (an import, a script)."""
    conversation.refresh_from_db(fields=["last_seq"])
    conversation.last_seq += 1
    conversation.save(update_fields=["last_seq"])
    return Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        body=body,
        client_id=uuid.uuid4(),
        created_at=when,
    )


@pytest.fixture
def chat(settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    conversation, (seeker, helper) = engagement_chat()
    return conversation, seeker, helper


# --- message_send keeps it --------------------------------------------------------------------------


def test_each_send_counts_once_per_author_and_utc_day(chat):
    conversation, seeker, helper = chat
    org = conversation.organization_id
    with clock.travel_to(at(6, 1, 23)):
        send(conversation, seeker)
        send(conversation, seeker)
        send(conversation, helper)
    with clock.travel_to(at(6, 2, 1)):
        send(conversation, seeker)

    assert rollup() == {
        (org, date(2026, 6, 1), seeker.pk): 2,
        (org, date(2026, 6, 1), helper.pk): 1,
        (org, date(2026, 6, 2), seeker.pk): 1,
    }
    assert rollup() == counted_from_messages()


def test_a_retried_send_is_not_counted_twice(chat):
    conversation, seeker, _ = chat
    client_id = uuid.uuid4()
    send(conversation, seeker, client_id=client_id)
    send(conversation, seeker, client_id=client_id)

    assert list(MessageActivityDay.objects.values_list("messages", flat=True)) == [1]


def test_a_refused_send_leaves_the_rollup_alone(chat):
    conversation, seeker, _ = chat
    with pytest.raises(Exception):  # noqa: B017 — the reply target does not exist: ValidationFailed
        send(conversation, seeker, reply_to_seq=99)

    assert not MessageActivityDay.objects.exists()
    assert not Message.objects.exists()


def test_edits_change_nothing_and_deleted_messages_keep_counting(chat):
    conversation, seeker, helper = chat
    first = send(conversation, seeker, "first")
    send(conversation, helper, "reply")
    before = rollup()

    services.message_edit(conversation_id=conversation.pk, seq=first.seq, actor=seeker, body="edited")
    services.message_delete(conversation_id=conversation.pk, seq=first.seq, actor=seeker)

    assert rollup() == before == counted_from_messages()
    assert sum(before.values()) == 2


def test_the_first_reply_is_the_first_mentor_message_and_is_never_overwritten(chat):
    conversation, seeker, helper = chat
    conversation.engagement.starts_at = at(5, 1)
    conversation.engagement.save(update_fields=["starts_at"])
    with clock.travel_to(at(6, 1, 9)):
        send(conversation, seeker, "hello?")
    assert not ChatFirstReply.objects.exists()  # a seeker's message is not an answer

    with clock.travel_to(at(6, 1, 13)):
        answer = send(conversation, helper, "here")
    with clock.travel_to(at(6, 1, 15)):
        send(conversation, helper, "and more")

    reply = ChatFirstReply.objects.get()
    assert (reply.conversation_id, reply.engagement_id) == (conversation.pk, conversation.engagement_id)
    assert reply.replied_at == answer.created_at
    assert at(6, 1, 13) <= reply.replied_at < at(6, 1, 14)


def test_a_mentor_message_before_the_engagement_starts_is_not_its_first_answer():
    org = OrganizationFactory()
    seeker, helper = member(org), mentor(org)
    engagement = EngagementFactory(
        organization=org,
        participants=[(seeker, Participant.Role.SEEKER), (helper, Participant.Role.MENTOR)],
        starts_at=at(6, 10),
    )
    conversation = Conversation.objects.create(organization=org, engagement=engagement)
    early = raw_message(conversation, helper, at(6, 9))
    activity.record_message(early, conversation)
    assert not ChatFirstReply.objects.exists()

    later = raw_message(conversation, helper, at(6, 10, 2))
    activity.record_message(later, conversation)
    assert ChatFirstReply.objects.get().replied_at == at(6, 10, 2)


# --- recount: backfill, repair, command -------------------------------------------------------------


def test_the_rebuild_equals_counting_the_messages_after_imports_and_deletes(chat):
    conversation, seeker, helper = chat
    other_chat, (other_seeker, other_helper) = engagement_chat()
    send(conversation, seeker)
    deleted = send(conversation, helper)
    services.message_delete(conversation_id=conversation.pk, seq=deleted.seq, actor=helper)
    raw_message(conversation, seeker, at(5, 3, 4))  # imported: not in the rollup yet
    raw_message(other_chat, other_helper, at(5, 3, 5))
    raw_message(other_chat, other_seeker, at(5, 4, 5))
    assert rollup() != counted_from_messages()

    rows = activity.activity_rebuild()

    assert rollup() == counted_from_messages()
    assert rows == len(counted_from_messages()) == 5
    activity.activity_rebuild()  # idempotent
    assert rollup() == counted_from_messages()


def test_a_rebuild_of_some_days_and_one_workspace_leaves_the_rest_alone(chat):
    conversation, seeker, _ = chat
    other_chat, (other_seeker, _) = engagement_chat()
    raw_message(conversation, seeker, at(5, 1))
    raw_message(conversation, seeker, at(5, 3))
    raw_message(other_chat, other_seeker, at(5, 3))
    org = conversation.organization_id

    activity.activity_rebuild(since=date(2026, 5, 2), organization_id=org)

    assert rollup() == {(org, date(2026, 5, 3), seeker.pk): 1}


def test_the_first_replies_rebuild_finds_the_earliest_mentor_message(chat):
    conversation, seeker, helper = chat
    engagement = conversation.engagement
    engagement.starts_at = at(5, 1)
    engagement.save(update_fields=["starts_at"])
    raw_message(conversation, seeker, at(5, 1, 1))
    raw_message(conversation, helper, at(5, 1, 6))
    raw_message(conversation, helper, at(5, 1, 8))
    # a wrong row (as a bug or a hand edit would leave): the rebuild replaces it
    ChatFirstReply.objects.create(conversation=conversation, engagement=engagement, replied_at=at(5, 9))

    assert activity.first_replies_rebuild() == 1

    assert ChatFirstReply.objects.get().replied_at == at(5, 1, 6)


def test_the_nightly_repair_recounts_the_last_two_days_only(chat):
    conversation, seeker, _ = chat
    raw_message(conversation, seeker, at(6, 9, 12))
    raw_message(conversation, seeker, at(6, 10, 12))
    raw_message(conversation, seeker, at(6, 8, 12))  # three days back: left to the backfill
    org = conversation.organization_id

    with clock.travel_to(at(6, 10, 3)):
        from messaging import tasks

        result = tasks.activity_repair.delay().get()

    assert result["days"] == 2
    assert rollup() == {(org, date(2026, 6, 9), seeker.pk): 1, (org, date(2026, 6, 10), seeker.pk): 1}


def test_the_rebuild_command_backfills_everything_and_reports_it(chat):
    conversation, seeker, helper = chat
    conversation.engagement.starts_at = at(4, 30)
    conversation.engagement.save(update_fields=["starts_at"])
    raw_message(conversation, seeker, at(5, 1))
    raw_message(conversation, helper, at(5, 2))
    out = StringIO()

    call_command("rebuild_activity", stdout=out)

    assert rollup() == counted_from_messages()
    assert "Recounted 2 person-days of messages and 1 chat first replies." in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--since", "yesterday"], "YYYY-MM-DD"), (["--organization", "999999"], "No workspace with id 999999")],
)
def test_the_rebuild_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_activity", *args)


# --- concurrency (PostgreSQL) -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_sending_in_many_chats_at_once_is_counted_exactly(settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    org = OrganizationFactory()
    helper = mentor(org)
    chats = [engagement_chat(org, people=[(member(org), "seeker"), (helper, "mentor")])[0] for _ in range(6)]
    per_chat = 5

    run_together(len(chats), lambda i: [send(chats[i], helper, f"{i}-{n}") for n in range(per_chat)])

    day = activity.utc_day(clock.now())
    assert rollup() == {(org.pk, day, helper.pk): len(chats) * per_chat}
    assert ChatFirstReply.objects.filter(conversation__in=chats).count() == len(chats)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_running_while_people_send_neither_loses_nor_doubles_a_message(settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    org = OrganizationFactory()
    chats = [engagement_chat(org)[0] for _ in range(4)]
    senders = [chat.members.order_by("id").first().user for chat in chats]

    def work(index):
        if index == len(chats):  # the extra thread recounts over and over
            for _ in range(5):
                activity.activity_rebuild(organization_id=org.pk)
            return
        for n in range(10):
            send(chats[index], senders[index], f"{index}-{n}")

    run_together(len(chats) + 1, work)

    assert rollup() == counted_from_messages()
    assert sum(rollup().values()) == 40


def test_the_rollup_reads_no_message_text(chat):
    conversation, seeker, _ = chat
    send(conversation, seeker, "a secret about my manager")
    row = MessageActivityDay.objects.values().get()
    assert set(row) == {"id", "organization_id", "day", "author_id", "messages"}
    assert timedelta(0) <= clock.now() - datetime.combine(row["day"], datetime.min.time(), tzinfo=UTC)
