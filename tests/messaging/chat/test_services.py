"""Messaging services: conversations follow engagements, gap-free seq, idempotent
sends, edit/delete rules, read marks, rate limit, mentions, sanitizing, and the
after-commit fan-out."""

import json
import uuid

import pytest
from django.db import connection

from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.realtime import conversation_group
from mentoring.models import Engagement, Participant
from messaging.chat import selectors, services
from messaging.models import Conversation, ConversationMember, Message, MessageMention, ReadState
from tests.concurrency import run_together
from tests.factories import member
from tests.mentoring.factories import EngagementFactory, mentor
from tests.messaging.factories import engagement_chat, send
from tests.messaging.layer import listening_to

pytestmark = pytest.mark.django_db


# --- conversations ---------------------------------------------------------------


def test_an_engagement_gets_one_conversation_whose_members_are_its_active_participants(chat):
    conversation, seeker, ana = chat

    again = services.conversation_for_engagement(engagement=conversation.engagement)

    assert again.pk == conversation.pk
    assert Conversation.objects.filter(engagement=conversation.engagement).count() == 1
    assert set(selectors.member_user_ids(conversation.pk)) == {seeker.pk, ana.pk}
    assert ReadState.objects.filter(conversation=conversation).count() == 2


def test_members_follow_participants_who_join_and_leave(org):
    a, b, c = mentor(org), member(org), member(org)
    conversation, _ = engagement_chat(
        org, kind="group", people=[(a, Participant.Role.MENTOR), (b, Participant.Role.SEEKER)]
    )
    engagement = conversation.engagement

    Participant.objects.create(engagement=engagement, user=c, role=Participant.Role.SEEKER)
    Participant.objects.filter(engagement=engagement, user=b).update(left_at=clock.now())
    services.conversation_sync_members(engagement_id=engagement.pk)

    assert set(selectors.member_user_ids(conversation.pk)) == {a.pk, c.pk}
    with pytest.raises(NotFound):
        selectors.access_conversation(b, conversation.pk)
    assert selectors.access_conversation(c, conversation.pk) == conversation


def test_the_engagement_services_keep_chat_members_in_step_when_people_join_and_leave(org):
    from mentoring.engagements.services.engagements import participant_add, participant_leave

    lead, second, seeker, newcomer = mentor(org), mentor(org), member(org), member(org)
    conversation, _ = engagement_chat(
        org,
        kind="group",
        people=[
            (lead, Participant.Role.MENTOR),
            (second, Participant.Role.MENTOR),
            (seeker, Participant.Role.SEEKER),
        ],
    )
    engagement = conversation.engagement

    participant_add(actor=lead, engagement_id=engagement.pk, user=newcomer, role=Participant.Role.SEEKER)
    assert selectors.access_conversation(newcomer, conversation.pk) == conversation

    participant_leave(actor=seeker, engagement_id=engagement.pk)
    with pytest.raises(NotFound):
        selectors.access_conversation(seeker, conversation.pk)
    assert set(selectors.member_user_ids(conversation.pk)) == {lead.pk, second.pk, newcomer.pk}


def test_a_conversation_that_does_not_exist_and_one_that_is_not_yours_read_the_same(chat):
    conversation, _, _ = chat
    outsider = member(conversation.organization)

    with pytest.raises(NotFound) as not_mine:
        selectors.access_conversation(outsider, conversation.pk)
    with pytest.raises(NotFound) as missing:
        selectors.access_conversation(outsider, conversation.pk + 1000)

    assert not_mine.value.message == missing.value.message
    for bad in ("abc", None, -1, True):
        with pytest.raises(NotFound):
            selectors.access_conversation(outsider, bad)


# --- sending ---------------------------------------------------------------------------


def test_messages_get_consecutive_seqs_and_raise_last_seq(chat):
    conversation, seeker, ana = chat

    seqs = [send(conversation, author, f"m{i}").seq for i, author in enumerate([seeker, ana, seeker])]

    conversation.refresh_from_db()
    assert seqs == [1, 2, 3]
    assert conversation.last_seq == 3


def test_a_retry_with_the_same_client_id_returns_the_same_message_and_stores_one(chat):
    conversation, seeker, _ = chat
    client_id = uuid.uuid4()

    first = send(conversation, seeker, "once", client_id=client_id)
    retry = send(conversation, seeker, "once", client_id=str(client_id))

    assert first.created is True and retry.created is False
    assert retry.pk == first.pk and retry.seq == first.seq
    assert Message.objects.filter(conversation=conversation).count() == 1
    conversation.refresh_from_db()
    assert conversation.last_seq == 1


def test_a_client_id_reused_in_another_conversation_is_a_conflict(chat):
    conversation, seeker, ana = chat
    other, _ = engagement_chat(conversation.organization, people=[(seeker, "seeker"), (ana, "mentor")])
    client_id = uuid.uuid4()
    send(conversation, seeker, client_id=client_id)

    with pytest.raises(Conflict) as error:
        send(other, seeker, client_id=client_id)

    assert error.value.code == "client_id_reused"
    assert other.messages.count() == 0


def test_two_people_may_use_the_same_client_id(chat):
    conversation, seeker, ana = chat
    client_id = uuid.uuid4()

    assert send(conversation, seeker, client_id=client_id).seq == 1
    assert send(conversation, ana, client_id=client_id).seq == 2


@pytest.mark.parametrize(
    ("body", "client_id", "code", "field"),
    [
        ("", None, "empty_body", "body"),
        ("  \n\t ", None, "empty_body", "body"),
        ("x" * 10_001, None, "body_too_long", "body"),
        ("hi", "not-a-uuid", "invalid_client_id", "client_id"),
        ("hi", 42, "invalid_client_id", "client_id"),
        (["hi"], None, "invalid", "body"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(chat, body, client_id, code, field):
    conversation, seeker, _ = chat

    with pytest.raises(ValidationFailed) as error:
        services.message_send(
            conversation_id=conversation.pk, author=seeker, client_id=client_id or uuid.uuid4(), body=body
        )

    assert error.value.code == code
    assert field in error.value.fields
    assert Message.objects.count() == 0
    conversation.refresh_from_db()
    assert conversation.last_seq == 0


def test_a_body_of_exactly_ten_thousand_characters_is_accepted(chat):
    conversation, seeker, _ = chat

    assert len(send(conversation, seeker, "y" * 10_000).body) == 10_000


def test_a_non_member_cannot_send_and_gets_not_found(chat):
    conversation, _, _ = chat

    with pytest.raises(NotFound):
        send(conversation, member(conversation.organization))
    assert Message.objects.count() == 0


def test_script_and_html_in_a_body_are_rendered_inert_and_links_get_rel(chat):
    conversation, seeker, _ = chat

    message = send(
        conversation,
        seeker,
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [site](https://example.com) "
        "[bad](javascript:alert(3)) **bold**",
    )

    assert "<script" not in message.body_html and "<img" not in message.body_html
    assert "&lt;script&gt;" in message.body_html  # shown as text, never run
    assert 'href="javascript' not in message.body_html
    assert 'href="https://example.com"' in message.body_html
    assert 'rel="noopener nofollow noreferrer"' in message.body_html
    assert "<strong>bold</strong>" in message.body_html
    assert message.body.startswith("<script>")  # the text as written is kept


def test_a_reply_points_at_a_message_of_the_same_conversation(chat):
    conversation, seeker, ana = chat
    question = send(conversation, seeker, "why?")
    other, _ = engagement_chat(conversation.organization, people=[(seeker, "seeker"), (ana, "mentor")])
    elsewhere = send(other, seeker, "elsewhere")

    answer = send(conversation, ana, "because", reply_to_seq=question.seq)
    with pytest.raises(ValidationFailed) as error:
        send(conversation, ana, "lost", reply_to_seq=99)

    assert answer.reply_to_id == question.pk
    assert "reply_to" in error.value.fields
    assert elsewhere.seq == 1
    assert conversation.messages.count() == 2


def test_sending_records_activity_on_the_engagement_and_marks_the_sender_read(chat):
    conversation, seeker, ana = chat
    Engagement.objects.filter(pk=conversation.engagement_id).update(last_activity_at=None)

    message = send(conversation, seeker)

    engagement = Engagement.objects.get(pk=conversation.engagement_id)
    assert engagement.last_activity_at == message.created_at
    assert ReadState.objects.get(conversation=conversation, member__user=seeker).last_read_seq == 1
    assert selectors.unread_counts(ana) == {conversation.pk: 1}
    assert selectors.unread_counts(seeker) == {conversation.pk: 0}


def test_an_ended_engagement_keeps_its_chat_read_only(chat):
    conversation, seeker, _ = chat
    Engagement.objects.filter(pk=conversation.engagement_id).update(
        state=Engagement.State.COMPLETED, ended_at=clock.now()
    )

    with pytest.raises(Conflict) as error:
        send(conversation, seeker)

    assert error.value.code == "conversation_closed"


def test_sending_faster_than_the_rate_limit_is_refused_with_rate_limited(chat, settings):
    settings.TANDEM_MESSAGE_RATE = (3, 60)
    conversation, seeker, ana = chat
    first = [send(conversation, seeker, f"m{i}") for i in range(3)]

    with pytest.raises(services.RateLimited) as error:
        send(conversation, seeker, "one too many")
    retry_of_stored = send(conversation, seeker, "m0", client_id=first[0].client_id)

    assert error.value.code == "rate_limited" and error.value.status == 429
    assert error.value.retry_after >= 1
    assert retry_of_stored.pk == first[0].pk  # retries are not counted against the limit
    assert send(conversation, ana, "someone else is not limited").seq == 4


def test_mentions_of_members_by_full_name_first_name_and_email_are_recorded(org):
    sam = member(org, full_name="Sam Seeker", email="sam.s@example.com")
    ana = mentor(org, full_name="Ana Mentor", email="ana@example.com")
    bo = member(org, full_name="Bo Builder", email="builder.bo@example.com")
    stranger = member(org, full_name="Zed Outsider")
    conversation, _ = engagement_chat(
        org, kind="group", people=[(sam, "seeker"), (ana, "mentor"), (bo, "seeker")]
    )

    by_name = send(conversation, sam, "@Ana Mentor can you look? cc @builder.bo and @Zed and @Sam")
    by_first = send(conversation, sam, "thanks @ana, and sam@example.com is not a mention")

    assert set(by_name.mentions.values_list("user_id", flat=True)) == {ana.pk, bo.pk}
    assert list(by_first.mentions.values_list("user_id", flat=True)) == [ana.pk]
    assert not MessageMention.objects.filter(user=stranger).exists()


# --- edit, delete -----------------------------------------------------------------------


def test_the_author_edits_their_message_and_the_html_follows(chat):
    conversation, seeker, _ = chat
    message = send(conversation, seeker, "first")

    edited = services.message_edit(conversation_id=conversation.pk, seq=1, actor=seeker, body="*second*")

    assert edited.pk == message.pk
    assert edited.body == "*second*" and "<em>second</em>" in edited.body_html
    assert edited.edited_at is not None


def test_editing_or_deleting_someone_elses_message_is_permission_denied(chat):
    conversation, seeker, ana = chat
    send(conversation, seeker, "mine")

    with pytest.raises(PermissionDenied):
        services.message_edit(conversation_id=conversation.pk, seq=1, actor=ana, body="hacked")
    with pytest.raises(PermissionDenied):
        services.message_delete(conversation_id=conversation.pk, seq=1, actor=ana)

    assert Message.objects.get().body == "mine"


def test_editing_in_a_conversation_that_is_not_yours_or_a_missing_message_is_not_found(chat):
    conversation, seeker, _ = chat
    send(conversation, seeker, "mine")

    with pytest.raises(NotFound):
        services.message_edit(
            conversation_id=conversation.pk, seq=1, actor=member(conversation.organization), body="x"
        )
    with pytest.raises(NotFound):
        services.message_delete(conversation_id=conversation.pk, seq=7, actor=seeker)


def test_deleting_leaves_a_tombstone_so_seq_stays_gap_free(chat):
    conversation, seeker, ana = chat
    send(conversation, seeker, "@Ana Mentor one")
    send(conversation, seeker, "two")

    deleted = services.message_delete(conversation_id=conversation.pk, seq=1, actor=seeker)
    again = services.message_delete(conversation_id=conversation.pk, seq=1, actor=seeker)
    third = send(conversation, ana, "three")

    assert deleted.deleted_at is not None and deleted.body == "" and deleted.body_html == ""
    assert again.deleted_at == deleted.deleted_at
    assert not MessageMention.objects.filter(message=deleted).exists()
    assert [m.seq for m in selectors.history(conversation).messages] == [1, 2, 3]
    assert third.seq == 3
    with pytest.raises(Conflict):
        services.message_edit(conversation_id=conversation.pk, seq=1, actor=seeker, body="back")


# --- read state, history, unread ---------------------------------------------------------


def test_the_read_mark_only_rises_and_never_passes_the_last_seq(chat):
    conversation, seeker, ana = chat
    for i in range(3):
        send(conversation, seeker, f"m{i}")

    assert services.read_update(conversation_id=conversation.pk, user=ana, last_read_seq=2) == 2
    assert services.read_update(conversation_id=conversation.pk, user=ana, last_read_seq=1) == 2
    with pytest.raises(ValidationFailed) as error:
        services.read_update(conversation_id=conversation.pk, user=ana, last_read_seq=4)
    with pytest.raises(ValidationFailed):
        services.read_update(conversation_id=conversation.pk, user=ana, last_read_seq="2")

    assert "last_read_seq" in error.value.fields
    assert selectors.unread_counts(ana) == {conversation.pk: 1}


def test_history_pages_by_seq_in_both_directions(chat):
    conversation, seeker, _ = chat
    for i in range(7):
        send(conversation, seeker, f"m{i}")

    latest = selectors.history(conversation, limit=3)
    older = selectors.history(conversation, before=latest.messages[0].seq, limit=3)
    oldest = selectors.history(conversation, before=older.messages[0].seq, limit=3)
    newer = selectors.history(conversation, after=2, limit=3)
    tail = selectors.history(conversation, after=5, limit=3)

    assert [m.seq for m in latest.messages] == [5, 6, 7] and latest.has_more
    assert [m.seq for m in older.messages] == [2, 3, 4] and older.has_more
    assert [m.seq for m in oldest.messages] == [1] and not oldest.has_more
    assert [m.seq for m in newer.messages] == [3, 4, 5] and newer.has_more
    assert [m.seq for m in tail.messages] == [6, 7] and not tail.has_more
    with pytest.raises(ValidationFailed):
        selectors.history(conversation, before=3, after=1)
    with pytest.raises(ValidationFailed):
        selectors.history(conversation, limit=500)


def test_unread_counts_skip_own_and_deleted_messages_in_one_query(chat, django_assert_num_queries):
    conversation, seeker, ana = chat
    other, _ = engagement_chat(conversation.organization, people=[(seeker, "seeker"), (ana, "mentor")])
    send(conversation, ana, "mine")
    send(conversation, seeker, "one")
    send(conversation, seeker, "two")
    send(other, seeker, "elsewhere")
    services.message_delete(conversation_id=conversation.pk, seq=3, actor=seeker)

    with django_assert_num_queries(1):
        counts = selectors.unread_counts(ana)

    assert counts == {conversation.pk: 1, other.pk: 1}


# --- fan-out after commit --------------------------------------------------------------------


def test_frames_go_out_only_after_commit(chat, django_capture_on_commit_callbacks):
    conversation, seeker, _ = chat

    with listening_to(conversation_group(conversation.pk)) as layer:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            send(conversation, seeker, "hi")
        assert layer.received() == []
        for callback in callbacks:
            callback()
        sent = layer.received()

    # One channel-layer event: the message, then the sender's read mark (they have
    # read their own message), in that order.
    assert [event["type"] for event in sent] == ["chat.frames"]
    assert sent[0]["conversation"] == conversation.pk
    frames = [json.loads(text) for text in sent[0]["texts"]]
    assert [frame["type"] for frame in frames] == ["message.new", "read.updated"]
    assert frames[0]["message"]["seq"] == 1
    assert (frames[1]["user"], frames[1]["last_read_seq"]) == (seeker.pk, 1)


def test_a_failed_send_fans_out_nothing(chat, django_capture_on_commit_callbacks):
    conversation, seeker, _ = chat

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationFailed):
        send(conversation, seeker, "x", reply_to_seq=5)

    assert callbacks == []


# --- concurrency on PostgreSQL ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_gap_free_unique_seqs(org, settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    people = [(mentor(org), "mentor")] + [(member(org), "seeker") for _ in range(5)]
    conversation, users = engagement_chat(org, kind="group", people=people)
    per_person = 8

    def send_many(index):
        for i in range(per_person):
            send(conversation, users[index], f"{index}-{i}")

    run_together(len(users), send_many)

    seqs = list(Message.objects.filter(conversation=conversation).values_list("seq", flat=True))
    conversation.refresh_from_db()
    assert sorted(seqs) == list(range(1, len(users) * per_person + 1))
    assert conversation.last_seq == len(users) * per_person
    for index, user in enumerate(users):  # each sender's own messages keep their order
        bodies = list(Message.objects.filter(author=user).order_by("seq").values_list("body", flat=True))
        assert bodies == [f"{index}-{i}" for i in range(per_person)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_client_id_store_one_message():
    conversation, (seeker, _) = engagement_chat()
    client_id = uuid.uuid4()
    results = []

    run_together(6, lambda i: results.append(send(conversation, seeker, "same", client_id=client_id)))

    assert Message.objects.filter(conversation=conversation).count() == 1
    assert {message.pk for message in results} == {Message.objects.get().pk}
    assert sum(message.created for message in results) == 1
    conversation.refresh_from_db()
    assert conversation.last_seq == 1


def test_an_engagement_without_participants_has_an_empty_conversation():
    engagement = EngagementFactory()

    conversation = services.conversation_for_engagement(engagement=engagement)

    assert not ConversationMember.objects.filter(conversation=conversation).exists()


def test_the_beat_sweep_repairs_members_after_joins_and_leaves_it_was_not_told_about(org):
    from messaging.chat import tasks

    a, b, c = mentor(org), member(org), member(org)
    conversation, _ = engagement_chat(
        org, kind="group", people=[(a, Participant.Role.MENTOR), (b, Participant.Role.SEEKER)]
    )
    engagement_chat(org)  # another conversation, already in sync
    assert selectors.engagements_with_stale_members() == []

    Participant.objects.create(engagement=conversation.engagement, user=c, role=Participant.Role.SEEKER)
    Participant.objects.filter(engagement=conversation.engagement, user=b).update(left_at=clock.now())
    assert selectors.engagements_with_stale_members() == [conversation.engagement_id]

    assert tasks.sync_conversation_members.delay().get() == 1
    assert set(selectors.member_user_ids(conversation.pk)) == {a.pk, c.pk}
    assert selectors.engagements_with_stale_members() == []
    assert tasks.sync_conversation_members.delay().get() == 0


def test_a_plain_send_is_the_lookup_the_seq_the_insert_the_rollup_and_the_read_mark(
    chat, django_assert_num_queries, django_capture_on_commit_callbacks
):
    conversation, _, ana = chat
    send(conversation, ana, "first")  # the engagement's activity touch and first reply are behind us

    # membership + idempotency + first reply recorded? (one lookup); then seq, insert and
    # read mark (one statement on PostgreSQL, three on SQLite), day rollup — nothing else
    # (no mention, no engagement touch, the first reply known); the test's transaction
    # makes the send's own a savepoint (two more statements)
    statements = 1 if connection.vendor == "postgresql" else 3
    with (
        django_assert_num_queries(4 + statements),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        message = send(conversation, ana, "second")

    assert message.created and message.seq == 2 and message.author == ana
    assert message.conversation.engagement.pk == conversation.engagement_id
    assert Message.objects.get(pk=message.pk).body == "second"
    assert ReadState.objects.get(member__user=ana, conversation=conversation).last_read_seq == 2
    assert len(callbacks) == 1  # one fan-out after commit


def test_a_retry_on_the_hot_path_returns_the_stored_message_without_writing(chat, django_assert_num_queries):
    conversation, sam, _ana = chat
    client_id = uuid.uuid4()
    first = send(conversation, sam, "once", client_id=client_id)

    retry = send(conversation, sam, "once", client_id=client_id)

    assert (retry.pk, retry.seq, retry.created) == (first.pk, first.seq, False)
    assert Message.objects.filter(conversation=conversation).count() == 1
