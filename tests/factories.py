"""factory_boy factories for the whole suite."""

import factory
from django.utils.text import slugify

from accounts.models import (
    Expertise,
    InviteLink,
    LearningGoal,
    Membership,
    Organization,
    Skill,
    User,
)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MEMBER


def member(organization=None, *, role=Membership.Role.MEMBER, onboarded=True, verified=True, **user_kwargs):
    """A user with an active membership (and a verified primary e-mail), ready to use the product."""
    from allauth.account.models import EmailAddress

    from core.clock import now

    organization = organization or OrganizationFactory()
    user = UserFactory(**user_kwargs)
    MembershipFactory(user=user, organization=organization, role=role)
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if onboarded:
        user.profile.onboarded_at = now()
        user.profile.save(update_fields=["onboarded_at"])
    return user


def talent_manager(organization=None, **kwargs):
    return member(organization, role=Membership.Role.TALENT_MANAGER, **kwargs)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ExpertiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expertise

    user = factory.SubFactory(UserFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3
    years = 2


class LearningGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningGoal

    user = factory.SubFactory(UserFactory)
    skill = factory.SubFactory(SkillFactory)


class InviteLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InviteLink

    organization = factory.SubFactory(OrganizationFactory)
