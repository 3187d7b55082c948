"""Issue 2's journeys in a real browser: sign up → workspace → onboarding →
directory; joining through an invite link and finding a colleague by skill;
a deactivated member is logged out at once."""

import re

from playwright.sync_api import expect

from accounts.models import Expertise, Membership, User
from tests.browser.login import log_in_through_form
from tests.factories import DEFAULT_PASSWORD, ExpertiseFactory, SkillFactory, member, talent_manager


def sign_up(page, email, email_link, axe_check=None):
    page.goto("/accounts/signup/")
    if axe_check:
        axe_check(page)
    page.get_by_label("Your name").fill(email.split("@")[0].replace(".", " ").title())
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(DEFAULT_PASSWORD)
    page.locator("input[name=password2]").fill(DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("sign up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("verify|confirm", re.I))
    page.goto(email_link(email))
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()


def test_new_person_signs_up_creates_a_workspace_onboards_and_appears_in_the_directory(
    page, email_link, axe_check
):
    # given a new visitor, when they sign up and verify their e-mail
    sign_up(page, "ada@lovelace.example", email_link, axe_check)

    # then they are asked to create or join a workspace, and create one
    expect(page.get_by_role("heading", level=1)).to_have_text("Create or join a workspace")
    axe_check(page)
    page.get_by_label("Workspace name").fill("Analytical Engines")
    page.get_by_role("button", name="Create workspace").click()

    # onboarding, step by step
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    axe_check(page)
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Headline").fill("Writes the first programs")
    page.get_by_label("Bio").fill("I translate **notes** into algorithms.")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 2 of 4")).to_be_visible()
    axe_check(page)
    page.locator("select[name=timezone]").select_option("Europe/London")
    page.get_by_label("Capacity").fill("3")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    axe_check(page)
    page.get_by_label("I'm open to mentoring others").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    axe_check(page)
    page.locator("#skills-form fieldset").first.get_by_label("Skill").fill("Algorithms")
    page.locator("#skills-form fieldset").first.get_by_label("Level").select_option("5")
    page.get_by_role("button", name="Finish").click()

    # then the home page greets them and the directory lists them with their skill
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada")
    page.goto("/people/")
    axe_check(page)
    results = page.locator("#directory-results")
    expect(results).to_contain_text("Ada Lovelace")
    expect(results).to_contain_text("Algorithms")

    ada = User.objects.get(email="ada@lovelace.example")
    assert ada.membership.role == Membership.Role.TALENT_MANAGER
    assert ada.profile.open_to_mentor and ada.profile.onboarded_at is not None
    assert Expertise.objects.get(user=ada).level == 5
    page.problems.assert_none()


def test_second_person_joins_through_an_invite_link_and_finds_the_first_by_skill(
    new_person, email_link, axe_check
):
    manager = talent_manager(full_name="Grace Hopper", email="grace@navy.example")
    organization = manager.membership.organization
    cobol = SkillFactory(organization=organization, name="COBOL")
    ExpertiseFactory(user=manager, skill=cobol, level=5)
    member(organization, full_name="Someone Else")

    # the manager creates an invite link
    grace = new_person()
    log_in_through_form(grace, manager.email)
    grace.goto("/workspace/invites/")
    axe_check(grace)
    grace.get_by_role("button", name="Create link").click()
    link = grace.get_by_label("Invite link 1").input_value()
    assert "/join/" in link
    link = link[link.index("/join/") :]

    # a newcomer opens it, signs up, and lands in the workspace
    newcomer = new_person()
    newcomer.goto(link)
    expect(newcomer.locator("main")).to_contain_text(organization.name)
    axe_check(newcomer)
    sign_up(newcomer, "kathleen@booth.example", email_link)
    expect(newcomer.get_by_text("Step 1 of 4")).to_be_visible()
    joined = User.objects.get(email="kathleen@booth.example")
    assert joined.membership.organization == organization
    assert joined.membership.role == Membership.Role.MEMBER

    # and finds Grace by skill in the directory
    newcomer.goto("/people/")
    # onboarding is not finished, so the directory may send them back; finish quickly
    if "/onboarding/" in newcomer.url:
        for _ in range(3):
            newcomer.get_by_role("button", name="Save and continue").click()
        newcomer.get_by_role("button", name="Finish").click()
        newcomer.goto("/people/")
    newcomer.get_by_role("searchbox", name="Search").fill("COBOL")
    newcomer.get_by_role("searchbox", name="Search").press("Enter")
    results = newcomer.locator("#directory-results")
    expect(results).to_contain_text("Grace Hopper")
    expect(results).not_to_contain_text("Someone Else")
    axe_check(newcomer)


def test_a_deactivated_member_is_logged_out_at_once(new_person, axe_check):
    manager = talent_manager(full_name="Mary Manager")
    organization = manager.membership.organization
    leaver = member(organization, full_name="Larry Leaver", email="larry@example.com")

    larry = new_person()
    log_in_through_form(larry, leaver.email)
    larry.goto("/people/")
    expect(larry.locator("#directory-results")).to_contain_text("Mary Manager")

    mary = new_person()
    log_in_through_form(mary, manager.email)
    mary.goto("/workspace/members/")
    axe_check(mary)
    mary.get_by_role("button", name="Deactivate Larry Leaver").click()
    expect(mary.locator("main")).to_contain_text(re.compile("deactivated", re.I))

    # Larry's very next request is anonymous: he is sent to the login page
    larry.goto("/people/")
    expect(larry).to_have_url(re.compile("/accounts/login/"))
    leaver.refresh_from_db()
    assert not leaver.is_active
