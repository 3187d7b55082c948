"""The trust card on a profile page shows real explanations built from real
evidence (kept commitments in a real engagement), and a newcomer reads as new."""

from datetime import timedelta

import pytest
from django.test import Client

from core import clock
from mentoring.engagements.services.commitments import commitment_confirm, commitment_record
from tests.factories import member
from tests.mentoring.factories import mentor, pair_engagement

pytestmark = pytest.mark.django_db


def test_a_profile_explains_kept_commitments_and_why_they_counted_less(django_capture_on_commit_callbacks):
    organization = member().membership.organization
    mentor_user = mentor(organization, full_name="Omar Mentor")
    engagement = pair_engagement(organization, mentor_user=mentor_user)
    seeker = engagement.participants.exclude(user=mentor_user).get().user
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            commitment = commitment_record(
                actor=seeker,
                engagement_id=engagement.pk,
                text=f"Deliver part {i}",
                due_at=clock.now() + timedelta(days=1),
            )
            # confirmed on the spot, by the same person every time
            commitment_confirm(actor=mentor_user, commitment_id=commitment.pk, kept=True)

    viewer = Client()
    viewer.force_login(mentor_user)
    page = viewer.get(f"/people/{seeker.pk}/").content.decode()

    assert 'id="trust-card"' in page
    card = page[page.index('id="trust-card"') :]
    integrity = card[card.index("<strong>Integrity</strong>") : card.index("<strong>Responsiveness</strong>")]
    assert "Kept 4 of 4 commitments in the last 90 days" in integrity
    assert "4 pieces of evidence" in integrity
    # one counterpart confirming four promises on the spot is not a track record yet
    assert "Not enough evidence yet — building a track record" in integrity
    assert "4 of 4 pieces counted less" in integrity
    assert "repeated evidence from the same person counts less each time" in integrity
    assert "evidence confirmed before it could be checked counts less" in integrity
    assert "Omar" not in integrity  # raters stay private


def test_a_newcomers_profile_says_new_rather_than_a_low_score():
    newcomer = member(full_name="Nia Newcomer")
    colleague = member(newcomer.membership.organization)
    viewer = Client()
    viewer.force_login(colleague)

    page = viewer.get(f"/people/{newcomer.pk}/").content.decode()

    assert "Not enough evidence yet — building a track record" in page
