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

# match and competence (messaging.routing.ranking)
MIN_MATCH = 0.05  # below this nobody is asked (a wave of strangers is spam)
POOL = 150  # candidates scored in Python, pre-ranked in SQL by skill points
MEANING_POOL = 60  # ... plus the closest by expertise vector
MEANING_AT_LEAST = 0.3  # cosine below which an expertise vector says nothing
MEANING_FULL = 0.65  # cosine at which it covers the question fully
TEXT_SHARE_WITH_SKILLS = 0.5  # the words of the question on a profile, when it has skills
TEXT_COVER = 0.6  # a skill named in headline or bio covers it this much
# the weak prior of competence from the declared level (evidence overrides it)
LEVEL_PRIOR = {1: 0.15, 2: 0.25, 3: 0.4, 4: 0.55, 5: 0.65}
COMPETENCE_EXPONENT = 3.0
ROUTE_SKILLS = 3  # an untagged question is routed on up to this many inferred skills ...
ROUTE_SKILL_SHARE = 0.4  # ... each at least this share as confident as the best
WAVE_RELATIVE_FLOOR = 0.2  # a wave holds nobody scored below this share of its best
MENTION_PRIOR = 0.45
NEAR_SKILLS = 3  # matched by meaning only: competence in the closest of these skills they hold
EXAMPLE_FULL = 0.8  # an earlier question tagged with a skill this close makes the skill certain
PRIOR_WEIGHT = 2.0  # the declared level is worth this many pieces of evidence
UNACCEPTED_SIMILAR = 0.35  # an answer to a similar question that was not accepted
OPTIMISTIC_COMPETENCE = 0.6  # exploration ranks newcomers as if this competent
EXPLORE_AT_LEAST = 0.5  # an explorer must be worth half the slot it takes
WIDEN_FROM_WAVE = 3  # from this wave on, skills close in meaning join the question
NEIGHBOUR_WEIGHT = 0.5  # ... with this weight times their cosine

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

# availability now and soon
SOON_MINUTES = 30.0  # off work: × exp(-minutes until their next working hour / this)
HOURS_FLOOR = 0.01
HOURS_UNKNOWN = 0.7  # no working hours on the profile
PRESENCE_FACTOR = {presence.ONLINE: 1.0, presence.AWAY: 0.9, presence.OFFLINE: 0.8}
PENDING_LOAD = 0.5  # each pending routed question
ENGAGEMENT_LOAD = 0.15  # each active engagement they mentor in
CAP_LOAD = 0.3  # at the daily cap's last request a person counts 30 % less

# exploration: fewer decided routed questions (and competence events) than this
LITTLE_EVIDENCE = 3

# the typing marker of a routed person answering (the socket refreshes it)
TYPING_SECONDS = 10

# waves and the sweep
CAP_WINDOW = timedelta(hours=24)
START_GRACE = timedelta(minutes=1)  # the sweep starts routing the on-commit start missed
START_LOOKBACK = timedelta(days=1)
EMBED_PER_SWEEP = 50  # members without an expertise vector embedded per sweep


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
