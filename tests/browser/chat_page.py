"""The chat panel in a browser, for the chat and notification tests: open a
person's engagement page with its socket live, write a message, read the seqs."""

from playwright.sync_api import expect

from tests.browser.network import Network
from tests.clients import log_in_page


def open_chat(new_person, live_url, user, conversation, *, network=False):
    """``user``'s engagement page with the chat live; with ``network=True`` its
    sockets go through a ``Network`` (``page.network``) the test can cut."""
    page = new_person()
    if network:
        page.network = Network(page)
    log_in_page(page, live_url, user)
    page.goto(f"/engagements/{conversation.engagement_id}/")
    expect(page.locator("[data-chat]")).to_have_attribute("data-connection", "live")
    return page


def say(page, text):
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def seqs(page) -> list[int]:
    return [
        int(s)
        for s in page.locator(".chat-message[data-seq]").evaluate_all("ns => ns.map(n => n.dataset.seq)")
    ]
