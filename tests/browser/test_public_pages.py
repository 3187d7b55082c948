"""The public pages render in a real browser, pass axe-core (no serious or
critical violations), load without console or CSP errors, and the live
server answers /healthz and WebSockets."""

import json

import pytest
from django.test import Client

from tests.factories import member

PUBLIC_PAGES = [
    ("/", "Tandem"),
    ("/accounts/signup/", "Sign up"),
    ("/accounts/login/", "Log in"),
]


@pytest.mark.parametrize(("path", "words"), PUBLIC_PAGES)
def test_public_page_renders_accessibly_without_errors(page, axe_check, path, words):
    response = page.goto(path)

    assert response.status == 200
    assert words.lower() in page.content().lower()
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() >= 1
    axe_check(page)
    page.problems.assert_none()


def test_the_first_tab_stop_skips_to_the_main_content(page):
    page.goto("/accounts/login/")

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")

    assert page.evaluate("() => document.activeElement.id") == "main"


def test_healthz_is_ok_on_the_live_server(page):
    response = page.goto("/healthz")

    assert response.status == 200
    body = json.loads(page.locator("body").inner_text())
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["status"] == "ok"} == {
        "database",
        "cache",
        "channel_layer",
        "broker",
    }


def test_a_logged_in_browser_gets_pong_over_the_live_websocket(new_person, live_url):
    person = member()
    client = Client()
    client.force_login(person)
    page = new_person()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}]
    )
    page.goto("/healthz")  # any same-origin page: the socket's Origin is the live server

    frames = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const url = location.origin.replace("http", "ws") + "/ws/";
            const socket = new WebSocket(url);
            const frames = [];
            socket.onmessage = (event) => {
                const frame = JSON.parse(event.data);
                frames.push(frame);
                if (frame.type === "hello") socket.send(JSON.stringify({type: "ping", ref: "browser"}));
                if (frame.type === "pong") { socket.close(); resolve(frames); }
            };
            socket.onclose = (event) => {
                if (event.code !== 1000 && event.code !== 1005) reject("closed " + event.code);
            };
            socket.onerror = () => reject("socket error");
        })"""
    )

    assert frames == [{"type": "hello", "user": person.id}, {"type": "pong", "ref": "browser"}]


def test_an_anonymous_browser_socket_is_closed_with_4401(page):
    page.goto("/healthz")

    code = page.evaluate(
        """() => new Promise((resolve) => {
            const socket = new WebSocket(location.origin.replace("http", "ws") + "/ws/");
            socket.onclose = (event) => resolve(event.code);
        })"""
    )

    assert code == 4401


def test_the_api_docs_render_swagger_ui_from_our_own_static_files_under_the_csp(page):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))

    page.goto("/api/docs/")

    page.locator(".swagger-ui .info .title").filter(has_text="Tandem API").wait_for()
    assert requested_hosts == {page.url.split("/")[2]}, f"loaded from elsewhere: {requested_hosts}"
    page.problems.assert_none()
