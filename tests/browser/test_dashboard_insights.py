"""Issue 6's skills, network, attention and export pages in a real browser: the
network graph draws with Cytoscape under the strict CSP and can be searched, a
skill gap drills down, a nudge goes out from the attention list, and every page
passes axe."""

import re

from playwright.sync_api import expect

from accounts.models import AuditEntry
from messaging.models import Notification
from tests.browser.login import log_in_through_form
from tests.dashboard import test_attention as test_dashboard_attention
from tests.dashboard import test_network as test_dashboard_network
from tests.dashboard import test_skills as test_dashboard_skills
from tests.factories import talent_manager


def test_a_manager_explores_the_network_skills_attention_and_exports(page, axe_check):
    manager = talent_manager(full_name="Tina Manager")
    org = manager.membership.organization
    test_dashboard_network.build(org)
    skills = test_dashboard_skills.build(org)
    attention = test_dashboard_attention.build(org)

    log_in_through_form(page, manager.email)
    page.goto("/manage/network/")
    expect(page.get_by_role("heading", name="Mentoring network", level=1)).to_be_visible()
    graph = page.locator("#network-graph")
    expect(graph).to_have_attribute("data-rendered", "true")
    box = graph.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    expect(page.locator("#network-status")).to_contain_text("Drawn:")
    page.get_by_label("Find a person in the graph").fill("xena")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#network-search-status")).to_have_text("Found 1: Xena Alone.")
    expect(page.locator("#bridges-table")).to_contain_text("Mia Mentor")
    page.problems.assert_none()
    axe_check(page)

    page.get_by_role("navigation", name="Dashboard sections").get_by_role("link", name="Skills").click()
    expect(page.get_by_role("heading", name="Skills supply and demand", level=1)).to_be_visible()
    page.get_by_role("link", name="Terraform", exact=True).click()
    expect(page.get_by_role("heading", name="Terraform", level=1)).to_be_visible()
    expect(page.locator("#figure-seekers")).to_have_text("3")
    expect(page.get_by_role("region", name="Grow mentors here")).to_contain_text("Mo Closed")
    page.problems.assert_none()
    axe_check(page)
    assert skills["T"].name == "Terraform"

    page.get_by_role("navigation", name="Dashboard sections").get_by_role("link", name="Attention").click()
    idle = page.locator(f"#idle-{attention['idle_10'].pk}")
    expect(idle).to_be_visible()
    axe_check(page)
    idle.get_by_role("button", name="Nudge the participants").click()
    expect(page.get_by_role("status").filter(has_text="Nudge sent to 2 people.")).to_be_visible()
    assert Notification.objects.filter(kind="engagement.nudged").count() == 2
    page.problems.assert_none()
    # a second nudge the same day is refused with a 409 and the reason on the page
    idle = page.locator(f"#idle-{attention['idle_10'].pk}")
    idle.get_by_role("button", name="Nudge the participants").click()
    expect(page.locator("#action-error")).to_contain_text(re.compile("less than a day ago"))
    assert page.problems.messages == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ]
    page.problems.messages.clear()
    axe_check(page)

    page.get_by_role("navigation", name="Dashboard sections").get_by_role("link", name="Exports").click()
    expect(page.get_by_role("link", name="Participation (CSV)")).to_be_visible()
    axe_check(page)
    assert AuditEntry.objects.filter(actor=manager, action="dashboard.nudge").count() == 1
