"""The engagement pages with Django's test client: status, key content, forms
with errors, and the redirects after each action."""

from datetime import timedelta

import pytest
from django.test import Client

from accounts.models import SkillAlias
from core import clock
from mentoring.engagements.services.commitments import commitment_record
from mentoring.engagements.services.invitations import invitation_clarify, invitations_send
from mentoring.engagements.services.requests import request_create
from mentoring.models import Commitment, Engagement, Feedback, Invitation, MentoringRequest, Milestone
from tests.clients import client_for
from tests.factories import ExpertiseFactory, member
from tests.mentoring.factories import mentor, pair_engagement

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    """A datetime-local value in UTC (the test users' time zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def ana(org, terraform):
    user = mentor(org, full_name="Ana Mentor")
    ExpertiseFactory(user=user, skill=terraform, level=5)
    return user


@pytest.fixture
def ben(org, terraform):
    user = mentor(org, full_name="Ben Mentor")
    ExpertiseFactory(user=user, skill=terraform, level=3)
    return user


@pytest.fixture
def need(seeker, terraform):
    return request_create(seeker=seeker, title="Ship my Terraform module", skill_ids=[terraform.pk])


@pytest.fixture
def engagement(org, seeker, ana):
    return pair_engagement(
        org, seeker=seeker, mentor_user=ana, title="Terraform module help", goal="**Ship** it"
    )


# --- access ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(engagement):
    response = Client().get(f"/engagements/{engagement.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_nav_links_to_the_mentoring_pages(seeker):
    html = client_for(seeker).get("/mentoring/find/").content.decode()
    assert 'href="/mentoring/find/"' in html and 'href="/engagements/"' in html
    assert 'href="/mentoring/invitations/"' in html


# --- find a mentor -------------------------------------------------------------------------


def test_find_a_mentor_form_has_labelled_fields_and_skill_autocomplete(seeker):
    response = client_for(seeker).get("/mentoring/find/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_title"' in html
    assert "data-skill-autocomplete" in html and 'hx-get="/skills/autocomplete/"' in html
    assert 'list="primary_skill-options"' in html


def test_a_need_becomes_a_request_and_its_page_shows_ranked_suggestions(seeker, ana, ben, terraform):
    SkillAlias.objects.create(skill=terraform, organization=terraform.organization, name="tf")
    client = client_for(seeker)
    response = client.post(
        "/mentoring/find/",
        {
            "title": "Ship my first module",
            "description": "Terraform on AWS",
            "primary_skill": "tf",
            "kind": "situational",
            "urgency": "high",
        },
    )
    need = MentoringRequest.objects.get(seeker=seeker)
    assert response.status_code == 302 and response["Location"] == f"/mentoring/requests/{need.pk}/"
    assert list(need.skills.all()) == [terraform]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("Ana Mentor") < html.index("Ben Mentor")
    assert 'aria-live="polite"' in html
    assert "Skill fit" in html and "Working hours overlap" in html and "<meter" in html
    assert "1st choice" in html and "2nd choice" in html and "3rd choice" in html


def test_need_form_errors_name_the_field(seeker):
    response = client_for(seeker).post(
        "/mentoring/find/",
        {
            "title": "",
            "primary_skill": "Cobol",
            "kind": "situational",
            "urgency": "normal",
            "desired_duration_days": "60",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Say in a few words what you need." in html
    assert "“Cobol” is not a skill in this workspace" in html
    assert not MentoringRequest.objects.exists()


def test_a_too_long_duration_is_reported_on_the_duration_field(seeker):
    response = client_for(seeker).post(
        "/mentoring/find/",
        {"title": "Help", "kind": "situational", "urgency": "normal", "desired_duration_days": "60"},
    )
    assert response.status_code == 400
    assert "between 1 and 30 days" in response.content.decode()
    assert not MentoringRequest.objects.exists()


def test_htmx_refresh_returns_only_the_suggestions(seeker, need, ana):
    response = client_for(seeker).get(f"/mentoring/requests/{need.pk}/suggestions/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Ana Mentor" in html


def test_picking_in_order_sends_invitations_and_the_page_shows_their_status(seeker, need, ana, ben):
    client = client_for(seeker)
    response = client.post(f"/mentoring/requests/{need.pk}/invite/", {"first": ben.pk, "second": ana.pk})
    assert response.status_code == 302
    assert list(need.invitations.order_by("rank").values_list("mentor", "state")) == [
        (ben.pk, "pending"),
        (ana.pk, "queued"),
    ]
    html = client.get(f"/mentoring/requests/{need.pk}/").content.decode()
    assert "Waiting for an answer" in html and "Invitation sent to Ben Mentor" in html


def test_invite_form_refuses_the_same_person_twice_and_a_missing_first_choice(seeker, need, ana):
    client = client_for(seeker)
    twice = client.post(f"/mentoring/requests/{need.pk}/invite/", {"first": ana.pk, "second": ana.pk})
    assert twice.status_code == 400
    assert "only once" in twice.content.decode()
    empty = client.post(f"/mentoring/requests/{need.pk}/invite/", {"second": ana.pk})
    assert "Choose your first choice." in empty.content.decode()
    assert not Invitation.objects.exists()


def test_someone_elses_request_page_is_404(org, need):
    assert client_for(member(org)).get(f"/mentoring/requests/{need.pk}/").status_code == 404


def test_exhausted_request_shows_fresh_suggestions_and_inviting_asks_again(seeker, need, ana, ben):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    client_for(ana).post(
        f"/mentoring/invitations/{invitation.pk}/decline/", {f"decline-{invitation.pk}-reason": "Busy"}
    )
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.EXHAUSTED
    client = client_for(seeker)
    html = client.get(f"/mentoring/requests/{need.pk}/").content.decode()
    assert "Fresh suggestions" in html and "Their reason: Busy" in html
    assert "Ben Mentor" in html

    response = client.post(f"/mentoring/requests/{need.pk}/invite/", {"first": ben.pk})

    again = MentoringRequest.objects.exclude(pk=need.pk).get()
    assert response["Location"] == f"/mentoring/requests/{again.pk}/"
    assert again.title == need.title and again.state == MentoringRequest.State.INVITING


def test_seeker_answers_a_clarifying_question(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation_clarify(mentor=ana, invitation_id=invitation.pk, question="Which cloud?")
    client = client_for(seeker)
    assert "Which cloud?" in client.get(f"/mentoring/requests/{need.pk}/").content.decode()

    empty = client.post(f"/mentoring/invitations/{invitation.pk}/answer/", {"answer": ""})
    assert empty.status_code == 400 and "Answer the mentor" in empty.content.decode()
    client.post(f"/mentoring/invitations/{invitation.pk}/answer/", {"answer": "AWS"})
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING and invitation.clarification_answer == "AWS"


def test_my_requests_lists_states(seeker, need):
    html = client_for(seeker).get("/mentoring/requests/").content.decode()
    assert "Ship my Terraform module" in html and "Open" in html


def test_cancel_a_request(seeker, need):
    client_for(seeker).post(f"/mentoring/requests/{need.pk}/cancel/")
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.CANCELLED


# --- invitations inbox ---------------------------------------------------------------------


def test_inbox_shows_the_need_and_accepting_opens_the_engagement(seeker, need, ana):
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation = Invitation.objects.get()
    client = client_for(ana)
    html = client.get("/mentoring/invitations/").content.decode()
    assert "Ship my Terraform module" in html and "Sam Seeker" in html

    response = client.post(f"/mentoring/invitations/{invitation.pk}/accept/")

    engagement = Engagement.objects.get()
    assert response["Location"] == f"/engagements/{engagement.pk}/"


def test_decline_needs_a_reason(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    response = client_for(ana).post(f"/mentoring/invitations/{invitation.pk}/decline/", {})
    assert response.status_code == 400
    assert "Give a short reason" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_accepting_an_expired_invitation_explains_why(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    with clock.travel_by(timedelta(hours=25)):
        response = client_for(ana).post(f"/mentoring/invitations/{invitation.pk}/accept/")
    assert response.status_code == 409
    assert "expired" in response.content.decode()


def test_clarify_from_the_inbox(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    client_for(ana).post(
        f"/mentoring/invitations/{invitation.pk}/clarify/",
        {f"clarify-{invitation.pk}-question": "Which cloud?"},
    )
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.CLARIFYING


def test_another_mentors_invitation_is_404(org, seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    assert client_for(mentor(org)).post(f"/mentoring/invitations/{invitation.pk}/accept/").status_code == 404


# --- engagements ---------------------------------------------------------------------------


def test_my_engagements_lists_them_with_the_other_people(engagement, seeker):
    html = client_for(seeker).get("/engagements/").content.decode()
    assert "Terraform module help" in html and "Ana Mentor (mentor)" in html


def test_engagement_page_shows_goal_people_trust_cards_timeline_and_the_chat_slot(engagement, seeker):
    response = client_for(seeker).get(f"/engagements/{engagement.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Ship</strong> it" in html
    assert "Trust · Ana Mentor" in html
    assert "Trust · Sam Seeker" not in html  # not your own card
    assert '<section id="chat-panel" aria-label="Chat">' in html
    assert "Record a commitment" in html and "Timeline" in html


def test_a_stranger_gets_404_and_a_talent_manager_sees_metadata_only(engagement, manager, org):
    assert client_for(member(org)).get(f"/engagements/{engagement.pk}/").status_code == 404
    html = client_for(manager).get(f"/engagements/{engagement.pk}/").content.decode()
    assert "Terraform module help" in html
    assert "Record a commitment" not in html and "Commitments" not in html


def test_commitment_recorded_then_confirmed_kept_by_the_counterpart(engagement, seeker, ana):
    due = local(clock.now() + timedelta(days=2))
    response = client_for(ana).post(
        f"/engagements/{engagement.pk}/commitments/", {"commitment-text": "Review", "commitment-due_at": due}
    )
    assert response.status_code == 302
    commitment = Commitment.objects.get()
    html = client_for(seeker).get(f"/engagements/{engagement.pk}/").content.decode()
    assert "Confirm kept" in html and "Release" not in html

    client_for(seeker).post(f"/commitments/{commitment.pk}/confirm/", {"kept": "yes"})

    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.KEPT and commitment.confirmed_by == seeker


def test_commitment_form_errors_are_shown(engagement, ana):
    past = local(clock.now() - timedelta(days=1))
    response = client_for(ana).post(
        f"/engagements/{engagement.pk}/commitments/", {"commitment-text": "", "commitment-due_at": past}
    )
    assert response.status_code == 400
    assert "Say what you commit to." in response.content.decode()
    response = client_for(ana).post(
        f"/engagements/{engagement.pk}/commitments/", {"commitment-text": "Review", "commitment-due_at": past}
    )
    assert response.status_code == 400
    assert "The due time must be in the future." in response.content.decode() or "Choose a later time." in (
        response.content.decode()
    )
    assert not Commitment.objects.exists()


def test_confirming_your_own_commitment_is_refused_on_the_page(engagement, ana):
    commitment = commitment_record(
        actor=ana, engagement_id=engagement.pk, text="Review", due_at=clock.now() + timedelta(days=1)
    )
    response = client_for(ana).post(f"/commitments/{commitment.pk}/confirm/", {"kept": "yes"})
    assert response.status_code == 403
    assert "cannot confirm your own commitment" in response.content.decode()


def test_owner_releases_a_commitment_before_it_is_due(engagement, ana):
    commitment = commitment_record(
        actor=ana, engagement_id=engagement.pk, text="Review", due_at=clock.now() + timedelta(days=1)
    )
    client_for(ana).post(f"/commitments/{commitment.pk}/release/")
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.RELEASED


def test_milestone_added_and_marked_done(engagement, seeker):
    client = client_for(seeker)
    client.post(f"/engagements/{engagement.pk}/milestones/", {"milestone-title": "Module merged"})
    milestone = Milestone.objects.get()
    client.post(f"/milestones/{milestone.pk}/complete/")
    milestone.refresh_from_db()
    assert milestone.done_at is not None


def test_extension_past_the_maximum_is_shown_on_the_date_field(engagement, seeker):
    too_far = (engagement.starts_at + timedelta(days=40)).date().isoformat()
    response = client_for(seeker).post(
        f"/engagements/{engagement.pk}/extend/", {"extend-ends_on": too_far, "extend-reason": "More time"}
    )
    assert response.status_code == 400
    engagement.refresh_from_db()
    assert not engagement.extended_once


def test_cancel_needs_a_reason_then_cancels(engagement, seeker):
    client = client_for(seeker)
    assert client.post(f"/engagements/{engagement.pk}/cancel/", {"cancel-reason": ""}).status_code == 400
    client.post(f"/engagements/{engagement.pk}/cancel/", {"cancel-reason": "Solved it alone"})
    engagement.refresh_from_db()
    assert engagement.state == Engagement.State.CANCELLED


def test_after_wrap_up_the_feedback_form_appears_and_saves_once(engagement, seeker, ana):
    client = client_for(seeker)
    client.post(f"/engagements/{engagement.pk}/finish/", {"finish-reason": "Done"})
    html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert "Wrap-up feedback" in html and "About Ana Mentor" in html

    prefix = f"fb{ana.pk}"
    incomplete = client.post(
        f"/engagements/{engagement.pk}/feedback/{ana.pk}/", {f"{prefix}-competence": "4"}
    )
    assert incomplete.status_code == 400 and "Answer yes or no." in incomplete.content.decode()
    client.post(
        f"/engagements/{engagement.pk}/feedback/{ana.pk}/",
        {
            f"{prefix}-competence": "5",
            f"{prefix}-responsiveness": "4",
            f"{prefix}-respectful": "yes",
            f"{prefix}-honest": "yes",
            f"{prefix}-would_work_again": "yes",
        },
    )
    assert Feedback.objects.filter(rater=seeker, ratee=ana).count() == 1
    assert "About Ana Mentor" not in client.get(f"/engagements/{engagement.pk}/").content.decode()


# --- group engagements ---------------------------------------------------------------------


def test_group_creation_by_a_mentor_with_three_people(org, ana):
    a, b = member(org, full_name="Al"), member(org, full_name="Bo")
    response = client_for(ana).post(
        "/engagements/new-group/", {"title": "Guild", "mentors": [ana.pk], "seekers": [a.pk, b.pk]}
    )
    engagement = Engagement.objects.get()
    assert response["Location"] == f"/engagements/{engagement.pk}/"
    assert engagement.kind == "group" and engagement.participants.count() == 3


def test_group_with_fewer_than_three_people_shows_the_error(org, ana):
    a = member(org)
    response = client_for(ana).post(
        "/engagements/new-group/", {"title": "Tiny", "mentors": [ana.pk], "seekers": [a.pk]}
    )
    assert response.status_code == 400
    assert "at least 3 people" in response.content.decode()
    assert not Engagement.objects.exists()


def test_a_member_not_open_to_mentoring_cannot_start_a_group(org, seeker):
    response = client_for(seeker).get("/engagements/new-group/")
    assert response.status_code == 403
    assert "Only a talent manager" in response.content.decode()


def test_a_talent_manager_sees_the_group_form(manager):
    response = client_for(manager).get("/engagements/new-group/")
    assert response.status_code == 200
    assert '<label for="id_mentors"' in response.content.decode()


def test_a_suggestions_trust_card_loads_as_a_partial_and_not_across_workspaces(org, other_org, seeker, ana):
    client = client_for(seeker)
    html = client.get(f"/mentoring/people/{ana.pk}/trust-card/").content.decode()
    assert "Trust · Ana Mentor" in html and "<html" not in html
    outsider = mentor(other_org, full_name="Olga Outsider")
    assert "Olga" not in client.get(f"/mentoring/people/{outsider.pk}/trust-card/").content.decode()


def test_request_page_query_count_does_not_grow_with_the_number_of_suggestions(org, seeker, need, terraform):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(seeker)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/mentoring/requests/{need.pk}/").status_code == 200
        return len(captured.captured_queries)

    ExpertiseFactory(user=mentor(org), skill=terraform, level=4)
    one = count()
    for _ in range(6):
        ExpertiseFactory(user=mentor(org), skill=terraform, level=4)
    assert count() == one


def test_inviting_again_on_a_request_that_is_already_inviting_says_why(seeker, need, ana, ben):
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    response = client_for(seeker).post(f"/mentoring/requests/{need.pk}/invite/", {"first": ben.pk})
    assert response.status_code == 409
    assert "invitations go out once per request" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_engagement_list_page_query_count_does_not_grow_with_the_number_of_engagements(org, seeker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(seeker)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/engagements/").status_code == 200
        return len(captured.captured_queries)

    pair_engagement(org, seeker=seeker)
    one = count()
    for _ in range(5):
        pair_engagement(org, seeker=seeker)
    assert count() == one


def test_a_strangers_commitment_and_milestone_actions_read_exactly_like_missing_ones(engagement, seeker, org):
    from mentoring.engagements.services.milestones import milestone_add

    commitment = commitment_record(
        actor=seeker,
        engagement_id=engagement.pk,
        text="Send the draft",
        due_at=clock.now() + timedelta(days=1),
    )
    milestone = milestone_add(actor=seeker, engagement_id=engagement.pk, title="First module")
    stranger = client_for(member(org))

    for path, missing in [
        (f"/commitments/{commitment.pk}/confirm/", "/commitments/987654/confirm/"),
        (f"/commitments/{commitment.pk}/release/", "/commitments/987654/release/"),
        (f"/milestones/{milestone.pk}/complete/", "/milestones/987654/complete/"),
    ]:
        assert stranger.post(path, {"kept": "true"}).status_code == 404
        assert stranger.post(missing, {"kept": "true"}).status_code == 404

    commitment.refresh_from_db()
    milestone.refresh_from_db()
    assert commitment.state == Commitment.State.OPEN
    assert milestone.done_at is None


def test_a_refused_cancel_returns_to_the_request_page_with_the_reason(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    client_for(ana).post(f"/mentoring/invitations/{invitation.pk}/accept/")
    client = client_for(seeker)

    response = client.post(
        f"/mentoring/requests/{need.pk}/cancel/", {"next": f"/mentoring/requests/{need.pk}/"}
    )

    assert response.status_code == 302 and response["Location"] == f"/mentoring/requests/{need.pk}/"
    assert "cannot be cancelled" in client.get(response["Location"]).content.decode()
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.MATCHED


def test_declining_someone_elses_invitation_is_404_and_changes_nothing(org, seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    for person in (mentor(org), seeker):
        response = client_for(person).post(
            f"/mentoring/invitations/{invitation.pk}/decline/", {f"decline-{invitation.pk}-reason": "No"}
        )
        assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_the_creators_role_is_chosen_up_front_and_they_need_not_pick_themselves(org, ana):
    a, b = member(org, full_name="Al"), member(org, full_name="Bo")

    response = client_for(ana).post(
        "/engagements/new-group/", {"title": "Guild", "my_role": "mentor", "seekers": [a.pk, b.pk]}
    )

    engagement = Engagement.objects.get()
    assert response["Location"] == f"/engagements/{engagement.pk}/"
    roles = {p.user_id: p.role for p in engagement.participants.all()}
    assert roles == {ana.pk: "mentor", a.pk: "seeker", b.pk: "seeker"}


def test_a_member_can_only_take_part_as_a_mentor_while_a_talent_manager_may_just_organise(ana, manager):
    member_form = client_for(ana).get("/engagements/new-group/").content.decode()
    manager_form = client_for(manager).get("/engagements/new-group/").content.decode()

    assert 'value="mentor"' in member_form and 'value="none"' not in member_form
    assert 'value="none"' in manager_form and 'value="seeker"' in manager_form
