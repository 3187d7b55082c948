import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements.services.invitations import invitation_accept, invitations_send
from mentoring.engagements.services.requests import request_cancel, request_create
from mentoring.models import Invitation, MentoringRequest
from tests.factories import SkillFactory, UserFactory, member
from tests.mentoring.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_seeker_creates_a_request_with_workspace_skills(seeker, terraform, python_skill):
    request = request_create(
        seeker=seeker,
        title="  Ship my first   Terraform module ",
        description="By Friday.",
        skill_ids=[terraform.pk, python_skill.pk],
        urgency="high",
    )

    request.refresh_from_db()
    assert request.title == "Ship my first Terraform module"
    assert request.state == MentoringRequest.State.OPEN
    assert request.organization_id == seeker.membership.organization_id
    assert request.desired_duration_days == 14  # the situational default
    assert set(request.skills.all()) == {terraform, python_skill}


def test_ongoing_request_defaults_to_the_ongoing_duration_and_a_program_overrides_it(seeker, org):
    ongoing = request_create(seeker=seeker, title="Grow into a tech lead", kind="ongoing")
    program = ProgramFactory(organization=org, default_duration_days=21)
    in_program = request_create(seeker=seeker, title="Onboarding buddy", program=program)

    assert ongoing.desired_duration_days == 90
    assert in_program.desired_duration_days == 21
    assert in_program.program == program


def test_skill_from_another_workspace_is_rejected_and_nothing_is_saved(seeker, terraform, other_org):
    foreign = SkillFactory(organization=other_org, name="Kubernetes")

    with pytest.raises(ValidationFailed) as caught:
        request_create(seeker=seeker, title="Help", skill_ids=[terraform.pk, foreign.pk])

    assert "skills" in caught.value.fields
    assert "do not exist in your workspace" in caught.value.fields["skills"][0]
    assert MentoringRequest.objects.count() == 0


def test_unknown_skill_id_reads_the_same_as_a_foreign_one(seeker):
    with pytest.raises(ValidationFailed) as caught:
        request_create(seeker=seeker, title="Help", skill_ids=[987654])

    assert "do not exist in your workspace" in caught.value.fields["skills"][0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 161}, "title"),
        ({"title": "Help", "kind": "group"}, "kind"),
        ({"title": "Help", "kind": "weekly"}, "kind"),
        ({"title": "Help", "urgency": "yesterday"}, "urgency"),
        ({"title": "Help", "desired_duration_days": 31}, "desired_duration_days"),
        ({"title": "Help", "desired_duration_days": 0}, "desired_duration_days"),
        ({"title": "Help", "kind": "ongoing", "desired_duration_days": 184}, "desired_duration_days"),
        ({"title": "Help", "desired_duration_days": "soon"}, "desired_duration_days"),
    ],
)
def test_bad_request_input_names_the_field_and_saves_nothing(seeker, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        request_create(seeker=seeker, **kwargs)

    assert field in caught.value.fields
    assert MentoringRequest.objects.count() == 0


def test_program_of_another_workspace_is_rejected(seeker, other_org):
    with pytest.raises(ValidationFailed) as caught:
        request_create(seeker=seeker, title="Help", program=ProgramFactory(organization=other_org))

    assert "program" in caught.value.fields


def test_someone_without_a_workspace_cannot_create_a_request(db):
    with pytest.raises(PermissionDenied):
        request_create(seeker=UserFactory(), title="Help")


def test_cancelling_withdraws_every_invitation(
    seeker, ana, ben, mailoutbox, django_capture_on_commit_callbacks
):
    request = request_create(seeker=seeker, title="Help")
    invitations_send(seeker=seeker, request_id=request.pk, mentors=[ana, ben])

    with django_capture_on_commit_callbacks(execute=True):
        request_cancel(seeker=seeker, request_id=request.pk)

    request.refresh_from_db()
    assert request.state == MentoringRequest.State.CANCELLED
    assert request.closed_at is not None
    assert set(Invitation.objects.values_list("state", flat=True)) == {Invitation.State.WITHDRAWN}
    assert [m.to for m in mailoutbox] == [[ana.email]]
    assert "withdrawn" in mailoutbox[0].subject


def test_cancelling_someone_elses_request_is_not_found(seeker, org):
    request = request_create(seeker=seeker, title="Help")
    stranger = member(org)

    with pytest.raises(NotFound):
        request_cancel(seeker=stranger, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == MentoringRequest.State.OPEN


def test_a_matched_request_cannot_be_cancelled(seeker, ana):
    request = request_create(seeker=seeker, title="Help")
    (first,) = invitations_send(seeker=seeker, request_id=request.pk, mentors=[ana])
    invitation_accept(mentor=ana, invitation_id=first.pk)

    with pytest.raises(Conflict):
        request_cancel(seeker=seeker, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == MentoringRequest.State.MATCHED
