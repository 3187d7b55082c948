"""The talent-manager dashboard: every figure against a hand-computed workspace,
period validation, access (members 403, other workspaces see nothing), the
audit trail, the CSV export row by row and the pinned query count."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.access import require_talent_manager
from accounts.models import AuditEntry
from core import clock
from core.errors import PermissionDenied, ValidationFailed
from dashboard import charts as dashboard_charts
from dashboard import drilldowns as dashboard_drilldowns
from dashboard import exports as dashboard_exports
from dashboard import figures as dashboard_figures
from dashboard import overview as dashboard_overview
from dashboard import period as dashboard_period
from dashboard.views import overview as dashboard_views
from mentoring.models import (
    Commitment,
    Engagement,
    EngagementKind,
    Feedback,
    Invitation,
    Participant,
    Program,
)
from messaging.chat import activity
from messaging.models import Answer, Conversation, Message, Question, RoutingAttempt
from tests.clients import client_for
from tests.factories import member, talent_manager
from tests.mentoring.factories import EngagementFactory, MentoringRequestFactory, ProgramFactory, mentor
from trust import services as trust_services
from trust.models import TrustScore, TrustSnapshot

pytestmark = pytest.mark.django_db

JUNE = {"start": date(2026, 6, 1), "end": date(2026, 6, 30)}  # previous period: May 2 – May 31
JUNE_QUERY = "period=custom&start=2026-06-01&end=2026-06-30"


def at(month, day, hour=0):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _request(org, seeker, created, accepted=None, mentor_user=None):
    request = MentoringRequestFactory(organization=org, seeker=seeker, created_at=created)
    if mentor_user is not None:
        Invitation.objects.create(
            request=request,
            mentor=mentor_user,
            rank=1,
            state=Invitation.State.ACCEPTED if accepted else Invitation.State.DECLINED,
            responded_at=accepted or created + timedelta(hours=1),
        )
    return request


def _engagement(org, people, *, starts, ended=None, state=Engagement.State.ACTIVE, **kwargs):
    kwargs.setdefault("kind", EngagementKind.SITUATIONAL)
    return EngagementFactory(
        organization=org,
        participants=people,
        starts_at=starts,
        ends_at=starts + timedelta(days=60),
        ended_at=ended,
        state=state,
        **kwargs,
    )


def _message(engagement, author, when):
    conversation, _ = Conversation.objects.get_or_create(
        engagement=engagement, defaults={"organization_id": engagement.organization_id}
    )
    conversation.last_seq += 1
    conversation.save(update_fields=["last_seq"])
    message = Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        body="(body never read by the dashboard)",
        client_id=uuid.uuid4(),
        created_at=when,
    )
    # what message_send does in its transaction: the dashboard reads the rollup
    activity.record_message(
        message, Conversation.objects.select_related("engagement").get(pk=conversation.pk)
    )
    return message


def _commitment(engagement, owner, *, state, created, decided=None, confirmer=None):
    return Commitment.objects.create(
        engagement=engagement,
        owner=owner,
        text="Review the module",
        due_at=created + timedelta(days=2),
        state=state,
        created_at=created,
        decided_at=decided,
        confirmed_by=confirmer if state in (Commitment.State.KEPT, Commitment.State.MISSED) else None,
    )


def _feedback(engagement, rater, ratee, *, competence, responsiveness, again, when):
    return Feedback.objects.create(
        engagement=engagement,
        rater=rater,
        ratee=ratee,
        competence=competence,
        respectful=True,
        honest=True,
        responsiveness=responsiveness,
        would_work_again=again,
        private_note="never shown on the dashboard",
        submitted_at=when,
    )


def build_workspace(org):
    """The hand-computed fixture. Current period: June 2026; previous: May 2 – May 31."""
    S, M = Participant.Role.SEEKER, Participant.Role.MENTOR
    s1, s2, s3 = (member(org, full_name=n) for n in ("Sara One", "Sven Two", "Sol Three"))
    m1, m2 = mentor(org, full_name="Mia Mentor"), mentor(org, full_name="Max Mentor")
    # requests: June 3 (matched in 6 h), June 10 (matched in 24 h), June 12 (declined);
    # May 20 (matched in 2 h), May 21 (never answered)
    _request(org, s1, at(6, 3, 10), accepted=at(6, 3, 16), mentor_user=m1)
    _request(org, s2, at(6, 10), accepted=at(6, 11), mentor_user=m2)
    _request(org, s3, at(6, 12), mentor_user=m1)
    _request(org, s1, at(5, 20), accepted=at(5, 20, 2), mentor_user=m2)
    _request(org, s2, at(5, 21))
    # engagements
    e1 = _engagement(org, [(s1, S), (m1, M)], starts=at(6, 5, 9), title="=Terraform basics")
    e2 = _engagement(
        org,
        [(s2, S), (m2, M)],
        starts=at(5, 10),
        ended=at(6, 10),
        state=Engagement.State.COMPLETED,
        kind=EngagementKind.ONGOING,
        title="Ongoing growth",
        program=Program.objects.get_or_create(organization=org, name="Spring cohort")[0],
    )
    e3 = _engagement(org, [(s3, S), (m1, M)], starts=at(6, 15), ended=at(6, 20), state="cancelled")
    _engagement(org, [(s1, S), (m1, M)], starts=at(4, 1), ended=at(4, 20), state="expired")  # outside both
    e5 = _engagement(org, [(s1, S), (m2, M)], starts=at(5, 5), ended=at(5, 25), state="completed")
    _engagement(org, [(s3, S), (m1, M)], starts=at(5, 6), ended=at(5, 26), state="expired")
    # chat metadata: first mentor answers after 4 h (e1), 8 h (e3); 1 h in May (e2)
    _message(e2, m2, at(5, 10, 1))
    _message(e2, s2, at(6, 2, 12))
    _message(e1, s1, at(6, 5, 10))
    _message(e1, m1, at(6, 5, 13))
    _message(e1, m1, at(6, 6, 9))
    _message(e3, m1, at(6, 15, 8))
    # commitments: June kept, missed, kept, released; May kept
    _commitment(e1, s1, state="kept", created=at(6, 6), decided=at(6, 7), confirmer=m1)
    _commitment(e1, s1, state="missed", created=at(6, 6), decided=at(6, 8), confirmer=m1)
    _commitment(e1, m1, state="kept", created=at(6, 6), decided=at(6, 9), confirmer=s1)
    _commitment(e3, s3, state="released", created=at(6, 15), decided=at(6, 16))
    _commitment(e2, s2, state="kept", created=at(5, 12), decided=at(5, 15), confirmer=m2)
    # feedback: June (4, 5, yes) and (2, 3, no); May (5, 4, yes)
    _feedback(e2, s2, m2, competence=4, responsiveness=5, again=True, when=at(6, 11))
    _feedback(e2, m2, s2, competence=2, responsiveness=3, again=False, when=at(6, 12))
    _feedback(e5, s1, m2, competence=5, responsiveness=4, again=True, when=at(5, 26))
    # network questions. June: q1 answered after 2 h by a routed person in the window (decided);
    # q2 answered after 24 h by someone not routed, both routed people missed or passed (decided,
    # not in the window); q3 still waiting (every attempt pending: not decided). May: q4 answered
    # after 6 h in the window. An engagement question in June counts nowhere.
    q1 = _question(org, s1, at(6, 2, 10), answers=[(m1, at(6, 2, 12)), (m2, at(6, 3))])
    _attempt(q1, m1, "answered", at(6, 2, 10))
    _attempt(q1, m2, "missed", at(6, 2, 10))
    q2 = _question(org, s2, at(6, 4), answers=[(s3, at(6, 5))])
    _attempt(q2, m1, "missed", at(6, 4))
    _attempt(q2, m2, "passed", at(6, 4))
    q3 = _question(org, s3, at(6, 20))
    _attempt(q3, m1, "pending", at(6, 20))
    q4 = _question(org, s1, at(5, 10), answers=[(m2, at(5, 10, 6))])
    _attempt(q4, m2, "answered", at(5, 10))
    _question(org, s1, at(6, 6), answers=[(m1, at(6, 6, 1))], engagement=e1)
    return {
        "s1": s1,
        "s2": s2,
        "s3": s3,
        "m1": m1,
        "m2": m2,
        "e1": e1,
        "e2": e2,
        "e3": e3,
        "q1": q1,
        "q2": q2,
        "q3": q3,
    }


def _question(org, author, asked, *, answers=(), engagement=None):
    question = Question.objects.create(
        organization=org,
        author=author,
        title=f"How do I … ({asked:%m-%d})",
        body="(question text)",
        scope=Question.Scope.ENGAGEMENT if engagement else Question.Scope.NETWORK,
        engagement=engagement,
        state=Question.State.ANSWERED if answers else Question.State.OPEN,
        created_at=asked,
    )
    for person, when in answers:
        Answer.objects.create(question=question, author=person, body="(answer text)", created_at=when)
    return question


def _attempt(question, candidate, outcome, notified):
    return RoutingAttempt.objects.create(
        question=question,
        organization=question.organization,
        candidate=candidate,
        wave=1,
        rank=1,
        score=0.5,
        outcome=outcome,
        notified_at=notified,
        window_ends_at=notified + timedelta(hours=4),
    )


def build_other_workspace(org):
    """Busy data in another workspace ``org``, inside the same period: must never be counted."""
    seeker, helper = member(org), mentor(org)
    _request(org, seeker, at(6, 4), accepted=at(6, 4, 1), mentor_user=helper)
    engagement = _engagement(org, [(seeker, "seeker"), (helper, "mentor")], starts=at(6, 4, 2))
    _message(engagement, helper, at(6, 4, 3))
    _commitment(engagement, seeker, state="missed", created=at(6, 5), decided=at(6, 6), confirmer=helper)
    question = _question(org, seeker, at(6, 7), answers=[(helper, at(6, 7, 1))])
    _attempt(question, helper, "answered", at(6, 7))
    return org


@pytest.fixture
def workspace(org, other_org):
    manager = talent_manager(org, full_name="Tina Manager")
    people = build_workspace(org)
    other = build_other_workspace(other_org)
    return {"manager": manager, "org": org, "other": other, **people}


def june():
    return dashboard_period.resolve_period(**JUNE)


def figures_of(user):
    return dashboard_overview.overview(require_talent_manager(user), june())


# --- periods ---------------------------------------------------------------------------------------


def test_a_custom_range_covers_whole_utc_days_and_the_previous_period_has_the_same_length():
    period = june()
    assert (period.start, period.end) == (at(6, 1), at(7, 1))
    assert period.previous_start == at(5, 2)
    assert period.days == 30


def test_a_preset_covers_whole_utc_days_up_to_today_and_defaults_to_thirty_days():
    with clock.travel_to(at(6, 30, 12)):
        period = dashboard_period.resolve_period()
    # the daily rollup counts whole days: today (June 30) and the 29 days before
    assert (period.start, period.end) == (at(6, 1), at(7, 1))
    assert period.length == timedelta(days=30)
    assert period.label == "Last 30 days"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": date(2026, 6, 30), "end": date(2026, 6, 1)}, "end"),
        ({"start": date(2026, 6, 1), "end": date(2026, 6, 1)}, "end"),
        ({"start": date(2025, 1, 1), "end": date(2026, 6, 1)}, "end"),
        ({"start": date(2026, 6, 1)}, "end"),
        ({"end": date(2026, 6, 1)}, "start"),
        ({"days": 45}, "period"),
        ({"days": 30, "start": date(2026, 6, 1), "end": date(2026, 6, 30)}, "period"),
        ({"start": date(1, 1, 1), "end": date(1, 1, 31)}, "start"),  # the period before would overflow
        ({"start": date(9999, 12, 1), "end": date(9999, 12, 31)}, "end"),  # its end would overflow
        ({"start": date(2030, 1, 1), "end": date(2030, 1, 31)}, "end"),  # years ahead
    ],
)
def test_an_invalid_period_names_the_field_to_fix(kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        dashboard_period.resolve_period(**kwargs)
    assert field in caught.value.fields
    assert caught.value.fields[field][0]


def test_a_range_of_exactly_366_days_is_accepted():
    period = dashboard_period.resolve_period(start=date(2025, 6, 1), end=date(2026, 6, 1))
    assert period.days == 366


# --- figures against the hand-computed workspace ------------------------------------------------


def test_active_engagements_count_those_running_in_each_period(workspace):
    assert figures_of(workspace["manager"])["active_engagements"].as_dict() == {
        "current": 3,  # e1, e2 (ended June 10), e3
        "previous": 3,  # e2, e5, e6
        "direction": "flat",
        "change_percent": 0.0,
    }


def test_requests_match_rate_and_median_time_to_match(workspace):
    figures = figures_of(workspace["manager"])
    assert (figures["new_requests"].current, figures["new_requests"].previous) == (3, 2)
    assert figures["new_requests"].change_percent == 50.0
    assert (figures["match_rate"].current, figures["match_rate"].previous) == (0.6667, 0.5)
    assert figures["match_rate"].direction == "up"
    # medians of (6 h, 24 h) and (2 h)
    assert (figures["median_hours_to_match"].current, figures["median_hours_to_match"].previous) == (
        15.0,
        2.0,
    )


def test_median_time_to_first_answer_uses_the_first_mentor_message_after_the_start(workspace):
    figure = figures_of(workspace["manager"])["median_hours_to_first_answer"]
    # June: e1 answered after 4 h (the seeker's own message does not count), e3 after 8 h; May: e2 after 1 h
    assert (figure.current, figure.previous) == (6.0, 1.0)
    assert figure.direction == "up"
    assert figure.change_percent == 500.0


def test_completion_rate_counts_settled_engagements_that_ended_in_the_period(workspace):
    figure = figures_of(workspace["manager"])["completion_rate"]
    assert (figure.current, figure.previous) == (0.5, 0.5)  # e2 completed, e3 cancelled; e5 vs e6


def test_feedback_averages(workspace):
    figures = figures_of(workspace["manager"])
    assert (figures["feedback_competence"].current, figures["feedback_competence"].previous) == (3.0, 5.0)
    assert (figures["feedback_responsiveness"].current, figures["feedback_responsiveness"].previous) == (
        4.0,
        4.0,
    )
    assert (figures["feedback_would_work_again"].current, figures["feedback_would_work_again"].previous) == (
        0.5,
        1.0,
    )
    assert figures["feedback_competence"].direction == "down"


def test_commitments_kept_rate_ignores_released_commitments(workspace):
    figure = figures_of(workspace["manager"])["commitments_kept_rate"]
    assert (figure.current, figure.previous) == (0.6667, 1.0)


def test_active_members_are_distinct_people_who_wrote_joined_or_committed(workspace):
    figure = figures_of(workspace["manager"])["active_members"]
    assert (figure.current, figure.previous) == (4, 5)  # s1 s2 s3 m1 | s1 s2 s3 m1 m2
    assert figure.change_percent == -20.0


def test_the_active_members_figure_agrees_with_the_people_drill_down_for_any_range(workspace):
    """Two independent reads: the figure (monthly bitmaps, one statement) and the drill-down
    (the daily rollup, paged), over ranges that start and end inside months."""
    manager = require_talent_manager(workspace["manager"])
    ranges = [(date(2026, 6, 1), date(2026, 6, 30)), (date(2026, 5, 15), date(2026, 6, 14))]
    ranges += [(date(2026, 5, day), date(2026, 6, min(day, 30))) for day in (1, 10, 20, 31)]
    ranges += [(date(2026, 6, day), date(2026, 6, day + 1)) for day in range(1, 29, 3)]
    for start, end in ranges:
        period = dashboard_period.resolve_period(start=start, end=end)
        assert (
            dashboard_figures.active_members(manager, period).current
            == dashboard_drilldowns.drill_people(manager, period).count()
        ), (
            start,
            end,
        )


def test_network_questions_median_time_to_first_answer_and_routed_share_answered_in_the_window(workspace):
    figures = figures_of(workspace["manager"])
    median = figures["median_hours_to_network_answer"]
    # June: q1 after 2 h, q2 after 24 h (q3 unanswered, the engagement question left out); May: q4 after 6 h
    assert (median.current, median.previous) == (13.0, 6.0)
    share = figures["routed_answered_in_window_rate"]
    # June: q1 in the window, q2 not, q3 undecided (every attempt pending); May: q4 in the window
    assert (share.current, share.previous) == (0.5, 1.0)
    assert share.direction == "down"


def test_the_first_answer_chart_bins_engagements_by_hours_until_a_mentor_wrote(workspace):
    first_answer = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())[
        "first_answer"
    ]
    assert first_answer["labels"][2] == "4–12 h"
    # June: e1 after 4 h and e3 after 8 h; May: e2 after 1 h, e5 and e6 never answered
    assert first_answer["current"] == [0, 0, 2, 0, 0, 0, 0]
    assert first_answer["previous"] == [0, 1, 0, 0, 0, 0, 0]
    assert (first_answer["unanswered"], first_answer["unanswered_before"]) == (0, 2)


def _snapshot(user, dimension, day, mean, evidence):
    """A snapshot row as the nightly job leaves it, with that day's distribution recounted."""
    TrustSnapshot.objects.create(
        organization=user.membership.organization,
        subject=user,
        dimension=dimension,
        date=day,
        mean=mean,
        lower=0,
        evidence_count=evidence,
    )
    trust_services.distribution_rebuild(day=day)


def test_trust_movement_compares_the_snapshots_at_the_start_and_the_end_of_the_period(workspace):
    s1, s2, m1 = workspace["s1"], workspace["s2"], workspace["m1"]
    _snapshot(s1, "integrity", date(2026, 5, 20), 0.1, 9)  # older than the latest before June 1
    _snapshot(s1, "integrity", date(2026, 5, 31), 0.55, 5)
    _snapshot(s1, "integrity", date(2026, 6, 28), 0.75, 6)
    _snapshot(s1, "integrity", date(2026, 7, 2), 0.2, 7)  # after the period
    _snapshot(s2, "integrity", date(2026, 5, 31), 0.58, 2)  # still new: not counted
    _snapshot(s2, "integrity", date(2026, 6, 28), 0.62, 4)
    _snapshot(m1, "responsiveness", date(2026, 5, 31), 0.9, 10)
    _snapshot(m1, "responsiveness", date(2026, 6, 28), 0.8, 10)
    _snapshot(talent_manager(workspace["other"]), "integrity", date(2026, 6, 28), 0.05, 10)

    movement = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())["trust_movement"]

    assert (movement["then_date"], movement["now_date"]) == ("2026-05-31", "2026-06-28")
    rows = {row["dimension"]: row for row in movement["dimensions"]}
    assert rows["integrity"]["then"] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert rows["integrity"]["now"] == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    assert (rows["integrity"]["mean_then"], rows["integrity"]["mean_now"]) == (0.55, 0.685)
    assert rows["responsiveness"]["then"][9] == rows["responsiveness"]["now"][8] == 1
    assert (rows["responsiveness"]["mean_then"], rows["responsiveness"]["mean_now"]) == (0.9, 0.8)
    assert rows["competence"]["mean_now"] is None


def test_trust_movement_without_a_snapshot_from_before_the_period_has_no_start(workspace):
    _snapshot(workspace["s1"], "integrity", date(2026, 6, 10), 0.55, 5)
    movement = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())["trust_movement"]
    assert (movement["then_date"], movement["now_date"]) == (None, "2026-06-10")
    integrity = movement["dimensions"][0]
    assert (sum(integrity["then"]), sum(integrity["now"])) == (0, 1)


def test_rates_without_anything_to_divide_by_are_no_data_not_zero():
    manager = talent_manager()
    figures = figures_of(manager)
    assert figures["match_rate"].current is None
    assert figures["completion_rate"].as_dict()["direction"] == "flat"
    assert figures["active_members"].current == 0
    assert figures["median_hours_to_match"].current is None


def test_a_manager_of_another_workspace_sees_none_of_these_numbers(workspace):
    other_manager = talent_manager(workspace["other"])
    figures = figures_of(other_manager)
    assert figures["active_engagements"].current == 1
    assert figures["new_requests"].current == 1
    assert figures["commitments_kept_rate"].current == 0.0
    assert figures["feedback_competence"].current is None
    assert figures["active_members"].current == 2
    assert figures["median_hours_to_network_answer"].current == 1.0
    assert figures["routed_answered_in_window_rate"].current == 1.0


def test_a_member_cannot_read_figures(workspace):
    with pytest.raises(PermissionDenied):
        require_talent_manager(workspace["s1"])


# --- charts ----------------------------------------------------------------------------------------


def test_activity_chart_counts_starts_and_messages_per_day(workspace):
    charts = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())
    activity = charts["activity"]
    assert activity["bucket"] == "day"
    assert len(activity["labels"]) == 30
    started = dict(zip(activity["labels"], activity["engagements_started"], strict=True))
    messages = dict(zip(activity["labels"], activity["messages"], strict=True))
    assert {k: v for k, v in started.items() if v} == {"2026-06-05": 1, "2026-06-15": 1}
    assert {k: v for k, v in messages.items() if v} == {
        "2026-06-02": 1,
        "2026-06-05": 2,
        "2026-06-06": 1,
        "2026-06-15": 1,
    }


def test_long_ranges_are_drawn_per_week(workspace):
    period = dashboard_period.resolve_period(start=date(2026, 3, 1), end=date(2026, 6, 30))
    activity = dashboard_charts.charts(require_talent_manager(workspace["manager"]), period)["activity"]
    assert activity["bucket"] == "week"
    assert sum(activity["engagements_started"]) == 6  # every engagement of the workspace started in the range
    assert sum(activity["messages"]) == 6
    assert all(date.fromisoformat(label).weekday() == 0 for label in activity["labels"])


def test_engagements_by_kind_and_state(workspace):
    by_kind_state = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())[
        "by_kind_state"
    ]
    kinds = by_kind_state["kinds"]
    counts = {
        (kinds[i], state): n for state, row in by_kind_state["counts"].items() for i, n in enumerate(row) if n
    }
    assert counts == {
        ("situational", "active"): 1,
        ("ongoing", "completed"): 1,
        ("situational", "cancelled"): 1,
    }


def test_trust_histograms_count_established_people_per_tenth_and_new_people_apart(workspace):
    def score(user, dimension, mean, weight):
        TrustScore.objects.create(
            organization=user.membership.organization,
            subject=user,
            dimension=dimension,
            alpha=1,
            beta=1,
            mean=mean,
            lower=0,
            upper=1,
            evidence_weight=weight,
        )

    score(workspace["s1"], "integrity", 0.95, 10)
    score(workspace["s2"], "integrity", 1.0, 10)  # the top bucket includes 1.0
    score(workspace["s3"], "integrity", 0.42, 10)
    score(workspace["m1"], "integrity", 0.5, 0.5)  # still new
    score(workspace["m1"], "responsiveness", 0.7, 10)
    score(talent_manager(workspace["other"]), "integrity", 0.1, 10)  # another workspace
    trust = dashboard_charts.charts(require_talent_manager(workspace["manager"]), june())["trust"]
    rows = {row["dimension"]: row for row in trust["dimensions"]}
    assert rows["integrity"]["histogram"] == [0, 0, 0, 0, 1, 0, 0, 0, 0, 2]
    assert (rows["integrity"]["scores"], rows["integrity"]["new"]) == (4, 1)
    assert rows["responsiveness"]["histogram"][7] == 1
    assert rows["competence"]["scores"] == 0


# --- HTML, API, access and audit ------------------------------------------------------------------


def test_the_overview_page_shows_the_figures_and_audits_the_visit(workspace):
    client = client_for(workspace["manager"])
    response = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="figure-match_rate"' in html
    assert "67%" in html
    assert 'id="dashboard-data"' in html
    assert "never read by the dashboard" not in html
    assert "never shown on the dashboard" not in html
    entry = AuditEntry.objects.get(action="dashboard.view_overview")
    assert entry.actor == workspace["manager"]
    assert entry.organization == workspace["org"]
    assert entry.details == {"from": "2026-06-01T00:00:00+00:00", "to": "2026-07-01T00:00:00+00:00"}
    # and the workspace's audit page lists it
    audit_page = client.get(reverse("accounts:workspace_audit")).content.decode()
    assert "dashboard.view_overview" in audit_page


def test_every_figure_card_links_to_the_rows_behind_it_for_the_same_period(workspace):
    client = client_for(workspace["manager"])
    html = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY).content.decode()
    period = "period=custom&amp;start=2026-06-01&amp;end=2026-06-30"
    for url, query in [
        ("/manage/engagements/", "scope=running"),
        ("/manage/engagements/", "scope=ended"),
        ("/manage/engagements/", "scope=started"),
        ("/manage/engagements/", "scope=commitments"),
        ("/manage/requests/", "outcome=matched"),
        ("/manage/questions/", "outcome=routed"),
    ]:
        assert f'href="{url}?{period}&amp;{query}"' in html
    assert html.count('class="dashboard-card"') == len(dashboard_views.FIGURE_LABELS)
    # the kinds table drills into one kind and state
    assert f"/manage/engagements/?{period}&amp;scope=running&amp;kind=ongoing&amp;state=completed" in html


def test_the_overview_page_draws_the_first_answer_and_trust_movement_charts(workspace):
    _snapshot(workspace["s1"], "integrity", date(2026, 5, 31), 0.55, 5)
    _snapshot(workspace["s1"], "integrity", date(2026, 6, 28), 0.75, 6)
    client = client_for(workspace["manager"])
    html = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY).content.decode()
    assert 'id="chart-first-answer"' in html
    assert 'id="chart-trust-movement"' in html
    assert "Routed questions answered within the window" in html
    assert "2026-05-31" in html


def test_without_snapshots_the_page_says_when_the_trust_movement_will_show(workspace):
    client = client_for(workspace["manager"])
    html = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY).content.decode()
    assert 'id="chart-trust-movement"' not in html
    assert "once the nightly snapshot has run" in html


def test_the_overview_page_without_parameters_shows_the_last_thirty_days(workspace):
    client = client_for(workspace["manager"])
    response = client.get(reverse("dashboard:overview"))
    assert response.status_code == 200
    assert "Last 30 days" in response.content.decode()


def test_an_inverted_range_on_the_page_is_a_400_with_the_field_error_and_no_audit(workspace):
    client = client_for(workspace["manager"])
    response = client.get(reverse("dashboard:overview") + "?period=custom&start=2026-06-30&end=2026-06-01")
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


def test_the_api_returns_the_same_figures_and_audits_the_call(workspace):
    client = client_for(workspace["manager"])
    response = client.get("/api/manage/overview", {"start": "2026-06-01", "end": "2026-06-30"})
    assert response.status_code == 200
    body = response.json()
    assert body["period"]["days"] == 30
    assert body["figures"]["new_requests"] == {
        "current": 3.0,
        "previous": 2.0,
        "direction": "up",
        "change_percent": 50.0,
    }
    assert body["figures"]["median_hours_to_first_answer"]["current"] == 6.0
    assert body["figures"]["active_members"]["current"] == 4.0
    assert body["figures"]["median_hours_to_network_answer"]["current"] == 13.0
    assert body["figures"]["routed_answered_in_window_rate"] == {
        "current": 0.5,
        "previous": 1.0,
        "direction": "down",
        "change_percent": -50.0,
    }
    assert AuditEntry.objects.filter(action="dashboard.api_overview", actor=workspace["manager"]).count() == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-06-30", "end": "2026-06-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-06-01"}, "end"),
        ({"start": "yesterday", "end": "2026-06-01"}, "start"),
        ({"period": "45"}, "period"),
        ({"period": "30", "start": "2026-06-01", "end": "2026-06-30"}, "period"),
        ({"start": "0001-01-01", "end": "0001-01-31"}, "start"),
        ({"start": "9999-12-01", "end": "9999-12-31"}, "end"),
    ],
)
def test_bad_api_input_is_a_400_naming_the_field(workspace, params, field):
    client = client_for(workspace["manager"])
    response = client.get("/api/manage/overview", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert error["fields"][field][0]


@pytest.mark.parametrize(
    "url",
    ["/manage/", "/manage/?" + JUNE_QUERY, "/manage/export/engagements.csv", "/api/manage/overview"],
)
def test_a_member_gets_403_on_every_dashboard_url(workspace, url):
    client = client_for(workspace["s1"])
    response = client.get(url)
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/manage/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.get("/api/manage/overview").status_code in (401, 403)


def test_the_api_of_another_workspace_manager_shows_only_their_workspace(workspace):
    client = client_for(talent_manager(workspace["other"]))
    body = client.get("/api/manage/overview", {"start": "2026-06-01", "end": "2026-06-30"}).json()
    assert body["figures"]["new_requests"]["current"] == 1.0
    assert body["figures"]["active_engagements"]["current"] == 1.0
    assert body["figures"]["match_rate"]["current"] == 1.0


def test_the_nav_shows_the_dashboard_link_to_managers_only(workspace):
    client = client_for(workspace["manager"])
    assert 'href="/manage/"' in client.get(reverse("home"), follow=True).content.decode()
    client = client_for(workspace["s1"])
    assert 'href="/manage/"' not in client.get(reverse("home"), follow=True).content.decode()


# --- export ----------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_engagement_export_lists_every_engagement_of_the_period_row_by_row(workspace):
    client = client_for(workspace["manager"])
    response = client.get(reverse("dashboard:export_engagements") + "?" + JUNE_QUERY)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="engagements-20260601-20260701.csv"' in response["Content-Disposition"]
    e1, e2, e3 = workspace["e1"], workspace["e2"], workspace["e3"]
    assert _csv(response) == [
        list(dashboard_exports.ENGAGEMENTS_HEADER),
        [
            str(e2.pk),
            "ongoing",
            "completed",
            "Ongoing growth",
            "Spring cohort",
            "2026-05-10T00:00:00+00:00",
            "2026-07-09T00:00:00+00:00",
            "2",
            "Max Mentor",
            "Sven Two",
            "1",
            "0",
        ],
        [
            str(e1.pk),
            "situational",
            "active",
            "'=Terraform basics",  # a formula-looking title is defused, not dropped
            "",
            "2026-06-05T09:00:00+00:00",
            "2026-08-04T09:00:00+00:00",
            "2",
            "Mia Mentor",
            "Sara One",
            "2",
            "1",
        ],
        [
            str(e3.pk),
            "situational",
            "cancelled",
            e3.title,
            "",
            "2026-06-15T00:00:00+00:00",
            "2026-08-14T00:00:00+00:00",
            "2",
            "Mia Mentor",
            "Sol Three",
            "0",
            "0",
        ],
    ]
    entry = AuditEntry.objects.get(action="dashboard.export_engagements")
    assert entry.actor == workspace["manager"]


def test_the_export_can_be_limited_to_one_program(workspace):
    client = client_for(workspace["manager"])
    program = workspace["e2"].program
    response = client.get(reverse("dashboard:export_engagements") + f"?{JUNE_QUERY}&program={program.pk}")
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == [str(workspace["e2"].pk)]
    assert AuditEntry.objects.get(action="dashboard.export_engagements").details["program"] == program.pk


@pytest.mark.parametrize("program", ["other-workspace", "999999", "abc"])
def test_a_program_of_another_workspace_or_missing_is_a_404(workspace, program):
    if program == "other-workspace":
        program = str(ProgramFactory(organization=workspace["other"]).pk)
    client = client_for(workspace["manager"])
    response = client.get(reverse("dashboard:export_engagements") + f"?{JUNE_QUERY}&program={program}")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="dashboard.export_engagements").exists()


def test_an_export_with_a_huge_range_is_a_400(workspace):
    client = client_for(workspace["manager"])
    response = client.get(
        reverse("dashboard:export_engagements") + "?period=custom&start=2020-01-01&end=2026-06-01"
    )
    assert response.status_code == 400
    assert "at most 366 days" in response.content.decode()


# --- query budget ----------------------------------------------------------------------------------

QUERY_BUDGET = 15


def test_the_overview_page_stays_within_the_query_budget_whatever_the_data(
    workspace, django_assert_max_num_queries
):
    client = client_for(workspace["manager"])
    url = reverse("dashboard:overview") + "?" + JUNE_QUERY
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        assert client.get(url).status_code == 200
    build_workspace(workspace["org"])  # twice the data
    cache.clear()  # the figures are kept a minute (test_the_figures_are_kept_a_minute...): measure the work
    with django_assert_max_num_queries(QUERY_BUDGET) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_overview_api_stays_within_the_query_budget(workspace, django_assert_max_num_queries):
    client = client_for(workspace["manager"])
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert client.get("/api/manage/overview", {"period": "30"}).status_code == 200


def test_the_export_reads_a_fixed_number_of_queries_whatever_the_number_of_engagements(
    workspace, django_assert_max_num_queries
):
    client = client_for(workspace["manager"])
    url = reverse("dashboard:export_engagements") + "?" + JUNE_QUERY
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        rows = _csv(client.get(url))
    build_workspace(workspace["org"])
    with django_assert_max_num_queries(QUERY_BUDGET) as large:
        more_rows = _csv(client.get(url))
    assert (len(rows), len(more_rows)) == (4, 7)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_figures_are_kept_a_minute_and_say_as_of_when(workspace):
    """Every write of the workspace feeds the overview: it is worked out at most once a
    minute per workspace and period, and the page and API say when."""
    client = client_for(workspace["manager"])
    query = {"start": "2026-06-01", "end": "2026-06-30"}
    first = client.get("/api/manage/overview", query).json()
    assert first["figures"]["new_requests"]["current"] == 3.0
    with clock.travel_to(datetime(2026, 6, 20, 12, tzinfo=UTC)):
        MentoringRequestFactory(organization=workspace["org"], seeker=member(workspace["org"]))
    kept = client.get("/api/manage/overview", query).json()
    assert kept["figures"]["new_requests"]["current"] == 3.0
    assert kept["as_of"] == first["as_of"]
    page = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY).content.decode()
    assert "Figures as of" in page
    with clock.travel_to(clock.now() + timedelta(seconds=61)):
        fresh = client.get("/api/manage/overview", query).json()
    assert fresh["figures"]["new_requests"]["current"] == 4.0
    assert fresh["as_of"] > first["as_of"]
    # another workspace's manager never gets these figures
    other = client_for(talent_manager(workspace["other"])).get("/api/manage/overview", query).json()
    assert other["figures"]["new_requests"]["current"] == 1.0
