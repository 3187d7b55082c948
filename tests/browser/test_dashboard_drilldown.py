"""The overview's new charts and drill-downs in a real browser: the time-to-first-answer
and trust-movement charts render under the strict CSP, a figure card leads to the rows
behind it, and both pages pass axe."""

from datetime import date

from playwright.sync_api import expect

from tests.browser.login import log_in_through_form
from tests.dashboard.test_overview import JUNE_QUERY, _snapshot, build_workspace
from tests.factories import talent_manager


def test_a_manager_sees_the_new_charts_and_drills_into_the_engagements(page, axe_check):
    manager = talent_manager(full_name="Tina Manager")
    people = build_workspace(manager.membership.organization)
    _snapshot(people["s1"], "integrity", date(2026, 5, 31), 0.55, 5)
    _snapshot(people["s1"], "integrity", date(2026, 6, 28), 0.75, 6)

    log_in_through_form(page, manager.email)
    page.goto(f"/manage/?{JUNE_QUERY}")
    for chart in ("chart-first-answer", "chart-trust-movement"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_have_attribute("data-rendered", "true")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    page.problems.assert_none()
    axe_check(page)

    page.locator("#figure-active_engagements header a").click()
    expect(page.get_by_role("heading", name="Engagements", level=1)).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("table")).to_contain_text("=Terraform basics")
    page.problems.assert_none()
    axe_check(page)
