from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count

from accounts.models import (
    Expertise,
    LearningGoal,
    Membership,
    Organization,
    Profile,
    Skill,
    SkillAlias,
    User,
    WorkspaceDomain,
)
from accounts.selectors.profiles import directory_profiles, skills_autocomplete
from core import clock
from mentoring.config.demo.people import DEMO_PASSWORD, build_plan
from mentoring.engagements.selectors import mentor_load
from mentoring.models import Commitment, Engagement, Invitation, MentoringRequest, Participant
from messaging.models import Answer, Conversation, Message, Notification, Question
from trust.models import TrustEvent, TrustScore

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def database_state():
    """Every row seed_demo writes, as comparable values."""
    return {
        "orgs": list(Organization.objects.values_list("slug", "name")),
        "domains": list(WorkspaceDomain.objects.values_list("domain", flat=True)),
        "users": list(User.objects.order_by("email").values_list("email", "full_name", "password")),
        "memberships": list(Membership.objects.order_by("user__email").values_list("user__email", "role")),
        "emails": list(EmailAddress.objects.order_by("email").values_list("email", "verified", "primary")),
        "profiles": list(
            Profile.objects.order_by("user__email").values_list(
                "user__email",
                "headline",
                "bio_html",
                "timezone",
                "working_hours",
                "utc_week_mask",
                "capacity",
                "onboarded_at",
                "updated_at",
            )
        ),
        "skills": list(Skill.objects.order_by("name").values_list("name", "slug")),
        "aliases": list(SkillAlias.objects.order_by("name").values_list("name", "skill__name")),
        "expertise": list(
            Expertise.objects.order_by("user__email", "skill__name").values_list(
                "user__email", "skill__name", "level", "years"
            )
        ),
        "goals": list(
            LearningGoal.objects.order_by("user__email", "skill__name").values_list(
                "user__email", "skill__name", "note"
            )
        ),
    }


def test_seed_demo_builds_the_acme_workspace():
    output = seed()
    org = Organization.objects.get(slug="acme")
    assert org.name == "Acme Remote"
    assert WorkspaceDomain.objects.get(organization=org).domain == "acme.example"
    people = User.objects.filter(membership__organization=org)
    assert people.count() == 30
    assert Membership.objects.filter(organization=org, role=Membership.Role.TALENT_MANAGER).count() == 1
    assert Skill.objects.filter(organization=org).count() == 25
    assert SkillAlias.objects.get(name="k8s").skill.name == "Kubernetes"
    assert Profile.objects.filter(user__in=people, onboarded_at__isnull=True).count() == 0
    assert EmailAddress.objects.filter(user__in=people, verified=True, primary=True).count() == 30
    zones = set(Profile.objects.filter(user__in=people).values_list("timezone", flat=True))
    continents = {zone.split("/")[0] for zone in zones}
    assert {"Africa", "America", "Asia", "Europe", "Australia", "Pacific"} <= continents
    assert Profile.objects.filter(user__in=people, utc_week_mask="0" * 42).count() == 0
    per_person = people.annotate(n=Count("expertise")).values_list("n", flat=True)
    assert min(per_person) >= 2
    assert LearningGoal.objects.filter(user__in=people).count() >= 30
    assert "tandem-demo-2026" in output
    assert "amara.okafor@acme.example" in output


def test_every_demo_login_uses_the_printed_password():
    seed()
    for user in User.objects.filter(email__endswith="@acme.example"):
        assert user.check_password(DEMO_PASSWORD), user.email


def test_running_seed_demo_twice_changes_nothing():
    seed()
    first = database_state()
    seed()
    assert database_state() == first


def test_seed_demo_leaves_a_demo_users_own_edits_alone():
    seed()
    Profile.objects.filter(user__email="jonas.weber@acme.example").update(headline="I changed this")
    seed()
    assert Profile.objects.get(user__email="jonas.weber@acme.example").headline == "I changed this"


def test_the_plan_is_deterministic():
    import random

    assert build_plan(random.Random(42)) == build_plan(random.Random(42))


def test_the_demo_story_is_findable_in_the_directory():
    seed()
    jonas = User.objects.get(email="jonas.weber@acme.example")
    assert LearningGoal.objects.filter(user=jonas, skill__name="Terraform").exists()
    terraform = Skill.objects.get(name="Terraform")
    mentors = directory_profiles(jonas, skill_id=terraform.pk, min_level=5, open_to_mentor=True)
    assert "Priya Raman" in [p.user.full_name for p in mentors]
    assert [s.name for s in skills_autocomplete(jonas, "k8s")] == ["Kubernetes"]


def test_printed_logins_keep_the_format_the_ci_smoke_test_reads():
    import re

    output = seed()
    password = re.search(r"Every demo login uses the password: (\S+)", output)
    manager = re.search(r"talent manager\s+(\S+@\S+)", output)
    assert password and password.group(1) == DEMO_PASSWORD
    assert manager and User.objects.get(email=manager.group(1)).membership.is_talent_manager


ACTIVITY_MODELS = [
    MentoringRequest,
    Invitation,
    Engagement,
    Participant,
    Commitment,
    Conversation,
    Message,
    Question,
    Answer,
    Notification,
    TrustEvent,
    TrustScore,
]


def activity_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ACTIVITY_MODELS}


def test_seed_demo_starts_engagements_through_invitations_with_a_chat_each():
    seed()
    engagements = Engagement.objects.filter(organization__slug="acme")
    assert 4 <= engagements.count() <= 6
    assert set(engagements.values_list("state", flat=True)) == {Engagement.State.ACTIVE}
    for engagement in engagements:
        roles = sorted(engagement.participants.values_list("role", flat=True))
        assert roles == [Participant.Role.MENTOR, Participant.Role.SEEKER]
        assert engagement.request.state == MentoringRequest.State.MATCHED
        assert engagement.request.invitations.get().state == Invitation.State.ACCEPTED
        assert engagement.starts_at < clock.now() < engagement.ends_at
        mentor = engagement.participants.get(role=Participant.Role.MENTOR).user
        assert mentor.profile.open_to_mentor
        assert mentor_load(mentor) <= mentor.profile.capacity
        skill = engagement.skills.get()
        assert mentor.expertise.get(skill=skill).level >= 3
        assert Message.objects.filter(conversation__engagement=engagement).count() >= 2


def test_seed_demo_records_kept_and_missed_commitments_as_trust_evidence():
    seed()
    assert Commitment.objects.filter(state=Commitment.State.KEPT).count() >= 3
    missed = Commitment.objects.get(state=Commitment.State.MISSED)
    assert missed.decided_at > missed.due_at
    assert missed.confirmed_by_id != missed.owner_id
    assert TrustEvent.objects.filter(subject=missed.owner, outcome=0).exists()
    assert TrustEvent.objects.filter(outcome=1).count() >= 3
    assert not TrustEvent.objects.filter(occurred_at__gt=clock.now()).exists()
    # Recomputed at the end, so trust cards explain themselves right away.
    assert TrustScore.objects.filter(subject=missed.owner).exists()


def test_seed_demo_asks_network_questions_with_one_accepted_answer():
    seed()
    questions = Question.objects.filter(organization__slug="acme", scope=Question.Scope.NETWORK)
    assert questions.count() == 2
    accepted = Answer.objects.get(accepted=True)
    assert accepted.question.accepted_answer == accepted
    assert accepted.author != accepted.question.author
    assert TrustEvent.objects.filter(subject=accepted.author, source_id=str(accepted.pk)).exists()
    assert questions.filter(accepted_answer__isnull=True).get().answers.count() == 1


def test_seed_demo_leaves_an_invitation_for_hiroshi_and_jonas_free_to_find_priya():
    seed()
    pending = Invitation.objects.get(state=Invitation.State.PENDING)
    assert pending.mentor.email == "hiroshi.tanaka@acme.example"
    assert pending.expires_at > clock.now()
    assert Notification.objects.filter(recipient=pending.mentor, kind="invitation.received").exists()
    jonas = User.objects.get(email="jonas.weber@acme.example")
    priya = User.objects.get(email="priya.raman@acme.example")
    assert not Participant.objects.filter(user=jonas).exists()
    assert not MentoringRequest.objects.filter(seeker=jonas).exists()
    assert mentor_load(priya) == 0 < priya.profile.capacity


def test_a_second_seed_demo_adds_no_activity_and_says_so():
    seed()
    first = activity_counts()
    assert all(first.values()), first
    output = seed()
    assert activity_counts() == first
    assert "nothing new" in output
