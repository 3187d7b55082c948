"""Chat in a real browser: two people on the engagement page talk live over
/ws/ (static/js/chat.js); one goes offline while the other writes, comes back
and gets exactly what was missed, in order; read receipts, typing and presence
follow; what the offline person wrote meanwhile is sent once they are back."""

import re

from playwright.sync_api import expect

from tests.browser.chat_page import open_chat, say, seqs
from tests.messaging.factories import engagement_chat


def test_two_people_chat_live_and_whoever_was_offline_gets_the_missed_messages_after_reconnecting(
    new_person, live_url, axe_check
):
    conversation, (sam, ana) = engagement_chat()
    sam_page = open_chat(new_person, live_url, sam, conversation)
    ana_page = open_chat(new_person, live_url, ana, conversation, network=True)

    # live both ways, with the local echo reconciled to the stored seq
    say(sam_page, "Hello **Ana**")
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("Hello Ana")
    expect(sam_page.locator('.chat-message[data-seq="1"] strong', has_text="Ana")).to_be_visible()
    expect(sam_page.locator(".chat-message.pending")).to_have_count(0)
    expect(sam_page.get_by_label("Message", exact=True)).to_be_focused()

    # Ana's page is open at the bottom, so it reads the message: Sam sees the receipt
    expect(sam_page.locator("[data-chat-receipts]")).to_have_text("Seen by Ana Mentor")
    expect(sam_page.locator(f'[data-member="{ana.pk}"]')).to_have_attribute("data-presence", "online")
    expect(ana_page.locator("[data-chat-live]")).to_contain_text("Sam Seeker: Hello Ana")

    # typing reaches the other side
    ana_page.get_by_label("Message", exact=True).press_sequentially("Hi")
    expect(sam_page.locator("[data-chat-typing]")).to_have_text("Ana Mentor is typing…")
    ana_page.get_by_label("Message", exact=True).press("Enter")
    expect(sam_page.locator('.chat-message[data-seq="2"]')).to_contain_text("Hi")

    # Ana loses the network; her socket drops and cannot come back yet
    ana_page.network.go_offline()
    expect(ana_page.locator("[data-chat-status]")).to_contain_text("Offline — reconnecting")
    expect(sam_page.locator(f'[data-member="{ana.pk}"]')).to_have_attribute(
        "data-presence", "offline", timeout=15_000
    )
    say(sam_page, "While you were away, one")
    say(sam_page, "While you were away, two")
    expect(sam_page.locator('.chat-message[data-seq="4"]')).to_contain_text("two")
    say(ana_page, "written offline")  # kept as a local echo, sent on reconnect
    expect(ana_page.locator(".chat-message.pending")).to_contain_text("Waiting for the connection")
    expect(ana_page.locator(".chat-message", has_text="While you were away")).to_have_count(0)

    # back online: resume replays what she missed, in order, once; her message goes out
    ana_page.network.go_online()
    expect(ana_page.locator('.chat-message[data-seq="4"]')).to_contain_text("While you were away, two")
    expect(sam_page.locator('.chat-message[data-seq="5"]')).to_contain_text("written offline")
    expect(ana_page.locator(".chat-message.pending")).to_have_count(0)
    assert seqs(ana_page) == [1, 2, 3, 4, 5]
    expect(sam_page.locator(".chat-message[data-seq]")).to_have_count(5)
    expect(sam_page.locator(f'[data-member="{ana.pk}"]')).to_have_attribute("data-presence", "online")
    expect(sam_page.locator(f'[data-member="{ana.pk}"] [data-member-read]')).to_have_text("read up to #5")

    axe_check(sam_page)
    sam_page.problems.assert_none()


def test_a_message_is_edited_and_deleted_live_for_everyone(new_person, live_url):
    conversation, (sam, ana) = engagement_chat()
    sam_page = open_chat(new_person, live_url, sam, conversation)
    ana_page = open_chat(new_person, live_url, ana, conversation)
    say(sam_page, "teh typo")
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("teh typo")

    sam_page.get_by_role("button", name="Edit message #1").click()
    editor = sam_page.get_by_label("New text for message #1")
    expect(editor).to_have_value("teh typo")
    editor.fill("the typo, fixed")
    sam_page.get_by_role("button", name="Save").click()
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("the typo, fixed")
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("(edited)")

    sam_page.once("dialog", lambda dialog: dialog.accept())
    sam_page.get_by_role("button", name="Delete message #1").click()
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("Message deleted.")
    expect(ana_page.get_by_role("button", name="Edit message #1")).to_have_count(0)
    sam_page.problems.assert_none()
    ana_page.problems.assert_none()


def test_a_refused_send_is_marked_with_retry_and_the_retry_keeps_its_client_id(
    new_person, live_url, settings
):
    from django.core.cache import cache

    from messaging.models import Message

    settings.TANDEM_MESSAGE_RATE = (2, 600)
    conversation, (sam, _) = engagement_chat()
    sam_page = open_chat(new_person, live_url, sam, conversation)
    say(sam_page, "one")
    say(sam_page, "two")
    expect(sam_page.locator('.chat-message[data-seq="2"]')).to_contain_text("two")

    say(sam_page, "three, too fast")
    failed = sam_page.locator(".chat-message.failed")
    expect(failed).to_contain_text("Not sent: You are sending too fast")
    client_id = failed.get_attribute("data-client-id")
    retry = sam_page.get_by_role("button", name="Retry")
    expect(retry).to_be_focused()
    assert Message.objects.count() == 2

    cache.clear()  # the rate window is over
    retry.click()

    expect(sam_page.locator('.chat-message[data-seq="3"]')).to_contain_text("three, too fast")
    expect(sam_page.locator(".chat-message.failed")).to_have_count(0)
    assert sam_page.locator('.chat-message[data-seq="3"]').get_attribute("data-client-id") == client_id
    assert str(Message.objects.get(seq=3).client_id) == client_id


ID_ATTRIBUTE = re.compile(r'\sid="[^"]*"')
MESSAGES_HTML = "ns => ns.map(n => n.outerHTML)"


def messages_html(page) -> list[str]:
    """Each message element's outerHTML, without id attributes."""
    html = page.locator(".chat-message[data-seq]").evaluate_all(MESSAGES_HTML)
    return [ID_ATTRIBUTE.sub("", element) for element in html]


def test_live_messages_render_exactly_like_the_same_messages_after_a_reload(new_person, live_url):
    conversation, (sam, ana) = engagement_chat()
    sam_page = open_chat(new_person, live_url, sam, conversation)
    ana_page = open_chat(new_person, live_url, ana, conversation)

    # markdown, a link, a mention, markup that must stay text, a reply, an edit, a deletion
    say(sam_page, "@Ana Mentor **the plan**: [here](https://example.com/plan) <img src=x onerror=alert(1)>")
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("the plan")
    ana_page.get_by_role("button", name="Reply to #1 by Sam Seeker").click()
    say(ana_page, "Looks good.\n\n- one\n- two")
    expect(sam_page.locator('.chat-message[data-seq="2"] .chat-reply')).to_contain_text("reply to #1")
    say(sam_page, "teh typo")
    expect(ana_page.locator('.chat-message[data-seq="3"]')).to_contain_text("teh typo")
    sam_page.get_by_role("button", name="Edit message #3").click()
    editor = sam_page.get_by_label("New text for message #3")
    expect(editor).to_have_value("teh typo")  # the markdown as written, fetched
    editor.fill("the typo, fixed")
    sam_page.get_by_role("button", name="Save").click()
    expect(ana_page.locator('.chat-message[data-seq="3"]')).to_contain_text("(edited)")
    say(ana_page, "soon gone")
    expect(sam_page.locator('.chat-message[data-seq="4"]')).to_contain_text("soon gone")
    ana_page.once("dialog", lambda dialog: dialog.accept())
    ana_page.get_by_role("button", name="Delete message #4").click()
    expect(sam_page.locator('.chat-message[data-seq="4"]')).to_contain_text("Message deleted.")
    expect(ana_page.locator('.chat-message[data-seq="4"]')).to_contain_text("Message deleted.")
    expect(sam_page.locator('.chat-message[data-seq="3"]')).to_contain_text("(edited)")

    live = {"sam": messages_html(sam_page), "ana": messages_html(ana_page)}
    for page in (sam_page, ana_page):
        page.reload()
        expect(page.locator("[data-chat]")).to_have_attribute("data-connection", "live")
    reloaded = {"sam": messages_html(sam_page), "ana": messages_html(ana_page)}

    assert len(live["sam"]) == len(live["ana"]) == 4
    assert live == reloaded
    # the markup Sam typed stayed text, live and reloaded alike
    for page in (sam_page, ana_page):
        assert page.locator(".chat-body img").count() == 0
        expect(page.locator('.chat-message[data-seq="1"] .chat-body')).to_contain_text("<img src=x")
        expect(page.locator('.chat-message[data-seq="1"] .chat-body a')).to_have_attribute(
            "href", "https://example.com/plan"
        )
        page.problems.assert_none()


CONNECTION_STATES = """() => {
    window.connectionStates = [];
    const root = document.querySelector("[data-chat]");
    new MutationObserver(() => window.connectionStates.push(root.dataset.connection))
        .observe(root, {attributes: true, attributeFilter: ["data-connection"]});
}"""


def test_the_tab_has_one_socket_and_it_reconnects_and_resumes_after_the_server_closes_it(
    new_person, live_url
):
    conversation, (sam, ana) = engagement_chat()
    ana_page = open_chat(new_person, live_url, ana, conversation)
    sam_page = open_chat(new_person, live_url, sam, conversation, network=True)
    # the chat, the bell and the "For you" badge on one page share one socket
    assert sam_page.network.opened == 1
    sam_page.evaluate(CONNECTION_STATES)

    # the server closes it ("service restart"); Ana writes before Sam is back
    sam_page.network.go_offline()
    expect(sam_page.locator("[data-chat-status]")).to_contain_text("Offline — reconnecting")
    say(ana_page, "sent while you reconnected")
    expect(ana_page.locator('.chat-message[data-seq="1"]')).to_contain_text("sent while you reconnected")
    sam_page.network.go_online()

    # backoff brings it back by itself; resume replays what was missed
    expect(sam_page.locator("[data-chat]")).to_have_attribute("data-connection", "live", timeout=15_000)
    expect(sam_page.locator('.chat-message[data-seq="1"]')).to_contain_text("sent while you reconnected")
    states = sam_page.evaluate("() => window.connectionStates")
    assert states[0] == "reconnecting" and states[-1] == "live"
    assert len(sam_page.network.connections) == 2

    # the one reopened socket still carries everything: chat and bell
    say(sam_page, "back")
    expect(ana_page.locator('.chat-message[data-seq="2"]')).to_contain_text("back")
    say(ana_page, "@Sam Seeker welcome back")
    expect(sam_page.locator("[data-notification-number]")).to_have_text("1")
    assert len(sam_page.network.connections) == 2
    sam_page.problems.assert_none()
