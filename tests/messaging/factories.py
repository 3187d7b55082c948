"""Builders for messaging tests.

``engagement_chat`` and ``send`` go through the real services (preferred); the
model factories build rows the services would not, or would only build slowly:
a conversation without its engagement's members, a message that came in by
import (with the next seq of its conversation), a notification at a given time.
"""

import uuid

import factory
from django.db.models import F

from core import clock
from mentoring.models import Participant
from messaging.chat import services
from messaging.models import Conversation, Message, Notification
from tests.factories import OrganizationFactory, UserFactory, member
from tests.mentoring.factories import EngagementFactory, mentor


def engagement_chat(organization=None, *, people=None, kind="situational"):
    """An active engagement (seeker + mentor unless ``people`` is given as
    [(user, role), ...]) and its conversation. Returns (conversation, users)."""
    organization = organization or OrganizationFactory()
    if people is None:
        people = [
            (member(organization, full_name="Sam Seeker"), Participant.Role.SEEKER),
            (mentor(organization, full_name="Ana Mentor"), Participant.Role.MENTOR),
        ]
    engagement = EngagementFactory(organization=organization, kind=kind, participants=people)
    conversation = services.conversation_for_engagement(engagement=engagement)
    return conversation, [user for user, _ in people]


def send(conversation, author, body="hello", **kwargs):
    """A message through ``message_send`` (a fresh client_id unless given)."""
    kwargs.setdefault("client_id", uuid.uuid4())
    return services.message_send(conversation_id=conversation.pk, author=author, body=body, **kwargs)


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation row for an engagement, with no members (``engagement_chat``
    builds one with its participants as members)."""

    class Meta:
        model = Conversation

    engagement = factory.SubFactory(EngagementFactory)
    organization = factory.LazyAttribute(lambda o: o.engagement.organization)
    kind = Conversation.Kind.ENGAGEMENT


class MessageFactory(factory.django.DjangoModelFactory):
    """A message that did not go through ``message_send`` (an import, a script):
    no rollup, no read mark, no fan-out; it takes its conversation's next seq."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    author = factory.SubFactory(UserFactory)
    body = "imported"
    client_id = factory.LazyFunction(uuid.uuid4)
    created_at = factory.LazyFunction(clock.now)

    @classmethod
    def _create(cls, model_class, *args, conversation, **kwargs):
        if kwargs.get("seq") is None:
            Conversation.objects.filter(pk=conversation.pk).update(last_seq=F("last_seq") + 1)
            conversation.refresh_from_db(fields=["last_seq"])
            kwargs["seq"] = conversation.last_seq
        return super()._create(model_class, *args, conversation=conversation, **kwargs)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A stored notification, unread and not e-mailed (``notify`` stores them the
    same way, then delivers them after commit)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "invitation.received"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Please answer."
    link = "/mentoring/invitations/"
    created_at = factory.LazyFunction(clock.now)


def invitations(user, count=1, **kwargs) -> list[Notification]:
    """``count`` notifications of ``user``, titled "Invitation 1" … in the order created."""
    return [NotificationFactory(recipient=user, title=f"Invitation {i + 1}", **kwargs) for i in range(count)]
