"""Shared test setup.

- With DATABASE_URL / REDIS_URL set, tests run on PostgreSQL and Redis; tests
  marked ``postgres`` / ``redis`` need them. Without them those tests skip —
  unless REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
- Celery runs eagerly in ordinary tests; tests marked ``worker`` start a real one.
"""

import os

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _service_missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres") and not settings.USING_POSTGRES:
        _service_missing("this test needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        _service_missing("this test needs Redis: set REDIS_URL=redis://…")


@pytest.fixture
def org(db):
    """A workspace (shared by every test package; build people in it with tests.factories)."""
    from tests.factories import OrganizationFactory

    return OrganizationFactory()


@pytest.fixture
def other_org(db):
    """A second workspace, for "not yours" checks."""
    from tests.factories import OrganizationFactory

    return OrganizationFactory()


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    from mentoring.config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A new channel-layer instance per test. pytest-asyncio gives every test its own
    event loop; channels-redis binds its receive lock to the loop of the first
    receive, so a consumer still receiving when one test's loop closed made the next
    test's receive fail ("bound to a different event loop")."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _isolated_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_SERVICES=1 (CI) any skipped test fails the run: CI must run everything."""
    if not REQUIRE_SERVICES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"REQUIRE_SERVICES=1: {len(skipped)} test(s) were skipped; CI runs every test.", red=True
        )
        for report in skipped:
            reporter.write_line(f"  skipped: {report.nodeid} ({report.longrepr[-1]})", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
