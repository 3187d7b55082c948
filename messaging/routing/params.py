"""The numbers of "ask the network" routing (DESIGN §6). Change them here; the tests
pin behaviour, not numbers. The settings knobs (``ROUTING_*`` in
mentoring/config/settings.py) are read through the functions at the bottom, clamped
to sane ranges, so a test can change them with ``settings``."""

from datetime import timedelta

from django.conf import settings

from messaging.models import RoutingAttempt
from messaging.sockets import presence

# evidence and notifications
SOURCE_KIND = "routing_attempt"  # responsiveness evidence about a routed question
NOTIFICATION_KIND = "question.routed"
EXHAUSTED_KIND = "question.unrouted"

# match
MAX_LEVEL = 5
LEVEL_EXPONENT = 2.0  # levels are ordinal: an expert (5) counts far more than an intermediate (3)
SKILL_SHARE = 0.8  # within match: declared levels vs. the text match
MIN_MATCH = 0.05  # below this nobody is asked (a wave of strangers is spam)
POOL = 300  # candidates scored in Python, pre-ranked in SQL by skill points

# p_answer
HISTORY = timedelta(days=90)  # routed questions that count for p_answer
P_ANSWER_PRIOR_STRENGTH = 4.0
PASS_FAILURE = 0.5
DECIDED = (
    RoutingAttempt.Outcome.ANSWERED,
    RoutingAttempt.Outcome.LATE,
    RoutingAttempt.Outcome.PASSED,
    RoutingAttempt.Outcome.MISSED,
)

# availability
HOURS_WORKING = 1.0
HOURS_OFF = 0.25
HOURS_UNKNOWN = 0.7  # no working hours on the profile
PRESENCE_FACTOR = {presence.ONLINE: 1.0, presence.AWAY: 0.8, presence.OFFLINE: 0.6}
PENDING_LOAD = 0.5  # each pending routed question
ENGAGEMENT_LOAD = 0.15  # each active engagement they mentor in

# exploration: fewer decided routed questions (and competence events) than this
LITTLE_EVIDENCE = 3

# the typing marker of a routed person answering (the socket refreshes it)
TYPING_SECONDS = 10

# waves and the sweep
CAP_WINDOW = timedelta(hours=24)
START_GRACE = timedelta(minutes=1)  # the sweep starts routing the on-commit start missed
START_LOOKBACK = timedelta(days=1)


def wave_size() -> int:
    return max(1, int(getattr(settings, "ROUTING_WAVE_SIZE", 3)))


def wave_delay() -> timedelta:
    return timedelta(seconds=max(0, int(getattr(settings, "ROUTING_WAVE_DELAY_SECONDS", 600))))


def max_waves() -> int:
    return max(1, int(getattr(settings, "ROUTING_MAX_WAVES", 5)))


def daily_cap() -> int:
    return max(0, int(getattr(settings, "ROUTING_DAILY_CAP", 3)))


def exploration_share() -> float:
    return min(max(float(getattr(settings, "ROUTING_EXPLORATION_SHARE", 0.1)), 0.0), 1.0)


def window_minutes() -> int:
    return max(1, int(getattr(settings, "ROUTING_WINDOW_WORKING_MINUTES", 60)))
