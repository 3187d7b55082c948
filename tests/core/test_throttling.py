"""core.throttling: the fixed-window counter and the REST throttles on it."""

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from rest_framework.test import APIClient

from core import throttling
from core.throttling import UserRateThrottle, count_in_window
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


class FrozenTime:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_hits_are_counted_per_window_and_a_new_window_starts_at_zero(monkeypatch):
    clock = FrozenTime(1_000_040.0)
    monkeypatch.setattr(throttling.time, "time", clock)

    assert [count_in_window("k", 60)[0] for _ in range(3)] == [1, 2, 3]
    assert count_in_window("k", 60)[1] == pytest.approx(40.0)
    assert count_in_window("other", 60)[0] == 1

    clock.now += 60
    assert count_in_window("k", 60)[0] == 1


def test_reads_over_the_users_rate_get_429_with_retry_after(monkeypatch, org):
    monkeypatch.setattr(UserRateThrottle, "rate", "2/min", raising=False)
    clock = FrozenTime(2_000_010.0)
    monkeypatch.setattr(throttling.time, "time", clock)
    api = APIClient()
    api.force_authenticate(member(org))

    assert [api.get("/api/me").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/api/me")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 30

    clock.now += 60
    assert api.get("/api/me").status_code == 200


def test_each_person_has_their_own_count(monkeypatch, org):
    monkeypatch.setattr(UserRateThrottle, "rate", "1/min", raising=False)
    first, second = APIClient(), APIClient()
    first.force_authenticate(member(org))
    second.force_authenticate(member(org))

    assert first.get("/api/me").status_code == 200
    assert second.get("/api/me").status_code == 200
    assert first.get("/api/me").status_code == 429


@pytest.mark.redis
def test_on_redis_the_window_is_one_counter_the_cache_reads_and_it_expires(monkeypatch):
    clock = FrozenTime(3_000_005.0)
    monkeypatch.setattr(throttling.time, "time", clock)

    assert [count_in_window("r", 10)[0] for _ in range(2)] == [1, 2]
    key = f"r:{3_000_005 // 10}"
    assert cache.get(key) == 2  # the key and value the cache API uses
    backend = caches["default"]
    ttl = backend._cache.get_client().ttl(backend.make_and_validate_key(key))
    assert 0 < ttl <= 11  # the window's length plus a second, set by its first hit


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_without_redis_the_cache_api_counts_the_same_way(monkeypatch):
    clock = FrozenTime(4_000_000.0)
    monkeypatch.setattr(throttling.time, "time", clock)

    assert [count_in_window("l", 60)[0] for _ in range(3)] == [1, 2, 3]
    clock.now += 60
    assert count_in_window("l", 60)[0] == 1
