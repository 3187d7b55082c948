"""The browser harness itself: e-mail links reach the test, and several people
can use the live server at once, each with their own session and socket."""

from allauth.account.models import EmailAddress

from tests.browser.login import log_in_through_form
from tests.clients import log_in_page
from tests.factories import DEFAULT_PASSWORD, member

OPEN_SOCKET = """() => new Promise((resolve, reject) => {
    const socket = new WebSocket(location.origin.replace("http", "ws") + "/ws/");
    socket.onmessage = (event) => { resolve(JSON.parse(event.data)); socket.close(); };
    socket.onclose = (event) => reject("closed " + event.code);
})"""


def test_sign_up_in_the_browser_mails_a_verification_link_that_verifies_the_address(page, email_link):
    address = "new.person@example.com"
    page.goto("/accounts/signup/")
    form = page.locator("main form").filter(has=page.locator("input[name=password1]"))
    form.locator("input[name=full_name]").fill("New Person")
    form.locator("input[name=email]").fill(address)
    form.locator("input[name=password1]").fill(DEFAULT_PASSWORD)
    form.locator("input[name=password2]").fill(DEFAULT_PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/**")

    link = email_link(address)
    page.goto(link)
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()

    assert EmailAddress.objects.get(email=address).verified


def test_two_people_at_once_have_separate_sessions_and_sockets(new_person, live_url):
    alice_user, bob_user = member(), member()
    alice, bob = new_person(), new_person()
    log_in_page(alice, live_url, alice_user)
    log_in_page(bob, live_url, bob_user)
    alice.goto("/healthz")
    bob.goto("/healthz")

    assert alice.evaluate(OPEN_SOCKET) == {"type": "hello", "user": alice_user.id}
    assert bob.evaluate(OPEN_SOCKET) == {"type": "hello", "user": bob_user.id}
    assert alice.context.cookies() != bob.context.cookies()


def test_the_password_login_form_logs_a_verified_member_in(page):
    person = member()

    log_in_through_form(page, person.email)

    assert any(cookie["name"] == "sessionid" for cookie in page.context.cookies())
