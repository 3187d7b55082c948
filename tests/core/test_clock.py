"""core.clock.within: "lately" is a span before now, never after it."""

from datetime import timedelta

from core import clock


def test_within_is_a_span_before_now_and_not_after_it():
    minute = timedelta(minutes=1)
    now = clock.now()
    assert clock.within(now - timedelta(seconds=30), minute, at=now)
    assert not clock.within(now - timedelta(minutes=2), minute, at=now)
    assert not clock.within(now + timedelta(seconds=5), minute, at=now)  # the clock was moved back
    assert not clock.within(None, minute)
    with clock.travel_by(timedelta(hours=1)):
        assert not clock.within(now, minute)  # now is the moved clock's
