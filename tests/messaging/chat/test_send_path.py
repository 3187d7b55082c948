"""The send path the socket benchmarks (bench/ws_*.py) tuned: a fixed number of
queries per send, the same answers for bad ids, and a chat that keeps working
while the cache (Redis) is unreachable."""

import logging
import uuid
from datetime import timedelta

import pytest
from django.db import connection

from core import clock
from core.errors import NotFound
from mentoring.models import Engagement
from messaging.chat import services
from messaging.models import Conversation, Message, MessageMention
from tests.factories import member
from tests.messaging.dead_cache import cache_down
from tests.messaging.factories import send

pytestmark = pytest.mark.django_db


def test_a_plain_send_costs_a_fixed_number_of_queries(chat, django_assert_num_queries):
    conversation, seeker, ana = chat
    send(conversation, seeker, "warm-up")
    Engagement.objects.filter(pk=conversation.engagement_id).update(
        last_activity_at=clock.now() - timedelta(minutes=5)
    )
    # conversation + membership + stored client_id + first reply recorded? (1), savepoint,
    # on PostgreSQL the seq UPDATE, the message INSERT and the read mark as one statement
    # (three on SQLite), activity rollup (3: the day, ana's first of the day so her month
    # bitmap, the first reply), engagement touch, release savepoint.
    statements = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(7 + statements):
        message = send(conversation, ana, "no mentions here")
    assert message.created is True
    assert message.seq == 2
    # touched a moment ago: the next send skips the engagement UPDATE; not the seeker's
    # first message of the day (the warm-up was): no month bitmap upsert either; and
    # the lookup saw that ana's message is the chat's first reply: no first-reply insert
    with django_assert_num_queries(4 + statements):
        send(conversation, seeker, "and another")


def test_a_busy_chat_touches_its_engagement_at_most_once_a_minute(chat):
    conversation, seeker, ana = chat
    start = clock.now()
    with clock.travel_to(start):
        first = send(conversation, seeker, "one")
    with clock.travel_to(start + timedelta(seconds=30)):
        send(conversation, ana, "two")
    assert Engagement.objects.get(pk=conversation.engagement_id).last_activity_at == first.created_at
    with clock.travel_to(start + timedelta(seconds=61)):
        third = send(conversation, seeker, "three")
    assert Engagement.objects.get(pk=conversation.engagement_id).last_activity_at == third.created_at


def test_the_rate_limit_counts_every_send_of_a_window_across_first_and_later_sends(chat, settings):
    conversation, seeker, _ = chat
    settings.TANDEM_MESSAGE_RATE = (3, 600)
    for i in range(3):
        send(conversation, seeker, f"m{i}")
    with pytest.raises(services.RateLimited) as caught:
        send(conversation, seeker, "one too many")
    assert caught.value.retry_after >= 1
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_seqs_come_from_the_one_update_and_the_conversation_records_the_last(chat):
    conversation, seeker, ana = chat
    moment = clock.now()

    seqs = [send(conversation, author, f"m{i}").seq for i, author in enumerate([seeker, ana, seeker])]

    assert seqs == [1, 2, 3]
    conversation.refresh_from_db()
    assert conversation.last_seq == 3
    assert conversation.last_message_at >= moment
    assert list(Message.objects.filter(conversation=conversation).values_list("seq", flat=True)) == [1, 2, 3]


def test_a_retry_is_found_by_the_same_query_and_stores_nothing(chat, django_assert_max_num_queries):
    conversation, seeker, _ = chat
    client_id = uuid.uuid4()
    first = send(conversation, seeker, "once", client_id=client_id)

    with django_assert_max_num_queries(2):  # the conversation with the stored id, then the message
        again = send(conversation, seeker, "once (retried)", client_id=client_id)

    assert again.created is False
    assert (again.pk, again.seq, again.body) == (first.pk, first.seq, "once")
    assert Message.objects.filter(conversation=conversation).count() == 1


@pytest.mark.parametrize("bad_id", ["abc", True, -1, 0, None, 10**9])
def test_malformed_missing_and_not_mine_ids_get_the_same_not_found(chat, bad_id):
    conversation, seeker, _ = chat
    outsider = member(conversation.organization)
    for person, conversation_id in ((seeker, bad_id), (outsider, conversation.pk)):
        with pytest.raises(NotFound) as caught:
            services.message_send(
                conversation_id=conversation_id, author=person, client_id=uuid.uuid4(), body="hi"
            )
        assert caught.value.message == "No such conversation."
    assert not Message.objects.exists()


def test_a_mention_is_still_recorded_and_notified(chat):
    conversation, seeker, ana = chat
    message = send(conversation, seeker, "thanks @Ana Mentor")
    assert list(MessageMention.objects.filter(message=message).values_list("user_id", flat=True)) == [ana.pk]
    assert ana.notifications.filter(kind="mention").count() == 1


def test_sending_works_while_the_cache_is_down_and_the_outage_is_logged(chat, caplog):
    conversation, seeker, _ = chat

    with cache_down(), caplog.at_level(logging.WARNING, logger="messaging.chat.services"):
        message = send(conversation, seeker, "Redis is restarting")

    assert message.created is True
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 1
    assert "rate limit not checked" in caplog.text
