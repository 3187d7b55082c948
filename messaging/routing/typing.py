"""Who is typing an answer to a routed question: ephemeral markers in the cache, one
dict per question ``{user_id: expires_at}``, kept ``TYPING_SECONDS`` (the socket
refreshes them). Nothing here touches the database."""

from django.core.cache import cache

from core import clock
from messaging.routing.params import TYPING_SECONDS


def _key(question_id: int) -> str:
    return f"routing:typing:{question_id}"


def typing_now(question_id: int) -> dict[int, float]:
    """The live markers of a question (expired ones dropped)."""
    now_ts = clock.now().timestamp()
    markers = cache.get(_key(question_id)) or {}
    return {int(user_id): expires for user_id, expires in markers.items() if expires > now_ts}


def typing_store(question_id: int, markers: dict[int, float]) -> None:
    if markers:
        cache.set(_key(question_id), markers, timeout=TYPING_SECONDS + 5)
    else:
        cache.delete(_key(question_id))


def typing_mark(question_id: int, user_id: int, typing: bool) -> tuple[int, int]:
    """Set (or clear) one person's marker; (people typing before, people typing now)."""
    markers = typing_now(question_id)
    before = len(markers)
    if typing:
        markers[user_id] = clock.now().timestamp() + TYPING_SECONDS
    else:
        markers.pop(user_id, None)
    typing_store(question_id, markers)
    return before, len(markers)


def typing_stop(question_id: int, user_id: int) -> None:
    """Clear one person's marker (their answer is posted)."""
    markers = typing_now(question_id)
    if markers.pop(user_id, None) is None:
        return
    typing_store(question_id, markers)
