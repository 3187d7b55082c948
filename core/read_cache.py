"""Reads kept in the cache until a write makes them stale: one generation per workspace
and topic (docs/decisions/0017-read-cache.md).

    html = read_cache.cached("people", workspace_id, ("page", 2, q), compute)

serves ``compute()``'s value while the workspace's "people" generation is unchanged, and
``bump("people", workspace_id)`` (called by the receivers of every write that a topic's
reads show) makes every cached read of the topic stale at once. A bump happens twice:
at once, and again when the writing transaction commits, so a read that ran between
the two (and saw the data before the commit) is not served afterwards.

A generation is a random token, never a counter: a cache that lost the key starts a
new generation instead of returning to one whose entries may still be there. Entries
live ``READ_CACHE_SECONDS`` at most, so a write that no receiver saw is stale for that
long at worst.

Off (``READ_CACHE = False``) every call computes: the embedded default runs its web,
worker and beat as separate processes, each with its own in-memory cache, where a bump
in one process would not reach the others.
"""

import hashlib
import secrets
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core import clock

T = TypeVar("T")
_MISSING = object()


def enabled() -> bool:
    return bool(getattr(settings, "READ_CACHE", False))


def _generation_key(topic: str, workspace_id: int) -> str:
    return f"readgen:{topic}:{workspace_id}"


def generation(topic: str, workspace_id: int) -> str:
    key = _generation_key(topic, workspace_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(6), None)
        token = cache.get(key)
    return token


def _entry_key(topic: str, workspace_id: int, token: str, parts: Hashable) -> str:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
    return f"read:{topic}:{workspace_id}:{token}:{digest}"


class Entry:
    """One cached read of this generation, for a caller that decides itself whether what
    it computed may be kept (``cached`` is the usual form): ``get()`` is ``MISSING`` or
    the kept value, ``keep(value)`` stores it."""

    MISSING = _MISSING

    def __init__(self, topic: str, workspace_id: int | None, parts: Hashable):
        self.key = None
        if workspace_id is not None and enabled():
            self.key = _entry_key(topic, workspace_id, generation(topic, workspace_id), parts)

    def get(self):
        return _MISSING if self.key is None else cache.get(self.key, _MISSING)

    def keep(self, value) -> None:
        if self.key is not None:
            cache.set(self.key, value, settings.READ_CACHE_SECONDS)

    def fetch(self, compute: Callable[[], T], *, keep: Callable[[T], bool] = lambda value: True) -> T:
        """The kept value, or ``compute()``'s, kept when ``keep`` says so (e.g. a page
        whose errors name the viewer's input is not)."""
        value = self.get()
        if value is _MISSING:
            value = compute()
            if keep(value):
                self.keep(value)
        return value


def cached(topic: str, workspace_id: int | None, parts: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for the same ``parts`` in this generation.
    ``parts`` must name everything the value depends on besides the topic's data
    (filters, page, the viewer where the value is the viewer's own)."""
    return Entry(topic, workspace_id, parts).fetch(compute)


def query_parts(query) -> tuple:
    """A request's GET parameters as a key part: every name with all its values, sorted
    (a parameter the form ignores can still show in the page's links)."""
    return tuple(sorted((name, tuple(query.getlist(name))) for name in query))


def recent(
    topic: str, workspace_id: int | None, parts: Hashable, compute: Callable[[], T], *, seconds: int
) -> tuple[T, datetime]:
    """(``compute()``, when it was computed), kept ``seconds`` at most: for figures that
    many writes feed and that may be a little old (the page says as of when). Measured on
    ``core.clock``, so a test that moves the clock sees it expire."""
    if workspace_id is None or not enabled() or seconds <= 0:
        return compute(), clock.now()
    key = _entry_key(f"recent-{topic}", workspace_id, "", parts)
    hit = cache.get(key)
    if hit is not None and timedelta(0) <= clock.now() - hit[1] < timedelta(seconds=seconds):
        return hit
    value = (compute(), clock.now())
    cache.set(key, value, seconds)
    return value


def _new_generation(topic: str, workspace_ids: Iterable[int]) -> None:
    cache.set_many({_generation_key(topic, pk): secrets.token_hex(6) for pk in workspace_ids}, None)


def bump(topic: str, workspace_ids: Iterable[int]) -> None:
    """Every cached read of ``topic`` in these workspaces is stale: now and again when
    the current transaction commits (at once outside one)."""
    ids = {pk for pk in workspace_ids if pk is not None}
    if not ids or not enabled():
        return
    _new_generation(topic, ids)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _new_generation(topic, ids))
