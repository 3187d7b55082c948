"""Chat in a real browser: two people on the engagement page talk live over
/ws/ (static/js/chat.js); one goes offline while the other writes, comes back
and gets exactly what was missed, in order; read receipts, typing and presence
follow; what the offline person wrote meanwhile is sent once they are back."""

from django.test import Client
from playwright.sync_api import expect

from tests.messaging.factories import engagement_chat


def log_in(page, live_url, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}]
    )


class Network:
    """Cuts one page's socket and keeps it from coming back until told.

    The live socket is closed from the page (a real close the server sees); from
    then on new sockets to /ws/ are routed through Playwright, which refuses them
    while ``offline`` and connects them through afterwards."""

    def __init__(self, page):
        self.page = page
        self.offline = False
        self.routed = False

    def _route(self, ws):
        if self.offline:
            ws.close(code=1011, reason="offline")
        else:
            ws.connect_to_server()

    def go_offline(self):
        self.offline = True
        if not self.routed:
            self.page.route_web_socket("**/ws/", self._route)
            self.routed = True
        self.page.evaluate("() => window.tandemChat.connection.socket?.close(4000, 'offline')")

    def go_online(self):
        self.offline = False


def open_chat(new_person, live_url, user, conversation, *, network=False):
    page = new_person()
    if network:
        page.network = Network(page)
    log_in(page, live_url, user)
    page.goto(f"/engagements/{conversation.engagement_id}/")
    expect(page.locator("[data-chat]")).to_have_attribute("data-connection", "open")
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
