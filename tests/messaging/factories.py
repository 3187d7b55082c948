"""Builders for messaging tests: engagements with their conversation, made
through the real services."""

import uuid

from mentoring.models import Participant
from messaging.chat import services
from tests.factories import OrganizationFactory, member
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
    kwargs.setdefault("client_id", uuid.uuid4())
    return services.message_send(conversation_id=conversation.pk, author=author, body=body, **kwargs)
