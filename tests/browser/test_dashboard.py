"""Issue 6's overview in a real browser: a talent manager opens the dashboard, picks a
custom range, the figures and the three Chart.js charts render under the strict CSP,
and the page passes axe."""

import re

from playwright.sync_api import expect

from accounts.models import AuditEntry
from tests.browser.login import log_in_through_form
from tests.dashboard.test_overview import build_workspace
from tests.factories import talent_manager


def test_a_manager_opens_the_overview_and_the_charts_render(page, axe_check):
    manager = talent_manager(full_name="Tina Manager")
    build_workspace(manager.membership.organization)

    log_in_through_form(page, manager.email)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    page.locator("#id_period").select_option("custom")
    page.locator("#id_start").fill("2026-06-01")
    page.locator("#id_end").fill("2026-06-30")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#figure-new_requests .dashboard-value")).to_have_text("3")
    expect(page.locator("#figure-match_rate .dashboard-value")).to_have_text("67%")
    for chart in ("chart-activity", "chart-kinds", "chart-trust"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_have_attribute("data-rendered", "true")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    page.problems.assert_none()
    axe_check(page)

    # an inverted range is refused with the reason next to the field
    page.locator("#id_start").fill("2026-06-30")
    page.locator("#id_end").fill("2026-06-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text(re.compile("end date must be after the start date"))
    assert AuditEntry.objects.filter(actor=manager, action="dashboard.view_overview").count() == 2
