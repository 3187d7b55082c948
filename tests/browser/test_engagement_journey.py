"""The engagement journey in a real browser, two people in two browser contexts:
a seeker describes a need, picks a mentor from the explained suggestions and
invites; the mentor accepts from the inbox; both see the engagement with each
other's trust cards; the mentor records a commitment, the seeker confirms it
kept, and the mentor's integrity explanation reflects it. axe-core on each page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from accounts import working_hours as wh
from accounts.services.profiles import expertise_set, profile_update
from core import clock
from mentoring.models import Commitment, Engagement, Invitation
from tests.clients import log_in_page
from tests.factories import SkillFactory, member


@pytest.fixture
def people():
    seeker = member(full_name="Sofia Seeker")
    org = seeker.membership.organization
    terraform = SkillFactory(organization=org, name="Terraform")
    mentor = member(org, full_name="Marek Mentor")
    profile_update(
        user=mentor,
        headline="Writes Terraform modules",
        open_to_mentor=True,
        capacity=2,
        working_hours=wh.DEFAULT_WORKING_HOURS,
    )
    expertise_set(user=mentor, skill_id=terraform.pk, level=5)
    profile_update(user=seeker, working_hours=wh.DEFAULT_WORKING_HOURS)
    return {"seeker": seeker, "mentor": mentor, "terraform": terraform}


def test_seeker_invites_mentor_accepts_and_a_kept_commitment_shows_in_the_trust_card(
    new_person, live_url, axe_check, people
):
    seeker, mentor = people["seeker"], people["mentor"]
    sofia = new_person()
    marek = new_person()
    log_in_page(sofia, live_url, seeker)
    log_in_page(marek, live_url, mentor)

    # the seeker describes the need
    sofia.goto("/mentoring/find/")
    axe_check(sofia)
    sofia.get_by_label("What do you need?").fill("Ship my first Terraform module")
    sofia.get_by_label("Details").fill("A module for our S3 buckets, reviewed before Friday.")
    sofia.locator("#id_primary_skill").press_sequentially("Terra", delay=30)
    sofia.locator("#primary_skill-options option[value='Terraform']").wait_for(state="attached")
    sofia.locator("#id_primary_skill").fill("Terraform")
    sofia.get_by_role("button", name="Show me mentors").click()
    sofia.wait_for_url(re.compile(r"/mentoring/requests/\d+/$"))

    # explained suggestions, focus moved to them
    suggestion = sofia.locator(".suggestion").first
    suggestion.get_by_role("heading", name="Marek Mentor").wait_for()
    assert sofia.evaluate("() => document.activeElement.id") == "suggestions-heading"
    assert suggestion.get_by_role("row", name=re.compile("Skill fit")).is_visible()
    suggestion.locator("summary", has_text="Trust card").click()
    suggestion.get_by_role("heading", name="Trust · Marek Mentor").wait_for()
    axe_check(sofia)
    sofia.get_by_label("1st choice").select_option(label="Marek Mentor")
    sofia.get_by_role("button", name="Send invitations").click()
    sofia.get_by_text("Invitation sent to Marek Mentor").wait_for()
    assert Invitation.objects.get().state == Invitation.State.PENDING

    # the mentor accepts from the inbox
    marek.goto("/mentoring/invitations/")
    marek.get_by_role("heading", name="Ship my first Terraform module").wait_for()
    axe_check(marek)
    marek.get_by_role("button", name=re.compile("^Accept")).click()
    marek.wait_for_url(re.compile(r"/engagements/\d+/$"))
    engagement = Engagement.objects.get()
    marek.get_by_role("heading", name="Trust · Sofia Seeker").wait_for()
    axe_check(marek)

    # both see the engagement with each other's trust card
    sofia.goto(f"/engagements/{engagement.pk}/")
    sofia.get_by_role("heading", name="Trust · Marek Mentor").wait_for()
    assert sofia.locator("#chat-panel").count() == 1
    axe_check(sofia)

    # the mentor records a commitment ...
    due = (clock.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    marek.get_by_label("I commit to").fill("Review your module")
    marek.get_by_role("textbox", name="Due:").fill(due)
    marek.get_by_role("button", name="Record commitment").click()
    marek.get_by_text("Commitment recorded").wait_for()

    # ... and the seeker confirms it kept
    sofia.reload()
    sofia.get_by_role("button", name=re.compile(r"^Confirm kept\W+Review your module")).click()
    sofia.get_by_text("Marked kept").wait_for()
    commitment = Commitment.objects.get()
    assert commitment.state == Commitment.State.KEPT and commitment.confirmed_by == seeker

    # the integrity explanation on Marek's trust card now counts the kept commitment
    sofia.reload()
    card = sofia.locator("article.trust-card", has=sofia.get_by_role("heading", name="Trust · Marek Mentor"))
    integrity = card.locator("li.trust-dimension", has_text="Integrity")
    integrity.get_by_text(re.compile(r"1 piece of evidence")).wait_for()
    integrity.locator("summary", has_text="Why?").click()
    assert "kept 1 of 1 commitment" in integrity.inner_text().lower()
    axe_check(sofia)
    sofia.problems.assert_none()
    marek.problems.assert_none()


def test_engagement_list_requests_and_group_form_pass_axe_and_the_group_form_reports_errors(
    page, live_url, axe_check, people
):
    mentor = people["mentor"]
    log_in_page(page, live_url, mentor)

    for path in ("/engagements/", "/mentoring/requests/", "/mentoring/invitations/"):
        page.goto(path)
        axe_check(page)

    page.goto("/engagements/new-group/")
    axe_check(page)
    page.get_by_label("Title").fill("Terraform guild")
    expect(page.get_by_label("I take part as a mentor")).to_be_checked()  # chosen up front
    page.get_by_role("button", name="Start the group").click()
    page.get_by_text("A group engagement needs at least 3 people").wait_for()
    assert not Engagement.objects.exists()
    axe_check(page)

    member(people["seeker"].membership.organization, full_name="Nina Newcomer")
    page.reload()
    page.get_by_label("Title").fill("Terraform guild")
    # the people picker: type, pick with the keyboard, set a role per row
    search = page.get_by_role("combobox", name="Add people")
    search.fill("sofia")
    expect(page.get_by_role("option", name="Sofia Seeker")).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    search.fill("nina new")
    search.press("Enter")
    expect(page.get_by_label("Role of Nina Newcomer")).to_have_value("seeker")
    page.get_by_label("Role of Sofia Seeker").select_option("mentor")
    page.get_by_role("button", name="Start the group").click()
    page.wait_for_url(re.compile(r"/engagements/\d+/$"))
    roles = {p.user.full_name: p.role for p in Engagement.objects.get().participants.select_related("user")}
    assert roles == {"Marek Mentor": "mentor", "Sofia Seeker": "mentor", "Nina Newcomer": "seeker"}
    page.get_by_role("heading", name="Terraform guild").wait_for()
    axe_check(page)
    # the invalid submission answered 400 on purpose (the house convention for a form
    # with errors); anything else — a CSP violation, a script error — is a failure
    assert [m for m in page.problems.messages if "status of 400" not in m] == []
