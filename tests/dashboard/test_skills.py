"""Skills supply and demand: every figure against a hand-computed workspace, the
drill-down (people, trends, hints), access (members 403, other workspaces 404), the
audit trail and the pinned query count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Membership
from core import clock
from dashboard import period as dashboard_period
from dashboard import skill_detail as dashboard_skill_detail
from dashboard import skills as dashboard_skills
from mentoring.models import Engagement, MentoringRequest, Participant
from messaging.models import Answer, Question, RoutingAttempt
from tests.clients import client_for
from tests.factories import (
    ExpertiseFactory,
    LearningGoalFactory,
    SkillFactory,
    member,
    talent_manager,
)
from tests.mentoring.factories import EngagementFactory, MentoringRequestFactory, mentor, pair_engagement

pytestmark = pytest.mark.django_db

Outcome = RoutingAttempt.Outcome


def question(org, author, skills, *, state=Question.State.OPEN, created=None, scope=Question.Scope.NETWORK):
    q = Question.objects.create(
        organization=org,
        author=author,
        title="(a title the dashboard never shows)",
        body="(a body the dashboard never shows)",
        scope=scope,
        state=state,
        resolved_at=clock.now() if state == Question.State.RESOLVED else None,
        created_at=created or clock.now() - timedelta(days=2),
    )
    q.skills.set(skills)
    return q


def attempt(q, candidate, outcome, *, notified=None, window_ends=None, wave=1, rank=1):
    notified = notified or clock.now() - timedelta(days=1)
    return RoutingAttempt.objects.create(
        question=q,
        organization_id=q.organization_id,
        candidate=candidate,
        wave=wave,
        rank=rank,
        score=0.5,
        outcome=outcome,
        notified_at=notified,
        window_ends_at=window_ends or notified + timedelta(hours=4),
    )


def request_for(org, seeker, skills, state=MentoringRequest.State.OPEN):
    r = MentoringRequestFactory(
        organization=org, seeker=seeker, state=state, created_at=clock.now() - timedelta(days=3)
    )
    r.skills.set(skills)
    return r


def build(org):
    """The hand-computed workspace (see each figure in the tests below)."""
    T = SkillFactory(organization=org, name="Terraform")
    P = SkillFactory(organization=org, name="Python")
    G = SkillFactory(organization=org, name="Go")
    s1, s2, s3, s4 = (member(org, full_name=n) for n in ("Sara One", "Sven Two", "Sol Three", "Sue Four"))
    ann = member(org, full_name="Ann Answer")
    m1 = mentor(org, full_name="Mia Mentor", capacity=2)
    m2 = mentor(org, full_name="Max Mentor", capacity=1)
    m3 = mentor(org, full_name="Mo Closed", open_to_mentor=False)
    m4 = mentor(org, full_name="Meg Full", capacity=1)
    gone = member(org, full_name="Gone Person")
    Membership.objects.filter(user=gone).update(is_active=False)

    # demand
    LearningGoalFactory(user=s1, skill=T)
    LearningGoalFactory(user=s2, skill=T)
    LearningGoalFactory(user=s2, skill=P)
    LearningGoalFactory(user=gone, skill=T)  # deactivated: not counted
    request_for(org, s1, [T])  # open: s1 counted once for T
    request_for(org, s4, [T], state=MentoringRequest.State.MATCHED)  # closed: not demand
    q_t = question(org, s3, [T])  # open, unanswered
    q_p = question(org, s3, [P], state=Question.State.ANSWERED)  # seeks P, but answered
    q_resolved = question(org, s2, [T], state=Question.State.RESOLVED)  # resolved: no demand

    # supply
    ExpertiseFactory(user=m1, skill=T, level=5)  # 5/5 × (2 − 1) = 1.0
    ExpertiseFactory(user=m2, skill=T, level=3)  # 3/5 × (1 − 0) = 0.6
    ExpertiseFactory(user=m2, skill=P, level=4)  # 4/5 × 1 = 0.8
    ExpertiseFactory(user=m3, skill=T, level=4)  # not open to mentoring: no supply, a hint
    ExpertiseFactory(user=m4, skill=P, level=5)  # capacity used up: 0, a hint
    pair_engagement(org, seeker=s4, mentor_user=m1)  # m1 load 1
    pair_engagement(org, seeker=s1, mentor_user=m4)  # m4 load 1

    # routing outcomes (in the last 90 days, plus one long before)
    attempt(q_t, m1, Outcome.MISSED)
    attempt(q_t, m2, Outcome.PENDING, rank=2)
    attempt(q_t, m3, Outcome.PASSED, notified=clock.now() - timedelta(days=200), wave=2)
    attempt(q_p, m2, Outcome.ANSWERED)
    attempt(q_p, m4, Outcome.LATE, rank=2)

    # hints: Ann's accepted answer on a Terraform question; s2 completed a Terraform engagement
    answer = Answer.objects.create(question=q_resolved, author=ann, body="(never shown)", accepted=True)
    Question.objects.filter(pk=q_resolved.pk).update(accepted_answer=answer)
    done = EngagementFactory(
        organization=org,
        participants=[(s2, Participant.Role.SEEKER), (m1, Participant.Role.MENTOR)],
        starts_at=clock.now() - timedelta(days=40),
        ends_at=clock.now() - timedelta(days=20),
        state=Engagement.State.COMPLETED,
        ended_at=clock.now() - timedelta(days=20),
    )
    done.skills.set([T])
    return {
        "T": T,
        "P": P,
        "G": G,
        "s1": s1,
        "s2": s2,
        "s3": s3,
        "s4": s4,
        "ann": ann,
        "m1": m1,
        "m2": m2,
        "m3": m3,
        "m4": m4,
        "gone": gone,
    }


@pytest.fixture
def ws(org, other_org):
    data = build(org)
    data["org"] = org
    data["manager"] = talent_manager(org, full_name="Maya Manager")
    other = other_org
    other_skill = SkillFactory(organization=other, name="Terraform")
    LearningGoalFactory(user=member(other), skill=other_skill)
    data["other"], data["other_skill"] = other, other_skill
    return data


def period():
    return dashboard_period.resolve_period(days=90)


def rows_by_name(ws):
    membership = ws["manager"].membership
    return {r.name: r for r in dashboard_skills.skills_supply_demand(membership, period())}


def test_each_skill_has_its_hand_computed_demand_and_supply(ws):
    rows = rows_by_name(ws)
    t, p, g = rows["Terraform"], rows["Python"], rows["Go"]
    # Terraform: goals s1, s2 (gone's not counted); s1's open request; s3's open question
    assert (t.learners, t.open_requests, t.unanswered_questions, t.unanswered) == (2, 1, 1, 2)
    assert t.seekers == 3  # s1, s2, s3 — s1 once although goal + request
    assert (t.mentors, t.mentors_with_capacity, t.weighted_supply) == (2, 2, 1.6)
    assert t.gap == 1.4
    # Python: s2's goal, s3's answered (not resolved) question
    assert (p.learners, p.open_requests, p.unanswered_questions) == (1, 0, 0)
    assert p.seekers == 2
    assert (p.mentors, p.mentors_with_capacity, p.weighted_supply) == (2, 1, 0.8)
    assert p.gap == 1.2
    assert (g.seekers, g.mentors, g.weighted_supply, g.gap) == (0, 0, 0.0, 0.0)


def test_routing_outcomes_per_skill_count_the_attempts_of_the_period(ws):
    rows = rows_by_name(ws)
    assert rows["Terraform"].routing.as_dict() == {
        "sent": 2,
        "answered": 0,
        "late": 0,
        "missed": 1,
        "declined": 0,
        "pending": 1,
        "answer_rate": 0.0,
    }
    assert rows["Python"].routing.as_dict() == {
        "sent": 2,
        "answered": 1,
        "late": 1,
        "missed": 0,
        "declined": 0,
        "pending": 0,
        "answer_rate": 0.5,
    }
    assert rows["Go"].routing.answer_rate is None


def test_skills_are_sorted_by_gap_largest_first(ws):
    names = [r.name for r in dashboard_skills.skills_supply_demand(ws["manager"].membership, period())]
    assert names == ["Terraform", "Python", "Go"]


def test_another_workspace_sees_only_its_own_skills(ws):
    manager = talent_manager(ws["other"])
    rows = dashboard_skills.skills_supply_demand(manager.membership, period())
    assert [(r.name, r.learners, r.seekers) for r in rows] == [("Terraform", 1, 1)]


def test_the_drill_down_lists_people_trends_and_hints(ws):
    detail = dashboard_skill_detail.skill_detail(ws["manager"].membership, ws["T"], period())
    seekers = {
        s.name: (s.goal_since is not None, s.open_requests, s.open_questions, s.unanswered_questions)
        for s in detail.seekers
    }
    assert seekers == {
        "Sara One": (True, 1, 0, 0),
        "Sven Two": (True, 0, 0, 0),
        "Sol Three": (False, 0, 1, 1),
    }
    assert detail.seekers_total == 3
    mentors = [(m.name, m.level, m.load, m.capacity, m.weight, m.routing.sent) for m in detail.mentors]
    assert mentors == [
        ("Mia Mentor", 5, 1, 2, 1.0, 1),
        ("Mo Closed", 4, 0, 2, 0.0, 0),
        ("Max Mentor", 3, 0, 1, 0.6, 1),
    ]
    totals = {
        key: sum(week[key] for week in detail.weeks)
        for key in ("goals", "requests", "questions", "answered", "missed")
    }
    # goals: s1, s2 (+ gone's, created in the period too); requests: s1's and s4's; questions: q_t, q_resolved
    assert totals == {"goals": 3, "requests": 2, "questions": 2, "answered": 0, "missed": 1}
    hints = {h.name: h.reason for h in detail.hints}
    assert set(hints) == {"Mo Closed", "Ann Answer", "Sven Two"}
    assert "not open to mentoring" in hints["Mo Closed"]
    assert "1 accepted answer" in hints["Ann Answer"]
    assert "Completed 1 engagement" in hints["Sven Two"]


def test_a_mentor_at_capacity_is_a_hint_for_their_skill(ws):
    detail = dashboard_skill_detail.skill_detail(ws["manager"].membership, ws["P"], period())
    assert [(h.name, "At capacity" in h.reason) for h in detail.hints] == [("Meg Full", True)]


# --- pages, access, audit ---------------------------------------------------------------------------


def test_the_skills_page_shows_the_table_and_audits_the_visit(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:skills"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="skill-{ws["T"].pk}"' in html
    assert html.index("Terraform") < html.index("Python") < html.index(">Go<")
    assert "never shows" not in html
    entry = AuditEntry.objects.get(action="dashboard.view_skills")
    assert entry.actor == ws["manager"] and entry.organization == ws["org"]


def test_the_drill_down_page_shows_names_not_content(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:skill_detail", args=[ws["T"].pk]) + "?period=30")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Sara One", "Sol Three", "Mia Mentor", "Ann Answer"):
        assert name in html
    assert "never shows" not in html
    entry = AuditEntry.objects.get(action="dashboard.view_skill")
    assert entry.target_id == str(ws["T"].pk)


def test_a_skill_of_another_workspace_or_missing_is_a_404(ws):
    client = client_for(ws["manager"])
    assert client.get(reverse("dashboard:skill_detail", args=[ws["other_skill"].pk])).status_code == 404
    assert client.get(reverse("dashboard:skill_detail", args=[999999])).status_code == 404
    assert not AuditEntry.objects.filter(action="dashboard.view_skill").exists()


def test_an_inverted_range_is_a_400_naming_the_field(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:skills") + "?period=custom&start=2026-06-30&end=2026-06-01")
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.content.decode()
    assert not AuditEntry.objects.filter(action="dashboard.view_skills").exists()


@pytest.mark.parametrize("name", ["dashboard:skills", "dashboard:skill_detail"])
def test_a_member_gets_403(ws, name):
    client = client_for(ws["s1"])
    args = [ws["T"].pk] if name.endswith("detail") else []
    assert client.get(reverse(name, args=args)).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


# session, user, membership and the navigation's counters (5), the selectors, one audit row
SKILLS_BUDGET = 16
DETAIL_BUDGET = 28


def test_the_skills_pages_read_a_fixed_number_of_queries(ws, django_assert_max_num_queries):
    client = client_for(ws["manager"])
    pages = [
        (reverse("dashboard:skills"), SKILLS_BUDGET),
        (reverse("dashboard:skill_detail", args=[ws["T"].pk]), DETAIL_BUDGET),
    ]
    small = []
    for url, budget in pages:
        with django_assert_max_num_queries(budget) as captured:
            assert client.get(url).status_code == 200
        small.append(len(captured.captured_queries))
    build_more(ws)  # more people, requests, questions, attempts and mentors on the same skills
    large = []
    for url, budget in pages:
        with django_assert_max_num_queries(budget) as captured:
            assert client.get(url).status_code == 200
        large.append(len(captured.captured_queries))
    assert large == small


def build_more(ws):
    org, T, P = ws["org"], ws["T"], ws["P"]
    people = [member(org, full_name=f"Extra {i}") for i in range(4)]
    for person in people:
        LearningGoalFactory(user=person, skill=T)
        request_for(org, person, [T, P])
        q = question(org, person, [T])
        attempt(q, ws["m1"], Outcome.ANSWERED)
        ExpertiseFactory(user=mentor(org), skill=P, level=2)
    return people
