"""The one seam through which the product reads "now", so tests can move time.

``travel_to`` exists for tests and simulations in one process; production code
only ever calls ``now()``.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


def within(since: datetime | None, span: timedelta, *, at: datetime | None = None) -> bool:
    """Whether ``since`` lies less than ``span`` before ``at`` (default: now) and not after
    it: "this was read / done lately". A moment in the future (the clock was moved back)
    does not count as lately."""
    if since is None:
        return False
    return timedelta(0) <= (at or now()) - since < span


@contextmanager
def travel_to(moment: datetime):
    """Make ``now()`` return ``moment`` (then advance with real time) inside the block."""
    global _offset
    previous = _offset
    _offset = moment - timezone.now()
    try:
        yield
    finally:
        _offset = previous


@contextmanager
def travel_by(delta: timedelta):
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
