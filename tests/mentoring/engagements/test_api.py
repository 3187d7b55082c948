"""REST API for engagements: the happy path end to end, bad input per issue 4 in
the project's error format, and pinned query counts of the list endpoints."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core import clock
from mentoring.engagements.services.commitments import commitment_record
from mentoring.engagements.services.invitations import invitations_send
from mentoring.engagements.services.requests import request_create
from mentoring.models import Commitment, Engagement, Feedback, Invitation, MentoringRequest, Participant
from tests.clients import api_client_for
from tests.factories import ExpertiseFactory, SkillFactory, member
from tests.mentoring.factories import EngagementFactory, mentor, pair_engagement

pytestmark = pytest.mark.django_db


def assert_error(response, status, *, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    if field is not None:
        assert field in body["error"]["fields"], body
        assert body["error"]["fields"][field]


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
    return pair_engagement(org, seeker=seeker, mentor_user=ana)


# --- the whole journey ------------------------------------------------------------------


def test_seeker_requests_gets_suggestions_invites_and_the_mentor_accepts(seeker, ana, ben, terraform):
    api = api_client_for(seeker)

    created = api.post(
        "/api/requests",
        {"title": "Ship my Terraform module", "description": "First module", "skills": [terraform.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    assert created.json()["state"] == "open"

    suggestions = api.get(f"/api/requests/{request_id}/suggestions")
    assert suggestions.status_code == 200
    body = suggestions.json()
    assert [s["mentor"]["name"] for s in body] == ["Ana Mentor", "Ben Mentor"]
    assert {f["key"] for f in body[0]["factors"]} == {
        "skill_fit",
        "competence",
        "responsiveness",
        "working_hours",
        "load",
        "work_style",
    }
    assert body[0]["skill_levels"] == [{"skill": "Terraform", "level": 5}]

    sent = api.post(f"/api/requests/{request_id}/invitations", {"mentors": [ana.pk, ben.pk]}, format="json")
    assert sent.status_code == 201, sent.content
    assert [(i["mentor"]["id"], i["state"]) for i in sent.json()] == [(ana.pk, "pending"), (ben.pk, "queued")]

    inbox = api_client_for(ana).get("/api/invitations")
    assert inbox.status_code == 200
    (item,) = inbox.json()["results"]
    assert item["request"]["seeker"]["name"] == "Sam Seeker"

    accepted = api_client_for(ana).post(f"/api/invitations/{item['id']}/accept")
    assert accepted.status_code == 201, accepted.content
    engagement = accepted.json()
    assert engagement["state"] == "active"
    assert {(p["user"]["id"], p["role"]) for p in engagement["participants"]} == {
        (seeker.pk, "seeker"),
        (ana.pk, "mentor"),
    }
    mine = api.get("/api/engagements").json()
    assert [e["id"] for e in mine["results"]] == [engagement["id"]]
    assert api.get(f"/api/requests/{request_id}").json()["state"] == "matched"


def test_commitment_is_recorded_confirmed_by_the_counterpart_and_shown_in_detail(engagement, seeker, ana):
    due = (clock.now() + timedelta(days=2)).isoformat()
    recorded = api_client_for(ana).post(
        f"/api/engagements/{engagement.pk}/commitments", {"text": "Review your module", "due_at": due}
    )
    assert recorded.status_code == 201, recorded.content
    commitment_id = recorded.json()["id"]

    confirmed = api_client_for(seeker).post(f"/api/commitments/{commitment_id}/confirm", {"kept": True})

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "kept"
    detail = api_client_for(seeker).get(f"/api/engagements/{engagement.pk}").json()
    assert [(c["text"], c["state"]) for c in detail["commitments"]] == [("Review your module", "kept")]
    assert detail["timeline"][0]["to_state"] == "active"


def test_milestone_extend_and_finish_early_then_feedback(engagement, seeker, ana):
    api = api_client_for(seeker)
    milestone = api.post(f"/api/engagements/{engagement.pk}/milestones", {"title": "Module merged"})
    assert milestone.status_code == 201
    done = api.post(f"/api/milestones/{milestone.json()['id']}/complete")
    assert done.json()["done_at"] is not None

    new_end = (engagement.ends_at + timedelta(days=5)).isoformat()
    extended = api.post(
        f"/api/engagements/{engagement.pk}/extend", {"ends_at": new_end, "reason": "Review takes longer"}
    )
    assert extended.status_code == 200, extended.content
    assert extended.json()["extended_once"] is True

    finished = api.post(f"/api/engagements/{engagement.pk}/transition", {"to_state": "wrapping_up"})
    assert finished.json()["state"] == "wrapping_up"

    rating = {
        "ratee": ana.pk,
        "competence": 5,
        "respectful": True,
        "honest": True,
        "responsiveness": 4,
        "would_work_again": True,
    }
    given = api.post(f"/api/engagements/{engagement.pk}/feedback", rating, format="json")
    assert given.status_code == 201, given.content
    assert given.json()["ratee"]["id"] == ana.pk


def test_group_engagement_is_created_by_a_mentor_with_three_people(org, ana, terraform):
    a, b = member(org), member(org)
    created = api_client_for(ana).post(
        "/api/engagements",
        {"title": "Terraform guild", "mentors": [ana.pk], "seekers": [a.pk, b.pk], "skills": [terraform.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "group"
    assert len(created.json()["participants"]) == 3

    left = api_client_for(a).post(f"/api/engagements/{created.json()['id']}/leave", {"reason": "Moved teams"})
    assert left.status_code == 200, left.content


# --- bad input (issue 4) ----------------------------------------------------------------------


def test_requesting_yourself_is_a_field_error_on_mentors(seeker, need):
    response = api_client_for(seeker).post(f"/api/requests/{need.pk}/invitations", {"mentors": [seeker.pk]})
    assert_error(response, 400, code="invalid", field="mentors")
    assert "yourself" in response.json()["error"]["fields"]["mentors"][0]
    assert not Invitation.objects.exists()


def test_inviting_a_mentor_who_is_away_or_at_capacity_is_refused_and_nothing_is_written(
    org, seeker, need, terraform
):
    away = mentor(org, full_name="Away Mentor", away=True)
    full = mentor(org, full_name="Full Mentor", capacity=1)
    pair_engagement(org, mentor_user=full)

    response = api_client_for(seeker).post(
        f"/api/requests/{need.pk}/invitations", {"mentors": [away.pk, full.pk]}, format="json"
    )

    assert_error(response, 400, field="mentors")
    problems = " ".join(response.json()["error"]["fields"]["mentors"])
    assert "away" in problems and "capacity" in problems
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.OPEN
    assert not Invitation.objects.exists()


def test_inviting_someone_from_another_workspace_reads_like_a_missing_person(other_org, seeker, need):
    outsider = mentor(other_org, full_name="Secret Outsider")
    response = api_client_for(seeker).post(f"/api/requests/{need.pk}/invitations", {"mentors": [outsider.pk]})
    assert_error(response, 400, field="mentors")
    assert "Secret Outsider" not in response.content.decode()


def test_accepting_an_expired_invitation_is_409_invitation_expired(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    with clock.travel_by(timedelta(hours=25)):
        response = api_client_for(ana).post(f"/api/invitations/{invitation.pk}/accept")
    assert_error(response, 409, code="invitation_expired")
    assert not Engagement.objects.exists()


def test_accepting_an_invitation_taken_by_someone_else_is_409_invitation_taken(seeker, need, ana, ben):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    api_client_for(ana).post(f"/api/invitations/{first.pk}/decline", {"reason": "On leave"})
    assert api_client_for(ben).post(f"/api/invitations/{second.pk}/accept").status_code == 201

    response = api_client_for(ana).post(f"/api/invitations/{first.pk}/accept")

    assert_error(response, 409, code="invitation_taken")
    assert Engagement.objects.count() == 1


def test_cancelled_request_makes_the_pending_invitation_taken(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    assert api_client_for(seeker).post(f"/api/requests/{need.pk}/cancel").json()["state"] == "cancelled"

    assert_error(
        api_client_for(ana).post(f"/api/invitations/{invitation.pk}/accept"), 409, code="invitation_taken"
    )


def test_someone_elses_invitation_is_404(seeker, need, ana, ben):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    assert_error(api_client_for(ben).post(f"/api/invitations/{invitation.pk}/accept"), 404, code="not_found")
    assert_error(api_client_for(ben).post(f"/api/invitations/{invitation.pk}/decline", {"reason": "no"}), 404)


def test_decline_without_a_reason_names_the_field(seeker, need, ana):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    response = api_client_for(ana).post(f"/api/invitations/{invitation.pk}/decline", {})
    assert_error(response, 400, field="reason")


def test_extension_past_the_kinds_maximum_or_before_the_end_is_refused(engagement, seeker):
    api = api_client_for(seeker)
    too_far = (engagement.starts_at + timedelta(days=31)).isoformat()
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/extend", {"ends_at": too_far, "reason": "More"}),
        400,
        field="ends_at",
    )
    earlier = (engagement.ends_at - timedelta(days=1)).isoformat()
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/extend", {"ends_at": earlier, "reason": "More"}),
        400,
        field="ends_at",
    )
    engagement.refresh_from_db()
    assert not engagement.extended_once


def test_a_non_participant_reading_or_acting_on_an_engagement_gets_404(org, engagement):
    stranger = member(org)
    api = api_client_for(stranger)
    due = (clock.now() + timedelta(days=1)).isoformat()
    assert_error(api.get(f"/api/engagements/{engagement.pk}"), 404, code="not_found")
    assert_error(api.get("/api/engagements/999999"), 404, code="not_found")
    assert_error(api.post(f"/api/engagements/{engagement.pk}/commitments", {"text": "x", "due_at": due}), 404)
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/transition", {"to_state": "cancelled", "reason": "x"}),
        404,
    )
    assert not Commitment.objects.exists()


def test_a_second_feedback_is_409_and_feedback_before_the_end_is_409(engagement, seeker, ana):
    rating = {
        "ratee": ana.pk,
        "competence": 4,
        "respectful": True,
        "honest": True,
        "responsiveness": 4,
        "would_work_again": True,
    }
    api = api_client_for(seeker)
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/feedback", rating, format="json"),
        409,
        code="feedback_not_open",
    )
    api.post(f"/api/engagements/{engagement.pk}/transition", {"to_state": "wrapping_up"})
    assert api.post(f"/api/engagements/{engagement.pk}/feedback", rating, format="json").status_code == 201
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/feedback", rating, format="json"),
        409,
        code="feedback_exists",
    )
    assert Feedback.objects.count() == 1


def test_feedback_about_someone_outside_the_engagement_or_out_of_range_names_the_field(
    org, engagement, seeker
):
    Engagement.objects.filter(pk=engagement.pk).update(state="wrapping_up", ended_at=clock.now())
    api = api_client_for(seeker)
    outsider = member(org)
    base = {
        "competence": 4,
        "respectful": True,
        "honest": True,
        "responsiveness": 4,
        "would_work_again": True,
    }
    assert_error(
        api.post(f"/api/engagements/{engagement.pk}/feedback", {**base, "ratee": outsider.pk}, format="json"),
        400,
        field="ratee",
    )
    assert_error(
        api.post(
            f"/api/engagements/{engagement.pk}/feedback",
            {**base, "ratee": engagement.participants.exclude(user=seeker).get().user_id, "competence": 9},
            format="json",
        ),
        400,
        field="competence",
    )


def test_confirming_your_own_commitment_is_403(engagement, ana):
    commitment = commitment_record(
        actor=ana, engagement_id=engagement.pk, text="Review", due_at=clock.now() + timedelta(days=1)
    )
    response = api_client_for(ana).post(f"/api/commitments/{commitment.pk}/confirm", {"kept": True})
    assert_error(response, 403, code="permission_denied")
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.OPEN


def test_a_group_engagement_with_fewer_than_three_people_is_refused(org, ana):
    other = member(org)
    response = api_client_for(ana).post(
        "/api/engagements", {"title": "Tiny", "mentors": [ana.pk], "seekers": [other.pk]}, format="json"
    )
    assert_error(response, 400, field="participants")
    assert not Engagement.objects.exists()


def test_skills_from_another_workspace_are_refused_for_requests_and_groups(org, other_org, seeker, ana):
    foreign = SkillFactory(organization=other_org, name="Terraform")
    response = api_client_for(seeker).post(
        "/api/requests", {"title": "Help", "skills": [foreign.pk]}, format="json"
    )
    assert_error(response, 400, field="skills")
    assert not MentoringRequest.objects.exists()
    a, b = member(org), member(org)
    response = api_client_for(ana).post(
        "/api/engagements",
        {"title": "Guild", "mentors": [ana.pk], "seekers": [a.pk, b.pk], "skills": [foreign.pk]},
        format="json",
    )
    assert_error(response, 400, field="skills")


def test_a_request_of_kind_group_or_with_a_bad_duration_names_the_field(seeker):
    api = api_client_for(seeker)
    assert_error(api.post("/api/requests", {"title": "Help", "kind": "group"}), 400, field="kind")
    assert_error(
        api.post("/api/requests", {"title": "Help", "desired_duration_days": 45}),
        400,
        field="desired_duration_days",
    )


def test_someone_elses_request_is_404_for_suggestions_and_invitations(org, need, ana):
    other = member(org)
    assert_error(api_client_for(other).get(f"/api/requests/{need.pk}/suggestions"), 404)
    invited = api_client_for(other).post(f"/api/requests/{need.pk}/invitations", {"mentors": [ana.pk]})
    assert_error(invited, 404)


def test_anonymous_callers_are_refused(need):
    response = APIClient().get(f"/api/requests/{need.pk}/suggestions")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"error"}


# --- query counts -----------------------------------------------------------------------------


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_engagement_list_query_count_is_the_same_for_page_sizes_5_and_20(org, seeker, terraform):
    for _ in range(25):
        other = mentor(org)
        engagement = EngagementFactory(
            organization=org,
            participants=[(seeker, Participant.Role.SEEKER), (other, Participant.Role.MENTOR)],
        )
        engagement.skills.add(terraform)
    api = api_client_for(seeker)
    api.get("/api/engagements?page_size=1")  # warm the session and membership caches

    small = _queries(api, "/api/engagements?page_size=5")
    large = _queries(api, "/api/engagements?page_size=20")

    assert small == large


def test_suggestion_query_count_is_the_same_for_few_and_many_candidates(org, seeker, need, terraform):
    def add(n):
        for _ in range(n):
            user = mentor(org)
            ExpertiseFactory(user=user, skill=terraform, level=4)
            pair_engagement(org, mentor_user=user)

    api = api_client_for(seeker)
    add(2)
    few = _queries(api, f"/api/requests/{need.pk}/suggestions?limit=5")
    add(18)
    many = _queries(api, f"/api/requests/{need.pk}/suggestions?limit=20")

    assert few == many


def test_inviting_on_an_exhausted_request_asks_again_as_a_new_request_like_the_page_does(
    seeker, need, ana, ben
):
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    api_client_for(ana).post(f"/api/invitations/{invitation.pk}/decline", {"reason": "Busy"})
    api = api_client_for(seeker)
    assert api.get(f"/api/requests/{need.pk}").json()["state"] == "exhausted"

    sent = api.post(f"/api/requests/{need.pk}/invitations", {"mentors": [ben.pk]}, format="json")

    assert sent.status_code == 201, sent.content
    (item,) = sent.json()
    again = MentoringRequest.objects.exclude(pk=need.pk).get()
    assert item["request_id"] == again.pk and item["mentor"]["id"] == ben.pk
    assert api.get(f"/api/requests/{again.pk}").json()["state"] == "inviting"
    assert api.get(f"/api/requests/{need.pk}").json()["state"] == "exhausted"


def test_inviting_again_while_the_cascade_runs_is_a_conflict(seeker, need, ana, ben):
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    response = api_client_for(seeker).post(
        f"/api/requests/{need.pk}/invitations", {"mentors": [ben.pk]}, format="json"
    )

    assert_error(response, 409, field="request")
    assert Invitation.objects.count() == 1
