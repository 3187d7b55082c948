"""Every number of mentor suggestions (``mentoring.engagements.matching``), in one place.

A candidate's score is the weighted mean of six factors, each in [0, 1] and
each shown to the seeker with its weight:

===================  ==========================================================
factor               how it is computed
===================  ==========================================================
skill fit            ``SKILL_LEVEL_SHARE`` × mean over the requested skills of
                     level/5 (0 without expertise) + the rest × text match of
                     the need against headline and bio (PostgreSQL full-text
                     rank, a token overlap on SQLite). Without requested
                     skills, skills named in the need text are used instead;
                     with none at all the factor is the text match alone.
competence           mean over the requested skills of the trust lower bound
                     (10th percentile) of competence in that skill; someone
                     with no evidence in a skill gets the workspace prior's
                     lower bound (swift trust), never zero.
responsiveness       trust lower bound of responsiveness (prior for newcomers).
working hours        hours per week both work at the same time (UTC masks)
                     / ``OVERLAP_FULL_HOURS``, capped at 1. When either side
                     has no working hours, ``OVERLAP_UNKNOWN``.
load                 1 − active mentoring engagements / capacity.
work style           mean of three compatibilities with the seeker's own
                     profile: work mode, cadence, feedback style (tables below).
===================  ==========================================================

Change a number here and nowhere else; tests pin the behaviour (ranking order,
hard filters), not the numbers.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchingWeights:
    """Relative weights; the score divides by their sum, so they need not add to 1."""

    skill_fit: float = 0.30
    competence: float = 0.20
    responsiveness: float = 0.15
    working_hours: float = 0.15
    load: float = 0.10
    work_style: float = 0.10

    def as_dict(self) -> dict[str, float]:
        return {
            "skill_fit": self.skill_fit,
            "competence": self.competence,
            "responsiveness": self.responsiveness,
            "working_hours": self.working_hours,
            "load": self.load,
            "work_style": self.work_style,
        }

    @property
    def total(self) -> float:
        return sum(self.as_dict().values())


WEIGHTS = MatchingWeights()

# Within skill fit: how much the declared levels count against the text match.
SKILL_LEVEL_SHARE = 0.7
MAX_LEVEL = 5

# PostgreSQL: ts_rank (default weights: headline = A, bio = B) mapped into [0, 1)
# with rank / (rank + TEXT_RANK_HALF): a single headline hit ≈ 0.67, a bio hit ≈ 0.45.
TEXT_RANK_HALF = 0.3
# Only this many characters of the bio are matched (the vector is built per query).
BIO_SEARCH_CHARS = 600
# Need-text tokens shorter than this, or in STOP_WORDS, are ignored (both databases).
MIN_TOKEN_LENGTH = 3
MAX_TOKENS = 12
_STOP_TEXT = """
    the and for with that this from have need want help about into your you our are was were will
    can cannot could would should how what when where who why which some any all not but just
    first last week weeks today tomorrow soon please make get got use using been being them they
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Working-hours overlap: 40 shared hours a week is a full overlap.
OVERLAP_FULL_HOURS = 40
OVERLAP_UNKNOWN = 0.5

# Candidates per requested skill, read strongest first from the (skill, level) index
# before the hard filters. Bounds the SQL work per request; someone below the cut in
# a skill with more than this many experts is not considered for that skill.
EXPERTS_PER_SKILL = 200
# Before scoring in Python, SQL keeps at most this many candidates, pre-ranked by
# the sum of their levels in the requested skills (then capacity).
# It bounds the work per request whatever the size of the workspace.
CANDIDATE_POOL = 100

# Work-style compatibility tables (symmetric).
WORK_MODE_FIT = {
    frozenset({"async"}): 1.0,
    frozenset({"live"}): 1.0,
    frozenset({"mixed"}): 1.0,
    frozenset({"async", "mixed"}): 0.6,
    frozenset({"live", "mixed"}): 0.6,
    frozenset({"async", "live"}): 0.0,
}
# Cadences on a scale of how often people meet; "as needed" fits any rhythm fairly well.
CADENCE_ORDER = {"daily": 0, "few_weekly": 1, "weekly": 2}
CADENCE_AS_NEEDED_FIT = 0.75
FEEDBACK_STYLE_FIT = {
    frozenset({"direct"}): 1.0,
    frozenset({"balanced"}): 1.0,
    frozenset({"gentle"}): 1.0,
    frozenset({"direct", "balanced"}): 0.7,
    frozenset({"gentle", "balanced"}): 0.7,
    frozenset({"direct", "gentle"}): 0.3,
}
