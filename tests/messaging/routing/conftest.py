"""Fixtures of the routing tests."""

import pytest


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit work (the routing start, escalation scheduling, frames) at once."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def monday_morning(settings):
    """Monday 10:00 in the routing world, no exploration, no expertise index kept from
    an earlier test."""
    from core import clock
    from messaging.routing import profiles, ranking
    from tests.messaging.routing.test_routing import MONDAY_10

    settings.ROUTING_EXPLORATION_SHARE = 0.0
    profiles.forget()
    ranking.forget()
    with clock.travel_to(MONDAY_10):
        yield
    profiles.forget()
    ranking.forget()
