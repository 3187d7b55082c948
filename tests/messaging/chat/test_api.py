"""The chat REST API: conversations with unread counts, history paged by seq,
idempotent send, edit, delete, read — one error format, pinned query counts."""

import uuid

import pytest
from rest_framework.test import APIClient

from messaging.chat import services
from messaging.models import Message
from tests.clients import api_client_for
from tests.factories import member
from tests.messaging.factories import engagement_chat, send

pytestmark = pytest.mark.django_db


def url(conversation, suffix=""):
    return f"/api/conversations/{conversation.pk}{suffix}"


def test_the_conversation_list_shows_members_read_marks_and_unread_counts(chat):
    conversation, sam, ana = chat
    send(conversation, sam, "one")
    send(conversation, sam, "two")

    response = api_client_for(ana).get("/api/conversations")

    assert response.status_code == 200
    [entry] = response.json()["results"]
    assert entry["id"] == conversation.pk and entry["engagement"] == conversation.engagement_id
    assert entry["title"] == conversation.engagement.title
    assert (entry["last_seq"], entry["unread_count"], entry["my_last_read_seq"]) == (2, 2, 0)
    assert {(m["id"], m["last_read_seq"]) for m in entry["members"]} == {(sam.pk, 2), (ana.pk, 0)}


def test_the_conversation_list_takes_the_same_number_of_queries_for_one_or_many(
    chat, django_assert_num_queries
):
    conversation, sam, ana = chat
    send(conversation, sam, "one")
    client = api_client_for(ana)
    client.get("/api/conversations")  # warm the session

    with django_assert_num_queries(6) as one:
        assert len(client.get("/api/conversations").json()["results"]) == 1
    for _ in range(4):
        other, _ = engagement_chat(
            conversation.engagement.organization, people=[(sam, "seeker"), (ana, "mentor")]
        )
        send(other, sam, "more")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/conversations").json()["results"]) == 5


def test_history_pages_by_seq_with_cursors_and_a_fixed_query_count(chat, django_assert_num_queries):
    conversation, sam, ana = chat
    for i in range(5):
        send(conversation, sam, f"m{i}")
    client = api_client_for(ana)
    client.get(url(conversation, "/messages"))

    with django_assert_num_queries(5):
        latest = client.get(url(conversation, "/messages"), {"limit": 2}).json()
    older = client.get(url(conversation, "/messages"), {"before": latest["next_before"], "limit": 2}).json()
    newer = client.get(url(conversation, "/messages"), {"after": 1, "limit": 10}).json()
    with django_assert_num_queries(5):
        client.get(url(conversation, "/messages"), {"limit": 200})

    assert [m["seq"] for m in latest["results"]] == [4, 5]
    assert (latest["has_more"], latest["next_before"], latest["next_after"]) == (True, 4, None)
    assert [m["seq"] for m in older["results"]] == [2, 3] and older["next_before"] == 2
    assert [m["seq"] for m in newer["results"]] == [2, 3, 4, 5] and newer["has_more"] is False
    assert latest["results"][0]["author"] == {"id": sam.pk, "name": "Sam Seeker"}


def test_sending_over_rest_is_idempotent_on_client_id(chat):
    conversation, sam, _ = chat
    client = api_client_for(sam)
    payload = {"client_id": str(uuid.uuid4()), "body": "hello *there*"}

    first = client.post(url(conversation, "/messages"), payload, format="json")
    retry = client.post(url(conversation, "/messages"), payload, format="json")

    assert first.status_code == 201 and retry.status_code == 200
    assert first.json() == retry.json()
    assert first.json()["seq"] == 1 and "<em>there</em>" in first.json()["body_html"]
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"client_id": "nope", "body": "x"}, 400, "invalid_client_id", "client_id"),
        ({"body": "x"}, 400, "invalid", "client_id"),
        ({"client_id": "5b0a6a0e-9f5e-4f55-9b1e-3d0f1b2c3d4e", "body": "  "}, 400, "empty_body", "body"),
        (
            {"client_id": "5b0a6a0e-9f5e-4f55-9b1e-3d0f1b2c3d4e", "body": "x" * 10_001},
            400,
            "body_too_long",
            "body",
        ),
        (
            {"client_id": "5b0a6a0e-9f5e-4f55-9b1e-3d0f1b2c3d4e", "body": "x", "reply_to": 9},
            400,
            "invalid",
            "reply_to",
        ),
    ],
)
def test_bad_sends_name_the_field_and_store_nothing(chat, payload, status, code, field):
    conversation, sam, _ = chat

    response = api_client_for(sam).post(url(conversation, "/messages"), payload, format="json")

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"]
    assert Message.objects.count() == 0


def test_a_conversation_that_is_not_yours_is_a_404_like_a_missing_one(chat):
    conversation, sam, _ = chat
    send(conversation, sam, "private")
    outsider = api_client_for(member(conversation.engagement.organization))

    answers = [
        outsider.get(url(conversation)),
        outsider.get(url(conversation, "/messages")),
        outsider.post(
            url(conversation, "/messages"), {"client_id": str(uuid.uuid4()), "body": "x"}, format="json"
        ),
        outsider.patch(url(conversation, "/messages/1"), {"body": "x"}, format="json"),
        outsider.delete(url(conversation, "/messages/1")),
        outsider.post(url(conversation, "/read"), {"last_read_seq": 1}, format="json"),
        outsider.get("/api/conversations/999999/messages"),
    ]

    assert {response.status_code for response in answers} == {404}
    assert {response.json()["error"]["message"] for response in answers} == {"No such conversation."}
    assert outsider.get("/api/conversations").json()["results"] == []


def test_edit_and_delete_over_rest_only_for_the_author(chat):
    conversation, sam, ana = chat
    send(conversation, sam, "typo")

    refused = api_client_for(ana).patch(url(conversation, "/messages/1"), {"body": "mine"}, format="json")
    edited = api_client_for(sam).patch(url(conversation, "/messages/1"), {"body": "fixed"}, format="json")
    refused_delete = api_client_for(ana).delete(url(conversation, "/messages/1"))
    deleted = api_client_for(sam).delete(url(conversation, "/messages/1"))
    missing = api_client_for(sam).delete(url(conversation, "/messages/2"))

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_message"
    assert edited.status_code == 200 and edited.json()["body"] == "fixed" and edited.json()["edited_at"]
    assert refused_delete.status_code == 403
    assert deleted.status_code == 204 and missing.status_code == 404
    tombstone = api_client_for(ana).get(url(conversation, "/messages")).json()["results"][0]
    assert tombstone["seq"] == 1 and tombstone["body"] == "" and tombstone["deleted_at"]


def test_the_read_mark_over_rest_rises_and_is_checked(chat):
    conversation, sam, ana = chat
    send(conversation, sam, "one")
    send(conversation, sam, "two")
    client = api_client_for(ana)

    raised = client.post(url(conversation, "/read"), {"last_read_seq": 2}, format="json")
    lowered = client.post(url(conversation, "/read"), {"last_read_seq": 1}, format="json")
    past = client.post(url(conversation, "/read"), {"last_read_seq": 3}, format="json")

    assert raised.json() == {"conversation": conversation.pk, "last_read_seq": 2}
    assert lowered.json()["last_read_seq"] == 2
    assert past.status_code == 400 and "last_read_seq" in past.json()["error"]["fields"]
    assert client.get("/api/conversations").json()["results"][0]["unread_count"] == 0


def test_rate_limited_sends_get_429_with_the_rate_limited_code(chat, settings):
    settings.TANDEM_MESSAGE_RATE = (1, 60)
    conversation, sam, _ = chat
    client = api_client_for(sam)
    client.post(url(conversation, "/messages"), {"client_id": str(uuid.uuid4()), "body": "a"}, format="json")

    response = client.post(
        url(conversation, "/messages"), {"client_id": str(uuid.uuid4()), "body": "b"}, format="json"
    )

    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    assert Message.objects.count() == 1


def test_the_api_needs_a_signed_in_workspace_member(chat):
    conversation, _, _ = chat

    assert APIClient().get("/api/conversations").status_code in (401, 403)
    assert APIClient().get(url(conversation, "/messages")).status_code in (401, 403)


def test_the_same_message_has_the_same_shape_over_rest_and_the_socket(chat):
    from messaging.chat.serializers import MessageOut
    from messaging.sockets.events import message_data

    conversation, sam, _ = chat
    message = services.message_send(
        conversation_id=conversation.pk, author=sam, client_id=uuid.uuid4(), body="same"
    )

    assert MessageOut(message).data == message_data(message)
    assert set(MessageOut().fields) == set(message_data(message))


def test_conversations_are_listed_by_their_latest_message_first(chat):
    conversation, sam, ana = chat
    quiet, _ = engagement_chat(
        conversation.engagement.organization, people=[(sam, "seeker"), (ana, "mentor")]
    )
    busy, _ = engagement_chat(conversation.engagement.organization, people=[(sam, "seeker"), (ana, "mentor")])
    send(busy, sam, "first")
    send(conversation, sam, "latest")

    results = api_client_for(ana).get("/api/conversations").json()["results"]

    assert [entry["id"] for entry in results] == [conversation.pk, busy.pk, quiet.pk]
    assert results[0]["last_message_at"] and results[2]["last_message_at"] is None
