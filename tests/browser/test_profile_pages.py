"""Profile pages in a real browser: the small ES modules (time-zone guess,
working-hour rows, skill autocomplete), the htmx directory, and axe-core on
every profile page."""

import re

import pytest

from accounts import working_hours as wh
from accounts.models import Expertise, Profile
from accounts.services.profiles import expertise_set, profile_update
from accounts.services.skills import skill_create
from tests.clients import log_in_page
from tests.factories import member


@pytest.fixture
def workspace_people():
    viewer = member(full_name="Viktor Viewer")
    org = viewer.membership.organization
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    priya = member(org, full_name="Priya Raman")
    profile_update(
        user=priya, headline="Platform engineer", open_to_mentor=True, working_hours=wh.DEFAULT_WORKING_HOURS
    )
    hiroshi = member(org, full_name="Hiroshi Tanaka")
    profile_update(
        user=hiroshi, headline="SRE", timezone="Asia/Tokyo", working_hours=wh.DEFAULT_WORKING_HOURS
    )
    expertise_set(user=hiroshi, skill_id=kubernetes.pk, level=5)
    return {"viewer": viewer, "priya": priya, "hiroshi": hiroshi, "kubernetes": kubernetes}


def test_onboarding_proposes_the_browsers_time_zone_and_adds_working_hour_rows(
    new_person, live_url, axe_check
):
    newcomer = member(onboarded=False)
    page = new_person(timezone_id="Asia/Tokyo")
    log_in_page(page, live_url, newcomer)

    page.goto("/onboarding/2/")
    assert page.locator("#id_timezone").input_value() == "Asia/Tokyo"
    rows = page.locator("[data-working-hours-rows] tr")
    before = rows.count()
    page.get_by_role("button", name="Add a row").click()
    assert rows.count() == before + 1
    new_day = page.get_by_label(f"Row {before + 1}: day")
    assert page.evaluate("() => document.activeElement.id") == new_day.get_attribute("id")
    new_day.select_option("5")
    page.get_by_label(f"Row {before + 1}: from").fill("10:00")
    page.get_by_label(f"Row {before + 1}: to").fill("12:00")
    axe_check(page)

    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/onboarding/3/")
    profile = Profile.objects.get(user=newcomer)
    assert profile.timezone == "Asia/Tokyo"
    assert {"day": 5, "start": "10:00", "end": "12:00"} in profile.working_hours
    axe_check(page)
    page.problems.assert_none()


def test_skill_autocomplete_suggests_by_alias_and_saves_the_picked_skill(
    page, live_url, workspace_people, axe_check
):
    viewer = workspace_people["viewer"]
    log_in_page(page, live_url, viewer)

    page.goto("/onboarding/4/")
    axe_check(page)
    field = page.locator("#id_exp-skill")
    field.press_sequentially("k8", delay=50)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#exp-skill-options option'))"
        ".some(o => o.value === 'Kubernetes')"
    )
    field.fill("Kubernetes")
    assert page.locator("#id_exp-skill_id").input_value() == str(workspace_people["kubernetes"].pk)
    page.locator("#id_exp-level").select_option("4")
    page.get_by_role("button", name="Save expertise").click()
    page.wait_for_load_state()
    assert Expertise.objects.get(user=viewer).skill == workspace_people["kubernetes"]
    assert page.get_by_role("button", name="Remove Kubernetes").count() == 1

    # Enter in the goal field submits the shared form's first button: it saves, never removes.
    page.locator("#id_goal-skill").fill("Rust")
    page.locator("#id_goal-skill").press("Enter")
    page.wait_for_selector("text=Remove Rust", state="attached")
    assert Expertise.objects.filter(user=viewer).count() == 1
    assert viewer.learning_goals.get().skill.name == "Rust"

    page.get_by_role("button", name="Remove Kubernetes").click()
    page.wait_for_selector("text=No expertise yet", state="attached")
    assert not Expertise.objects.filter(user=viewer).exists()
    page.problems.assert_none()


def test_directory_updates_results_in_place_as_filters_change(page, live_url, workspace_people, axe_check):
    log_in_page(page, live_url, workspace_people["viewer"])
    page.goto("/people/")
    axe_check(page)
    results = page.locator("#directory-results")
    assert "Priya Raman" in results.inner_text()
    page.evaluate("() => { window.__sameDocument = true; }")

    page.locator("#id_q").fill("k8s")
    page.wait_for_url(re.compile(r"q=k8s"))
    page.wait_for_function(
        "() => !document.querySelector('#directory-results').innerText.includes('Priya Raman')"
    )
    assert "Hiroshi Tanaka" in results.inner_text()
    assert page.evaluate("() => window.__sameDocument === true")  # no full page load

    page.locator("#id_q").fill("nobody-matches-this")
    page.wait_for_function(
        "() => document.querySelector('#directory-results').innerText.includes('No one matches')"
    )
    axe_check(page)
    page.problems.assert_none()


def test_profile_and_edit_pages_pass_axe(page, live_url, workspace_people, axe_check):
    log_in_page(page, live_url, workspace_people["viewer"])
    page.goto(f"/people/{workspace_people['hiroshi'].pk}/")
    assert page.locator("#trust-card").count() == 1
    axe_check(page)
    page.goto("/me/profile/")
    axe_check(page)
    for step in (1, 3):
        page.goto(f"/onboarding/{step}/")
        axe_check(page)
    page.problems.assert_none()
