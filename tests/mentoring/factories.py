"""Factories and builders for the engagement domain's tests.

Builders that go through the real services (``open_request``, ``matched``)
are preferred; model factories exist for states that take time to reach.
"""

from datetime import timedelta

import factory

from core import clock
from mentoring.models import (
    Commitment,
    Engagement,
    EngagementKind,
    EngagementTransition,
    MentoringRequest,
    Participant,
    Program,
)
from tests.factories import OrganizationFactory, UserFactory, member


def mentor(organization, *, capacity: int = 2, away: bool = False, open_to_mentor: bool = True, **kwargs):
    """An active member who is open to mentoring (unless told otherwise)."""
    user = member(organization, **kwargs)
    profile = user.profile
    profile.open_to_mentor = open_to_mentor
    profile.is_away = away
    profile.capacity = capacity
    profile.save(update_fields=["open_to_mentor", "is_away", "capacity"])
    return user


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    kind = EngagementKind.SITUATIONAL
    default_duration_days = 14


class MentoringRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentoringRequest

    organization = factory.SubFactory(OrganizationFactory)
    seeker = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Need {n}")
    kind = EngagementKind.SITUATIONAL


class EngagementFactory(factory.django.DjangoModelFactory):
    """An engagement row with a creation audit row; add people with ``participants=[(user, role), ...]``."""

    class Meta:
        model = Engagement
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = EngagementKind.SITUATIONAL
    title = factory.Sequence(lambda n: f"Engagement {n}")
    starts_at = factory.LazyFunction(clock.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=14))

    @factory.post_generation
    def participants(obj, create, extracted, **kwargs):
        if not create:
            return
        for user, role in extracted or ():
            Participant.objects.create(engagement=obj, user=user, role=role, joined_at=obj.starts_at)
        EngagementTransition.objects.create(
            engagement=obj, from_state="", to_state=obj.state, reason="created"
        )


def pair_engagement(organization, *, seeker=None, mentor_user=None, active=True, **kwargs) -> Engagement:
    """A situational engagement between a seeker and a mentor, with activity
    recorded (``active=True``) so that it wraps up rather than expires."""
    seeker = seeker or member(organization)
    mentor_user = mentor_user or mentor(organization)
    if active:
        kwargs.setdefault("last_activity_at", clock.now())
    return EngagementFactory(
        organization=organization,
        participants=[(seeker, Participant.Role.SEEKER), (mentor_user, Participant.Role.MENTOR)],
        **kwargs,
    )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    engagement = factory.SubFactory(EngagementFactory)
    owner = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"I will do thing {n}")
    due_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=2))
