"""The overview's figures: workspace-wide numbers over a period, with the previous
period of the same length for the trend.

Privacy: everything here is an aggregate or metadata (timestamps, authors, states).
No function reads a message body, a feedback note or any other text a person wrote
in a private conversation.

Every function takes the acting manager's ``Membership`` and a ``Period``; each runs
ONE query that covers the current and the previous period together and returns the
figures already aggregated — the statements are in ``dashboard.overview_sql``
(FILTERed counts, medians in the database), so the page stays at a small, fixed
number of queries and rows whatever the size of the workspace. Figures that come out
of the same rows share a statement (``engagement_summary``, ``request_figures``),
because a second query for the same rows would only cost time. The engagement KPIs
(first answer, commitments kept, feedback) are the ones the program pages show,
defined once in ``mentoring.programs.kpis``.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Membership
from dashboard import overview_sql as dashboard_sql
from dashboard.period import Period
from mentoring.models import Engagement, Invitation
from mentoring.programs.kpis import hours, kept_rate, rate, rating
from messaging.models import Question, RoutingAttempt


@dataclass(frozen=True)
class Figure:
    """One number for the period and the previous period. ``None`` means "no data" (e.g. a
    rate with nothing to divide by), which the page shows as a dash, never as zero."""

    current: float | None
    previous: float | None

    @property
    def direction(self) -> str:
        if self.current is None or self.previous is None or self.current == self.previous:
            return "flat"
        return "up" if self.current > self.previous else "down"

    @property
    def change_percent(self) -> float | None:
        """Relative change against the previous period, in percent (``None`` from zero)."""
        if self.current is None or self.previous in (None, 0):
            return None
        return round((self.current - self.previous) / abs(self.previous) * 100, 1)

    def as_dict(self) -> dict:
        return {
            "current": self.current,
            "previous": self.previous,
            "direction": self.direction,
            "change_percent": self.change_percent,
        }


def _rate_figure(row: dict, part: str, whole: str) -> Figure:
    """``row[now_<part>] / row[now_<whole>]`` against the same for ``before_``."""
    return Figure(
        rate(row[f"now_{part}"], row[f"now_{whole}"]), rate(row[f"before_{part}"], row[f"before_{whole}"])
    )


def _hours_figure(row: dict, name: str) -> Figure:
    """``row[now_<name>]`` and ``row[before_<name>]``, seconds, as hours."""
    return Figure(hours(row[f"now_{name}"]), hours(row[f"before_{name}"]))


SETTLED_STATES = (Engagement.State.COMPLETED, Engagement.State.CANCELLED, Engagement.State.EXPIRED)

# Bins of the time-to-first-answer chart: (label, upper bound in hours; None = no bound).
FIRST_ANSWER_BINS = (
    ("under 1 h", 1),
    ("1–4 h", 4),
    ("4–12 h", 12),
    ("12–24 h", 24),
    ("1–3 days", 72),
    ("3–7 days", 168),
    ("over 7 days", None),
)


def _bounds(membership: Membership, period: Period) -> dict:
    return dashboard_sql.bounds(
        organization_id=membership.organization_id,
        before=period.previous_start,
        start=period.start,
        end=period.end,
    )


def engagement_summary(membership: Membership, period: Period) -> dict:
    """Everything the overview reads from the engagements, for the period and the one
    before, in ONE statement (a single row back, whatever the workspace's size):

    - running at some moment of the period (started before its end, not ended before its
      start): ``<part>_active``;
    - ended in the period and settled (completed, cancelled or expired): ``<part>_ended``,
      of them completed: ``<part>_completed`` (wrapping-up ones are not settled yet);
    - started in the period: the median seconds from the start to a mentor's first chat
      message (``ChatFirstReply``, which ``message_send`` keeps) over the answered ones,
      ``<part>_first_median``; how many fall in each ``FIRST_ANSWER_BINS`` bin,
      ``<part>_bin<i>``; and how many nobody answered yet, ``<part>_unanswered``.

    ``<part>`` is ``now`` (the period) or ``before`` (the previous one). Metadata only."""
    bins, lower = [], None
    for _, upper in FIRST_ANSWER_BINS:
        bins.append((lower, upper))
        lower = upper
    return dashboard_sql.engagement_summary(
        _bounds(membership, period),
        settled=tuple(str(state) for state in SETTLED_STATES),
        completed=str(Engagement.State.COMPLETED),
        bins=bins,
    )


def engagement_figures(
    membership: Membership, period: Period, *, summary: dict | None = None
) -> dict[str, Figure]:
    """``active_engagements`` (running at some moment of the period) and
    ``completion_rate`` (of the settled engagements that ended in the period, the share
    that completed). ``summary``: ``engagement_summary`` when the caller has it."""
    s = engagement_summary(membership, period) if summary is None else summary
    return {
        "active_engagements": Figure(s["now_active"], s["before_active"]),
        "completion_rate": _rate_figure(s, "completed", "ended"),
    }


def median_hours_to_first_answer(
    membership: Membership, period: Period, *, summary: dict | None = None
) -> Figure:
    """Engagements that started in the period: median hours from the start to a mentor's
    first chat message (the ones nobody answered yet are left out)."""
    s = engagement_summary(membership, period) if summary is None else summary
    return _hours_figure(s, "first_median")


def first_answer_distribution(summary: dict) -> dict:
    """How many engagements of the period got their first mentor message within each
    bin (and how many not yet), for the period and the one before."""
    bins = range(len(FIRST_ANSWER_BINS))
    return {
        "labels": [label for label, _ in FIRST_ANSWER_BINS],
        "current": [summary[f"now_bin{i}"] for i in bins],
        "previous": [summary[f"before_bin{i}"] for i in bins],
        "unanswered": summary["now_unanswered"],
        "unanswered_before": summary["before_unanswered"],
    }


def request_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """From the requests created in each period: how many (``new_requests``), the share
    that reached an accepted invitation (``match_rate``) and the median hours from the
    request to that acceptance (``median_hours_to_match``). One statement."""
    row = dashboard_sql.request_summary(_bounds(membership, period), accepted=str(Invitation.State.ACCEPTED))
    return {
        "new_requests": Figure(row["now_requests"], row["before_requests"]),
        "match_rate": _rate_figure(row, "matched", "requests"),
        "median_hours_to_match": _hours_figure(row, "median"),
    }


def network_question_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """Network questions asked in each period, one statement:

    - ``median_hours_to_network_answer``: median hours from the question to its first
      answer (anyone's), over the questions answered so far;
    - ``routed_answered_in_window_rate``: of the questions routed to people (at least one
      ``RoutingAttempt``) whose routing has an outcome (not every attempt still pending),
      the share answered by a routed person within their window.
    """
    row = dashboard_sql.question_summary(
        _bounds(membership, period),
        network=str(Question.Scope.NETWORK),
        pending=str(RoutingAttempt.Outcome.PENDING),
        answered=str(RoutingAttempt.Outcome.ANSWERED),
    )
    return {
        "median_hours_to_network_answer": _hours_figure(row, "median"),
        "routed_answered_in_window_rate": _rate_figure(row, "in_window", "decided"),
    }


FEEDBACK_FIGURES = ("competence", "responsiveness", "would_work_again")


def feedback_averages(membership: Membership, period: Period) -> dict[str, Figure]:
    """Feedback submitted in the period: mean competence and responsiveness (1–5) and the
    share who would work with the other person again (0–1). Private notes are never read."""
    row = dashboard_sql.feedback_summary(_bounds(membership, period))
    return {
        name: Figure(rating(row[f"now_{name}"]), rating(row[f"before_{name}"])) for name in FEEDBACK_FIGURES
    }


def commitments_kept_rate(membership: Membership, period: Period) -> Figure:
    """Commitments decided in the period: kept / (kept + missed). Released ones do not count."""
    row = dashboard_sql.commitment_summary(_bounds(membership, period))
    return Figure(
        kept_rate(row["now_kept"], row["now_missed"]), kept_rate(row["before_kept"], row["before_missed"])
    )


def active_members(membership: Membership, period: Period) -> Figure:
    """Distinct people who sent a message, joined an engagement or recorded a commitment in
    the period (``dashboard_sql.active_member_counts``: one statement, two rows back)."""
    counts = dashboard_sql.active_member_counts(
        organization_id=membership.organization_id,
        before=period.previous_start,
        start=period.start,
        end=period.end,
    )
    return Figure(counts["now"], counts["before"])
