"""Issue 3's dispute flow in a real browser: a person disputes a piece of
evidence about them, a talent manager upholds it, the item stops counting and
both sides see the outcome."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from core import clock
from mentoring.engagements.services.commitments import commitment_confirm, commitment_record
from tests.browser.login import log_in_through_form
from tests.factories import talent_manager
from tests.mentoring.factories import mentor, pair_engagement
from trust.models import TrustDispute, TrustEvent


def test_a_disputed_missed_commitment_is_upheld_and_stops_counting(new_person, axe_check):
    manager = talent_manager(full_name="Mina Manager")
    organization = manager.membership.organization
    mentor_user = mentor(organization, full_name="Omar Mentor")
    engagement = pair_engagement(organization, mentor_user=mentor_user)
    seeker = engagement.participants.exclude(user=mentor_user).get().user
    # real evidence: the mentor says the seeker missed a commitment
    commitment = commitment_record(
        actor=seeker,
        engagement_id=engagement.pk,
        text="Send the module for review",
        due_at=clock.now() + timedelta(days=2),
    )
    with clock.travel_by(timedelta(days=3)):
        commitment_confirm(actor=mentor_user, commitment_id=commitment.pk, kept=False)
    missed = TrustEvent.objects.get(subject=seeker, source_kind="commitment", voids__isnull=True)
    assert missed.outcome == 0

    # the seeker disputes it from "My trust"
    person = new_person()
    log_in_through_form(person, seeker.email)
    person.goto("/trust/me/")
    axe_check(person)
    item = person.locator(f"#evidence-{missed.pk}")
    item.get_by_text("Dispute this item").click()
    item.get_by_label("Why is it wrong?").fill("I sent it on time; the mentor was on leave.")
    item.get_by_role("button", name="Send dispute").click()
    expect(person.locator("main")).to_contain_text(re.compile("dispute", re.I))
    dispute = TrustDispute.objects.get(event=missed)
    assert dispute.state == TrustDispute.State.OPEN

    # the manager upholds it from the queue
    manager_page = new_person()
    log_in_through_form(manager_page, manager.email)
    manager_page.goto("/trust/disputes/")
    axe_check(manager_page)
    card = manager_page.locator(f"#dispute-{dispute.pk}")
    card.get_by_label(re.compile("Uphold")).check()
    card.get_by_label(re.compile("Note to")).fill("Confirmed with the mentor: it was on time.")
    card.get_by_role("button", name="Decide").click()
    expect(manager_page.locator(f"#dispute-{dispute.pk}")).to_have_count(0)

    dispute.refresh_from_db()
    assert dispute.state == TrustDispute.State.UPHELD
    assert TrustEvent.objects.filter(voids=missed).exists()

    # and the seeker sees the outcome
    person.goto("/trust/me/")
    outcome = person.locator(".trust-dispute-outcome").first
    expect(outcome).to_contain_text("Upheld")
    expect(outcome).to_contain_text("Confirmed with the mentor")
    person.problems.assert_none()
    manager_page.problems.assert_none()
