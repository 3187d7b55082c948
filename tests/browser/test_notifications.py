"""The notification bell in a real browser: Ana sits on /notifications/ while Sam
@mentions her in their engagement chat; her bell counts up live over /ws/
(static/js/notifications.js) and announces it; the list and the preferences
form work with their field errors and pass axe."""

from playwright.sync_api import expect

from tests.browser.chat_page import open_chat, say
from tests.clients import log_in_page
from tests.messaging.factories import engagement_chat


def test_a_mention_rings_the_bell_live_and_the_pages_are_accessible(new_person, live_url, axe_check):
    conversation, (sam, ana) = engagement_chat()
    sam_page = open_chat(new_person, live_url, sam, conversation)
    ana_page = new_person()
    log_in_page(ana_page, live_url, ana)
    ana_page.goto("/notifications/")
    expect(ana_page.get_by_text("Nothing yet.")).to_be_visible()
    expect(ana_page.locator("[data-notification-number]")).to_have_text("0")
    axe_check(ana_page)

    say(sam_page, "@Ana Mentor can you look at the plan?")

    expect(ana_page.locator("[data-notification-number]")).to_have_text("1")
    expect(ana_page.locator("[data-notification-live]")).to_contain_text("Sam Seeker mentioned you")

    ana_page.reload()
    expect(ana_page.get_by_role("heading", name="Sam Seeker mentioned you")).to_be_visible()
    axe_check(ana_page)
    ana_page.get_by_role("button", name="Mark all read").click()
    expect(ana_page.locator("[data-notification-number]")).to_have_text("0")

    ana_page.goto("/notifications/preferences/")
    field = ana_page.get_by_label("E-mail me about a notification still unread after (minutes)")
    field.fill("5000")
    ana_page.get_by_role("button", name="Save preferences").click()
    expect(ana_page.get_by_text("Ensure this value is less than or equal to 1440.")).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    axe_check(ana_page)
    # the invalid form answers 400 (Chromium logs that); nothing else went wrong
    assert [m for m in ana_page.problems.messages if "status of 400" not in m] == []
    sam_page.problems.assert_none()
