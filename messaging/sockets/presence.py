"""Presence: online / away / offline with last seen, in the shared cache (Redis
in production) with a TTL refreshed by heartbeats. Ephemeral: never in the database.

One cache entry per user holds the live sockets (``{channel_name: [state,
expires_at]}``), so a person with two tabs stays online when one closes, and a
socket whose process died simply expires. Writes are read-modify-write; a lost
race is repaired by the next heartbeat, which is good enough for presence.

If the cache is unreachable (a Redis outage) presence degrades instead of
failing: nobody's state changes and everyone reads as offline, last seen
unknown, until it is back (a warning is logged). Sockets must not die, nor a
resume go unanswered, because presence could not be read.

Fan-out (docs/messaging.md, "Presence"): a conversation of at most
``PRESENCE_DIRECT_MAX_MEMBERS`` members gets one ``presence`` frame per change; a
larger one gets at most one ``presence.summary`` (who is online or away) every
``PRESENCE_SUMMARY_SECONDS``, however many people connect or leave meanwhile, so
1,000 people connecting cost about 1,000 deliveries, not 1,000,000.
"""

import contextlib
import functools
import logging

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from core import clock

logger = logging.getLogger("messaging.sockets.presence")
# What the cache raises when its server is down or does not answer in time.
CACHE_ERRORS = (RedisError, OSError)

HEARTBEAT_SECONDS = 25  # the client sends presence.heartbeat this often
SOCKET_TTL_SECONDS = 60  # a socket not heard from for this long is gone
LAST_SEEN_TTL_SECONDS = 30 * 24 * 3600

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"
CLIENT_STATES = (ONLINE, AWAY)


def _sockets_key(user_id: int) -> str:
    return f"presence:sockets:{user_id}"


def _last_seen_key(user_id: int) -> str:
    return f"presence:last_seen:{user_id}"


def _live(sockets: dict, now_ts: float) -> dict:
    return {channel: value for channel, value in sockets.items() if value[1] > now_ts}


def _state_of(sockets: dict) -> str:
    if not sockets:
        return OFFLINE
    return ONLINE if any(value[0] == ONLINE for value in sockets.values()) else AWAY


def _write(user_id: int, sockets: dict, moment) -> None:
    if sockets:
        cache.set(_sockets_key(user_id), sockets, timeout=SOCKET_TTL_SECONDS)
    else:
        cache.delete(_sockets_key(user_id))
    cache.set(_last_seen_key(user_id), moment.isoformat(), timeout=LAST_SEEN_TTL_SECONDS)


def _degrade(fallback):
    """Run a presence function; if the cache is unreachable, log it and return
    ``fallback(*args, **kwargs)`` instead."""

    def wrap(function):
        @functools.wraps(function)
        def inner(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except CACHE_ERRORS:
                logger.warning(
                    "presence: the cache is unreachable; %s degraded", function.__name__, exc_info=True
                )
                return fallback(*args, **kwargs)

        return inner

    return wrap


def _unchanged(user_id, channel_name, state=ONLINE):
    return state, state  # equal: nothing to broadcast


def _nobody_known(user_ids):
    return {user_id: {"state": OFFLINE, "last_seen": None} for user_id in user_ids}


@_degrade(_unchanged)
def heartbeat(user_id: int, channel_name: str, state: str = ONLINE) -> tuple[str, str]:
    """Mark one socket alive in ``state``; returns (state before, state after) for the user."""
    moment = clock.now()
    now_ts = moment.timestamp()
    sockets = _live(cache.get(_sockets_key(user_id)) or {}, now_ts)
    before = _state_of(sockets)
    sockets[channel_name] = [state, now_ts + SOCKET_TTL_SECONDS]
    _write(user_id, sockets, moment)
    return before, _state_of(sockets)


@_degrade(lambda user_id, channel_name: (OFFLINE, OFFLINE))
def socket_gone(user_id: int, channel_name: str) -> tuple[str, str]:
    moment = clock.now()
    now_ts = moment.timestamp()
    sockets = _live(cache.get(_sockets_key(user_id)) or {}, now_ts)
    before = _state_of(sockets)
    sockets.pop(channel_name, None)
    _write(user_id, sockets, moment)
    return before, _state_of(sockets)


def presence_of(user_ids) -> dict[int, dict]:
    """``{user_id: {"state": ..., "last_seen": iso or None}}`` in two cache round trips."""
    user_ids = list(user_ids)
    try:
        return _presence_of(user_ids)
    except CACHE_ERRORS:
        logger.warning("presence: the cache is unreachable; everyone reads as offline", exc_info=True)
        return _nobody_known(user_ids)


def _presence_of(user_ids: list) -> dict[int, dict]:
    now_ts = clock.now().timestamp()
    sockets = cache.get_many([_sockets_key(user_id) for user_id in user_ids])
    seen = cache.get_many([_last_seen_key(user_id) for user_id in user_ids])
    return {
        user_id: {
            "state": _state_of(_live(sockets.get(_sockets_key(user_id)) or {}, now_ts)),
            "last_seen": seen.get(_last_seen_key(user_id)),
        }
        for user_id in user_ids
    }


def direct_fan_out(member_count: int) -> bool:
    """True if a conversation this size gets each change as its own ``presence`` frame."""
    return member_count <= settings.PRESENCE_DIRECT_MAX_MEMBERS


def _summary_key(conversation_id: int) -> str:
    return f"presence:summary_due:{conversation_id}"


def claim_summary(conversation_id: int) -> bool:
    """True for the one caller (across every process sharing the cache) that should
    send the conversation's next ``presence.summary``; False while one is already due."""
    try:
        return cache.add(_summary_key(conversation_id), 1, timeout=int(settings.PRESENCE_SUMMARY_SECONDS) + 5)
    except CACHE_ERRORS:
        logger.warning("presence: the cache is unreachable; no summary for %s", conversation_id)
        return False


def summary_frame(conversation_id: int, user_ids) -> dict:
    """Release the conversation's claim, then read who of ``user_ids`` is online or
    away *now* (a change after the release claims the next summary, so none is lost).
    Everyone not listed is offline; ``resume.done`` carries ``last_seen``."""
    with contextlib.suppress(CACHE_ERRORS):  # the claim expires on its own; presence_of logs it
        cache.delete(_summary_key(conversation_id))
    people = presence_of(user_ids)
    return {
        "type": "presence.summary",
        "conversation": conversation_id,
        "online": sorted(user_id for user_id, info in people.items() if info["state"] == ONLINE),
        "away": sorted(user_id for user_id, info in people.items() if info["state"] == AWAY),
    }


def presence_frame(user_id: int, info: dict) -> dict:
    return {"type": "presence", "user": user_id, "state": info["state"], "last_seen": info["last_seen"]}
