"""The attention list: each section against a hand-built workspace, the actions (nudge,
extend, close, reassign) with their bad input, access, the audit trail and the pinned
query count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dashboard import actions as dashboard_actions
from dashboard import attention as dashboard_attention
from mentoring.models import Commitment, Engagement, Invitation, MentoringRequest, Participant
from messaging.models import Conversation, Notification, Question, RoutingAttempt
from tests.clients import client_for
from tests.factories import member, talent_manager
from tests.mentoring.factories import EngagementFactory, MentoringRequestFactory, mentor
from trust.models import Dimension, TrustDispute, TrustEvent, TrustSnapshot

pytestmark = pytest.mark.django_db

M, S = Participant.Role.MENTOR, Participant.Role.SEEKER
Outcome = RoutingAttempt.Outcome


def ago(**kwargs):
    return clock.now() - timedelta(**kwargs)


def engagement(org, people, *, started, title, last_activity=None, **kwargs):
    return EngagementFactory(
        organization=org,
        participants=people,
        title=title,
        starts_at=started,
        ends_at=started + timedelta(days=21),
        last_activity_at=last_activity,
        **kwargs,
    )


def question(
    org, author, *, created, state=Question.State.OPEN, scope=Question.Scope.NETWORK, engagement=None
):
    return Question.objects.create(
        organization=org,
        author=author,
        title="(never shown)",
        body="(never shown)",
        scope=scope,
        engagement=engagement,
        state=state,
        created_at=created,
    )


def attempt(q, candidate, outcome, *, window_ends):
    return RoutingAttempt.objects.create(
        question=q,
        organization_id=q.organization_id,
        candidate=candidate,
        wave=1,
        rank=1,
        score=0.5,
        outcome=outcome,
        notified_at=window_ends - timedelta(hours=4),
        window_ends_at=window_ends,
    )


def invitation(request, mentor_user, *, rank=1, state=Invitation.State.PENDING, expires=None, sent=None):
    return Invitation.objects.create(
        request=request,
        mentor=mentor_user,
        rank=rank,
        state=state,
        sent_at=sent or (ago(hours=1) if state in Invitation.LIVE_STATES else None),
        expires_at=expires if state in Invitation.LIVE_STATES else None,
    )


def snapshot(org, person, days_ago, mean):
    TrustSnapshot.objects.create(
        organization=org,
        subject=person,
        dimension=Dimension.RESPONSIVENESS,
        date=(clock.now() - timedelta(days=days_ago)).date(),
        mean=mean,
        lower=mean - 0.1,
        evidence_count=3,
    )


def build(org):
    seeker, other_seeker = member(org, full_name="Sara Seeker"), member(org, full_name="Sven Seeker")
    mia = mentor(org, full_name="Mia Mentor", capacity=3)
    max_ = mentor(org, full_name="Max Mentor", capacity=2)
    ola = mentor(org, full_name="Ola Overloaded", capacity=1)
    pia = mentor(org, full_name="Pia Pending", capacity=3)
    data = {"seeker": seeker, "other_seeker": other_seeker, "mia": mia, "max": max_, "ola": ola, "pia": pia}

    # --- engagements (today: idle means nothing for 7 days by default)
    data["idle_10"] = engagement(org, [(mia, M), (seeker, S)], started=ago(days=20), title="Idle ten")
    conversation = Conversation.objects.create(
        organization=org, engagement=data["idle_10"], last_message_at=ago(days=10)
    )
    assert conversation
    data["never_30"] = engagement(
        org, [(mia, M), (other_seeker, S)], started=ago(days=30), title="Never active"
    )
    fresh = engagement(org, [(max_, M), (seeker, S)], started=ago(days=20), title="Fresh commitment")
    Commitment.objects.create(
        engagement=fresh, owner=seeker, text="(never shown)", due_at=ago(days=-2), created_at=ago(days=2)
    )
    engagement(org, [(max_, M), (other_seeker, S)], started=ago(days=3), title="Just started")
    engagement(
        org,
        [(mia, M), (seeker, S)],
        started=ago(days=40),
        title="Long done",
        state=Engagement.State.COMPLETED,
        ended_at=ago(days=20),
    )
    # Ola mentors two engagements with a capacity of one (both recently active)
    for i in range(2):
        engagement(
            org,
            [(ola, M), (other_seeker, S)],
            started=ago(days=2),
            title=f"Ola {i}",
            last_activity=ago(days=1),
        )

    # --- questions
    data["q_missed"] = question(org, seeker, created=ago(hours=30))
    attempt(data["q_missed"], mia, Outcome.MISSED, window_ends=ago(hours=20))
    q_running = question(org, seeker, created=ago(hours=5))
    attempt(q_running, mia, Outcome.PENDING, window_ends=ago(hours=-3))
    data["q_unrouted"] = question(org, other_seeker, created=ago(hours=48))
    question(org, other_seeker, created=ago(hours=1))  # too young
    question(org, seeker, created=ago(days=5), state=Question.State.ANSWERED)  # answered
    question(org, seeker, created=ago(days=5), scope=Question.Scope.ENGAGEMENT, engagement=fresh)
    # Pia has three routed questions waiting on her
    for _ in range(3):
        attempt(question(org, seeker, created=ago(hours=1)), pia, Outcome.PENDING, window_ends=ago(hours=-3))

    # --- responsiveness
    snapshot(org, mia, 35, 0.8)
    snapshot(org, mia, 0, 0.6)  # dropped 0.2
    snapshot(org, max_, 35, 0.8)
    snapshot(org, max_, 1, 0.7)  # dropped 0.1: not sharp
    snapshot(org, pia, 2, 0.3)  # nothing to compare with

    # --- invitations
    r_overdue = MentoringRequestFactory(
        organization=org, seeker=seeker, state=MentoringRequest.State.INVITING, created_at=ago(hours=30)
    )
    data["inv_overdue"] = invitation(r_overdue, max_, expires=ago(hours=2))
    data["inv_overdue_next"] = invitation(r_overdue, pia, rank=2, state=Invitation.State.QUEUED)
    r_slow = MentoringRequestFactory(
        organization=org, seeker=other_seeker, state=MentoringRequest.State.INVITING, created_at=ago(days=4)
    )
    invitation(r_slow, mia, state=Invitation.State.DECLINED)
    data["inv_slow"] = invitation(r_slow, max_, rank=2, expires=ago(hours=-20))
    r_fine = MentoringRequestFactory(
        organization=org, seeker=seeker, state=MentoringRequest.State.INVITING, created_at=ago(hours=2)
    )
    invitation(r_fine, mia, expires=ago(hours=-20))

    # --- disputes
    event = TrustEvent.objects.create(
        organization=org,
        subject=mia,
        dimension=Dimension.RESPONSIVENESS,
        outcome=0.0,
        source_kind="test.observed",
        source_id="1",
    )
    data["dispute"] = TrustDispute.objects.create(
        organization=org, event=event, raised_by=mia, reason="(never shown)"
    )
    event2 = TrustEvent.objects.create(
        organization=org,
        subject=max_,
        dimension=Dimension.RESPONSIVENESS,
        outcome=0.0,
        source_kind="test.observed",
        source_id="2",
    )
    TrustDispute.objects.create(
        organization=org,
        event=event2,
        raised_by=max_,
        reason="x",
        state=TrustDispute.State.REJECTED,
        decided_at=clock.now(),
    )
    return data


@pytest.fixture
def ws(org, other_org):
    data = build(org)
    data["org"] = org
    data["manager"] = talent_manager(org, full_name="Maya Manager")
    other = other_org
    data["other"] = other
    data["foreign"] = engagement(
        other, [(mentor(other), M), (member(other), S)], started=ago(days=30), title="Elsewhere"
    )
    return data


def sections(ws, days=7):
    return dashboard_attention.attention(ws["manager"].membership, idle_days=days)


def test_idle_engagements_are_the_active_ones_without_activity_for_n_days(ws):
    idle = sections(ws)["idle_engagements"]
    assert [(e.title, e.idle_days) for e in idle.items] == [("Never active", 30), ("Idle ten", 10)]
    assert idle.total == 2
    names = [p.user.display_name for p in idle.items[1].participants.all()]
    assert sorted(names) == ["Mia Mentor", "Sara Seeker"]
    # with 14 days only the one that never started counts
    assert [e.title for e in sections(ws, days=14)["idle_engagements"].items] == ["Never active"]


def test_unanswered_questions_are_past_the_routing_window(ws):
    found = sections(ws)["unanswered_questions"]
    assert [q.pk for q in found.items] == [ws["q_unrouted"].pk, ws["q_missed"].pk]
    assert [(q.routed, q.waiting) for q in found.items] == [(0, 0), (1, 0)]


def test_overloaded_mentors_are_over_capacity_or_with_many_routed_questions_waiting(ws):
    found = sections(ws)["overloaded_mentors"]
    rows = [(m.user.display_name, m.load, m.capacity, m.pending_routed) for m in found.items]
    assert rows == [("Ola Overloaded", 2, 1, 0), ("Pia Pending", 0, 3, 3)]


def test_responsiveness_drops_compare_against_the_snapshot_a_month_before(ws):
    found = sections(ws)["responsiveness_drops"]
    assert [(m.user.display_name, round(m.drop, 2)) for m in found.items] == [("Mia Mentor", 0.2)]


def test_stuck_invitations_are_overdue_or_from_a_long_running_cascade(ws):
    found = sections(ws)["stuck_invitations"]
    assert [i.pk for i in found.items] == [ws["inv_slow"].pk, ws["inv_overdue"].pk]
    assert [(i.overdue, i.choices_left) for i in found.items] == [(False, 0), (True, 1)]


def test_open_disputes_are_listed(ws):
    assert [d.pk for d in sections(ws)["open_disputes"].items] == [ws["dispute"].pk]


def test_suspicious_patterns_show_the_people_and_the_counts_behind_them(ws):
    from trust.models import TrustPattern

    ring = [member(ws["org"], full_name=f"Ring {i}") for i in range(4)]
    target = member(ws["org"], full_name="Tess Target")
    fresh = [member(ws["org"], full_name=f"Fresh {i}") for i in range(3)]
    TrustPattern.objects.create(
        organization=ws["org"], kind="cluster", subject=ring[0], people=[p.pk for p in ring],
        facts={"members": 4, "mutual_ties": 6, "pieces_inside": 48},
    )  # fmt: skip
    TrustPattern.objects.create(
        organization=ws["org"], kind="burst", subject=target, people=[p.pk for p in fresh],
        facts={"new_accounts": 3, "window_days": 30, "account_age_days": 30},
    )  # fmt: skip

    found = sections(ws)["suspicious_patterns"]

    assert found.total == 2
    by_kind = {p.kind: p for p in found.items}
    assert [m.full_name for m in by_kind["cluster"].members] == [f"Ring {i}" for i in range(4)]
    assert (
        by_kind["cluster"].summary
        == "4 people traded evidence both ways along 6 ties, 48 pieces among themselves in the last 90 days"
    )
    assert by_kind["burst"].summary == "3 accounts younger than 30 days praised Tess Target within 30 days"
    page = client_for(ws["manager"]).get(reverse("dashboard:attention")).content.decode()
    assert "Suspicious patterns" in page and "Dense reciprocal cluster" in page and "Fresh 2" in page
    assert not dashboard_attention.attention(talent_manager(ws["other"]).membership)[
        "suspicious_patterns"
    ].items


def test_another_workspace_sees_none_of_it(ws):
    found = dashboard_attention.attention(talent_manager(ws["other"]).membership)
    assert [e.title for e in found["idle_engagements"].items] == ["Elsewhere"]
    assert all(not found[name].items for name in found if name != "idle_engagements")


def test_a_long_list_says_how_many_more(ws, monkeypatch):
    monkeypatch.setattr(dashboard_attention, "LIMIT", 1)
    idle = sections(ws)["idle_engagements"]
    assert (len(idle.items), idle.total, idle.more) == (1, 2, 1)


# --- actions -------------------------------------------------------------------------------------------


def test_a_nudge_notifies_the_participants_once_a_day_and_is_audited(ws):
    told = dashboard_actions.attention_nudge(
        manager=ws["manager"], target="engagement", target_id=ws["idle_10"].pk, note="Any news?"
    )
    assert told == 2
    notes = Notification.objects.filter(kind="engagement.nudged")
    assert sorted(n.recipient.display_name for n in notes) == ["Mia Mentor", "Sara Seeker"]
    assert "Maya Manager: Any news?" in notes[0].body
    entry = AuditEntry.objects.get(action="dashboard.nudge")
    assert (entry.target_type, entry.target_id, entry.actor) == (
        "engagement",
        str(ws["idle_10"].pk),
        ws["manager"],
    )
    with pytest.raises(Conflict):
        dashboard_actions.attention_nudge(
            manager=ws["manager"], target="engagement", target_id=ws["idle_10"].pk
        )
    assert Notification.objects.filter(kind="engagement.nudged").count() == 2
    clock_moved = clock.travel_by(timedelta(hours=25))
    with clock_moved:
        assert (
            dashboard_actions.attention_nudge(
                manager=ws["manager"], target="engagement", target_id=ws["idle_10"].pk
            )
            == 2
        )


def test_a_question_nudge_reaches_the_routed_people_who_did_not_answer(ws):
    told = dashboard_actions.attention_nudge(
        manager=ws["manager"], target="question", target_id=ws["q_missed"].pk
    )
    assert told == 1
    assert Notification.objects.get(kind="question.nudged").recipient == ws["mia"]
    with pytest.raises(Conflict) as info:
        dashboard_actions.attention_nudge(
            manager=ws["manager"], target="question", target_id=ws["q_unrouted"].pk
        )
    assert "target" in info.value.fields


def test_an_overloaded_mentor_and_a_stuck_invitation_can_be_nudged(ws):
    assert (
        dashboard_actions.attention_nudge(manager=ws["manager"], target="mentor", target_id=ws["ola"].pk) == 1
    )
    note = Notification.objects.get(kind="engagement.load")
    assert note.recipient == ws["ola"] and "2 engagement(s) with a capacity of 1" in note.body
    assert (
        dashboard_actions.attention_nudge(
            manager=ws["manager"], target="invitation", target_id=ws["inv_slow"].pk
        )
        == 1
    )
    assert Notification.objects.get(kind="invitation.nudged").recipient == ws["max"]


@pytest.mark.parametrize(
    ("target", "target_id", "error", "field"),
    [
        ("poke", "1", ValidationFailed, "target"),
        ("engagement", "abc", ValidationFailed, "target_id"),
        ("engagement", "-3", ValidationFailed, "target_id"),
        ("engagement", "999999", NotFound, None),
        ("mentor", "999999", NotFound, None),
    ],
)
def test_bad_nudges_are_refused_and_nothing_is_sent(ws, target, target_id, error, field):
    with pytest.raises(error) as info:
        dashboard_actions.attention_nudge(manager=ws["manager"], target=target, target_id=target_id)
    if field:
        assert field in info.value.fields
    assert not Notification.objects.filter(kind__endswith="nudged").exists()
    assert not AuditEntry.objects.filter(action="dashboard.nudge").exists()


def test_an_engagement_of_another_workspace_is_not_found_for_every_action(ws):
    foreign = ws["foreign"].pk
    with pytest.raises(NotFound):
        dashboard_actions.attention_nudge(manager=ws["manager"], target="engagement", target_id=foreign)
    with pytest.raises(NotFound):
        dashboard_actions.attention_extend(manager=ws["manager"], engagement_id=foreign, days=7, reason="x")
    with pytest.raises(NotFound):
        dashboard_actions.attention_close(manager=ws["manager"], engagement_id=foreign, reason="x")
    assert Engagement.objects.get(pk=foreign).state == Engagement.State.ACTIVE


def test_a_question_or_invitation_of_another_workspace_is_not_found(ws):
    other_asker = member(ws["other"])
    foreign_question = question(ws["other"], other_asker, created=ago(days=3))
    foreign_request = MentoringRequestFactory(
        organization=ws["other"], seeker=other_asker, state=MentoringRequest.State.INVITING
    )
    foreign_invitation = invitation(foreign_request, mentor(ws["other"]), expires=ago(hours=1))
    with pytest.raises(NotFound):
        dashboard_actions.attention_nudge(
            manager=ws["manager"], target="question", target_id=foreign_question.pk
        )
    with pytest.raises(NotFound):
        dashboard_actions.attention_nudge(
            manager=ws["manager"], target="invitation", target_id=foreign_invitation.pk
        )
    with pytest.raises(NotFound):
        dashboard_actions.attention_reassign(manager=ws["manager"], invitation_id=foreign_invitation.pk)
    assert Invitation.objects.get(pk=foreign_invitation.pk).state == Invitation.State.PENDING
    assert not AuditEntry.objects.filter(action__in=["dashboard.nudge", "dashboard.reassign"]).exists()


def test_a_member_cannot_act(ws):
    with pytest.raises(PermissionDenied):
        dashboard_actions.attention_nudge(
            manager=ws["seeker"], target="engagement", target_id=ws["idle_10"].pk
        )


def test_extend_moves_the_end_once_and_tells_the_participants(ws):
    before = ws["idle_10"].ends_at
    e = dashboard_actions.attention_extend(
        manager=ws["manager"], engagement_id=ws["idle_10"].pk, days="7", reason="Holidays"
    )
    assert e.ends_at == before + timedelta(days=7) and e.extended_once and e.extension_reason == "Holidays"
    assert Notification.objects.filter(kind="engagement.extended").count() == 2
    assert AuditEntry.objects.get(action="dashboard.extend").details["days"] == 7
    with pytest.raises(Conflict) as info:
        dashboard_actions.attention_extend(
            manager=ws["manager"], engagement_id=ws["idle_10"].pk, days=3, reason="x"
        )
    assert "days" in info.value.fields


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [
        (0, "ok", "days"),
        (91, "ok", "days"),
        ("soon", "ok", "days"),
        (7, "  ", "reason"),
        (30, "too far", "days"),
    ],
)
def test_bad_extensions_are_refused_naming_the_field(ws, days, reason, field):
    before = Engagement.objects.get(pk=ws["idle_10"].pk).ends_at
    with pytest.raises(ValidationFailed) as info:
        dashboard_actions.attention_extend(
            manager=ws["manager"], engagement_id=ws["idle_10"].pk, days=days, reason=reason
        )
    assert field in info.value.fields
    assert Engagement.objects.get(pk=ws["idle_10"].pk).ends_at == before
    assert not AuditEntry.objects.filter(action="dashboard.extend").exists()


def test_close_cancels_with_the_reason_and_is_audited(ws):
    e = dashboard_actions.attention_close(
        manager=ws["manager"], engagement_id=ws["never_30"].pk, reason="Stalled"
    )
    assert e.state == Engagement.State.CANCELLED
    assert AuditEntry.objects.get(action="dashboard.close").target_id == str(e.pk)
    with pytest.raises(Conflict):
        dashboard_actions.attention_close(manager=ws["manager"], engagement_id=e.pk, reason="again")
    with pytest.raises(ValidationFailed) as info:
        dashboard_actions.attention_close(manager=ws["manager"], engagement_id=ws["idle_10"].pk, reason="")
    assert "reason" in info.value.fields


def test_reassign_an_overdue_invitation_expires_it_and_invites_the_next_choice(ws):
    request = dashboard_actions.attention_reassign(manager=ws["manager"], invitation_id=ws["inv_overdue"].pk)
    assert request.state == MentoringRequest.State.INVITING
    assert Invitation.objects.get(pk=ws["inv_overdue"].pk).state == Invitation.State.EXPIRED
    assert Invitation.objects.get(pk=ws["inv_overdue_next"].pk).state == Invitation.State.PENDING
    entry = AuditEntry.objects.get(action="dashboard.reassign")
    assert entry.details["next_mentor"] == ws["pia"].pk


def test_reassign_a_running_invitation_withdraws_it_and_exhausts_a_cascade_with_no_choice_left(ws):
    request = dashboard_actions.attention_reassign(manager=ws["manager"], invitation_id=ws["inv_slow"].pk)
    assert request.state == MentoringRequest.State.EXHAUSTED
    assert Invitation.objects.get(pk=ws["inv_slow"].pk).state == Invitation.State.WITHDRAWN
    assert Notification.objects.filter(kind="request.exhausted", recipient=ws["other_seeker"]).exists()
    with pytest.raises(Conflict):
        dashboard_actions.attention_reassign(manager=ws["manager"], invitation_id=ws["inv_slow"].pk)


# --- pages --------------------------------------------------------------------------------------------


def test_the_attention_page_lists_every_section_and_audits_the_visit(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:attention"))
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in (
        f'id="idle-{ws["idle_10"].pk}"',
        f'id="question-{ws["q_missed"].pk}"',
        f'id="mentor-{ws["ola"].pk}"',
        f'id="drop-{ws["mia"].pk}"',
        f'id="invitation-{ws["inv_overdue"].pk}"',
        f'id="dispute-{ws["dispute"].pk}"',
    ):
        assert anchor in html
    assert "never shown" not in html
    assert AuditEntry.objects.get(action="dashboard.view_attention").details == {"idle_days": 7}


@pytest.mark.parametrize("days", ["0", "366", "abc"])
def test_a_bad_idle_days_value_is_a_400_naming_the_field(ws, days):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:attention"), {"days": days})
    assert response.status_code == 400
    assert 'id="id_days-error"' in response.content.decode()


def test_an_action_posted_from_the_page_redirects_with_the_result(ws):
    client = client_for(ws["manager"])
    response = client.post(
        reverse("dashboard:attention_act", args=["nudge"]),
        {"target": "engagement", "target_id": ws["idle_10"].pk, "idle_days": "10"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard:attention") + "?days=10"
    assert "Nudge sent to 2 people." in response.content.decode()


def test_a_failed_action_shows_the_error_with_its_status(ws):
    client = client_for(ws["manager"])
    response = client.post(
        reverse("dashboard:attention_act", args=["extend"]),
        {"engagement_id": ws["idle_10"].pk, "days": "0", "reason": "x"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="action-error"' in html and "1 to 90" in html
    response = client.post(
        reverse("dashboard:attention_act", args=["close"]), {"engagement_id": ws["foreign"].pk, "reason": "x"}
    )
    assert response.status_code == 404
    assert client.post(reverse("dashboard:attention_act", args=["explode"])).status_code == 404
    assert client.get(reverse("dashboard:attention_act", args=["nudge"])).status_code == 405


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/manage/attention/"),
        ("post", "/manage/attention/nudge/"),
        ("post", "/manage/attention/extend/"),
        ("post", "/manage/attention/close/"),
        ("post", "/manage/attention/reassign/"),
    ],
)
def test_a_member_gets_403(ws, method, url):
    client = client_for(ws["seeker"])
    data = {
        "target": "engagement",
        "target_id": ws["idle_10"].pk,
        "engagement_id": ws["idle_10"].pk,
        "invitation_id": ws["inv_slow"].pk,
        "days": "3",
        "reason": "x",
    }
    response = getattr(client, method)(url, data)
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()
    engagement = Engagement.objects.get(pk=ws["idle_10"].pk)
    assert engagement.state == Engagement.State.ACTIVE and not engagement.extended_once
    assert Invitation.objects.get(pk=ws["inv_slow"].pk).state == Invitation.State.PENDING
    assert not Notification.objects.filter(kind__endswith="nudged").exists()


PAGE_BUDGET = 18


def test_the_attention_page_reads_a_fixed_number_of_queries(ws, django_assert_max_num_queries):
    client = client_for(ws["manager"])
    url = reverse("dashboard:attention")
    with django_assert_max_num_queries(PAGE_BUDGET) as small:
        assert client.get(url).status_code == 200
    build(ws["org"])  # twice everything
    with django_assert_max_num_queries(PAGE_BUDGET) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
