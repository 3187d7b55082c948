"""The chat's marks and status line (static/js/chat-marks.js, chat.js): mentions are
highlighted and your own marked, days are separated, unread messages get a divider,
and the status says offline — with how many messages wait — as soon as the browser
loses the network."""

from playwright.sync_api import expect

from tests.browser.chat_page import open_chat, say
from tests.messaging.factories import engagement_chat, send


def test_mentions_days_and_the_unread_divider(new_person, live_url):
    conversation, (sam, ana) = engagement_chat()
    send(conversation, ana, "Welcome! @Sam Seeker, shall we start on Monday?")
    send(conversation, ana, "I also asked @Ana Mentor-style questions before")

    page = open_chat(new_person, live_url, sam, conversation)

    mine = page.locator("mark.mention-me")
    expect(mine).to_have_text("@Sam Seeker")
    expect(page.locator(".chat-message.mentions-me")).to_have_count(1)
    expect(page.locator(".chat-message.mentions-me .chat-mention-note")).to_have_text("mentions you")
    expect(page.locator("mark.mention:not(.mention-me)")).to_have_text("@Ana Mentor")
    expect(page.locator(".chat-day")).to_have_text(["Today"])
    # both messages were unread when the page opened: the divider comes before the first
    divider = page.locator(".chat-log > li").nth(1)
    expect(divider).to_have_class("chat-divider")
    expect(divider).to_have_text("New messages")
    page.problems.assert_none()


def test_the_status_says_offline_at_once_and_counts_the_messages_waiting(new_person, live_url):
    conversation, (sam, _ana) = engagement_chat()
    page = open_chat(new_person, live_url, sam, conversation, network=True)
    status = page.locator("[data-chat-status]")
    expect(status).to_have_text("Live.")

    # when: the browser goes offline and Sam writes twice
    page.context.set_offline(True)
    expect(status).to_contain_text("Offline")  # at once, before the socket notices
    page.network.go_offline()
    expect(status).to_contain_text("Offline")
    say(page, "one")
    say(page, "two")

    # then: the status says so, with the count
    expect(status).to_contain_text("2 messages waiting")
    expect(page.locator("[data-chat]")).to_have_attribute("data-connection", "offline")

    # back online: both go out and the status is live again
    page.context.set_offline(False)
    page.network.go_online()
    expect(page.locator(".chat-message.pending")).to_have_count(0, timeout=60_000)
    expect(status).to_have_text("Live.")
