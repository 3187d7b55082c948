"""The chat's channel-layer events (messaging.sockets.events) go out on
core.realtime's groups, only after commit, in the shape the consumer forwards."""

import json

import pytest

from core.realtime import conversation_group, user_group
from messaging.chat import services
from messaging.sockets import events
from tests.messaging.factories import send
from tests.messaging.layer import listening_to

pytestmark = pytest.mark.django_db


def test_a_membership_change_reaches_the_users_group_after_commit(django_capture_on_commit_callbacks):
    with listening_to(user_group(7)) as layer:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            events.membership_changed_on_commit(user_id=7, conversation_id=12, joined=True)
            events.membership_changed_on_commit(user_id=7, conversation_id=13, joined=False)
        assert layer.received() == []
        for callback in callbacks:
            callback()

        assert layer.received() == [
            {"type": "conversation.joined", "conversation": 12},
            {"type": "conversation.left", "conversation": 13},
        ]


def test_an_edit_and_a_delete_are_chat_frames_for_the_conversation(chat, django_capture_on_commit_callbacks):
    conversation, sam, _ = chat
    send(conversation, sam, "typo")

    with listening_to(conversation_group(conversation.pk)) as layer:
        with django_capture_on_commit_callbacks(execute=True):
            edited = services.message_edit(conversation_id=conversation.pk, seq=1, actor=sam, body="fixed")
        with django_capture_on_commit_callbacks(execute=True):
            deleted = services.message_delete(conversation_id=conversation.pk, seq=1, actor=sam)
        updated, gone = layer.received()

    # the frame encoded once, for every socket of the conversation to send as is
    assert updated == {
        "type": "chat.frame",
        "conversation": conversation.pk,
        "text": json.dumps({"type": "message.updated", "message": events.message_data(edited)}),
        "skip_channel": None,
    }
    assert json.loads(gone["text"]) == {
        "type": "message.deleted",
        "conversation": conversation.pk,
        "seq": 1,
        "deleted_at": deleted.deleted_at.isoformat(),
    }
