"""Questions and answers in a real browser: Asha asks the network, Hugo answers,
Asha accepts the answer; both pages pass axe and the evidence reaches the
trust ledger."""

import re

from playwright.sync_api import expect

from messaging.models import Answer, Question
from tests.browser.login import log_in_through_form
from tests.factories import OrganizationFactory, SkillFactory, member
from trust.models import TrustEvent


def test_a_network_question_is_asked_answered_and_accepted(new_person, axe_check):
    organization = OrganizationFactory()
    asker = member(organization, full_name="Asha Asker")
    helper = member(organization, full_name="Hugo Helper")
    SkillFactory(organization=organization, name="Terraform")

    # Asha asks the whole network
    asha = new_person()
    log_in_through_form(asha, asker.email)
    asha.get_by_role("navigation", name="Main").get_by_role("link", name="Questions").click()
    expect(asha.get_by_text("No questions yet.")).to_be_visible()
    axe_check(asha)
    asha.get_by_role("button", name="Ask a question").click()
    asha.get_by_label("Your question in one line").fill("How do I pin a Terraform provider?")
    asha.get_by_label("Details").fill("Which **syntax** is right?")
    asha.get_by_label("Who should see it?").select_option("network")
    asha.get_by_label("Skill (optional):", exact=True).fill("Terraform")
    axe_check(asha)
    asha.get_by_role("button", name="Post the question").click()
    expect(asha.get_by_role("heading", level=1)).to_have_text("How do I pin a Terraform provider?")
    question = Question.objects.get()

    # Hugo finds it and answers
    hugo = new_person()
    log_in_through_form(hugo, helper.email)
    hugo.goto("/questions/")
    hugo.get_by_label("Search questions and answers").fill("terraform")
    hugo.get_by_role("button", name="Search").click()
    hugo.get_by_role("link", name="How do I pin a Terraform provider?").click()
    hugo.get_by_label("Your answer").fill("Use `required_providers` with `~>`.")
    hugo.get_by_role("button", name="Post the answer").click()
    expect(hugo.locator("#answers")).to_contain_text("required_providers")
    axe_check(hugo)

    # Asha accepts it
    asha.reload()
    asha.get_by_role("button", name=re.compile("^Accept")).click()
    expect(asha.get_by_text("Accepted answer")).to_be_visible()
    axe_check(asha)

    answer = Answer.objects.get()
    assert answer.accepted and answer.author == helper
    question.refresh_from_db()
    assert question.accepted_answer == answer
    assert TrustEvent.objects.filter(source_kind="answer.accepted", subject=helper, actor=asker).count() == 1
    asha.problems.assert_none()
    hugo.problems.assert_none()
