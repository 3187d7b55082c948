"""The chat panel in HTML: rendered on the engagement page for participants
only, with the last 50 messages, and a plain form that sends without JavaScript."""

import re
import uuid

import pytest

from messaging.models import Message
from tests.clients import client_for
from tests.factories import talent_manager
from tests.messaging.factories import send

pytestmark = pytest.mark.django_db


def engagement_page(conversation):
    return f"/engagements/{conversation.engagement_id}/"


def test_participants_see_the_latest_fifty_messages_and_the_form_on_the_engagement_page(chat, settings):
    settings.TANDEM_MESSAGE_RATE = (1000, 10)
    conversation, sam, ana = chat
    for i in range(55):
        send(conversation, sam if i % 2 else ana, f"message number {i}")

    html = client_for(ana).get(engagement_page(conversation)).content.decode()

    seqs = [int(s) for s in re.findall(r'class="chat-message[^"]*" data-seq="(\d+)"', html)]
    assert seqs == list(range(6, 56))
    assert f'data-conversation="{conversation.pk}"' in html and 'data-last-seq="55"' in html
    assert f'action="/conversations/{conversation.pk}/send/"' in html
    assert "static/js/chat.js" in html or "/js/chat." in html
    assert f"/conversations/{conversation.pk}/?before=6" in html  # older messages without JS
    assert 'aria-live="polite"' in html


def test_a_talent_manager_sees_the_engagement_but_never_its_chat(chat):
    conversation, sam, _ = chat
    send(conversation, sam, "private words")
    manager = talent_manager(conversation.engagement.organization)

    response = client_for(manager).get(engagement_page(conversation))

    assert response.status_code == 200
    html = response.content.decode()
    assert "private words" not in html and "data-chat" not in html


def test_a_former_participant_no_longer_sees_the_chat(chat):
    from core import clock
    from mentoring.models import Participant
    from messaging.chat import services

    conversation, sam, ana = chat
    send(conversation, sam, "after you left")
    Participant.objects.filter(engagement=conversation.engagement, user=ana).update(left_at=clock.now())
    services.conversation_sync_members(engagement_id=conversation.engagement_id)

    html = client_for(ana).get(engagement_page(conversation)).content.decode()

    assert "after you left" not in html and "data-chat" not in html


def test_the_plain_form_sends_once_even_when_submitted_twice(chat):
    conversation, sam, _ = chat
    client = client_for(sam)
    form = {
        "client_id": str(uuid.uuid4()),
        "body": "no *javascript* here",
        "next": engagement_page(conversation),
    }

    first = client.post(f"/conversations/{conversation.pk}/send/", form)
    second = client.post(f"/conversations/{conversation.pk}/send/", form)

    assert first.status_code == 302 and first["Location"] == engagement_page(conversation) + "#chat-panel"
    assert second.status_code == 302
    assert Message.objects.get().body == "no *javascript* here"
    page = client.get(engagement_page(conversation)).content.decode()
    assert "<em>javascript</em>" in page


def test_a_bad_plain_send_keeps_the_text_and_explains_the_fix(chat):
    conversation, sam, _ = chat
    long_body = "x" * 10_001

    response = client_for(sam).post(
        f"/conversations/{conversation.pk}/send/", {"client_id": str(uuid.uuid4()), "body": long_body}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert long_body in html and 'aria-invalid="true"' in html
    assert "Shorten it to 10,000 characters" in html
    assert Message.objects.count() == 0


def test_an_off_site_next_is_ignored(chat):
    conversation, sam, _ = chat

    response = client_for(sam).post(
        f"/conversations/{conversation.pk}/send/",
        {"client_id": str(uuid.uuid4()), "body": "hi", "next": "https://evil.example.net/"},
    )

    assert response["Location"] == f"/conversations/{conversation.pk}/#chat-panel"


def test_older_messages_page_and_outsiders_get_404(chat):
    conversation, sam, _ = chat
    for i in range(3):
        send(conversation, sam, f"m{i}")
    outsider = client_for(talent_manager(conversation.engagement.organization))

    older = client_for(sam).get(f"/conversations/{conversation.pk}/?before=3").content.decode()

    assert re.findall(r'data-seq="(\d+)"', older) == ["1", "2"]
    assert 'data-latest="false"' in older
    assert outsider.get(f"/conversations/{conversation.pk}/?before=3").status_code == 404
    assert outsider.post(f"/conversations/{conversation.pk}/send/", {"body": "x"}).status_code == 404
    assert client_for(sam).get(f"/conversations/{conversation.pk}/").status_code == 302


def test_a_bad_older_cursor_is_an_error_page_with_the_fix(chat):
    conversation, sam, _ = chat

    response = client_for(sam).get(f"/conversations/{conversation.pk}/?before=abc")

    assert response.status_code == 400
    assert "before must be a message seq." in response.content.decode()


def test_a_participant_opens_the_chat_of_an_engagement_that_has_none(org):
    from messaging.models import Conversation
    from tests.mentoring.factories import pair_engagement

    engagement = pair_engagement(org)  # made by a factory: no conversation
    seeker = engagement.participants.get(role="seeker").user

    opened = client_for(seeker).post(f"/engagements/{engagement.pk}/chat/")
    again = client_for(seeker).post(f"/engagements/{engagement.pk}/chat/")

    assert opened.status_code == 302 and opened["Location"] == f"/engagements/{engagement.pk}/#chat-panel"
    assert again.status_code == 302
    conversation = Conversation.objects.get(engagement=engagement)
    assert set(conversation.members.values_list("user_id", flat=True)) == set(
        engagement.participants.values_list("user_id", flat=True)
    )


def test_only_current_participants_may_open_an_engagement_chat(org):
    from core import clock
    from messaging.models import Conversation
    from tests.mentoring.factories import pair_engagement

    engagement = pair_engagement(org)
    seeker = engagement.participants.get(role="seeker")
    seeker.left_at = clock.now()
    seeker.save(update_fields=["left_at"])

    answers = [
        client_for(user).post(f"/engagements/{engagement_id}/chat/").status_code
        for user, engagement_id in (
            (seeker.user, engagement.pk),  # left
            (talent_manager(org), engagement.pk),  # reads the engagement, never its chat
            (seeker.user, engagement.pk + 1000),  # no such engagement
        )
    ]

    assert answers == [404, 404, 404]
    assert not Conversation.objects.filter(engagement=engagement).exists()
