"""REST representations for messaging. Input and output serializers are
separate; no logic lives in create()/update() — views call services.

``MessageOut`` renders through ``messaging.sockets.events.message_data`` so the REST
API and the socket frames can never disagree on the shape of a message.
"""

from rest_framework import serializers

from messaging.models import MAX_BODY_CHARS
from messaging.sockets.events import message_data

# --- output ---------------------------------------------------------------------


class AuthorOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageOut(serializers.Serializer):
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="Per-conversation, gap-free, starts at 1.")
    client_id = serializers.UUIDField(help_text="The sender's idempotency key.")
    author = AuthorOut(allow_null=True, help_text="null if the account was erased.")
    body = serializers.CharField(help_text="Markdown as written; empty once deleted.")
    body_html = serializers.CharField(help_text="Sanitized HTML rendering of body.")
    reply_to = serializers.IntegerField(allow_null=True, help_text="seq of the message replied to.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Set on a tombstone.")

    def to_representation(self, instance):
        return message_data(instance)


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.display_name")
    last_read_seq = serializers.SerializerMethodField()

    def get_last_read_seq(self, member) -> int:
        state = getattr(member, "read_state", None)
        return state.last_read_seq if state else 0


class ConversationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    engagement = serializers.IntegerField(source="engagement_id", allow_null=True)
    title = serializers.SerializerMethodField()
    last_seq = serializers.IntegerField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    my_last_read_seq = serializers.IntegerField()
    unread_count = serializers.IntegerField(help_text="Messages after my read mark, not mine, not deleted.")
    members = MemberOut(source="current_members", many=True)

    def get_title(self, conversation) -> str:
        return conversation.engagement.title if conversation.engagement_id else str(conversation)


class HistoryOut(serializers.Serializer):
    results = MessageOut(many=True)
    has_more = serializers.BooleanField(help_text="More messages in the direction asked.")
    next_before = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?before= for the older page (null when there is none)."
    )
    next_after = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?after= for the newer page (null when there is none)."
    )


class ReadOut(serializers.Serializer):
    conversation = serializers.IntegerField()
    last_read_seq = serializers.IntegerField()


# --- input ------------------------------------------------------------------------


class MessageSendIn(serializers.Serializer):
    # Checked in the service (one place for the codes invalid_client_id, empty_body, body_too_long).
    client_id = serializers.CharField(help_text="A UUID; reuse it on every retry of the same message.")
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"Markdown, 1–{MAX_BODY_CHARS:,} characters."
    )
    reply_to = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="seq of a message in this conversation."
    )


class MessageEditIn(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"Markdown, 1–{MAX_BODY_CHARS:,} characters."
    )


class ReadIn(serializers.Serializer):
    last_read_seq = serializers.IntegerField(min_value=0, help_text="At most the conversation's last_seq.")


class HistoryQuery(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=0)
    after = serializers.IntegerField(required=False, min_value=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
