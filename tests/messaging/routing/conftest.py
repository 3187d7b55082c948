"""Fixtures of the routing tests."""

import pytest


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit work (the routing start, escalation scheduling, frames) at once."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
