"""The dashboard's message-activity rollup (messaging/chat/activity.py): kept by
message_send in its transaction, recounted by the backfill and the nightly
repair, always equal to counting the messages themselves — and its monthly
bitmaps (MemberActivityMonth) always equal to the day rows folded per month."""

import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext

from core import clock
from mentoring.models import Participant
from messaging.chat import activity, services
from messaging.models import ChatFirstReply, MemberActivityMonth, Message, MessageActivityDay
from tests.concurrency import run_together
from tests.factories import member
from tests.mentoring.factories import EngagementFactory, mentor
from tests.messaging.factories import ConversationFactory, MessageFactory, engagement_chat, send

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
    return MessageFactory(conversation=conversation, author=author, created_at=when, body=body)


@pytest.fixture
def chat(chat, settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    return chat


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


def test_a_mentor_message_before_the_engagement_starts_is_not_its_first_answer(org):
    seeker, helper = member(org), mentor(org)
    engagement = EngagementFactory(
        organization=org,
        participants=[(seeker, Participant.Role.SEEKER), (helper, Participant.Role.MENTOR)],
        starts_at=at(6, 10),
    )
    conversation = ConversationFactory(engagement=engagement)
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
        from messaging.chat import tasks

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
def test_one_person_sending_in_many_chats_at_once_is_counted_exactly(org, settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    helper = mentor(org)
    chats = [engagement_chat(org, people=[(member(org), "seeker"), (helper, "mentor")])[0] for _ in range(6)]
    per_chat = 5

    run_together(len(chats), lambda i: [send(chats[i], helper, f"{i}-{n}") for n in range(per_chat)])

    day = activity.utc_day(clock.now())
    assert rollup() == {(org.pk, day, helper.pk): len(chats) * per_chat}
    assert months() == folded_from_days() == {(org.pk, helper.pk, day.replace(day=1)): 1 << (day.day - 1)}
    assert ChatFirstReply.objects.filter(conversation__in=chats).count() == len(chats)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_running_while_people_send_neither_loses_nor_doubles_a_message(org, settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
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
    assert months() == folded_from_days() != {}


def test_the_rollup_reads_no_message_text(chat):
    conversation, seeker, _ = chat
    send(conversation, seeker, "a secret about my manager")
    row = MessageActivityDay.objects.values().get()
    assert set(row) == {"id", "organization_id", "day", "author_id", "messages"}
    assert timedelta(0) <= clock.now() - datetime.combine(row["day"], datetime.min.time(), tzinfo=UTC)


# --- the monthly bitmaps (MemberActivityMonth) ------------------------------------------------------


def months() -> dict[tuple[int, int, date], int]:
    return {
        (row.organization_id, row.author_id, row.month): row.days for row in MemberActivityMonth.objects.all()
    }


def folded_from_days() -> dict[tuple[int, int, date], int]:
    """What the month table must hold: the MessageActivityDay rows folded per month."""
    folded: dict[tuple[int, int, date], int] = {}
    for org, day, author in MessageActivityDay.objects.values_list("organization_id", "day", "author_id"):
        key = (org, author, day.replace(day=1))
        folded[key] = folded.get(key, 0) | 1 << (day.day - 1)
    return folded


def month_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if activity.MONTHS in q["sql"]]


def test_sends_keep_the_month_bitmaps_equal_to_the_days_folded(chat):
    conversation, seeker, helper = chat
    other_chat, (other_seeker, _) = engagement_chat()
    org, other_org = conversation.organization_id, other_chat.organization_id
    for moment, chat_, author in [
        (at(1, 1, 0), conversation, seeker),  # the 1st: bit 0
        (at(1, 1, 23), conversation, seeker),
        (at(1, 31, 23), conversation, seeker),  # the 31st: bit 30
        (at(1, 31, 23), conversation, helper),
        (at(2, 1, 1), conversation, seeker),  # the next month: another row
        (at(2, 28, 12), conversation, seeker),
        (at(1, 31, 5), other_chat, other_seeker),  # another workspace
        (at(1, 31, 6), other_chat, other_seeker),
    ]:
        with clock.travel_to(moment):
            send(chat_, author)

    assert months() == {
        (org, seeker.pk, date(2026, 1, 1)): 1 | 1 << 30,
        (org, helper.pk, date(2026, 1, 1)): 1 << 30,
        (org, seeker.pk, date(2026, 2, 1)): 1 | 1 << 27,
        (other_org, other_seeker.pk, date(2026, 1, 1)): 1 << 30,
    }
    assert months() == folded_from_days()
    assert MemberActivityMonth.objects.get(author=seeker, month=date(2026, 1, 1)).days == 2**31 - 2**30 + 1


def test_only_the_first_message_of_a_day_writes_the_month_row(chat):
    conversation, seeker, helper = chat
    with clock.travel_to(at(6, 1, 9)):
        with CaptureQueriesContext(connection) as first:
            send(conversation, seeker, "first of the day")
        with CaptureQueriesContext(connection) as second:
            send(conversation, seeker, "second of the day")
        with CaptureQueriesContext(connection) as other_author:
            send(conversation, helper, "someone else's first")
    with clock.travel_to(at(6, 2, 9)), CaptureQueriesContext(connection) as next_day:
        send(conversation, seeker, "first of the next day")

    assert len(month_statements(first)) == 1
    assert month_statements(second) == []
    assert len(month_statements(other_author)) == 1
    assert len(month_statements(next_day)) == 1
    assert months() == {
        (conversation.organization_id, seeker.pk, date(2026, 6, 1)): 0b11,
        (conversation.organization_id, helper.pk, date(2026, 6, 1)): 0b1,
    }


def test_a_refused_or_retried_send_leaves_the_month_bitmaps_alone(chat):
    conversation, seeker, _ = chat
    with pytest.raises(Exception):  # noqa: B017 — the reply target does not exist: ValidationFailed
        send(conversation, seeker, reply_to_seq=99)
    assert not MemberActivityMonth.objects.exists()

    client_id = uuid.uuid4()
    send(conversation, seeker, client_id=client_id)
    with CaptureQueriesContext(connection) as retry:
        send(conversation, seeker, client_id=client_id)
    assert month_statements(retry) == []
    assert months() == folded_from_days() != {}


@pytest.fixture
def corrupted_months(chat):
    """Two workspaces with messages from March to July (imported, then rebuilt), and
    then wrong month rows everywhere: missing, extra bits, a month with no message."""
    conversation, seeker, helper = chat
    other_chat, (other_seeker, _) = engagement_chat()
    for month, day, chat_, author in [
        (3, 31, conversation, seeker),
        (4, 2, conversation, seeker),
        (5, 2, conversation, seeker),  # before `since` in since's month
        (5, 20, conversation, seeker),
        (5, 20, conversation, helper),
        (6, 30, conversation, helper),
        (7, 1, conversation, seeker),  # after `until`'s month
        (5, 20, other_chat, other_seeker),
        (6, 1, other_chat, other_seeker),
    ]:
        raw_message(chat_, author, at(month, day, 12))
    activity.activity_rebuild()
    assert months() == folded_from_days()
    org, other_org = conversation.organization_id, other_chat.organization_id
    wrong = 1 << 12
    MemberActivityMonth.objects.filter(organization_id=org, author=helper, month=date(2026, 5, 1)).delete()
    for month in (3, 4, 5, 6, 7):
        MemberActivityMonth.objects.filter(month=date(2026, month, 1)).update(days=wrong)
    MemberActivityMonth.objects.create(organization_id=org, author=helper, month=date(2026, 8, 1), days=wrong)
    return org, other_org, seeker, helper, other_seeker


def test_a_rebuild_of_some_days_recomputes_their_whole_months_for_its_workspace_only(corrupted_months):
    org, other_org, seeker, helper, other_seeker = corrupted_months
    before = months()

    activity.activity_rebuild(since=date(2026, 5, 10), until=date(2026, 6, 3), organization_id=org)

    after, folded = months(), folded_from_days()
    recomputed = {key for key in after.keys() | folded.keys() if key[0] == org and key[2].month in (5, 6)}
    assert {key: after[key] for key in recomputed if key in after} == {key: folded[key] for key in recomputed}
    # the whole month of `since`: the 2nd (before since) is in May's bitmap too
    assert after[(org, seeker.pk, date(2026, 5, 1))] == 1 << 1 | 1 << 19
    assert after[(org, helper.pk, date(2026, 5, 1))] == 1 << 19  # the deleted row is back
    assert after[(org, helper.pk, date(2026, 6, 1))] == 1 << 29  # the 30th: after `until`, same month
    untouched = {key: value for key, value in before.items() if key not in recomputed}
    assert {key: after[key] for key in untouched} == untouched  # other months and workspace: still wrong
    assert after[(other_org, other_seeker.pk, date(2026, 5, 1))] == 1 << 12


def test_a_rebuild_since_a_day_covers_every_workspace_from_its_month_on(corrupted_months):
    org, _, seeker, helper, _ = corrupted_months

    activity.activity_rebuild(since=date(2026, 5, 31))

    after, folded = months(), folded_from_days()
    assert {k: v for k, v in after.items() if k[2] >= date(2026, 5, 1)} == {
        k: v for k, v in folded.items() if k[2] >= date(2026, 5, 1)
    }
    assert (org, helper.pk, date(2026, 8, 1)) not in after  # a month without a message: gone
    assert after[(org, seeker.pk, date(2026, 4, 1))] == 1 << 12  # before since's month: left alone


def test_the_full_rebuild_and_the_repair_restore_the_fold(corrupted_months):
    activity.rebuild_all()
    assert months() == folded_from_days()

    MemberActivityMonth.objects.all().delete()
    with clock.travel_to(at(7, 1, 3)):
        activity.activity_repair()  # June 30 and July 1: the whole of June and July
    assert months() == {k: v for k, v in folded_from_days().items() if k[2] >= date(2026, 6, 1)}


def test_a_rebuild_recounts_imported_messages_into_the_months(chat):
    conversation, seeker, _ = chat
    raw_message(conversation, seeker, at(2, 28, 23))
    raw_message(conversation, seeker, at(3, 1, 0))
    assert not MemberActivityMonth.objects.exists()

    activity.activity_rebuild(organization_id=conversation.organization_id)

    org = conversation.organization_id
    assert (
        months()
        == folded_from_days()
        == {
            (org, seeker.pk, date(2026, 2, 1)): 1 << 27,
            (org, seeker.pk, date(2026, 3, 1)): 1,
        }
    )


def test_a_person_active_every_day_of_a_31_day_month_fills_all_31_bits(chat):
    conversation, seeker, _ = chat
    for day in range(1, 32):
        raw_message(conversation, seeker, at(1, day, 12))
    activity.activity_rebuild(since=date(2026, 1, 1))
    with clock.travel_to(at(1, 31, 23)):
        send(conversation, seeker)  # not the first of the 31st any more: the month row stays

    assert (
        months()
        == folded_from_days()
        == {(conversation.organization_id, seeker.pk, date(2026, 1, 1)): 2**31 - 1}
    )
    for day in range(1, 32):
        first_day = date(2026, 1, day)
        assert active_authors(conversation.organization_id, first_day, first_day + timedelta(days=1)) == {
            seeker.pk
        }


@pytest.mark.parametrize(
    ("month", "first_day", "end_day", "mask"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 2), 0b1),  # only the 1st
        (date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 1), 1 << 30),  # only the 31st
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 2, 1), 2**31 - 1),  # a whole 31-day month
        (date(2026, 2, 1), date(2026, 1, 1), date(2026, 3, 1), 2**28 - 1),  # a whole February
        (date(2028, 2, 1), date(2028, 2, 1), date(2028, 3, 1), 2**29 - 1),  # a leap February
        (date(2026, 4, 1), date(2026, 3, 15), date(2026, 5, 20), 2**30 - 1),  # inside a longer range
        (date(2026, 6, 1), date(2026, 6, 10), date(2026, 6, 13), 0b111 << 9),  # within one month
        (date(2026, 6, 1), date(2026, 6, 29), date(2026, 7, 5), 0b11 << 28),  # starts mid-month
        (date(2026, 7, 1), date(2026, 6, 29), date(2026, 7, 5), 0b1111),  # ends mid-month
        (date(2025, 12, 1), date(2025, 12, 30), date(2026, 1, 3), 0b11 << 29),  # across the new year
        (date(2026, 1, 1), date(2025, 12, 30), date(2026, 1, 3), 0b11),
        (date(2026, 6, 1), date(2026, 7, 1), date(2026, 7, 5), 0),  # the range misses the month
        (date(2026, 6, 1), date(2026, 5, 1), date(2026, 6, 1), 0),  # end is exclusive
        (date(2026, 6, 1), date(2026, 6, 5), date(2026, 6, 5), 0),  # an empty range
    ],
)
def test_month_mask(month, first_day, end_day, mask):
    assert activity.month_mask(month, first_day, end_day) == mask


@pytest.fixture
def activity_over_a_new_year(org, other_org):
    """Five people of one workspace (and one of another) active on scattered days from
    December 2025 to March 2026, counted by the rebuild."""
    people = [member(org) for _ in range(5)]
    chat_, _ = engagement_chat(org, people=[(people[0], "seeker"), (people[1], "mentor")])
    other_chat, (other_person, _) = engagement_chat(other_org)
    days = {
        people[0]: [date(2025, 12, 1), date(2026, 1, 15)],
        people[1]: [date(2025, 12, 31), date(2026, 1, 1)],
        people[2]: [date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 31)],
        people[3]: [date(2026, 2, 14)],
        people[4]: [date(2026, 2, 28), date(2026, 3, 1)],
    }
    for person, person_days in days.items():
        for day in person_days:
            raw_message(
                chat_, person, datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
            )
    for day in [date(2026, 1, 15), date(2026, 2, 14)]:
        raw_message(other_chat, other_person, datetime.combine(day, datetime.min.time(), tzinfo=UTC))
    activity.activity_rebuild()
    return org.pk, other_org.pk


def active_authors(organization_id, first_day, end_day) -> set[int]:
    sql, params = activity.active_authors_sql(organization_id, first_day, end_day)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {author_id for (author_id,) in cursor.fetchall()}


def active_from_days(organization_id, first_day, end_day) -> set[int]:
    return set(
        MessageActivityDay.objects.filter(
            organization_id=organization_id, day__gte=first_day, day__lt=end_day
        ).values_list("author_id", flat=True)
    )


def test_active_authors_are_the_people_with_a_day_row_in_the_range(activity_over_a_new_year):
    org, other_org = activity_over_a_new_year
    ranges = [
        (date(2025, 12, 1), date(2025, 12, 2)),  # single days: the 1st, the 31st
        (date(2025, 12, 31), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 2)),
        (date(2026, 1, 14), date(2026, 1, 15)),  # nobody
        (date(2025, 12, 2), date(2026, 1, 1)),  # mid-month to a month's end
        (date(2026, 1, 2), date(2026, 2, 14)),  # mid-month to mid-month, end exclusive
        (date(2026, 1, 2), date(2026, 2, 15)),
        (date(2026, 2, 15), date(2026, 3, 31)),
        (date(2025, 11, 1), date(2026, 4, 1)),  # everything
        (date(2026, 1, 16), date(2026, 1, 31)),  # inside one month, nobody
        (date(2026, 3, 2), date(2026, 3, 2)),  # empty
    ]
    for first_day, end_day in ranges:
        assert active_authors(org, first_day, end_day) == active_from_days(org, first_day, end_day), (
            first_day,
            end_day,
        )
    assert len(active_authors(org, date(2025, 11, 1), date(2026, 4, 1))) == 5
    assert (
        active_authors(other_org, date(2026, 1, 15), date(2026, 1, 16))
        == active_from_days(other_org, date(2026, 1, 15), date(2026, 1, 16))
        != set()
    )

    # and every range of 1, 3, 10, 31 or 45 days starting on any day of the period
    start = date(2025, 11, 28)
    while start < date(2026, 4, 3):
        for length in (1, 3, 10, 31, 45):
            end = start + timedelta(days=length)
            assert active_authors(org, start, end) == active_from_days(org, start, end), (start, end)
        start += timedelta(days=1)


def test_active_authors_read_only_the_month_table_and_count_as_a_subquery(activity_over_a_new_year):
    org, _ = activity_over_a_new_year
    sql, params = activity.active_authors_sql(org, date(2025, 12, 15), date(2026, 3, 1))
    assert activity.MONTHS in sql and activity.ACTIVITY not in sql
    MessageActivityDay.objects.all().delete()  # the reader does not need the day rows
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT author_id) FROM ({sql}) active", params)  # noqa: S608
        assert cursor.fetchone()[0] == 5


def test_an_erased_person_takes_their_month_rows_along(chat):
    conversation, seeker, helper = chat
    send(conversation, seeker)
    send(conversation, helper)
    assert MemberActivityMonth.objects.count() == 2

    seeker.delete()

    assert list(MemberActivityMonth.objects.values_list("author_id", flat=True)) == [helper.pk]
    assert months() == folded_from_days()
    conversation.organization.delete()
    assert not MemberActivityMonth.objects.exists()
