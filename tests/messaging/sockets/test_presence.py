"""Presence in the shared cache: online, away and offline per socket, and a
degraded answer (everyone offline, nothing raised) while the cache is down."""

import logging

from messaging.sockets import presence
from tests.messaging.dead_cache import cache_down


def test_presence_degrades_instead_of_failing_while_the_cache_is_down(caplog):
    with cache_down(), caplog.at_level(logging.WARNING, logger="messaging.sockets.presence"):
        assert presence.heartbeat(7, "chan-a", presence.AWAY) == (presence.AWAY, presence.AWAY)
        assert presence.socket_gone(7, "chan-a") == (presence.OFFLINE, presence.OFFLINE)
        assert presence.presence_of([7, 8]) == {
            7: {"state": presence.OFFLINE, "last_seen": None},
            8: {"state": presence.OFFLINE, "last_seen": None},
        }
    assert "cache is unreachable" in caplog.text


def test_presence_still_works_with_a_live_cache():
    before, after = presence.heartbeat(41, "chan-b")
    assert (before, after) == (presence.OFFLINE, presence.ONLINE)
    assert presence.presence_of([41])[41]["state"] == presence.ONLINE
    assert presence.socket_gone(41, "chan-b") == (presence.ONLINE, presence.OFFLINE)
