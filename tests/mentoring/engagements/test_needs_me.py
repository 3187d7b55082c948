"""Home's "what needs me now" (mentoring.engagements.needs_me and the home panels):
each item is the viewer's own, with its action; nothing of anyone else's."""

from datetime import timedelta

import pytest

from core import clock
from mentoring.engagements.needs_me import needs_me
from mentoring.engagements.services.invitations import invitations_send
from mentoring.engagements.services.requests import request_create
from mentoring.models import Engagement
from tests.clients import client_for
from tests.mentoring.factories import CommitmentFactory, mentor, pair_engagement

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(org):
    return mentor(org, full_name="Ana Mentor")


def test_a_pending_invitation_needs_the_mentor_and_not_the_seeker(org, seeker, ana, terraform):
    need = request_create(seeker=seeker, title="Ship my Terraform module", skill_ids=[terraform.pk])
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    assert [i.request.title for i in needs_me(ana).invitations] == ["Ship my Terraform module"]
    assert needs_me(seeker).invitations == []


def test_my_commitment_due_this_week_and_theirs_overdue_to_confirm(org, seeker, ana):
    engagement = pair_engagement(org, seeker=seeker, mentor_user=ana)
    mine = CommitmentFactory(engagement=engagement, owner=ana, due_at=clock.now() + timedelta(days=2))
    CommitmentFactory(engagement=engagement, owner=ana, due_at=clock.now() + timedelta(days=12))  # not yet
    theirs = CommitmentFactory(engagement=engagement, owner=seeker, due_at=clock.now() + timedelta(hours=1))

    with clock.travel_to(clock.now() + timedelta(hours=2)):
        needs = needs_me(ana)

    assert needs.commitments_due == [mine]
    assert needs.to_confirm == [theirs]
    assert needs_me(seeker).to_confirm == []


def test_feedback_owed_and_engagements_ending_soon(org, seeker, ana):
    ending = pair_engagement(org, seeker=seeker, mentor_user=ana, ends_at=clock.now() + timedelta(days=3))
    pair_engagement(org, seeker=seeker, mentor_user=ana, ends_at=clock.now() + timedelta(days=20))
    wrapping = pair_engagement(
        org, seeker=seeker, mentor_user=ana, state=Engagement.State.WRAPPING_UP, ended_at=clock.now()
    )

    needs = needs_me(seeker)

    assert needs.ending_soon == [ending]
    assert needs.feedback_owed == [wrapping]


def test_someone_elses_engagement_never_shows(org, seeker, ana):
    pair_engagement(org, mentor_user=ana, ends_at=clock.now() + timedelta(days=3))

    assert needs_me(seeker).total == 0


def test_the_home_page_has_the_panels_and_a_first_run_welcome(seeker):
    seeker.profile.headline = ""
    seeker.profile.save(update_fields=["headline"])

    html = client_for(seeker).get("/").content.decode()

    assert "What needs you now" in html and "Welcome to Tandem" in html
    for panel in ("/mentoring/needs-me/", "/conversations/unread/", "/questions/for-you/home/"):
        assert f'hx-get="{panel}"' in html


def test_the_panels_answer_with_their_items_and_empty_states(org, seeker, ana):
    pair_engagement(
        org, seeker=seeker, mentor_user=ana, title="Module help", ends_at=clock.now() + timedelta(days=3)
    )
    client = client_for(seeker)

    mentoring = client.get("/mentoring/needs-me/").content.decode()
    unread = client.get("/conversations/unread/")
    routed = client.get("/questions/for-you/home/")

    assert "Ending soon" in mentoring and "Module help" in mentoring and "Wrap up or extend" in mentoring
    assert unread.status_code == 200 and routed.status_code == 200
    assert "No one is waiting on an answer from you." in routed.content.decode()
