"""The app shell and page layout at phone, tablet and desktop widths, as a member
and as a talent manager, over every main page of the demo workspace: nothing
scrolls sideways, the header is one row at 1280 px, the folded menu works by
keyboard at 390 px, and axe-core finds no violations."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from mentoring.models import Engagement
from messaging.models import Question
from tests.browser.conftest import axe_violations, format_violations
from tests.clients import log_in_page

WIDTHS = (390, 768, 1280)
MEMBER = "sofia.marques@acme.example"
MANAGER = "amara.okafor@acme.example"

MEMBER_PAGES = [
    "/",
    "/people/",
    "/mentoring/find/",
    "/engagements/",
    "{engagement}",
    "/engagements/new-group/",
    "/mentoring/invitations/",
    "/mentoring/requests/",
    "/questions/",
    "{question}",
    "/questions/ask/",
    "/questions/for-you/",
    "/notifications/",
    "/me/profile/",
    "/trust/me/",
]
MANAGER_PAGES = [
    "/",
    "/manage/",
    "/manage/skills/",
    "/manage/network/",
    "/manage/attention/",
    "/manage/programs/",
    "/manage/exports/",
    "/manage/engagements/",
    "/manage/people/",
    "/workspace/members/",
    "/people/",
    "/questions/",
]

OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter((el) => {
        const box = el.getBoundingClientRect();
        if (!box.width || getComputedStyle(el).visibility === "hidden") return false;
        // inside a box that scrolls on its own (a wide table) is fine
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const style = getComputedStyle(up);
            if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return false;
        }
        return box.right > width + 1 || box.left < -1;
    }).filter((el) => !el.matches(".skip-link, .visually-hidden, .visually-hidden *"));
    return {
        scroll: document.documentElement.scrollWidth - width,
        culprits: wide.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${String(el.className)}`),
    };
}"""

HEADER_ROWS = """() => {
    const selector = ".site-header-bar > .brand, .site-menu > nav li, .site-account > li, .site-bell > li";
    const items = [...document.querySelectorAll(selector)].filter((el) => el.getClientRects().length);
    const centres = items.map((el) => {
        const box = el.getBoundingClientRect();
        return (box.top + box.bottom) / 2;
    });
    centres.sort((a, b) => a - b);
    return 1 + centres.slice(1).filter((c, i) => c - centres[i] > 16).length;
}"""


@pytest.fixture
def demo(live_url):
    call_command("seed_demo", stdout=StringIO())
    return live_url


def fill(path: str, user: User) -> str:
    if path == "{engagement}":
        engagement = Engagement.objects.filter(participants__user=user).order_by("pk").first()
        return f"/engagements/{engagement.pk}/"
    if path == "{question}":
        return f"/questions/{Question.objects.order_by('pk').first().pk}/"
    return path


def problems_at(page, width: int) -> list[str]:
    found = []
    overflow = page.evaluate(OVERFLOW)
    if overflow["scroll"] > 0 or overflow["culprits"]:
        found.append(f"{width}px: scrolls sideways by {overflow['scroll']}px ({overflow['culprits']})")
    if width >= 1024 and page.evaluate(HEADER_ROWS) != 1:
        found.append(f"{width}px: the header takes {page.evaluate(HEADER_ROWS)} rows")
    violations = axe_violations(page, impacts=("minor", "moderate", "serious", "critical"))
    if violations:
        found.append(f"{width}px axe:\n{format_violations(violations)}")
    return found


@pytest.mark.parametrize(
    ("email", "pages"), [(MEMBER, MEMBER_PAGES), (MANAGER, MANAGER_PAGES)], ids=["member", "manager"]
)
def test_every_main_page_fits_phone_tablet_and_desktop(demo, page, email, pages):
    user = User.objects.get(email=email)
    log_in_page(page, demo, user)
    problems = []
    for template in pages:
        path = fill(template, user)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(path)
            assert response.status == 200, f"{path}: {response.status}"
            page.wait_for_load_state("networkidle")
            problems += [f"{path} {problem}" for problem in problems_at(page, width)]
    page.problems.assert_none()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_and_closes_by_keyboard(demo, page):
    user = User.objects.get(email=MANAGER)
    log_in_page(page, demo, user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    toggle = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # when: Tab to the button and press Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('[data-menu-toggle]')"):
            break
    assert page.evaluate("() => document.activeElement.matches('[data-menu-toggle]')"), (
        "Tab never reached Menu"
    )
    page.keyboard.press("Enter")

    # then: the menu is open, focus is on its first link, and Tab walks its links
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="People")).to_be_focused()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Find a mentor")).to_be_focused()
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()

    # when: Escape
    page.keyboard.press("Escape")

    # then: closed, focus back on the button
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # Space opens it too, and Enter on a link goes there
    page.keyboard.press("Space")
    expect(nav.get_by_role("link", name="People")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{demo}/people/")
    page.problems.assert_none()
