"""Browser-test infrastructure: Debian's Chromium through Playwright (sync API),
a live uvicorn server that speaks HTTP and WebSockets, an axe-core check, and
helpers for e-mail links and several people at once.

- The server runs ``mentoring.config.asgi.application`` in uvicorn in a background
  thread of the test process, so it shares the test database. Tests that use
  it get ``transactional_db`` (their rows are committed, the server sees them).
  On SQLite the test database is a file (WAL) in a temporary folder here,
  because an in-memory database is not shared safely between threads.
- E-mail goes to Django's locmem outbox (pytest-django), which the server
  thread fills and the test reads: ``email_link(address)``.
- ``axe_check(page)`` loads node_modules/axe-core through a same-origin URL
  that Playwright answers itself, so the page's own CSP (script-src 'self')
  stays on and is tested too.
- Generous timeouts and no sleeps: every wait is on a condition.
"""

import os
import re
from pathlib import Path

import pytest

from tests.live_server import LiveServer

# sync Playwright runs an event loop in this thread; the Django ORM calls made
# by tests here are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL_PATH = "/__test__/axe.min.js"  # answered by Playwright, never by the server
DEFAULT_TIMEOUT_MS = 30_000
NAVIGATION_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


# --- database shared with the server thread ---------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, give the test database a file so the server thread shares it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("browser-db") / "test.sqlite3")


# --- live server: uvicorn in a thread ----------------------------------------


@pytest.fixture(scope="session")
def _uvicorn(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = LiveServer().start()
        yield server
        server.stop()


@pytest.fixture
def live_url(_uvicorn, transactional_db):
    """Base URL (``http://127.0.0.1:<port>``) of the live HTTP + WebSocket server."""
    return _uvicorn.url


# --- Chromium ----------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=NAVIGATION_TIMEOUT_MS
    )
    yield browser
    browser.close()


class PageProblems:
    """Console errors and uncaught exceptions of one page (CSP violations show up here)."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.messages.append(message.text))
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))

    def assert_none(self):
        assert not self.messages, "the page reported errors:\n" + "\n".join(self.messages)


@pytest.fixture
def new_person(browser, live_url):
    """Make an independent browser context (own cookies) per person; returns its page.

    ``alice = new_person(); bob = new_person()`` gives two people at once.
    Each page has ``page.problems`` (console errors, CSP violations).
    """
    contexts = []

    def make(**context_options):
        context = browser.new_context(base_url=live_url, **context_options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        context.route(f"**{AXE_URL_PATH}", _serve_axe)
        contexts.append(context)
        page = context.new_page()
        page.problems = PageProblems(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_person):
    """One person's page (base_url set: ``page.goto("/accounts/login/")``)."""
    return new_person()


# --- axe-core ------------------------------------------------------------------


def _serve_axe(route):
    route.fulfill(status=200, content_type="application/javascript", body=AXE_JS.read_text())


BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page, *, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core on the current page; the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL_PATH)
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }"""
    )
    return [violation for violation in result if violation["impact"] in impacts]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    at {node['target']}: {summary}")
    return "\n".join(lines)


def axe_check(page):
    """Assert the current page has no serious or critical axe-core violations."""
    violations = axe_violations(page)
    assert not violations, f"axe-core found problems on {page.url}:\n{format_violations(violations)}"


@pytest.fixture(name="axe_check")
def axe_check_fixture():
    return axe_check


# --- e-mail ----------------------------------------------------------------------

LINK = re.compile(r"https?://[^\s\"'<>]+")


def email_link(address: str, contains: str = "/accounts/confirm-email/") -> str:
    """The newest link containing ``contains`` in mail sent to ``address`` (verification by default)."""
    from django.core import mail

    for message in reversed(mail.outbox):
        if address in message.to:
            for link in LINK.findall(message.body):
                if contains in link:
                    return link
    sent = [(message.to, message.subject) for message in mail.outbox]
    raise AssertionError(f"no mail to {address} with a link containing {contains!r}; sent: {sent}")


@pytest.fixture(name="email_link")
def email_link_fixture():
    return email_link
