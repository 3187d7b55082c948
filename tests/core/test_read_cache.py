"""Reads kept until a write makes them stale (core.read_cache)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from core import read_cache


def counter():
    calls = []

    def compute():
        calls.append(1)
        return f"value {len(calls)}"

    return calls, compute


def test_a_read_is_computed_once_per_generation_and_again_after_a_bump():
    calls, compute = counter()
    assert read_cache.cached("topic", 1, ("a",), compute) == "value 1"
    assert read_cache.cached("topic", 1, ("a",), compute) == "value 1"
    assert read_cache.cached("topic", 1, ("b",), compute) == "value 2"  # other parts, other entry
    read_cache.bump("topic", [1])
    assert read_cache.cached("topic", 1, ("a",), compute) == "value 3"
    assert len(calls) == 3


def test_a_bump_touches_only_its_workspace_and_topic():
    _calls, compute = counter()
    read_cache.cached("topic", 1, (), compute)
    read_cache.cached("topic", 2, (), compute)
    read_cache.cached("other", 1, (), compute)
    read_cache.bump("topic", [2])
    assert read_cache.cached("topic", 1, (), compute) == "value 1"
    assert read_cache.cached("other", 1, (), compute) == "value 3"
    assert read_cache.cached("topic", 2, (), compute) == "value 4"


@pytest.mark.django_db(transaction=True)
def test_a_read_between_the_write_and_its_commit_is_not_served_after_the_commit():
    """The bump runs at once and again on commit: what a concurrent read cached from the
    data before the commit is dropped with the second bump."""
    calls, compute = counter()
    with transaction.atomic():
        read_cache.bump("topic", [1])
        stale = read_cache.cached("topic", 1, (), compute)  # as a read that saw the old rows
        assert read_cache.cached("topic", 1, (), compute) == stale
    assert read_cache.cached("topic", 1, (), compute) != stale
    assert len(calls) == 2


def test_a_lost_generation_never_brings_back_old_entries():
    _calls, compute = counter()
    read_cache.cached("topic", 1, (), compute)
    cache.delete("readgen:topic:1")  # evicted
    assert read_cache.cached("topic", 1, (), compute) == "value 2"


def test_a_failed_computation_caches_nothing():
    def broken():
        raise ValueError("no")

    with pytest.raises(ValueError):
        read_cache.cached("topic", 1, (), broken)
    _calls, compute = counter()
    assert read_cache.cached("topic", 1, (), compute) == "value 1"


def test_off_every_read_computes(settings):
    settings.READ_CACHE = False
    calls, compute = counter()
    read_cache.cached("topic", 1, (), compute)
    read_cache.cached("topic", 1, (), compute)
    read_cache.bump("topic", [1])
    assert len(calls) == 2


def test_the_embedded_default_keeps_it_off_and_a_shared_cache_turns_it_on():
    """One settings rule: on with Redis (shared by web and worker) or in tests, off otherwise."""
    import subprocess
    import sys

    code = "from django.conf import settings; import django; django.setup(); print(settings.READ_CACHE)"
    base = {"DJANGO_SETTINGS_MODULE": "mentoring.config.settings", "PATH": "/usr/bin:/bin"}
    embedded = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_ENV": "development"},
        capture_output=True,
        text=True,
        check=True,
    )
    shared = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_ENV": "development", "REDIS_URL": "redis://127.0.0.1:6379/9"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert embedded.stdout.strip() == "False"
    assert shared.stdout.strip() == "True"
