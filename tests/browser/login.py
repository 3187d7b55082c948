"""Logging in through the login form, for journeys where the form is part of
what a person does. A test that only needs a signed-in page uses
``tests.clients.log_in_page`` (a session cookie, no round trip)."""

import re

from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD


def log_in_through_form(page, email, password=DEFAULT_PASSWORD):
    """Fill /accounts/login/ and wait until the page leaves it (signed in)."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main").get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
